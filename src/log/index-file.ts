/**
 * An index file of fixed-size big-endian entries (Kafka's `.index` and
 * `.timeindex`), mirrored in memory: lookups never touch the file, which is
 * only written (appended to) and read back whole when a segment is opened.
 *
 * Writes: entries are appended in memory by the segment's append path; once
 * WRITE_BYTES of them are waiting, the next write round of the segment's
 * data writes them (`writePendingSync` with a threshold), so most rounds
 * carry none and an append never waits for an index write of its own. The
 * rest is written when the segment becomes inactive or is closed. The file
 * only has to be whole after a clean shutdown: after a crash it is rebuilt.
 * Files are not preallocated: their length is always whole entries, so a
 * length that is not is a torn or damaged file.
 *
 * No descriptor is held: each write opens the file, writes synchronously
 * (at most a few KiB: rare, and cheaper than a hand-off to the thread pool)
 * and closes it, so a segment holds at most its `.log` descriptor, and that
 * one only in the file cache, and index writes never hold more than one
 * descriptor at a time however many logs write at once.
 * Opens go through the cache's `withRoom` (file-cache.ts): after EMFILE it
 * closes cached descriptors and tries again.
 *
 * Memory: an index holds no buffer until its first entry, and one read back
 * small at open shares Node's buffer pool; the path is derived from the
 * segment's, not kept. With 100,000 logs open, each byte per index counts.
 */
import { closeSync, constants, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import type { FileCache } from './file-cache.js';

/** Entries wait in memory until there are this many bytes of them. */
const WRITE_BYTES = 8192;
/** Room for this many entries is allocated with the first one. */
const FIRST_ENTRIES = 16;
const EMPTY = Buffer.alloc(0);
/** Below this, Node's Buffer.from copies into its shared pool. */
const POOLED_BYTES = 4096;
const LOG_SUFFIX = '.log';

export abstract class IndexFile {
  protected buf: Buffer = EMPTY;
  entries = 0;
  /** Bytes of `buf` already handed to a file write. */
  private issued = 0;
  /** The file no longer matches memory: the next write replaces it. */
  private stale = false;
  /** Set when the segment is deleted: nothing is written (an open would recreate the file). */
  deleted = false;

  /** `logPath`: the segment's `.log`, whose name this file shares with `suffix` for `.log`. */
  constructor(private readonly logPath: string, private readonly suffix: string, readonly entrySize: number, readonly maxEntries: number, private readonly files: FileCache) {}

  get path(): string { return `${this.logPath.slice(0, -LOG_SUFFIX.length)}${this.suffix}`; }

  /** Room for `n` more entries within segment.index.bytes. */
  hasRoomFor(n: number): boolean { return this.entries + n <= this.maxEntries; }

  /** Byte offset of a new entry at the end, growing the buffer when needed. */
  protected slot(): number {
    const at = this.entries * this.entrySize;
    if (at + this.entrySize > this.buf.length) {
      // A write in flight keeps a reference to the old buffer, whose bytes stay as they were. Unzeroed
      // (small ones then share Node's pool): only the entries written are ever read or stored.
      const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.entrySize * FIRST_ENTRIES));
      this.buf.copy(bigger, 0, 0, at);
      this.buf = bigger;
    }
    this.entries++;
    return at;
  }

  /** Reads the file; false when it is missing or not whole entries (the caller rebuilds). */
  load(): boolean {
    let data: Buffer;
    try { data = this.files.withRoom(() => readFileSync(this.path)); } catch { return false; }
    if (data.length % this.entrySize !== 0) return false;
    // A small index is copied into Node's shared pool: its own ArrayBuffer would cost more than its entries.
    this.buf = data.length < POOLED_BYTES ? Buffer.from(data) : data;
    this.entries = data.length / this.entrySize;
    this.issued = data.length;
    return true;
  }

  /** Keeps the first `n` entries (the log was cut back); the file is replaced at the next write. */
  keep(n: number): void {
    this.entries = Math.min(this.entries, n);
    this.discardFile();
  }

  /** Forgets every entry, for a rebuild from the log. */
  reset(): void { this.entries = 0; this.issued = 0; }

  /**
   * The file does not describe the entries in memory (rebuilt from the log):
   * it is removed, and the next write writes every entry into a new one.
   */
  discardFile(): void {
    this.issued = 0;
    this.stale = true;
    try { unlinkSync(this.path); } catch { /* missing already; or the next write truncates it */ }
  }

  /** Writes the entries not yet in the file, when there are at least `atLeast` bytes of them. */
  writePendingSync(atLeast = 0): void {
    const end = this.entries * this.entrySize;
    if (this.deleted || this.issued >= end || end - this.issued < atLeast) return;
    const fd = this.open();
    try {
      for (let at = this.issued; at < end;) at += writeSync(fd, this.buf, at, end - at, at);
    } finally {
      closeSync(fd);
    }
    this.issued = end;
  }

  /** writePendingSync once WRITE_BYTES wait (`all`: any), for a write round of the segment's data. */
  writeTail(all: boolean): void { this.writePendingSync(all ? 0 : WRITE_BYTES); }

  private open(): number {
    const flags = constants.O_WRONLY | constants.O_CREAT | (this.stale ? constants.O_TRUNC : 0);
    const fd = this.files.withRoom(() => openSync(this.path, flags, 0o644));
    this.stale = false;
    return fd;
  }
}
