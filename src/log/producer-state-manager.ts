import { crc32c } from '../wire/records/crc.js';

/**
 * Idempotent producer state of one partition (Kafka's ProducerStateManager).
 *
 * For every producer id that wrote to the partition we keep its epoch and the
 * sequence/offset ranges of its last 5 batches (the most a producer may have
 * in flight). A new batch from a client is checked against that entry:
 *
 *  - same epoch, exact sequence range of one of the retained batches: a retry
 *    of a batch already in the log -> DUPLICATE, acknowledged with the offsets
 *    of the original and not appended again;
 *  - epoch older than the entry's -> INVALID_PRODUCER_EPOCH (Kafka answers this
 *    rather than PRODUCER_FENCED on the produce path since 2.7);
 *  - a new (bumped) epoch must start at sequence 0, else
 *    OUT_OF_ORDER_SEQUENCE_NUMBER;
 *  - same epoch: first sequence must be last sequence + 1 (0 follows
 *    Int32.MAX), else OUT_OF_ORDER_SEQUENCE_NUMBER;
 *  - an unknown producer id is accepted at any sequence (Kafka since KIP-360:
 *    its state may have been removed by retention or DeleteRecords), so
 *    UNKNOWN_PRODUCER_ID is never returned.
 *
 * Transactions: a transactional batch opens the producer's transaction at its
 * offset (currentTxnFirstOffset) unless one is open; a marker (control batch)
 * closes it. The smallest first offset of the open transactions bounds the
 * last stable offset (firstUnstableOffset); an abort marker returns the
 * transaction's range, with the last stable offset after it, which a log
 * keeps in its segments' `.txnindex` files (txn-index.ts). A manager made
 * with `trackAborted` also keeps those ranges itself for abortedTxns() (a
 * partition without such files: the broker's unit tests of the data path).
 *
 * check() is pure; update() records a batch once offsets are assigned. Both
 * are synchronous, so a partition's appends are checked and recorded in
 * request order with no await in between (STYLE 10). replay() applies a batch
 * read back from the log without checks: that is how the state is rebuilt at
 * startup (scan batch headers from the latest snapshot, or from the log start;
 * producer-state-store.ts).
 *
 * Snapshot format (Kafka's producer snapshot, `<20-digit offset>.snapshot`,
 * the offset being the log end offset it covers), big-endian:
 *   version int16 (1) | crc uint32 (CRC32C of everything after it) |
 *   count int32 | count x { producerId int64, epoch int16, lastSequence int32,
 *   lastOffset int64, offsetDelta int32, timestamp int64,
 *   coordinatorEpoch int32, currentTxnFirstOffset int64 (-1: none) }
 * Kafka writes one entry per producer, for its last batch, so a retry of an
 * earlier one of its (up to 5) batches in flight is OUT_OF_ORDER after a
 * restart. Here each retained batch is an entry of its own, oldest first:
 * duplicates are still recognised, and the file stays what Kafka's loader
 * reads (it keeps the last entry of each producer id, the last batch).
 */

export const NO_PRODUCER_ID = -1;
export const NO_PRODUCER_EPOCH = -1;
export const NO_SEQUENCE = -1;
/** Batches kept per producer for duplicate detection (max.in.flight limit for idempotence). */
export const NUM_BATCHES_TO_RETAIN = 5;
const INT32_MAX = 0x7fffffff;
/** Bytes of a snapshot entry. */
const SNAPSHOT_ENTRY = 8 + 2 + 4 + 8 + 4 + 8 + 4 + 8;

// Kafka error codes returned by check(); numbers so this module needs nothing from the broker.
export const OUT_OF_ORDER_SEQUENCE_NUMBER = 45;
export const INVALID_PRODUCER_EPOCH = 47;

export interface BatchMetadata {
  firstSeq: number;
  lastSeq: number;
  firstOffset: number;
  lastOffset: number;
  maxTimestamp: number;
}

export interface ProducerStateEntry {
  producerId: number;
  producerEpoch: number;
  /** Oldest first; at most NUM_BATCHES_TO_RETAIN. */
  batches: BatchMetadata[];
  /** Timestamp of the last batch, for expiry (producer.id.expiration.ms). */
  lastTimestamp: number;
  coordinatorEpoch: number;
  currentTxnFirstOffset: number;
}

/** What the broker knows about an incoming batch before it is appended. */
export interface ProducerBatch {
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  /** Records in the batch minus one (the header's lastOffsetDelta). */
  lastOffsetDelta: number;
  /** Part of a transaction (the header's transactional bit). */
  isTransactional?: boolean;
}

/** An aborted transaction's range in the partition, as Fetch reports it. */
export interface AbortedTxn { producerId: number; firstOffset: number; lastOffset: number }
/** An abort as a marker records it: the range and the last stable offset right after it (a `.txnindex` entry). */
export interface CompletedAbort extends AbortedTxn { lastStableOffset: number }

export type ProducerCheck =
  | { kind: 'ok' }
  | { kind: 'duplicate'; batch: BatchMetadata }
  | { kind: 'error'; errorCode: number; message: string };

/** Sequence of the last record: base + delta, wrapping past Int32.MAX to 0 as Kafka does. */
export function lastSequenceOf(baseSequence: number, lastOffsetDelta: number): number {
  if (baseSequence > INT32_MAX - lastOffsetDelta) return lastOffsetDelta - (INT32_MAX - baseSequence) - 1;
  return baseSequence + lastOffsetDelta;
}

function inSequence(lastSeq: number, nextSeq: number): boolean {
  return nextSeq === lastSeq + 1 || (nextSeq === 0 && lastSeq === INT32_MAX);
}

export class ProducerStateManager {
  private readonly producers = new Map<number, ProducerStateEntry>();
  /** Aborted transactions, ordered by lastOffset (the marker's offset); kept only with `trackAborted`. */
  private aborted: AbortedTxn[] = [];

  constructor(readonly partition = '', private readonly trackAborted = true) {}

  get size(): number { return this.producers.size; }
  entry(producerId: number): ProducerStateEntry | undefined { return this.producers.get(producerId); }
  entries(): IterableIterator<ProducerStateEntry> { return this.producers.values(); }

  /** Checks a client batch against the producer's state; changes nothing. */
  check(b: ProducerBatch): ProducerCheck {
    const entry = this.producers.get(b.producerId);
    if (entry === undefined) return { kind: 'ok' };
    const lastSeq = lastSequenceOf(b.baseSequence, b.lastOffsetDelta);
    if (b.producerEpoch === entry.producerEpoch) {
      const dup = entry.batches.find((m) => m.firstSeq === b.baseSequence && m.lastSeq === lastSeq);
      if (dup !== undefined) return { kind: 'duplicate', batch: dup };
    }
    if (b.producerEpoch < entry.producerEpoch) {
      return { kind: 'error', errorCode: INVALID_PRODUCER_EPOCH, message: `Epoch of producer ${b.producerId} in ${this.partition} is ${b.producerEpoch}, which is older than the last seen epoch ${entry.producerEpoch}` };
    }
    if (b.producerEpoch !== entry.producerEpoch) {
      if (b.baseSequence !== 0 && entry.producerEpoch !== NO_PRODUCER_EPOCH) {
        return { kind: 'error', errorCode: OUT_OF_ORDER_SEQUENCE_NUMBER, message: `Invalid sequence number for new epoch ${b.producerEpoch} of producer ${b.producerId} in ${this.partition}: ${b.baseSequence} (expected 0)` };
      }
      return { kind: 'ok' };
    }
    const last = entry.batches[entry.batches.length - 1];
    if (last === undefined) return { kind: 'ok' };
    if (!inSequence(last.lastSeq, b.baseSequence)) {
      return { kind: 'error', errorCode: OUT_OF_ORDER_SEQUENCE_NUMBER, message: `Out of order sequence number for producer ${b.producerId} in ${this.partition}: ${b.baseSequence} (incoming), ${last.lastSeq} (current end sequence)` };
    }
    return { kind: 'ok' };
  }

  /** Records a batch that was checked and given offsets. */
  update(b: ProducerBatch, firstOffset: number, lastOffset: number, maxTimestamp: number): void {
    let entry = this.producers.get(b.producerId);
    if (entry === undefined) {
      entry = { producerId: b.producerId, producerEpoch: b.producerEpoch, batches: [], lastTimestamp: maxTimestamp, coordinatorEpoch: -1, currentTxnFirstOffset: -1 };
      this.producers.set(b.producerId, entry);
    }
    if (entry.producerEpoch !== b.producerEpoch) {
      entry.producerEpoch = b.producerEpoch;
      entry.batches = [];
    }
    entry.batches.push({ firstSeq: b.baseSequence, lastSeq: lastSequenceOf(b.baseSequence, b.lastOffsetDelta), firstOffset, lastOffset, maxTimestamp });
    if (entry.batches.length > NUM_BATCHES_TO_RETAIN) entry.batches.shift();
    entry.lastTimestamp = maxTimestamp;
    if (b.isTransactional && entry.currentTxnFirstOffset < 0) entry.currentTxnFirstOffset = firstOffset;
  }

  /** The producer's open transaction starts at this offset; -1 when none is open. */
  openTxnFirstOffset(producerId: number): number {
    return this.producers.get(producerId)?.currentTxnFirstOffset ?? -1;
  }

  /**
   * Checks a transaction marker against the producer's epoch: a marker of an
   * older epoch comes from a fenced coordinator request (Kafka refuses it the same way).
   */
  checkMarker(producerId: number, producerEpoch: number): ProducerCheck {
    const entry = this.producers.get(producerId);
    if (entry !== undefined && producerEpoch < entry.producerEpoch) {
      return { kind: 'error', errorCode: INVALID_PRODUCER_EPOCH, message: `Marker epoch ${producerEpoch} of producer ${producerId} in ${this.partition} is older than ${entry.producerEpoch}` };
    }
    return { kind: 'ok' };
  }

  /**
   * Records a marker written at `offset`: the producer's transaction (if one is
   * open) ends; an abort of an open transaction returns its range and the last
   * stable offset after it (null otherwise). The epoch moves up to the
   * marker's (a fenced producer's later batches are refused).
   */
  completeTxn(producerId: number, producerEpoch: number, commit: boolean, offset: number, timestamp: number): CompletedAbort | null {
    let entry = this.producers.get(producerId);
    if (entry === undefined) {
      entry = { producerId, producerEpoch, batches: [], lastTimestamp: timestamp, coordinatorEpoch: -1, currentTxnFirstOffset: -1 };
      this.producers.set(producerId, entry);
    }
    if (producerEpoch > entry.producerEpoch) { entry.producerEpoch = producerEpoch; entry.batches = []; }
    let abort: CompletedAbort | null = null;
    if (entry.currentTxnFirstOffset >= 0 && !commit) {
      abort = { producerId, firstOffset: entry.currentTxnFirstOffset, lastOffset: offset, lastStableOffset: this.stableOffsetWithout(producerId, offset + 1) };
      if (this.trackAborted) this.aborted.push({ producerId, firstOffset: abort.firstOffset, lastOffset: offset });
    }
    entry.currentTxnFirstOffset = -1;
    entry.lastTimestamp = timestamp;
    return abort;
  }

  /** The first offset of the oldest transaction open by another producer than `producerId`, else `end`. */
  private stableOffsetWithout(producerId: number, end: number): number {
    let first = end;
    for (const e of this.producers.values()) if (e.producerId !== producerId && e.currentTxnFirstOffset >= 0 && e.currentTxnFirstOffset < first) first = e.currentTxnFirstOffset;
    return first;
  }

  /** The first offset of the oldest open transaction (the last stable offset's bound); Infinity when none is open. */
  firstUnstableOffset(): number {
    let first = Infinity;
    for (const e of this.producers.values()) if (e.currentTxnFirstOffset >= 0 && e.currentTxnFirstOffset < first) first = e.currentTxnFirstOffset;
    return first;
  }

  /** Aborted transactions that overlap [from, to) (Fetch's aborted_transactions for read_committed). */
  abortedTxns(from: number, to: number): AbortedTxn[] {
    const out: AbortedTxn[] = [];
    for (const a of this.aborted) if (a.lastOffset >= from && a.firstOffset < to) out.push(a);
    return out;
  }

  /** Forgets aborted transactions wholly below the log start offset (retention, DeleteRecords). */
  truncateAbortedBefore(logStartOffset: number): void {
    if (this.aborted.length > 0 && this.aborted[0]!.lastOffset < logStartOffset) this.aborted = this.aborted.filter((a) => a.lastOffset >= logStartOffset);
  }

  /**
   * Applies a batch read back from the log (startup rebuild): no checks, an
   * older epoch never overwrites a newer one. Batches without a producer id
   * are ignored; a control batch is a marker (`commit` tells which kind).
   */
  replay(h: { producerId: number; producerEpoch: number; baseSequence: number; lastOffsetDelta: number; baseOffset: number; maxTimestamp: number; isControl: boolean; isTransactional?: boolean }, commit?: boolean): CompletedAbort | null {
    if (h.producerId < 0) return null;
    if (h.isControl) {
      return commit === undefined ? null : this.completeTxn(h.producerId, h.producerEpoch, commit, h.baseOffset, h.maxTimestamp);
    }
    const entry = this.producers.get(h.producerId);
    if (entry !== undefined && h.producerEpoch < entry.producerEpoch) return null;
    this.update(h, h.baseOffset, h.baseOffset + h.lastOffsetDelta, h.maxTimestamp);
    return null;
  }

  /** Forgets producers whose last write is older than `expirationMs` (producer.id.expiration.ms). */
  removeExpiredProducers(nowMs: number, expirationMs: number): void {
    for (const [id, e] of this.producers) {
      if (e.currentTxnFirstOffset < 0 && nowMs - e.lastTimestamp >= expirationMs) this.producers.delete(id);
    }
  }

  /** Drops all state (the log was emptied or replaced). */
  clear(): void { this.producers.clear(); this.aborted = []; }

  /** Serialises the state in Kafka's snapshot format (see header): one entry per retained batch, oldest first. */
  toSnapshot(): Buffer {
    let count = 0;
    for (const e of this.producers.values()) count += Math.max(1, e.batches.length);
    const out = Buffer.alloc(10 + SNAPSHOT_ENTRY * count);
    out.writeInt16BE(1, 0);
    out.writeInt32BE(count, 6);
    let at = 10;
    for (const e of this.producers.values()) {
      // A producer with no batch (only a marker) is one entry without one.
      const batches: (BatchMetadata | undefined)[] = e.batches.length === 0 ? [undefined] : e.batches;
      const last = batches.length - 1;
      for (let i = 0; i <= last; i++, at += SNAPSHOT_ENTRY) {
        const b = batches[i];
        out.writeBigInt64BE(BigInt(e.producerId), at);
        out.writeInt16BE(e.producerEpoch, at + 8);
        out.writeInt32BE(b?.lastSeq ?? NO_SEQUENCE, at + 10);
        out.writeBigInt64BE(BigInt(b?.lastOffset ?? -1), at + 14);
        out.writeInt32BE(b ? b.lastOffset - b.firstOffset : 0, at + 22);
        // The last entry carries the producer's own time (a marker may be newer than its last batch).
        out.writeBigInt64BE(BigInt(i === last ? e.lastTimestamp : b!.maxTimestamp), at + 26);
        out.writeInt32BE(e.coordinatorEpoch, at + 34);
        out.writeBigInt64BE(BigInt(e.currentTxnFirstOffset), at + 38);
      }
    }
    out.writeUInt32BE(crc32c(out.subarray(6)), 2);
    return out;
  }

  /**
   * Replaces the state with a snapshot's; throws on a bad version, size or
   * CRC. Entries of one producer id add up to its retained batches, and its
   * last entry gives its epoch, time and open transaction (as Kafka's loader,
   * which keeps the last entry of each id).
   */
  loadSnapshot(buf: Buffer): void {
    if (buf.length < 10) throw new Error('producer snapshot truncated');
    const version = buf.readInt16BE(0);
    if (version !== 1) throw new Error(`producer snapshot version ${version} not supported`);
    if (buf.readUInt32BE(2) !== crc32c(buf.subarray(6))) throw new Error('producer snapshot CRC mismatch');
    const count = buf.readInt32BE(6);
    if (count < 0 || 10 + count * SNAPSHOT_ENTRY !== buf.length) throw new Error('producer snapshot size mismatch');
    this.producers.clear();
    for (let i = 0, at = 10; i < count; i++, at += SNAPSHOT_ENTRY) {
      const producerId = Number(buf.readBigInt64BE(at));
      const producerEpoch = buf.readInt16BE(at + 8);
      const lastSeq = buf.readInt32BE(at + 10);
      const lastOffset = Number(buf.readBigInt64BE(at + 14));
      const offsetDelta = buf.readInt32BE(at + 22);
      const timestamp = Number(buf.readBigInt64BE(at + 26));
      let entry = this.producers.get(producerId);
      if (entry === undefined || entry.producerEpoch !== producerEpoch) {
        entry = { producerId, producerEpoch, batches: [], lastTimestamp: timestamp, coordinatorEpoch: -1, currentTxnFirstOffset: -1 };
        this.producers.set(producerId, entry);
      }
      entry.lastTimestamp = timestamp;
      entry.coordinatorEpoch = buf.readInt32BE(at + 34);
      entry.currentTxnFirstOffset = Number(buf.readBigInt64BE(at + 38));
      if (lastOffset < 0) continue;
      // firstSeq wraps like the sequence itself when the batch crossed Int32.MAX.
      let firstSeq = lastSeq - offsetDelta;
      if (firstSeq < 0) firstSeq += INT32_MAX + 1;
      entry.batches.push({ firstSeq, lastSeq, firstOffset: lastOffset - offsetDelta, lastOffset, maxTimestamp: timestamp });
      if (entry.batches.length > NUM_BATCHES_TO_RETAIN) entry.batches.shift();
    }
  }
}

/** `<20-digit offset>.snapshot`, Kafka's producer snapshot file name. */
export { snapshotFileName } from './producer-snapshots.js';
