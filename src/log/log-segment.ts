/**
 * One segment: `<20-digit base offset>.log` holding RecordBatch v2 bytes
 * exactly as appended, with its sparse offset index (`.index`) and time index
 * (`.timeindex`) next to it, in Kafka's formats (offset-index.ts,
 * time-index.ts). Both indexes live in memory; the files let a clean start
 * skip the scan of the log.
 *
 * Opening: after a clean shutdown the index files are read and checked
 * (whole entries, increasing, inside the log, the last offset entry pointing at
 * a batch with that offset) and only the log after the last offset entry is
 * scanned, which also completes an index whose tail was lost. After an unclean
 * shutdown, or when a file is missing or fails a check, both indexes are
 * rebuilt from the log and rewritten.
 *
 * Appending: `append` takes the file position synchronously, updates the
 * indexes in memory and queues the bytes (write-queue.ts); the index tails are
 * written with a later round of data once a few KiB of entries wait, and the
 * rest when the segment becomes inactive or is closed (index-file.ts).
 * `writtenUpTo` is the end of what has reached the file, and reads never go
 * past it.
 *
 * Reading: one file read from the offset index entry before the fetch offset
 * (batch-range.ts), synchronous or asynchronous.
 */
import { closeSync, constants, fstatSync, fsyncSync, ftruncateSync, openSync, read, readSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { BatchHeader, BATCH_HEADER_SIZE, LOG_OVERHEAD, MAGIC_OFFSET } from '../wire/records/batch-header.js';
import { readInt64 } from './int64.js';
import { OffsetIndex } from './offset-index.js';
import { TimeIndex } from './time-index.js';
import { WriteQueue } from './write-queue.js';
import { batchRange, type RangeRead, type ReadRequest } from './batch-range.js';

export function segmentFileName(baseOffset: number, suffix = '.log'): string {
  return `${String(baseOffset).padStart(20, '0')}${suffix}`;
}

export const INDEX_SUFFIXES = ['.index', '.timeindex'] as const;
/** Bytes read at a time when scanning batch headers. */
const HEADER_SCAN_BYTES = 64 * 1024;

/** Removes a segment's index files (when the segment goes, or its .log is replaced). */
export function deleteIndexFiles(dir: string, baseOffset: number): void {
  for (const suffix of INDEX_SUFFIXES) {
    try { unlinkSync(join(dir, segmentFileName(baseOffset, suffix))); } catch { /* never written */ }
  }
}

export interface SegmentOptions { indexIntervalBytes: number; maxIndexBytes: number }

export class LogSegment {
  readonly fd: number;
  /** Bytes reserved by appends (the next append's position). */
  size = 0;
  /** Offset after the last batch in the segment. */
  nextOffset: number;
  maxTimestamp = -1;
  maxTimestampOffset = -1;
  /** When the segment started, for segment.ms: now for a new one; the first batch's timestamp for one reopened (as Kafka rolls). */
  createdMs: number;
  private readonly offsetIndex: OffsetIndex;
  private readonly timeIndex: TimeIndex;
  private bytesSinceIndex = Infinity;
  private writes: WriteQueue;
  private sealed = false;
  private closed = false;
  private fdsClosed = false;
  /** Asynchronous reads in progress: the descriptor stays open until they end. */
  private readsInFlight = 0;

  private constructor(readonly dir: string, readonly baseOffset: number, readonly opts: SegmentOptions) {
    // Not O_APPEND: appends are positional writes (write-queue.ts).
    this.fd = openSync(join(dir, segmentFileName(baseOffset)), constants.O_RDWR | constants.O_CREAT, 0o644);
    this.nextOffset = baseOffset;
    this.createdMs = Date.now();
    this.offsetIndex = new OffsetIndex(join(dir, segmentFileName(baseOffset, '.index')), opts.maxIndexBytes);
    this.timeIndex = new TimeIndex(join(dir, segmentFileName(baseOffset, '.timeindex')), opts.maxIndexBytes);
    this.writes = this.newWriteQueue(0);
  }

  private newWriteQueue(at: number): WriteQueue {
    // After seal() the index tails go out whole (no later append will carry them).
    return new WriteQueue(this.fd, at, (done) => (this.offsetIndex.writePending(done, this.sealed) ? 1 : 0) + (this.timeIndex.writePending(done, this.sealed) ? 1 : 0));
  }

  get path(): string { return join(this.dir, segmentFileName(this.baseOffset)); }
  /** End of the prefix of the file whose writes completed. */
  get writtenUpTo(): number { return this.writes.writtenUpTo; }

  static create(dir: string, baseOffset: number, opts: SegmentOptions): LogSegment {
    return new LogSegment(dir, baseOffset, opts);
  }

  /**
   * Opens an existing segment. With `verify` (after an unclean shutdown) every
   * batch is checked (length, magic, CRC32C), the file is truncated at the
   * first bad byte, so a torn write is never served, and the indexes are rebuilt.
   */
  static open(dir: string, baseOffset: number, opts: SegmentOptions, verify: boolean): { segment: LogSegment; truncatedBytes: number } {
    const s = new LogSegment(dir, baseOffset, opts);
    const fileSize = fstatSync(s.fd).size;
    // segment.ms counts from the segment's first data, not from this start of the broker.
    const first = s.headerAt(0, fileSize)?.maxTimestamp ?? -1;
    if (first >= 0) s.createdMs = Math.min(s.createdMs, first);
    const resumeAt = verify ? -1 : s.loadIndexes(fileSize);
    let truncatedBytes = s.scan(resumeAt < 0 ? 0 : resumeAt, fileSize, verify);
    if (resumeAt >= 0 && !s.timeIndex.isConsistent(s.nextOffset - baseOffset)) {
      // A time index naming offsets the log lacks belongs to other data: rebuild both.
      s.resetIndexes();
      truncatedBytes += s.scan(0, s.size, false);
    } else if (resumeAt >= 0) {
      // Entries the scan added (an index file that had lost its tail) are written now.
      s.offsetIndex.writePendingSync();
      s.timeIndex.writePendingSync();
      return { segment: s, truncatedBytes };
    }
    s.offsetIndex.writeAllSync();
    s.timeIndex.writeAllSync();
    return { segment: s, truncatedBytes };
  }

  /**
   * Reads the index files; returns the position after the batch of the last
   * offset entry (the scan resumes there) or -1 when the indexes must be rebuilt.
   */
  private loadIndexes(fileSize: number): number {
    if (!this.offsetIndex.load() || !this.timeIndex.load()) return this.resetIndexes();
    if (this.offsetIndex.entries === 0) return fileSize === 0 && this.timeIndex.entries === 0 ? 0 : this.resetIndexes();
    if (!this.offsetIndex.isConsistent(fileSize)) return this.resetIndexes();
    const last = this.offsetIndex.entries - 1;
    const position = this.offsetIndex.position(last);
    const h = this.headerAt(position, fileSize);
    if (!h || h.baseOffset !== this.baseOffset + this.offsetIndex.relativeOffset(last)) return this.resetIndexes();
    // The batch at the last entry is indexed already: account for it as track() would have.
    this.bytesSinceIndex = h.sizeInBytes;
    this.nextOffset = h.lastOffset + 1;
    this.maxTimestamp = h.maxTimestamp;
    this.maxTimestampOffset = h.lastOffset;
    if (this.timeIndex.lastTimestamp > this.maxTimestamp) {
      this.maxTimestamp = this.timeIndex.lastTimestamp;
      this.maxTimestampOffset = this.baseOffset + this.timeIndex.lastRelativeOffset;
    }
    return position + h.sizeInBytes;
  }

  private resetIndexes(): -1 {
    this.offsetIndex.reset();
    this.timeIndex.reset();
    this.bytesSinceIndex = Infinity;
    this.nextOffset = this.baseOffset;
    this.maxTimestamp = this.maxTimestampOffset = -1;
    return -1;
  }

  /** A whole, plausible batch header at `position` (not CRC-checked), or null. */
  private headerAt(position: number, fileSize: number): BatchHeader | null {
    if (position + BATCH_HEADER_SIZE > fileSize) return null;
    const head = Buffer.alloc(BATCH_HEADER_SIZE);
    readSync(this.fd, head, 0, BATCH_HEADER_SIZE, position);
    const h = new BatchHeader(head);
    if (h.batchLength < BATCH_HEADER_SIZE - LOG_OVERHEAD || position + h.sizeInBytes > fileSize || head[MAGIC_OFFSET] !== 2) return null;
    return h;
  }

  /** Tracks the batches from `from` to the end of the file, truncating it at the first bad one. */
  private scan(from: number, fileSize: number, verify: boolean): number {
    let pos = from;
    for (let h = this.headerAt(pos, fileSize); h; h = this.headerAt(pos, fileSize)) {
      const size = h.sizeInBytes;
      if (verify) {
        const whole = Buffer.alloc(size);
        readSync(this.fd, whole, 0, size, pos);
        if (!new BatchHeader(whole).isCrcValid()) break;
      }
      this.track(h.buf, 0, pos, h.baseOffset);
      pos += size;
    }
    if (pos < fileSize) ftruncateSync(this.fd, pos);
    this.size = pos;
    this.writes = this.newWriteQueue(pos);
    return fileSize - pos;
  }

  /** Records the batch at `buf[at]`, stored at `position`, in the indexes and the segment's bounds. */
  private track(buf: Buffer, at: number, position: number, baseOffset: number): void {
    const lastOffset = baseOffset + buf.readInt32BE(at + 23);
    const maxTimestamp = readInt64(buf, at + 35);
    this.nextOffset = lastOffset + 1;
    if (maxTimestamp > this.maxTimestamp) {
      this.maxTimestamp = maxTimestamp;
      this.maxTimestampOffset = lastOffset;
    }
    if (this.bytesSinceIndex >= this.opts.indexIntervalBytes) {
      this.offsetIndex.append(baseOffset - this.baseOffset, position);
      this.timeIndex.maybeAppend(this.maxTimestamp, this.maxTimestampOffset - this.baseOffset);
      this.bytesSinceIndex = 0;
    }
    this.bytesSinceIndex += buf.readInt32BE(at + 8) + LOG_OVERHEAD;
  }

  /** Room in both indexes for an append of `batches` batches (each adds at most one entry to each, plus the last time entry). */
  indexHasRoomFor(batches: number): boolean {
    return this.offsetIndex.hasRoomFor(batches) && this.timeIndex.hasRoomFor(batches + 1);
  }

  /**
   * Appends one or more batches (offsets already assigned). The promise is
   * shared by the appends written in the same round and resolves when the
   * bytes (and the index entries they added) are in the file.
   */
  append(bytes: Buffer, fsync: boolean): Promise<void> {
    const position = this.size;
    this.size += bytes.length;
    for (let at = 0; at + BATCH_HEADER_SIZE <= bytes.length;) {
      // Appended batches are contiguous: each starts at the segment's next offset.
      this.track(bytes, at, position + at, this.nextOffset);
      at += bytes.readInt32BE(at + 8) + LOG_OVERHEAD;
    }
    return this.writes.push(bytes, fsync);
  }

  /**
   * The segment became inactive (a roll, or loaded behind the active one):
   * the time index gets its last entry, and the index files' descriptors are
   * released once their writes are done (lookups use memory).
   */
  seal(): void {
    if (this.sealed || this.closed) return;
    this.sealed = true;
    this.timeIndex.maybeAppend(this.maxTimestamp, this.maxTimestampOffset - this.baseOffset);
    const release = () => { this.offsetIndex.release(); this.timeIndex.release(); };
    if (this.writes.busy) {
      // The entry joins the next round, after the writes in flight.
      this.writes.kick();
      void this.writes.idle().then(release);
    } else {
      // Idle (at open, or a roll with nothing in flight): small writes now, so the files are final at once.
      this.offsetIndex.writePendingSync();
      this.timeIndex.writePendingSync();
      release();
    }
  }

  /** Resolves when every write started so far is done (failed ones included). */
  idle(): Promise<void> { return this.writes.idle(); }

  /**
   * Whole batches from the one containing `fetchOffset`, at most `maxBytes`
   * (the first one whatever its size with `minOneBatch`), none at or past
   * `upperBound` or beyond what is written; see batch-range.ts.
   */
  read(fetchOffset: number, maxBytes: number, upperBound: number, minOneBatch: boolean): RangeRead {
    const walk = this.walk(fetchOffset, maxBytes, upperBound, minOneBatch);
    let step = walk.next();
    while (!step.done) step = walk.next(this.readBytes(step.value.position, step.value.length));
    return step.value;
  }

  /** `read` with asynchronous file reads (nothing comes back when the segment closes first). */
  async readAsync(fetchOffset: number, maxBytes: number, upperBound: number, minOneBatch: boolean): Promise<RangeRead> {
    if (this.closed) return { chunk: null, full: true };
    this.readsInFlight++;
    try {
      const walk = this.walk(fetchOffset, maxBytes, upperBound, minOneBatch);
      let step = walk.next();
      while (!step.done) step = walk.next(await this.readBytesAsync(step.value));
      return step.value;
    } finally {
      if (--this.readsInFlight === 0 && this.closed) this.closeFds();
    }
  }

  private walk(fetchOffset: number, maxBytes: number, upperBound: number, minOneBatch: boolean) {
    const from = this.offsetIndex.lookup(fetchOffset - this.baseOffset);
    // From an index entry, fetchOffset's batch starts within about one interval and one batch.
    const slack = this.opts.indexIntervalBytes + 16 * 1024;
    return batchRange({ from, end: this.writtenUpTo, fetchOffset, maxBytes, upperBound, minOneBatch, slack });
  }

  private readBytesAsync({ position, length }: ReadRequest): Promise<Buffer> {
    const buf = Buffer.allocUnsafe(length);
    return new Promise((resolve, reject) => {
      const from = (done: number) => {
        read(this.fd, buf, done, length - done, position + done, (err, n) => {
          if (err) return reject(err);
          if (n === 0 || done + n === length) return resolve(buf.subarray(0, done + n));
          from(done + n);
        });
      };
      from(0);
    });
  }

  /** File position from which a search for the first record at or after `timestamp` can start. */
  positionForTimestamp(timestamp: number): number {
    return this.offsetIndex.lookup(this.timeIndex.lookup(timestamp));
  }

  /** Batch headers from `position` up to what has been written. */
  *headers(position = 0): Generator<{ header: BatchHeader; position: number }> {
    // One read per 64 KiB rather than per batch: a log of small batches has millions of
    // headers, and a scan (producer state, compaction) would otherwise make a syscall each.
    const chunk = Buffer.allocUnsafe(HEADER_SCAN_BYTES);
    let chunkStart = 0, chunkLength = 0;
    for (let pos = position; pos + BATCH_HEADER_SIZE <= this.writtenUpTo;) {
      if (pos < chunkStart || pos + BATCH_HEADER_SIZE > chunkStart + chunkLength) {
        chunkStart = pos;
        chunkLength = readSync(this.fd, chunk, 0, Math.min(HEADER_SCAN_BYTES, this.writtenUpTo - pos), pos);
        if (chunkLength < BATCH_HEADER_SIZE) return;
      }
      // A copy: callers may keep the header after the chunk is reused.
      const header = new BatchHeader(Buffer.from(chunk.subarray(pos - chunkStart, pos - chunkStart + BATCH_HEADER_SIZE)));
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

  /**
   * Closes the files; the time index gets its last entry first, so the next
   * clean open knows the largest timestamp without a scan. Writes and
   * asynchronous reads still in flight finish first (the descriptors close
   * after them: a closed descriptor's number can be reused by another file).
   */
  close(): void {
    if (this.closed) return;
    if (!this.sealed) this.timeIndex.maybeAppend(this.maxTimestamp, this.maxTimestampOffset - this.baseOffset);
    this.closed = true;
    this.closeFds();
  }

  private closeFds(): void {
    if (this.fdsClosed) return;
    if (this.writes.busy) { void this.writes.idle().then(() => this.closeFds()); return; }
    if (this.readsInFlight > 0) return; // the last one calls again
    this.fdsClosed = true;
    try {
      this.offsetIndex.writePendingSync();
      this.timeIndex.writePendingSync();
    } catch {
      // An index that cannot be written is rebuilt from the log at the next open (it fails its checks).
    }
    this.offsetIndex.release();
    this.timeIndex.release();
    closeSync(this.fd);
  }

  /** Deletes the index files, and writes none from now on (the .log is about to be replaced). */
  discardIndexes(): void {
    this.offsetIndex.deleted = this.timeIndex.deleted = true;
    deleteIndexFiles(this.dir, this.baseOffset);
  }

  /** Closes and removes the segment's files. */
  delete(): void {
    this.offsetIndex.deleted = this.timeIndex.deleted = true;
    this.close();
    try { unlinkSync(this.path); } catch { /* already gone */ }
    deleteIndexFiles(this.dir, this.baseOffset);
  }
}
