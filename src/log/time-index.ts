/**
 * A segment's time index (`<base>.timeindex`): 12-byte entries, timestamp
 * int64 then relative offset int32. An entry (T, o) says that no record up to
 * offset o has a timestamp above T (T is the segment's largest timestamp so far
 * and o the last offset of the batch that carried it). Entries are added at
 * offset-index points, only when the largest timestamp grew, plus a last one
 * when the segment becomes inactive or is closed, so the last entry is the
 * segment's largest timestamp (what retention needs) without a scan at open.
 */
import { IndexFile } from './index-file.js';
import type { FileCache } from './file-cache.js';
import { readInt64, writeInt64 } from './int64.js';

export const TIME_ENTRY_SIZE = 12;

export class TimeIndex extends IndexFile {
  constructor(logPath: string, maxBytes: number, files: FileCache) { super(logPath, '.timeindex', TIME_ENTRY_SIZE, Math.floor(maxBytes / TIME_ENTRY_SIZE), files); }

  /** Appends (timestamp, relativeOffset) when timestamp is above the last entry's. */
  maybeAppend(timestamp: number, relativeOffset: number): void {
    if (timestamp <= this.lastTimestamp) return;
    const at = this.slot();
    writeInt64(this.buf, at, timestamp);
    this.buf.writeInt32BE(relativeOffset, at + 8);
  }

  timestamp(i: number): number { return readInt64(this.buf, i * TIME_ENTRY_SIZE); }
  relativeOffset(i: number): number { return this.buf.readInt32BE(i * TIME_ENTRY_SIZE + 8); }
  get lastTimestamp(): number { return this.entries === 0 ? -1 : this.timestamp(this.entries - 1); }
  get lastRelativeOffset(): number { return this.entries === 0 ? -1 : this.relativeOffset(this.entries - 1); }

  /**
   * Relative offset from which a search for the first record at or after
   * `timestamp` can start: that of the last entry whose timestamp is below it
   * (nothing up to there qualifies), or 0.
   */
  lookup(timestamp: number): number {
    let lo = 0, hi = this.entries - 1, found = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.timestamp(mid) < timestamp) { found = this.relativeOffset(mid); lo = mid + 1; } else hi = mid - 1;
    }
    return found;
  }

  /** How many entries name an offset below `relativeOffset`. */
  entriesBefore(relativeOffset: number): number {
    let n = this.entries;
    while (n > 0 && this.relativeOffset(n - 1) >= relativeOffset) n--;
    return n;
  }

  /** Timestamps strictly increasing, offsets never decreasing and below `nextRelativeOffset`. */
  isConsistent(nextRelativeOffset: number): boolean {
    for (let i = 0; i < this.entries; i++) {
      const rel = this.relativeOffset(i);
      if (rel < 0 || rel >= nextRelativeOffset) return false;
      if (i > 0 && (this.timestamp(i) <= this.timestamp(i - 1) || rel < this.relativeOffset(i - 1))) return false;
    }
    return true;
  }
}
