/**
 * A segment's sparse offset index (`<base>.index`): 8-byte entries, relative
 * offset int32 then file position int32, one per index.interval.bytes of log.
 * An entry names the base offset of the batch that starts at that position
 * (Kafka writes the batch's last offset; lookups work the same either way).
 */
import { IndexFile } from './index-file.js';
import type { FileCache } from './file-cache.js';

export const OFFSET_ENTRY_SIZE = 8;

export class OffsetIndex extends IndexFile {
  constructor(logPath: string, maxBytes: number, files: FileCache) { super(logPath, '.index', OFFSET_ENTRY_SIZE, Math.floor(maxBytes / OFFSET_ENTRY_SIZE), files); }

  append(relativeOffset: number, position: number): void {
    const at = this.slot();
    this.buf.writeInt32BE(relativeOffset, at);
    this.buf.writeInt32BE(position, at + 4);
  }

  relativeOffset(i: number): number { return this.buf.readInt32BE(i * OFFSET_ENTRY_SIZE); }
  position(i: number): number { return this.buf.readInt32BE(i * OFFSET_ENTRY_SIZE + 4); }

  /** File position of the last entry at or below `relativeOffset` (0 when none): where a scan for it starts. */
  lookup(relativeOffset: number): number {
    let lo = 0, hi = this.entries - 1, found = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.relativeOffset(mid) <= relativeOffset) { found = this.position(mid); lo = mid + 1; } else hi = mid - 1;
    }
    return found;
  }

  /** How many entries point below file position `position`. */
  entriesBefore(position: number): number {
    let n = this.entries;
    while (n > 0 && this.position(n - 1) >= position) n--;
    return n;
  }

  /** Offsets and positions strictly increasing, positions inside the log: anything else is rebuilt. */
  isConsistent(logSize: number): boolean {
    for (let i = 0; i < this.entries; i++) {
      const rel = this.relativeOffset(i), pos = this.position(i);
      if (rel < 0 || pos < 0 || pos >= logSize) return false;
      if (i > 0 && (rel <= this.relativeOffset(i - 1) || pos <= this.position(i - 1))) return false;
    }
    return true;
  }
}
