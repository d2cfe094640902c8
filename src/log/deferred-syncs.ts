/**
 * fsyncs of a log manager's small metadata files (partition.metadata,
 * leader-epoch-checkpoint) batched and run in libuv's thread pool instead of
 * one fsyncSync per file on the event loop. Each partition's first write used
 * to sync both files: creating 10,000 partitions and producing one record to
 * each spent about 1 ms of blocked event loop per partition waiting for the
 * disk (make bench-scale).
 *
 * Such a file is written aside and renamed into place (never seen half
 * written by this process or after a kill -9: the page cache has it), then
 * queued here. What a crash of the machine can leave instead, an older file,
 * an empty one or none, is what their readers already recover from (the
 * epoch checkpoint is rebuilt or completed from the log's batches, a missing
 * topic id is recorded again), provided the durable recovery point never
 * passes data whose epoch only the unsynced file knows: the log manager
 * flushes this queue before it writes the recovery points, and before it
 * marks a shutdown clean.
 */
import type { FileCache } from './file-cache.js';

/** fsyncs in flight at once: enough for the file system to commit several in one journal transaction, leaving pool threads for reads. */
const PARALLEL = 2;
/** How soon queued files are synced: long enough to gather a burst of partition creations or first writes into one batch. */
const DELAY_MS = 200;

export class DeferredSyncs {
  private queued = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly files: FileCache, private readonly report: (message: string) => void) {}

  /** `path` was just renamed into place: synced in the next batch. */
  add(path: string): void {
    this.queued.add(path);
    this.schedule();
  }

  private schedule(): void {
    if (this.timer !== undefined || this.running !== undefined || this.stopped || this.queued.size === 0) return;
    this.timer = setTimeout(() => { this.timer = undefined; void this.flush(); }, DELAY_MS).unref();
  }

  get pending(): number { return this.queued.size; }

  /** Resolves when every file queued before the call is synced (or its failure reported). */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    // A batch in progress took an earlier queue; what was queued since is the next batch.
    while (this.running) await this.running;
    if (this.queued.size === 0) return;
    const batch = [...this.queued];
    this.queued = new Set();
    this.running = this.syncAll(batch).finally(() => {
      this.running = undefined;
      this.schedule();
    });
    await this.running;
  }

  /** No more scheduled batches (a crash-like stop); a batch already running finishes. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async syncAll(paths: string[]): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < paths.length) {
        const path = paths[next++]!;
        try {
          await this.files.fsync(path);
        } catch (err) {
          // Gone meanwhile (a deleted topic, a newer file renamed over it and queued itself): nothing to sync.
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.report(`cannot fsync ${path}: ${(err as Error).message}`);
        }
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, worker));
  }
}
