/**
 * One segment: `<20-digit base offset>.log` holding RecordBatch v2 bytes
 * exactly as appended. Its offset index is kept in memory (one entry per
 * index.interval.bytes, as Kafka's sparse .index) and rebuilt by scanning batch
 * headers when the segment is opened; lookups use the index plus a short scan.
 *
 * Concurrency: `reserve` hands out file positions synchronously in append
 * order; writes complete asynchronously, in any order; `writtenUpTo` is the end
 * of the longest prefix whose writes completed, and reads never go past it.
 */
import { constants, closeSync, fstatSync, fsyncSync, ftruncateSync, openSync, readSync, write } from 'node:fs';
import { join } from 'node:path';
import { BatchHeader, BATCH_HEADER_SIZE, LOG_OVERHEAD, MAGIC_OFFSET } from '../wire/records/batch-header.js';

export function segmentFileName(baseOffset: number): string {
  return `${String(baseOffset).padStart(20, '0')}.log`;
}

interface IndexEntry { offset: number; position: number }

export class LogSegment {
  readonly fd: number;
  /** Bytes reserved by appends (the next append's position). */
  size = 0;
  /** End of the prefix of the file whose writes completed. */
  writtenUpTo = 0;
  /** Offset after the last batch in the segment. */
  nextOffset: number;
  maxTimestamp = -1;
  maxTimestampOffset = -1;
  readonly createdMs: number;
  private readonly index: IndexEntry[] = [];
  private bytesSinceIndex = Infinity;
  private readonly pendingWrites = new Map<number, number>();

  private constructor(readonly dir: string, readonly baseOffset: number, readonly indexIntervalBytes: number) {
    // Not O_APPEND: appends are positional writes that may complete out of order.
    this.fd = openSync(join(dir, segmentFileName(baseOffset)), constants.O_RDWR | constants.O_CREAT, 0o644);
    this.nextOffset = baseOffset;
    this.createdMs = Date.now();
  }

  get path(): string { return join(this.dir, segmentFileName(this.baseOffset)); }

  static create(dir: string, baseOffset: number, indexIntervalBytes: number): LogSegment {
    return new LogSegment(dir, baseOffset, indexIntervalBytes);
  }

  /**
   * Opens an existing segment, rebuilding its index. With `verify`, every batch
   * is checked (length, magic, CRC32C) and the file is truncated at the first
   * bad byte: a torn write after a crash is never served.
   */
  static open(dir: string, baseOffset: number, indexIntervalBytes: number, verify: boolean): { segment: LogSegment; truncatedBytes: number } {
    const s = new LogSegment(dir, baseOffset, indexIntervalBytes);
    const fileSize = fstatSync(s.fd).size;
    let pos = 0;
    const head = Buffer.alloc(BATCH_HEADER_SIZE);
    while (pos + BATCH_HEADER_SIZE <= fileSize) {
      readSync(s.fd, head, 0, BATCH_HEADER_SIZE, pos);
      const h = new BatchHeader(head);
      const size = h.sizeInBytes;
      if (h.batchLength < BATCH_HEADER_SIZE - LOG_OVERHEAD || pos + size > fileSize || head[MAGIC_OFFSET] !== 2) break;
      if (verify) {
        const whole = Buffer.alloc(size);
        readSync(s.fd, whole, 0, size, pos);
        if (!new BatchHeader(whole).isCrcValid()) break;
      }
      s.track(h, pos);
      pos += size;
    }
    if (pos < fileSize) ftruncateSync(s.fd, pos);
    s.size = s.writtenUpTo = pos;
    return { segment: s, truncatedBytes: fileSize - pos };
  }

  /** Records a batch at `position` in the index and the segment's bounds. */
  private track(h: BatchHeader, position: number): void {
    if (this.bytesSinceIndex >= this.indexIntervalBytes) {
      this.index.push({ offset: h.baseOffset, position });
      this.bytesSinceIndex = 0;
    }
    this.bytesSinceIndex += h.sizeInBytes;
    this.nextOffset = h.lastOffset + 1;
    if (h.maxTimestamp > this.maxTimestamp) {
      this.maxTimestamp = h.maxTimestamp;
      this.maxTimestampOffset = h.lastOffset;
    }
  }

  /** Appends one or more batches (offsets already assigned) and writes them asynchronously. */
  append(bytes: Buffer, batches: BatchHeader[], fsync: boolean): Promise<void> {
    const position = this.size;
    this.size += bytes.length;
    let at = position;
    for (const h of batches) { this.track(h, at); at += h.sizeInBytes; }
    this.pendingWrites.set(position, bytes.length);
    return new Promise((resolve, reject) => {
      const writeFrom = (done: number) => {
        write(this.fd, bytes, done, bytes.length - done, position + done, (err, n) => {
          if (err) return reject(err);
          if (done + n < bytes.length) return writeFrom(done + n);
          this.completed(position);
          if (fsync) { try { fsyncSync(this.fd); } catch (e) { return reject(e); } }
          resolve();
        });
      };
      writeFrom(0);
    });
  }

  private completed(position: number): void {
    const len = this.pendingWrites.get(position)!;
    this.pendingWrites.set(position, -len);
    while (true) {
      const l = this.pendingWrites.get(this.writtenUpTo);
      if (l === undefined || l >= 0) break;
      this.pendingWrites.delete(this.writtenUpTo);
      this.writtenUpTo += -l;
    }
  }

  /** File position of the batch containing `offset` (index, then a scan of headers); -1 when past the end. */
  positionOf(offset: number): number {
    let lo = 0, hi = this.index.length - 1, start = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.index[mid]!.offset <= offset) { start = this.index[mid]!.position; lo = mid + 1; } else hi = mid - 1;
    }
    const head = Buffer.alloc(BATCH_HEADER_SIZE);
    for (let pos = start; pos + BATCH_HEADER_SIZE <= this.writtenUpTo;) {
      readSync(this.fd, head, 0, BATCH_HEADER_SIZE, pos);
      const h = new BatchHeader(head);
      if (h.lastOffset >= offset) return pos;
      pos += h.sizeInBytes;
    }
    return -1;
  }

  /** Batch headers from `position` up to what has been written. */
  *headers(position = 0): Generator<{ header: BatchHeader; position: number }> {
    for (let pos = position; pos + BATCH_HEADER_SIZE <= this.writtenUpTo;) {
      const head = Buffer.alloc(BATCH_HEADER_SIZE);
      readSync(this.fd, head, 0, BATCH_HEADER_SIZE, pos);
      const header = new BatchHeader(head);
      yield { header, position: pos };
      pos += header.sizeInBytes;
    }
  }

  readBytes(position: number, length: number): Buffer {
    const buf = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const n = readSync(this.fd, buf, done, length - done, position + done);
      if (n === 0) break;
      done += n;
    }
    return done === length ? buf : buf.subarray(0, done);
  }

  flush(): void { fsyncSync(this.fd); }
  close(): void { closeSync(this.fd); }
}
