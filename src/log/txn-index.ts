/**
 * A segment's transaction index (Kafka's `<base>.txnindex`): one entry per
 * transaction aborted by a marker in that segment, so that a read_committed
 * fetch learns which ranges to skip from the segments it reads, never from a
 * scan of the log. Entry (34 bytes, big-endian, Kafka's AbortedTxn):
 *   version int16 (0) | producerId int64 | firstOffset int64 |
 *   lastOffset int64 (the marker's offset) | lastStableOffset int64
 * lastStableOffset is the LSO right after the abort: the first offset of the
 * oldest transaction of another producer still open then, or the marker's
 * offset + 1. Once an entry's LSO reaches a fetch's upper bound, every
 * transaction that began below that bound has ended by then, so the search
 * for the fetch stops there (Kafka's TxnIndexSearchResult.isComplete).
 *
 * The file exists only once a transaction aborts in the segment (most
 * segments never have one). Entries are kept in memory after the first use
 * (read or append); an append writes its entry at once (open, write, close:
 * aborts are rare, and a segment holds no descriptor of its own), and the file
 * is fsynced with the segment's flush, so what lies below the recovery point
 * is on disk. After an unclean shutdown the indexes of the segments recovery
 * verified are cut there and rebuilt by the first replay of the log's
 * producer state (producer-state-store.ts), which also adds entries an index
 * lacks (a log written before these files existed).
 */
import { closeSync, constants, fsyncSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import type { FileCache } from './file-cache.js';

export const TXN_INDEX_SUFFIX = '.txnindex';
export const ABORTED_TXN_SIZE = 34;
const VERSION = 0;

/** An aborted transaction's range in the partition (Fetch's aborted_transactions) and the LSO after it. */
export interface AbortedTxnEntry { producerId: number; firstOffset: number; lastOffset: number; lastStableOffset: number }

export function txnIndexPath(logPath: string): string {
  return `${logPath.slice(0, -'.log'.length)}${TXN_INDEX_SUFFIX}`;
}

/** Removes a segment's transaction index file, if it has one. */
export function deleteTxnIndexFile(logPath: string): void {
  try { unlinkSync(txnIndexPath(logPath)); } catch { /* never written */ }
}

export function encodeAbortedTxns(entries: readonly AbortedTxnEntry[]): Buffer {
  const buf = Buffer.alloc(entries.length * ABORTED_TXN_SIZE);
  entries.forEach((e, i) => {
    const at = i * ABORTED_TXN_SIZE;
    buf.writeInt16BE(VERSION, at);
    buf.writeBigInt64BE(BigInt(e.producerId), at + 2);
    buf.writeBigInt64BE(BigInt(e.firstOffset), at + 10);
    buf.writeBigInt64BE(BigInt(e.lastOffset), at + 18);
    buf.writeBigInt64BE(BigInt(e.lastStableOffset), at + 26);
  });
  return buf;
}

/**
 * The whole entries of a file's bytes, up to the first one that cannot be
 * ours (an unknown version, a marker offset that does not increase, below
 * the segment's base); `whole` is false when anything was left out.
 */
export function decodeAbortedTxns(buf: Buffer, baseOffset: number): { entries: AbortedTxnEntry[]; whole: boolean } {
  const entries: AbortedTxnEntry[] = [];
  let last = baseOffset - 1;
  for (let at = 0; at + ABORTED_TXN_SIZE <= buf.length; at += ABORTED_TXN_SIZE) {
    const e = {
      producerId: Number(buf.readBigInt64BE(at + 2)), firstOffset: Number(buf.readBigInt64BE(at + 10)),
      lastOffset: Number(buf.readBigInt64BE(at + 18)), lastStableOffset: Number(buf.readBigInt64BE(at + 26)),
    };
    if (buf.readInt16BE(at) !== VERSION || e.lastOffset <= last || e.firstOffset > e.lastOffset) return { entries, whole: false };
    entries.push(e);
    last = e.lastOffset;
  }
  return { entries, whole: buf.length % ABORTED_TXN_SIZE === 0 };
}

export class TxnIndex {
  /** null until first used. */
  private cached: AbortedTxnEntry[] | null = null;
  /** The file does not hold exactly the entries in memory (damaged, cut, a failed write): rewritten whole at the next write. */
  private stale = false;
  /** Entries written since the last fsync. */
  private unsynced = false;
  /** The segment is deleted: nothing is written (a write would recreate the file). */
  deleted = false;

  constructor(private readonly logPath: string, private readonly baseOffset: number, private readonly files: FileCache,
    private readonly report: (message: string) => void = () => {}) {}

  get path(): string { return txnIndexPath(this.logPath); }

  /** The entries, oldest marker first. */
  entries(): readonly AbortedTxnEntry[] { return this.load(); }

  private load(): AbortedTxnEntry[] {
    if (this.cached !== null) return this.cached;
    let data: Buffer;
    try {
      data = this.files.withRoom(() => readFileSync(this.path));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.report(`cannot read ${this.path} (${(err as Error).message}); it is rebuilt when the log's producer state is replayed over it`);
      this.cached = [];
      return this.cached;
    }
    const { entries, whole } = decodeAbortedTxns(data, this.baseOffset);
    if (!whole) {
      this.report(`${this.path}: ${data.length} bytes, of which the first ${entries.length * ABORTED_TXN_SIZE} are whole entries; the rest is ignored and rewritten`);
      this.stale = true;
    }
    this.cached = entries;
    return entries;
  }

  /**
   * Records a transaction aborted by a marker in this segment; nothing when
   * the index has that marker already (a replay passing an indexed abort). A
   * new marker comes after every indexed one and is appended; one found
   * missing in between (an index older than its log) rewrites the file.
   */
  add(e: AbortedTxnEntry): void {
    const entries = this.load();
    let i = entries.length;
    while (i > 0 && entries[i - 1]!.lastOffset > e.lastOffset) i--;
    const same = entries[i - 1];
    if (same !== undefined && same.lastOffset === e.lastOffset) {
      if (same.producerId === e.producerId && same.firstOffset === e.firstOffset && same.lastStableOffset === e.lastStableOffset) return;
      // An entry of other data that once had this offset: the marker's own replaces it.
      entries[i - 1] = e;
      this.stale = true;
    } else {
      entries.splice(i, 0, e);
      if (i < entries.length - 1) this.stale = true;
    }
    this.write(this.stale ? entries : [e], this.stale ? 0 : i);
  }

  /** Keeps the entries whose marker lies before `offset` (the log was cut back there, or is replayed from there). */
  truncateTo(offset: number): void {
    const entries = this.load();
    let keep = entries.length;
    while (keep > 0 && entries[keep - 1]!.lastOffset >= offset) keep--;
    if (keep === entries.length && !this.stale) return;
    entries.length = keep;
    if (keep === 0) {
      this.stale = false;
      this.unsynced = false;
      try { unlinkSync(this.path); } catch { /* none */ }
      return;
    }
    this.stale = true;
    this.write(entries, 0);
  }

  /**
   * The aborted transactions overlapping [fetchOffset, upperBound) among this
   * segment's, added to `out`; true when no later segment can hold one (see header).
   */
  collect(fetchOffset: number, upperBound: number, out: AbortedTxnEntry[]): boolean {
    for (const e of this.load()) {
      if (e.lastOffset >= fetchOffset && e.firstOffset < upperBound) out.push(e);
      if (e.lastStableOffset >= upperBound) return true;
    }
    return false;
  }

  /** fsync when entries were written since the last one (the segment is being flushed). */
  sync(): void {
    if (!this.unsynced || this.deleted) return;
    const fd = this.files.withRoom(() => openSync(this.path, constants.O_WRONLY));
    try { fsyncSync(fd); } finally { closeSync(fd); }
    this.unsynced = false;
  }

  /**
   * Writes `entries` at entry index `from` (all of them from 0 when the file
   * is stale). A failure is reported, not thrown: the marker's data is on its
   * way already; memory stays right and the next write rewrites the file.
   */
  private write(entries: readonly AbortedTxnEntry[], from: number): void {
    if (this.deleted) return;
    const rewrite = this.stale;
    try {
      const fd = this.files.withRoom(() => openSync(this.path, constants.O_WRONLY | constants.O_CREAT | (rewrite ? constants.O_TRUNC : 0), 0o644));
      try {
        const buf = encodeAbortedTxns(entries);
        for (let at = 0; at < buf.length;) at += writeSync(fd, buf, at, buf.length - at, from * ABORTED_TXN_SIZE + at);
      } finally {
        closeSync(fd);
      }
      this.stale = false;
      this.unsynced = true;
    } catch (err) {
      this.stale = true;
      this.report(`cannot write ${this.path}: ${(err as Error).message}; kept in memory, written again with the next entry`);
    }
  }

  delete(): void {
    this.deleted = true;
    this.cached = [];
    deleteTxnIndexFile(this.logPath);
  }
}
