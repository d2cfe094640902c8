/**
 * Reads a file front to back through large reads, for the scans that open a
 * segment: a header (61 bytes) or a whole batch is served from the last chunk
 * read when it lies inside it, so a scan of small batches makes one system
 * call per chunk, not two per batch. A view stays valid after later calls
 * (each chunk is a new buffer, never overwritten).
 */
import { readSync } from 'node:fs';

const EMPTY = Buffer.alloc(0);

export class ReadWindow {
  private buf = EMPTY;
  private start = 0;

  /** `chunk`: bytes read at least at a time (fewer at the end of the file). */
  constructor(private readonly fd: number, readonly fileSize: number, private readonly chunk: number) {}

  /** `length` bytes at `position`, or null when the file ends before them. */
  view(position: number, length: number): Buffer | null {
    if (position < 0 || position + length > this.fileSize) return null;
    if (position < this.start || position + length > this.start + this.buf.length) {
      const want = Math.min(Math.max(length, this.chunk), this.fileSize - position);
      // Not from the shared pool: a scan's chunk would keep a pool alive that small, lasting buffers share.
      const buf = Buffer.allocUnsafeSlow(want);
      let done = 0;
      while (done < want) {
        const n = readSync(this.fd, buf, done, want - done, position + done);
        if (n === 0) break;
        done += n;
      }
      this.buf = buf.subarray(0, done);
      this.start = position;
      if (done < length) return null;
    }
    const at = position - this.start;
    return this.buf.subarray(at, at + length);
  }
}
