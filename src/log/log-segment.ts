/**
 * One segment: `<20-digit base offset>.log` holding RecordBatch v2 bytes
 * exactly as appended, with its sparse offset index (`.index`) and time index
 * (`.timeindex`) next to it, in Kafka's formats (offset-index.ts,
 * time-index.ts). Both indexes live in memory; the files let a clean start
 * skip the scan of the log. Once a transaction aborts in the segment, its
 * transaction index (`.txnindex`, txn-index.ts) is there too.
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
 *
 * Descriptors: the segment holds none of its own. Its `.log` descriptor lives
 * in the log manager's file cache (file-cache.ts) and is pinned by each
 * operation that uses it: a write round, an asynchronous read from its first
 * file read to its last, a synchronous read or scan, an fsync. The index
 * files are opened for each write and closed after it (index-file.ts).
 */
import { existsSync, fstatSync, fsync, fsyncSync, ftruncateSync, read, readSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BatchHeader, BATCH_HEADER_SIZE, LOG_OVERHEAD, MAGIC_OFFSET } from '../wire/records/batch-header.js';
import { readInt64 } from './int64.js';
import { OffsetIndex } from './offset-index.js';
import { TimeIndex } from './time-index.js';
import { WriteQueue, type WriteTarget } from './write-queue.js';
import { ReadWindow } from './read-window.js';
import { batchRange, type RangeRead, type ReadRequest } from './batch-range.js';
import type { FileCache, SegmentFile } from './file-cache.js';
import { deleteTxnIndexFile, TxnIndex } from './txn-index.js';

/**
 * Where a read's bytes land: a buffer of exactly `length` bytes (contents
 * undefined). The broker passes buffers from a pool that it takes back once
 * the answer carrying them has been sent; the log only fills them.
 */
export type ReadAlloc = (length: number) => Buffer;
const allocRead: ReadAlloc = (length) => Buffer.allocUnsafe(length);

export function segmentFileName(baseOffset: number, suffix = '.log'): string {
  return `${String(baseOffset).padStart(20, '0')}${suffix}`;
}

export const INDEX_SUFFIXES = ['.index', '.timeindex'] as const;
/** Bytes read at a time when scanning batch headers. */
const HEADER_SCAN_BYTES = 64 * 1024;
/** Bytes read at a time when verifying batches (every byte is read). */
const VERIFY_READ_BYTES = 1024 * 1024;

/** Removes a segment's index files (when the segment goes, or its .log is replaced). */
export function deleteIndexFiles(dir: string, baseOffset: number): void {
  for (const suffix of INDEX_SUFFIXES) {
    try { unlinkSync(join(dir, segmentFileName(baseOffset, suffix))); } catch { /* never written */ }
  }
}

export interface SegmentOptions {
  /** Where the `.log` descriptor is kept (shared by every log of a log manager). */
  files: FileCache;
  indexIntervalBytes: number;
  maxIndexBytes: number;
  /** Called once when a write to the segment fails (the log stops appending and truncates). */
  onWriteError?: (err: Error) => void;
  /** Where recovery reports what it moved aside (error level). */
  report?: (message: string) => void;
}

/** What recovery at open found past the last good batch. */
export interface TruncatedTail {
  /** File position where the good batches end. */
  position: number;
  bytes: number;
  /** The `.corrupt` file holding the removed bytes (null when it could not be written). */
  movedTo: string | null;
  /** The largest last offset of CRC-valid batches found in the removed bytes, or -1. */
  maxOffset: number;
}

export class LogSegment implements WriteTarget {
  private readonly file: SegmentFile;
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
  /** Made on first use: most segments never index an aborted transaction. */
  private txn: TxnIndex | undefined;

  private constructor(readonly dir: string, readonly baseOffset: number, readonly opts: SegmentOptions, at: number, after?: Promise<unknown>) {
    const path = join(dir, segmentFileName(baseOffset));
    this.file = opts.files.file(path);
    this.nextOffset = baseOffset;
    this.createdMs = Date.now();
    this.offsetIndex = new OffsetIndex(path, opts.maxIndexBytes, opts.files);
    this.timeIndex = new TimeIndex(path, opts.maxIndexBytes, opts.files);
    this.writes = new WriteQueue(this, at, after);
  }

  /** @internal WriteTarget: the descriptor of the `.log`, for one write round. */
  tryPin(): number { return this.file.tryPin(); }
  /** @internal */
  whenFree(retry: () => void): void { this.file.whenFree(retry); }
  /** @internal */
  unpin(): void { this.file.unpin(); }

  /** @internal WriteTarget: the index tails join a round of data; after seal() they go out whole (no later append will carry them). */
  sideWrites(): Error | null {
    try {
      this.offsetIndex.writeTail(this.sealed);
      this.timeIndex.writeTail(this.sealed);
      return null;
    } catch (err) {
      return err as Error;
    }
  }

  /** @internal WriteTarget */
  writeFailed(err: Error): void { this.opts.onWriteError?.(err); }

  get path(): string { return this.file.path; }
  /** The segment's `.txnindex` (txn-index.ts). */
  get txnIndex(): TxnIndex { return this.txn ??= new TxnIndex(this.path, this.baseOffset, this.opts.files, this.opts.report); }
  /** End of the prefix of the file whose writes completed. */
  get writtenUpTo(): number { return this.writes.writtenUpTo; }

  /** A new empty segment; with `after`, its writes start once that settles (the previous segment's writes). */
  static create(dir: string, baseOffset: number, opts: SegmentOptions, after?: Promise<unknown>): LogSegment {
    const s = new LogSegment(dir, baseOffset, opts, 0, after);
    // The file exists from now on (an empty segment still marks where the log goes on); its descriptor stays cached for the writes.
    s.file.create();
    return s;
  }

  /**
   * Opens an existing segment. With `verify` (the unflushed tail after an
   * unclean shutdown) every batch is checked (length, magic, CRC32C) and the
   * indexes are rebuilt; from the first bad byte on, the file's bytes are
   * moved aside into `<segment>.log.corrupt` (never unlinked) and the file is
   * truncated there, so a torn write is never served. Without `verify` a
   * damaged batch stays and is served as it is (the client's CRC check
   * reports it), as after a clean stop.
   */
  static open(dir: string, baseOffset: number, opts: SegmentOptions, verify: boolean): { segment: LogSegment; truncatedBytes: number; tail?: TruncatedTail } {
    const s = new LogSegment(dir, baseOffset, opts, 0);
    try {
      // One pin for the whole load: every read below finds the descriptor open.
      return s.file.use((fd) => s.load(fd, verify));
    } catch (err) {
      s.file.close();
      throw err;
    }
  }

  private load(fd: number, verify: boolean): { segment: LogSegment; truncatedBytes: number; tail?: TruncatedTail } {
    const fileSize = fstatSync(fd).size;
    // Verification reads every byte: in large reads. Otherwise headers only, from the last index entry on.
    const win = new ReadWindow(fd, fileSize, verify ? VERIFY_READ_BYTES : HEADER_SCAN_BYTES);
    // segment.ms counts from the segment's first data, not from this start of the broker.
    const first = this.headerAt(win, 0)?.maxTimestamp ?? -1;
    if (first >= 0) this.createdMs = Math.min(this.createdMs, first);
    const resumeAt = verify ? this.resetIndexes() : this.loadIndexes(win, fileSize);
    let end = this.scan(win, resumeAt < 0 ? 0 : resumeAt, verify);
    let rebuilt = resumeAt < 0;
    if (!rebuilt && !this.timeIndex.isConsistent(this.nextOffset - this.baseOffset)) {
      // A time index naming offsets the log lacks belongs to other data: rebuild both.
      this.resetIndexes();
      end = this.scan(win, 0, false);
      rebuilt = true;
    }
    let tail: TruncatedTail | undefined;
    // Without verify too: a clean open whose file does not end in a whole batch (a power loss after the marker) cannot serve that tail.
    if (end < fileSize) tail = this.moveAside(end, fileSize);
    this.size = end;
    this.writes = new WriteQueue(this, end);
    // Rebuilt indexes do not match their files: those go, and the entries are written anew from memory
    // (at seal, close, or with a round of data); a crash before that rebuilds them again.
    if (rebuilt || end < fileSize) this.dropIndexFiles();
    return { segment: this, truncatedBytes: fileSize - end, tail };
  }

  /**
   * Recovery: copies the bytes from `position` to the end into a `.corrupt`
   * file beside the segment, then truncates the segment there. Reports what
   * moved, with the offsets of any whole batches in it.
   */
  private moveAside(position: number, fileSize: number): TruncatedTail {
    const bytes = this.readBytes(position, fileSize - position);
    const maxOffset = lastOffsetIn(bytes, this.nextOffset);
    let movedTo: string | null = null;
    for (let n = 0; movedTo === null; n++) {
      const candidate = `${this.path}.corrupt${n === 0 ? '' : `.${n}`}`;
      if (existsSync(candidate)) continue;
      try {
        this.opts.files.withRoom(() => writeFileSync(candidate, bytes, { flag: 'wx' }));
        movedTo = candidate;
      } catch (err) {
        this.opts.report?.(`cannot move ${bytes.length} bytes of ${this.path} aside into ${candidate}: ${(err as Error).message}; truncating anyway`);
        break;
      }
    }
    this.file.use((fd) => ftruncateSync(fd, position));
    const offsets = maxOffset >= 0 ? `, whole batches up to offset ${maxOffset} among them` : '';
    this.opts.report?.(`recovery: ${this.path} has a bad batch at byte ${position} (after offset ${this.nextOffset - 1}); ${bytes.length} bytes from there${offsets} moved aside${movedTo ? ` to ${movedTo}` : ''}`);
    return { position, bytes: bytes.length, movedTo, maxOffset };
  }

  private dropIndexFiles(): void {
    this.offsetIndex.discardFile();
    this.timeIndex.discardFile();
  }

  /**
   * Reads the index files; returns the position after the batch of the last
   * offset entry (the scan resumes there) or -1 when the indexes must be rebuilt.
   */
  private loadIndexes(win: ReadWindow, fileSize: number): number {
    if (!this.offsetIndex.load() || !this.timeIndex.load()) return this.resetIndexes();
    if (this.offsetIndex.entries === 0) return fileSize === 0 && this.timeIndex.entries === 0 ? 0 : this.resetIndexes();
    if (!this.offsetIndex.isConsistent(fileSize)) return this.resetIndexes();
    return this.resumeAtLastEntry(win);
  }

  /**
   * Takes the segment's state from the batch of the last offset index entry
   * (and the time index), so that only the batches after it need a scan;
   * returns where that scan starts, or -1 after a reset when the entry does
   * not name a batch there.
   */
  private resumeAtLastEntry(win: ReadWindow): number {
    if (this.offsetIndex.entries === 0) return this.resetIndexes();
    const last = this.offsetIndex.entries - 1;
    const position = this.offsetIndex.position(last);
    const h = this.headerAt(win, position);
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
  private headerAt(win: ReadWindow, position: number): BatchHeader | null {
    const head = win.view(position, BATCH_HEADER_SIZE);
    if (!head) return null;
    const h = new BatchHeader(head);
    if (h.batchLength < BATCH_HEADER_SIZE - LOG_OVERHEAD || head[MAGIC_OFFSET] !== 2 || position + h.sizeInBytes > win.fileSize) return null;
    return h;
  }

  /** Tracks the batches from `from` to the end of the window's file; returns where the last good one ends. */
  private scan(win: ReadWindow, from: number, verify: boolean): number {
    let pos = from;
    for (let h = this.headerAt(win, pos); h; h = this.headerAt(win, pos)) {
      const size = h.sizeInBytes;
      // Offsets only grow within a segment; a header that goes back is not ours.
      if (h.baseOffset < this.nextOffset || h.lastOffset < h.baseOffset) break;
      if (verify && !crcValid(win, pos, size)) {
        // Damage inside a log that goes on (the next batch follows it and is valid) is not a torn
        // write: the batch stays, is reported, and clients' CRC checks report it again.
        const next = this.headerAt(win, pos + size);
        if (!next || next.baseOffset !== h.lastOffset + 1 || !crcValid(win, pos + size, next.sizeInBytes)) break;
        this.opts.report?.(`recovery: ${this.path} has a corrupt batch (offsets ${h.baseOffset}..${h.lastOffset}, byte ${pos}, CRC mismatch) inside valid data; kept as it is, consumers get a CRC error there`);
      }
      this.track(h.buf, 0, pos, h.baseOffset);
      pos += size;
    }
    return pos;
  }

  /** The write queue failed: a torn round may lie past `writtenUpTo`. */
  get writeFailure(): Error | null { return this.writes.failure; }

  /** Fails the appends not yet written (an earlier segment's write failed). */
  failWrites(err: Error): void { this.writes.fail(err); }

  /**
   * After a failed write, once nothing is in flight: cuts the file back to
   * what was written whole, rebuilds the segment's state from the file, and
   * takes appends again (it is the log's active segment once more). What is
   * cut was never acknowledged, so it is not kept.
   */
  truncateToWritten(): number {
    if (this.writes.busy) throw new Error(`${this.path}: writes still in flight`);
    const end = this.writtenUpTo;
    const removed = this.size - end;
    this.file.use((fd) => {
      ftruncateSync(fd, end);
      this.resetIndexes();
      this.scan(new ReadWindow(fd, end, HEADER_SCAN_BYTES), 0, false);
    });
    this.size = end;
    this.sealed = false;
    this.writes = new WriteQueue(this, end);
    this.dropIndexFiles();
    return removed;
  }

  /**
   * Replication: removes the batches from the one holding `offset` to the
   * end (the caller has let every write finish), keeping the index entries
   * of the batches before them, and makes the segment the log's active one
   * again. Only the batches after the last kept offset index entry are read
   * again. Returns the bytes removed.
   */
  truncateTo(offset: number): number {
    if (this.writes.busy) throw new Error(`${this.path}: writes still in flight`);
    let cut = this.size;
    let newEnd = this.nextOffset;
    for (const { header, position } of this.headers(this.offsetIndex.lookup(offset - this.baseOffset))) {
      if (header.lastOffset >= offset) { cut = position; newEnd = header.baseOffset; break; }
    }
    const removed = this.size - cut;
    if (removed > 0) {
      this.file.use((fd) => {
        ftruncateSync(fd, cut);
        this.offsetIndex.keep(this.offsetIndex.entriesBefore(cut));
        this.timeIndex.keep(this.timeIndex.entriesBefore(newEnd - this.baseOffset));
        const win = new ReadWindow(fd, cut, HEADER_SCAN_BYTES);
        const from = this.resumeAtLastEntry(win);
        this.scan(win, from < 0 ? 0 : from, false);
      });
      this.size = cut;
      this.dropIndexFiles();
    }
    this.sealed = false;
    this.writes = new WriteQueue(this, this.size);
    return removed;
  }

  /** Where the batch of the last offset index entry starts: the last batch's header is found by a short scan from there. */
  lastIndexedPosition(): number { return this.offsetIndex.lookup(this.nextOffset - this.baseOffset); }

  /** Where a scan for the batch holding `offset` can start (the offset index entry at or before it). */
  positionFor(offset: number): number { return this.offsetIndex.lookup(offset - this.baseOffset); }

  /** fsync once the writes started so far are done; false when the segment closed first or a write failed. */
  async flushWritten(): Promise<boolean> {
    await this.writes.idle();
    if (this.closed || this.writes.failure) return false;
    let fd: number;
    try { fd = await this.pinWhenFree(); } catch { return false; }
    if (fd < 0) return false;
    if (!this.syncTxnIndex()) { this.file.unpin(); return false; }
    return new Promise((resolve) => fsync(fd, (err) => { this.file.unpin(); resolve(!err); }));
  }

  /** fsyncs the transaction index with the data (below the recovery point both are on disk); false when it failed. */
  private syncTxnIndex(): boolean {
    try { this.txn?.sync(); return true; } catch (err) {
      this.opts.report?.(`cannot fsync ${this.txn!.path}: ${(err as Error).message}`);
      return false;
    }
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
   * Appends one or more batches (offsets already assigned; with
   * `offsetsFromBatches` they may leave gaps). The promise is
   * shared by the appends written in the same round and resolves when the
   * bytes (and the index entries they added) are in the file.
   */
  append(bytes: Buffer, fsync: boolean, offsetsFromBatches = false): Promise<void> {
    const position = this.size;
    this.size += bytes.length;
    for (let at = 0; at + BATCH_HEADER_SIZE <= bytes.length;) {
      // A leader's batches are contiguous: each starts at the segment's next offset. A follower's
      // come with the leader's offsets, which skip what compaction removed there.
      this.track(bytes, at, position + at, offsetsFromBatches ? readInt64(bytes, at) : this.nextOffset);
      at += bytes.readInt32BE(at + 8) + LOG_OVERHEAD;
    }
    return this.writes.push(bytes, fsync);
  }

  /**
   * The segment became inactive (a roll, or loaded behind the active one):
   * the time index gets its last entry and the index tails are written.
   */
  seal(): void {
    if (this.sealed || this.closed) return;
    this.sealed = true;
    this.timeIndex.maybeAppend(this.maxTimestamp, this.maxTimestampOffset - this.baseOffset);
    if (this.writes.busy) {
      // The entry joins the next round, after the writes in flight.
      this.writes.kick();
    } else {
      // Idle (at open, or a roll with nothing in flight): small writes now, so the files are final at once.
      this.offsetIndex.writePendingSync();
      this.timeIndex.writePendingSync();
    }
  }

  /** Resolves when every write started so far is done (failed ones included). */
  idle(): Promise<void> { return this.writes.idle(); }

  get writing(): boolean { return this.writes.busy; }

  /**
   * Whole batches from the one containing `fetchOffset`, at most `maxBytes`
   * (the first one whatever its size with `minOneBatch`), none at or past
   * `upperBound` or beyond what is written; see batch-range.ts.
   */
  read(fetchOffset: number, maxBytes: number, upperBound: number, minOneBatch: boolean, alloc: ReadAlloc = allocRead): RangeRead {
    const walk = this.walk(fetchOffset, maxBytes, upperBound, minOneBatch);
    let step = walk.next();
    while (!step.done) step = walk.next(this.readBytes(step.value.position, step.value.length, alloc));
    return step.value;
  }

  /**
   * `read` with asynchronous file reads (nothing comes back when the segment
   * closes first). The descriptor is pinned from the first read to the last:
   * a close meanwhile waits for it, and the cache never closes it under the read.
   */
  async readAsync(fetchOffset: number, maxBytes: number, upperBound: number, minOneBatch: boolean, alloc: ReadAlloc = allocRead): Promise<RangeRead> {
    if (this.closed) return { chunk: null, full: true };
    const walk = this.walk(fetchOffset, maxBytes, upperBound, minOneBatch);
    let step = walk.next();
    if (step.done) return step.value;
    const fd = await this.pinWhenFree();
    if (fd < 0) return { chunk: null, full: true };
    try {
      while (!step.done) step = walk.next(await readBytesAsync(fd, step.value, alloc));
      return step.value;
    } finally {
      this.file.unpin();
    }
  }

  /** The descriptor pinned, once the cache has one to give; -1 when the segment closed meanwhile. */
  private async pinWhenFree(): Promise<number> {
    for (;;) {
      if (this.closed) return -1;
      const fd = this.file.tryPin();
      if (fd >= 0) return fd;
      await new Promise<void>((resolve) => this.file.whenFree(resolve));
    }
  }

  private walk(fetchOffset: number, maxBytes: number, upperBound: number, minOneBatch: boolean) {
    const from = this.offsetIndex.lookup(fetchOffset - this.baseOffset);
    // From an index entry, fetchOffset's batch starts within about one interval and one batch.
    const slack = this.opts.indexIntervalBytes + 16 * 1024;
    return batchRange({ from, end: this.writtenUpTo, fetchOffset, maxBytes, upperBound, minOneBatch, slack });
  }

  /** File position from which a search for the first record at or after `timestamp` can start. */
  positionForTimestamp(timestamp: number): number {
    return this.offsetIndex.lookup(this.timeIndex.lookup(timestamp));
  }

  /** Batch headers from `position` up to what has been written. */
  *headers(position = 0): Generator<{ header: BatchHeader; position: number }> {
    // One read per 64 KiB rather than per batch: a log of small batches has millions of
    // headers, and a scan (producer state, compaction) would otherwise make a syscall each.
    // Each read pins the descriptor on its own: a generator may be left unfinished, so none is held across a yield.
    const chunk = Buffer.allocUnsafe(HEADER_SCAN_BYTES);
    let chunkStart = 0, chunkLength = 0;
    for (let pos = position; pos + BATCH_HEADER_SIZE <= this.writtenUpTo;) {
      if (pos < chunkStart || pos + BATCH_HEADER_SIZE > chunkStart + chunkLength) {
        chunkStart = pos;
        const at = pos;
        chunkLength = this.file.use((fd) => readSync(fd, chunk, 0, Math.min(HEADER_SCAN_BYTES, this.writtenUpTo - at), at));
        if (chunkLength < BATCH_HEADER_SIZE) return;
      }
      // A copy: callers may keep the header after the chunk is reused.
      const header = new BatchHeader(Buffer.from(chunk.subarray(pos - chunkStart, pos - chunkStart + BATCH_HEADER_SIZE)));
      yield { header, position: pos };
      pos += header.sizeInBytes;
    }
  }

  readBytes(position: number, length: number, alloc: ReadAlloc = allocRead): Buffer {
    const buf = alloc(length);
    let done = 0;
    const fd = this.file.pin();
    try {
      while (done < length) {
        const n = readSync(fd, buf, done, length - done, position + done);
        if (n === 0) break;
        done += n;
      }
    } finally {
      this.file.unpin();
    }
    return done === length ? buf : buf.subarray(0, done);
  }

  flush(): void {
    this.txn?.sync();
    this.file.use((fd) => fsyncSync(fd));
  }

  /** `flush` off the event loop. */
  async fsync(): Promise<void> {
    const fd = await this.pinWhenFree();
    if (fd < 0) throw new Error(`${this.path} is closed`);
    try { this.txn?.sync(); } catch (err) { this.file.unpin(); throw err; }
    await new Promise<void>((resolve, reject) => fsync(fd, (err) => {
      this.file.unpin();
      if (err) reject(err); else resolve();
    }));
  }

  /**
   * Closes the files; the time index gets its last entry first, so the next
   * clean open knows the largest timestamp without a scan. Writes still
   * queued go to this file: its descriptor is held open for them, as it is by
   * asynchronous reads in flight, and closed when the last of them ends; the
   * file is never opened again by its path (another file may have it by then).
   */
  close(): void {
    if (this.closed) return;
    if (!this.sealed) this.timeIndex.maybeAppend(this.maxTimestamp, this.maxTimestampOffset - this.baseOffset);
    this.closed = true;
    if (!this.writes.busy) {
      this.writeIndexTails();
      this.file.close();
      return;
    }
    let held = false;
    try { this.file.pin(); held = true; } catch { /* the queued writes fail without it, as writes that cannot open their file do */ }
    this.file.close();
    void this.writes.idle().then(() => {
      this.writeIndexTails();
      if (held) this.file.unpin();
    });
  }

  private writeIndexTails(): void {
    try {
      this.offsetIndex.writePendingSync();
      this.timeIndex.writePendingSync();
    } catch {
      // An index that cannot be written is rebuilt from the log at the next open (it fails its checks).
    }
  }

  /** Deletes the index files, and writes none from now on (the .log is about to be replaced). */
  discardIndexes(): void {
    this.offsetIndex.deleted = this.timeIndex.deleted = true;
    deleteIndexFiles(this.dir, this.baseOffset);
  }

  /** Closes and removes the segment's files. */
  delete(): void {
    this.offsetIndex.deleted = this.timeIndex.deleted = true;
    if (this.txn) this.txn.deleted = true;
    this.close();
    try { unlinkSync(this.path); } catch { /* already gone */ }
    deleteIndexFiles(this.dir, this.baseOffset);
    deleteTxnIndexFile(this.path);
  }
}

/**
 * The largest last offset of the whole, CRC-valid batches in `bytes` (cut
 * from a segment at a bad batch) while their framing holds, or -1. Those were
 * written whole, so clients may have seen them: the log continues after
 * them and never hands their offsets out again. A torn batch's offsets were
 * never acknowledged nor visible (the high watermark only passes written
 * bytes), so they are used again, as in Kafka.
 */
export function lastOffsetIn(bytes: Buffer, expectedBase: number): number {
  let max = -1;
  for (let at = 0; at + BATCH_HEADER_SIZE <= bytes.length;) {
    const h = new BatchHeader(bytes, at);
    if (h.batchLength < BATCH_HEADER_SIZE - LOG_OVERHEAD || bytes[at + MAGIC_OFFSET] !== 2) break;
    const plausible = h.lastOffset >= h.baseOffset && h.baseOffset >= expectedBase && h.lastOffset - h.baseOffset < 1 << 30;
    if (!plausible) break;
    const whole = at + h.sizeInBytes <= bytes.length;
    if (whole && h.isCrcValid()) max = Math.max(max, h.lastOffset);
    if (!whole) break;
    at += h.sizeInBytes;
  }
  return max;
}

/** Fills `length` bytes from `position` (fewer at the end of the file) with asynchronous reads. */
function readBytesAsync(fd: number, { position, length }: ReadRequest, alloc: ReadAlloc): Promise<Buffer> {
  const buf = alloc(length);
  return new Promise((resolve, reject) => {
    const from = (done: number) => {
      read(fd, buf, done, length - done, position + done, (err, n) => {
        if (err) return reject(err);
        if (n === 0 || done + n === length) return resolve(buf.subarray(0, done + n));
        from(done + n);
      });
    };
    from(0);
  });
}

/** Whether the batch of `size` bytes at `position` is whole and its CRC32C holds. */
function crcValid(win: ReadWindow, position: number, size: number): boolean {
  const whole = win.view(position, size);
  return whole !== null && new BatchHeader(whole).isCrcValid();
}
