/**
 * The descriptors of segment files, opened on demand and kept in a cache of
 * at most `capacity` (log.max.open.files) shared by every log of a
 * LogManager, so the number of open files does not grow with the number of
 * partitions (before, each segment held its `.log` open for good and the
 * active one its two index files too: 10,000 partitions, 10,000+ descriptors).
 *
 * A SegmentFile is one `.log` file. An operation that needs its descriptor
 * pins it: a pinned descriptor is never closed, so a write round, an
 * asynchronous read or a scan keeps the descriptor it started with until it
 * ends. Unpinned open descriptors form a least-recently-used list; when a
 * new one would pass the capacity, the least recently used is closed first.
 * When every descriptor is pinned, an asynchronous operation (a write round,
 * an asynchronous read, an fsync) waits for one to be unpinned (`tryPin`
 * returns -1, `whenFree` calls back); a synchronous one (`pin`, `use`: a
 * read, a scan, a close that holds its file for queued writes) cannot wait
 * and takes one past the capacity for as long as it runs. So the cache holds
 * at most `capacity` descriptors plus those of synchronous operations in
 * progress, whatever the load.
 *
 * Hits are the hot path (every write round and read of an active partition
 * pins its file): a pin of an open file moves it out of the list and an
 * unpin puts it back at the front, pointer updates with no system call and
 * no allocation. A miss opens the file again by its path: without O_CREAT,
 * so a segment removed meanwhile fails with ENOENT instead of coming back
 * empty, and never after `close()`, so the file a deleted topic's segment
 * named cannot be reopened when a new topic takes the same name. A closed
 * descriptor's number is never used again: the field is cleared at close,
 * and only pinned numbers are handed out.
 *
 * EMFILE/ENFILE: the opens of the log's read, write and open paths (segment
 * and index files, directory listings, checkpoints) go through `withRoom`,
 * which closes unpinned cached descriptors and tries again; only when none is left
 * does the error reach the operation (a write round fails as a failed write,
 * a read fails its request), never the process. A capacity above half the
 * process's own limit (`ulimit -n`) is lowered to that (`capacityWithin`), so
 * the cache alone never takes the descriptors connections and module loads need.
 */
import { closeSync, constants, fsync, openSync, readFileSync } from 'node:fs';

/** The process's soft limit on open files (Linux, from /proc/self/limits), or undefined when unknown. */
export function openFileLimit(): number | undefined {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** `wanted`, at most half the process's open-file limit (and at least 1). */
export function capacityWithin(wanted: number, limit = openFileLimit()): number {
  return limit === undefined ? wanted : Math.max(1, Math.min(wanted, Math.floor(limit / 2)));
}

export class FileCache {
  /** Most recently used open, unpinned file; `lru` is the least. */
  private mru: SegmentFile | null = null;
  private lru: SegmentFile | null = null;
  /** Descriptors held: the listed ones and the pinned ones. */
  private held = 0;
  /** Asynchronous operations waiting for a descriptor, first come first served. */
  private waiters: { file: SegmentFile; retry: () => void }[] = [];

  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new Error(`a file cache needs room for at least one descriptor, not ${capacity}`);
  }

  /** Descriptors open now (for tests and metrics). */
  get openCount(): number { return this.held; }

  file(path: string): SegmentFile { return new SegmentFile(this, path); }

  /** fsyncs `path` in the thread pool, its descriptor counted here (waiting for room when every one is pinned), as the segments' are. */
  fsync(path: string): Promise<void> {
    const file = this.file(path);
    return new Promise<void>((resolve, reject) => {
      const attempt = () => {
        let fd: number;
        try { fd = file.tryPin(); } catch (err) { file.close(); reject(err as Error); return; }
        if (fd < 0) { file.whenFree(attempt); return; }
        fsync(fd, (err) => {
          file.unpin();
          file.close();
          if (err) reject(err); else resolve();
        });
      };
      attempt();
    });
  }

  /**
   * Runs `open` (anything that opens a descriptor); when it fails for want of
   * descriptors, closes the least recently used cached one and tries again.
   */
  withRoom<T>(open: () => T): T {
    for (;;) {
      try {
        return open();
      } catch (err) {
        const code = (err as NodeJS.ErrnoException)?.code;
        if ((code !== 'EMFILE' && code !== 'ENFILE') || !this.evictOne()) throw err;
      }
    }
  }

  /** @internal An open descriptor is about to be added: make room under the capacity. */
  beforeOpen(): void {
    while (this.held >= this.capacity && this.evictOne()) { /* closed one */ }
  }

  /** @internal True when a new descriptor now would pass the capacity with none to close. */
  full(): boolean { return this.held >= this.capacity && this.lru === null; }

  /** @internal Calls `retry` once a descriptor may be had (one is unpinned or closed). */
  whenFree(file: SegmentFile, retry: () => void): void { this.waiters.push({ file, retry }); }

  /**
   * @internal `file` was opened by a synchronous user (a close holding it for
   * queued writes, a read), or closed for good: its own waiters can have it,
   * or fail, now. Without this a close holding its file for writes that wait
   * for a descriptor would wait forever.
   */
  wakeWaitersOf(file: SegmentFile): void {
    if (this.waiters.length === 0) return;
    const mine = this.waiters.filter((w) => w.file === file);
    if (mine.length === 0) return;
    this.waiters = this.waiters.filter((w) => w.file !== file);
    for (const w of mine) queueMicrotask(w.retry);
  }

  /** @internal */
  opened(): void { this.held++; }
  /** @internal */
  closed(): void {
    this.held--;
    this.wake();
  }

  private wake(): void {
    const next = this.waiters.shift();
    // Not from inside the unpin or close that freed it: the waiter starts writes of its own.
    if (next) queueMicrotask(next.retry);
  }

  /** @internal Puts an unpinned open file at the front, then trims to the capacity. */
  push(f: SegmentFile): void {
    f.older = this.mru;
    f.newer = null;
    if (this.mru) this.mru.newer = f;
    else this.lru = f;
    this.mru = f;
    if (this.held > this.capacity) this.evictOne();
    else this.wake();
  }

  /** @internal Takes a file out of the list (it is being pinned or closed). */
  unlink(f: SegmentFile): void {
    if (f.newer) f.newer.older = f.older;
    else if (this.mru === f) this.mru = f.older;
    if (f.older) f.older.newer = f.newer;
    else if (this.lru === f) this.lru = f.newer;
    f.newer = f.older = null;
  }

  private evictOne(): boolean {
    const victim = this.lru;
    if (!victim) return false;
    this.unlink(victim);
    victim.closeDescriptor();
    return true;
  }
}

export class SegmentFile {
  private fd = -1;
  private pins = 0;
  private retired = false;
  /** @internal LRU links, set while the file is open and unpinned. */
  newer: SegmentFile | null = null;
  older: SegmentFile | null = null;

  constructor(private readonly cache: FileCache, readonly path: string) {}

  /** Whether a descriptor is open now (tests, metrics). */
  get isOpen(): boolean { return this.fd >= 0; }

  /** Creates the file if it is missing and caches its descriptor (a new segment: the file exists from now on). */
  create(): void {
    if (this.fd >= 0) return;
    this.openWith(constants.O_RDWR | constants.O_CREAT);
    if (this.pins === 0) this.cache.push(this);
  }

  /**
   * For asynchronous operations: the descriptor pinned as `pin` does, or -1
   * when that would pass the cache's capacity with every descriptor pinned;
   * then `whenFree` says when to try again.
   */
  tryPin(): number {
    if (this.fd < 0 && !this.retired && this.cache.full()) return -1;
    return this.pin();
  }

  whenFree(retry: () => void): void { this.cache.whenFree(this, retry); }

  /** The descriptor, held open until the matching `unpin`. Throws when it cannot be opened (or the file was closed for good). */
  pin(): number {
    if (this.fd < 0) {
      if (this.retired) throw new Error(`${this.path} is closed`);
      // Not O_APPEND: appends are positional writes (write-queue.ts).
      this.openWith(constants.O_RDWR);
    } else if (this.pins === 0) {
      this.cache.unlink(this);
    }
    this.pins++;
    return this.fd;
  }

  unpin(): void {
    if (--this.pins > 0) return;
    if (this.retired) this.closeDescriptor();
    else this.cache.push(this);
  }

  /** `fn` with the descriptor pinned. */
  use<T>(fn: (fd: number) => T): T {
    const fd = this.pin();
    try {
      return fn(fd);
    } finally {
      this.unpin();
    }
  }

  /** Closes the descriptor now, or when the last pin ends; the file is never opened again. */
  close(): void {
    this.retired = true;
    this.cache.wakeWaitersOf(this);
    if (this.pins > 0 || this.fd < 0) return;
    this.cache.unlink(this);
    this.closeDescriptor();
  }

  private openWith(flags: number): void {
    this.cache.beforeOpen();
    this.fd = this.cache.withRoom(() => openSync(this.path, flags, 0o644));
    this.cache.opened();
    this.cache.wakeWaitersOf(this);
  }

  /** @internal */
  closeDescriptor(): void {
    const fd = this.fd;
    if (fd < 0) return;
    // Cleared first: whatever happens, this number is not ours any more.
    this.fd = -1;
    this.cache.closed();
    try { closeSync(fd); } catch { /* EBADF/EIO on close: the descriptor is released either way */ }
  }
}
