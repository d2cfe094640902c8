/**
 * A partition's leader epoch history (Kafka's LeaderEpochFileCache): for each
 * leader epoch that wrote to the log, the offset of its first batch. A
 * follower asks the leader where its own latest epoch ends
 * (OffsetForLeaderEpoch, Fetch's diverging epoch) and truncates there.
 *
 * Persisted as `leader-epoch-checkpoint` in the partition directory, in
 * Kafka's checkpoint text format: `0` (version), the entry count, then one
 * `<epoch> <startOffset>` line per entry. Every change replaces the file
 * (tmp, fsync, rename), and a new entry is in the file before any batch of
 * its epoch is written, so after a crash the file never lacks an entry the
 * log needs; entries past the log end are cut when the log opens. Given
 * `syncLater` (a log manager's logs), the fsync is left to it, batched
 * (deferred-syncs.ts): a kill -9 still finds the renamed file; after a crash
 * of the machine the log's open completes an older file from the batches it
 * verifies, and rebuilds an empty or missing one (partition-log.ts).
 */
import { readFileSync } from 'node:fs';
import { writeCheckpointFile } from './checkpoint-file.js';
import { join } from 'node:path';
import type { FileCache } from './file-cache.js';

export const LEADER_EPOCH_CHECKPOINT = 'leader-epoch-checkpoint';
/** OffsetForLeaderEpoch's "no such epoch": both the epoch and the end offset. */
export const UNDEFINED_EPOCH = -1;
export const UNDEFINED_EPOCH_OFFSET = -1;

export interface EpochEntry { epoch: number; startOffset: number }

export class LeaderEpochCache {
  /** Ascending in both epoch and start offset. */
  private entries: EpochEntry[] = [];
  /** The last entry's epoch, -1 when empty: read on every append, so kept as a plain field. */
  latest = UNDEFINED_EPOCH;
  /** A truncation could not be written: the next change writes the whole file anyway. */
  private dirty = false;

  constructor(readonly dir: string, private readonly files: FileCache, private readonly report: (message: string) => void,
    private readonly syncLater?: (path: string) => void) {}

  get path(): string { return join(this.dir, LEADER_EPOCH_CHECKPOINT); }

  /**
   * Reads the checkpoint; false when it cannot be read or is malformed (the
   * caller rebuilds from the log's batches).
   */
  load(): boolean {
    let text: string;
    try { text = this.files.withRoom(() => readFileSync(this.path, 'utf8')); } catch { return false; }
    const lines = text.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    const count = Number(lines[1]);
    if (lines[0] !== '0' || !Number.isInteger(count) || lines.length !== count + 2) {
      this.report(`${this.path} is malformed; rebuilding it from the log`);
      return false;
    }
    const entries: EpochEntry[] = [];
    for (const line of lines.slice(2)) {
      const m = /^(\d+) (\d+)$/.exec(line);
      if (!m) {
        this.report(`${this.path} has a malformed line '${line}'; rebuilding it from the log`);
        return false;
      }
      const entry = { epoch: Number(m[1]), startOffset: Number(m[2]) };
      // Kafka loads by assigning each entry, which also drops entries that go backwards.
      LeaderEpochCache.put(entries, entry);
    }
    this.set(entries);
    return true;
  }

  /** The entries, oldest first (copies). */
  epochEntries(): EpochEntry[] { return this.entries.map((e) => ({ ...e })); }

  latestEpoch(): number { return this.latest; }

  /**
   * Epoch `epoch` starts at `startOffset`. Nothing changes when that is
   * already the latest epoch from there or earlier; otherwise entries that
   * would contradict it (a later or equal epoch, or one starting at or after
   * `startOffset`) go first, as in Kafka. The file is written before the
   * entry counts; a failed write throws and leaves the cache as it was.
   */
  assign(epoch: number, startOffset: number): boolean {
    if (epoch < 0 || startOffset < 0) throw new Error(`invalid leader epoch entry: epoch ${epoch} at offset ${startOffset}`);
    const last = this.entries[this.entries.length - 1];
    if (last && last.epoch === epoch && last.startOffset <= startOffset) return false;
    const next = this.entries.slice();
    LeaderEpochCache.put(next, { epoch, startOffset });
    this.write(next);
    this.set(next);
    this.dirty = false;
    return true;
  }

  /**
   * Appends to `entries` after removing, from the end, every entry that the
   * new one contradicts.
   */
  private static put(entries: EpochEntry[], entry: EpochEntry): void {
    const last = entries[entries.length - 1];
    if (last && last.epoch === entry.epoch && last.startOffset <= entry.startOffset) return;
    while (entries.length > 0) {
      const e = entries[entries.length - 1]!;
      if (e.epoch < entry.epoch && e.startOffset < entry.startOffset) break;
      entries.pop();
    }
    entries.push(entry);
  }

  /**
   * Where `requestedEpoch` ends, as the leader answers OffsetForLeaderEpoch:
   * the latest epoch ends at the log end; an older one at the start of the
   * next known epoch, reported as the largest known epoch at or below the
   * requested one (or the requested one itself when it is below every known
   * epoch: the data of older epochs is gone, and the follower truncates to
   * where the first known one starts). UNDEFINED for an undefined or unknown
   * later epoch, and for an empty cache.
   */
  endOffsetFor(requestedEpoch: number, logEndOffset: number): { epoch: number; endOffset: number } {
    const undefinedAnswer = { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
    if (requestedEpoch === UNDEFINED_EPOCH || this.entries.length === 0) return undefinedAnswer;
    if (requestedEpoch === this.latest) return { epoch: requestedEpoch, endOffset: logEndOffset };
    const higher = this.entries.findIndex((e) => e.epoch > requestedEpoch);
    if (higher < 0) return undefinedAnswer;
    const endOffset = this.entries[higher]!.startOffset;
    return { epoch: higher === 0 ? requestedEpoch : this.entries[higher - 1]!.epoch, endOffset };
  }

  /** The epoch of the batch holding `offset` (the last entry starting at or before it), or -1. */
  epochForOffset(offset: number): number {
    let epoch = UNDEFINED_EPOCH;
    for (const e of this.entries) {
      if (e.startOffset > offset) break;
      epoch = e.epoch;
    }
    return epoch;
  }

  /** The log now ends at `endOffset`: epochs starting at or after it go. */
  truncateFromEnd(endOffset: number): void {
    let n = this.entries.length;
    while (n > 0 && this.entries[n - 1]!.startOffset >= endOffset) n--;
    if (n < this.entries.length) this.change(this.entries.slice(0, n));
    else if (this.dirty) this.change(this.entries);
  }

  /**
   * The log now starts at `startOffset`: epochs wholly before it go, and the
   * one in force there starts at `startOffset`.
   */
  truncateFromStart(startOffset: number): void {
    let n = 0;
    while (n < this.entries.length && this.entries[n]!.startOffset <= startOffset) n++;
    if (n === 0 || (n === 1 && this.entries[0]!.startOffset === startOffset)) {
      if (this.dirty) this.change(this.entries);
      return;
    }
    this.change([{ epoch: this.entries[n - 1]!.epoch, startOffset }, ...this.entries.slice(n)]);
  }

  /** Forgets every epoch (the log was emptied); writes the empty file. */
  clear(): void { this.change([]); }

  /**
   * Replaces the entries with ones read from the log (no checkpoint yet):
   * each batch's epoch in log order, then one write.
   */
  rebuild(batchEpochs: Iterable<EpochEntry>): void {
    const entries: EpochEntry[] = [];
    for (const e of batchEpochs) if (e.epoch >= 0) LeaderEpochCache.put(entries, e);
    this.change(entries);
  }

  /**
   * A truncation: the log already changed, so memory follows it whatever
   * happens to the file; a stale file is corrected at the next open (it is
   * truncated to the log again) or by the next change.
   */
  private change(entries: EpochEntry[]): void {
    this.set(entries);
    try {
      this.write(entries);
      this.dirty = false;
    } catch (err) {
      this.dirty = true;
      this.report(`cannot write ${this.path}: ${(err as Error).message}; retried with the next change`);
    }
  }

  private set(entries: EpochEntry[]): void {
    this.entries = entries;
    this.latest = entries.length === 0 ? UNDEFINED_EPOCH : entries[entries.length - 1]!.epoch;
  }

  private write(entries: EpochEntry[]): void {
    writeCheckpointFile(this.path, entries.map((e) => `${e.epoch} ${e.startOffset}`), (open) => this.files.withRoom(open), this.syncLater === undefined);
    this.syncLater?.(this.path);
  }
}
