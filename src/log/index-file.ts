/**
 * An index file of fixed-size big-endian entries (Kafka's `.index` and
 * `.timeindex`), mirrored in memory: lookups never touch the file, which is
 * only written (appended to) and read back whole when a segment is opened.
 *
 * Writes: entries are appended in memory by the segment's append path; once
 * WRITE_BYTES of them are waiting, the segment hands them to the next write
 * round of its data (`writePending`), so the hot path never waits for an
 * index write of its own, and most rounds carry none: each write handed to
 * libuv's thread pool costs a wake-up, which showed in the append profile.
 * The rest is written when the segment becomes inactive or is closed. The file
 * only has to be whole after a clean shutdown: after a crash it is rebuilt.
 * Files are not preallocated: their length is always whole entries, so a
 * length that is not is a torn or damaged file.
 *
 * The file descriptor is opened on the first write and released when the
 * segment becomes inactive, so old segments hold one descriptor, not three.
 */
import { closeSync, constants, openSync, readFileSync, write, writeSync } from 'node:fs';

/** Entries wait in memory until there are this many bytes of them. */
const WRITE_BYTES = 8192;

export abstract class IndexFile {
  protected buf: Buffer;
  entries = 0;
  /** Bytes of `buf` already handed to a file write. */
  private issued = 0;
  private fd = -1;
  /** Set when the segment is deleted: nothing is written (an open would recreate the file). */
  deleted = false;

  constructor(readonly path: string, readonly entrySize: number, readonly maxEntries: number) {
    this.buf = Buffer.alloc(entrySize * 64);
  }

  /** Room for `n` more entries within segment.index.bytes. */
  hasRoomFor(n: number): boolean { return this.entries + n <= this.maxEntries; }

  /** Byte offset of a new entry at the end, growing the buffer when needed. */
  protected slot(): number {
    const at = this.entries * this.entrySize;
    if (at + this.entrySize > this.buf.length) {
      // A write in flight keeps a reference to the old buffer, whose bytes stay as they were.
      const bigger = Buffer.alloc(this.buf.length * 2);
      this.buf.copy(bigger, 0, 0, at);
      this.buf = bigger;
    }
    this.entries++;
    return at;
  }

  /** Reads the file; false when it is missing or not whole entries (the caller rebuilds). */
  load(): boolean {
    let data: Buffer;
    try { data = readFileSync(this.path); } catch { return false; }
    if (data.length % this.entrySize !== 0) return false;
    this.buf = Buffer.alloc(Math.max(data.length * 2, this.entrySize * 64));
    data.copy(this.buf);
    this.entries = data.length / this.entrySize;
    this.issued = data.length;
    return true;
  }

  /** Forgets every entry, for a rebuild from the log (then `writeAllSync`). */
  reset(): void { this.entries = 0; this.issued = 0; }

  /** Replaces the file with the in-memory entries (after a rebuild at open). */
  writeAllSync(): void {
    if (this.deleted) return;
    this.release();
    const fd = openSync(this.path, constants.O_RDWR | constants.O_CREAT | constants.O_TRUNC, 0o644);
    try { writeSync(fd, this.buf, 0, this.entries * this.entrySize, 0); } finally { closeSync(fd); }
    this.issued = this.entries * this.entrySize;
  }

  /** Writes entries not yet handed to a write, synchronously (open, close). */
  writePendingSync(): void {
    const end = this.entries * this.entrySize;
    if (this.deleted || this.issued >= end) return;
    writeSync(this.open(), this.buf, this.issued, end - this.issued, this.issued);
    this.issued = end;
  }

  /**
   * Starts writing the entries not yet handed to a write, when there are at
   * least WRITE_BYTES of them (`all`: any); `done` is called when they are in
   * the file. Returns false (and never calls `done`) when it writes nothing.
   */
  writePending(done: (err: Error | null) => void, all = false): boolean {
    const start = this.issued, end = this.entries * this.entrySize;
    if (this.deleted || start >= end || (!all && end - start < WRITE_BYTES)) return false;
    let fd: number;
    try { fd = this.open(); } catch (err) {
      // Never synchronously: the caller counts the writes it started before any completes.
      queueMicrotask(() => done(err as Error));
      return true;
    }
    this.issued = end;
    const buf = this.buf;
    const from = (at: number) => {
      write(fd, buf, at, end - at, at, (err, n) => {
        if (err) return done(err);
        if (at + n < end) return from(at + n);
        done(null);
      });
    };
    from(start);
    return true;
  }

  private open(): number {
    if (this.fd < 0) this.fd = openSync(this.path, constants.O_WRONLY | constants.O_CREAT, 0o644);
    return this.fd;
  }

  /** Closes the descriptor (reopened on the next write). */
  release(): void {
    if (this.fd >= 0) { closeSync(this.fd); this.fd = -1; }
  }
}
