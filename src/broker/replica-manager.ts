import { BATCH_HEADER_SIZE, BatchHeader } from '../wire/records/batch-header.js';
import { ErrorCode } from '../wire/errors.js';
import { validateProduceRecords, type RecordError } from './log-validator.js';
import { ProducerStateManager, type AbortedTxn } from '../log/producer-state-manager.js';
import { buildControlBatch, controlType, ControlType } from '../wire/records/control-records.js';
import { DelayedFetchPurgatory } from './delayed-fetch.js';

/**
 * The replica manager: the one owner of the data path state of the partitions
 * this broker leads (single node: all of them). Handlers reach logs only
 * through it.
 *
 * Produce (two-phase, STYLE 10): appendRecords() validates the partition's
 * batches (header, CRC32C, sizes, producer id/epoch/sequence), rewrites the
 * partition leader epoch (and the LogAppendTime fields when the topic asks)
 * in place and appends the bytes, all synchronously in request order; it
 * returns the offsets at once plus a `done` promise that resolves when the
 * bytes are in the log file. The high watermark of a partition is the offset
 * after the longest prefix of appends whose `done` resolved (one replica: the
 * ISR is the leader). acks=1 and acks=-1 both answer after `done`, so a
 * consumer can read what a producer saw acknowledged.
 *
 * Fetch: readPartition() returns whole batches below the high watermark
 * (read_committed: the last stable offset, the first offset of the oldest
 * open transaction when one is open) as the log's own buffers, plus the
 * aborted transactions in that range for read_committed.
 *
 * Transactions: a transactional batch is appended only when the transaction
 * coordinator says its partition is part of the producer's open transaction
 * (`txnVerifier`, Kafka 3.6's verification); a plain batch from a producer
 * with an open transaction here is INVALID_TXN_STATE. The coordinator ends a
 * transaction with writeTxnMarker(), a control batch appended like any other. A fetch that wants more bytes
 * waits in the DelayedFetchPurgatory, woken whenever a partition's high
 * watermark moves (key `topic:partition`).
 *
 * Producer state of a partition is rebuilt from its batch headers the first
 * time an idempotent batch arrives after startup; producers idle for
 * producer.id.expiration.ms (one day) are forgotten.
 *
 * The checks and rewrites of a batch (Kafka's LogValidator: CRC, sizes,
 * record counts and framing, compressed contents, keys on compacted topics,
 * recompression for a fixed compression.type) are in log-validator.ts; the
 * batch it returns is the one appended.
 */

/** What the replica manager needs of a partition's log (src/log). */
export interface PartitionLogView {
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  append(records: Buffer, leaderEpoch: number): { baseOffset: number; lastOffset: number; done: Promise<unknown> };
  read(fetchOffset: number, maxBytes: number, upperBound: number): { chunks: Buffer[]; bytes: number };
  /** The same answer as read() without holding the event loop during the file reads. */
  readAsync?(fetchOffset: number, maxBytes: number, upperBound: number): Promise<{ chunks: Buffer[]; bytes: number }>;
  offsetForTimestamp(timestamp: number): { offset: number; timestamp: number } | null | undefined;
  maxTimestampOffset(): { offset: number; timestamp: number } | null | undefined;
  deleteRecordsBefore(offset: number): unknown;
  scanBatches(fromOffset: number): Iterable<BatchHeader>;
  /** Set while a failed write is being cut back: appends get KAFKA_STORAGE_ERROR at once. */
  readonly offline?: Error | null;
  /** Changes when the log was cut back: state derived from it is rebuilt. */
  readonly truncations?: number;
}

/** The topic configs the data path reads. */
export interface DataPathTopicConfig {
  maxMessageBytes: number;
  logAppendTime: boolean;
  /** `producer`, `uncompressed`, `gzip`, `snappy`, `lz4`, `zstd`. */
  compressionType: string;
  minInsyncReplicas: number;
  compactOnly: boolean;
  /** cleanup.policy contains compact (records need keys); defaults to compactOnly when absent. */
  compacted?: boolean;
  segmentBytes: number;
  /** message.timestamp.before.max.ms / after.max.ms (CreateTime topics); absent or Infinity: no check. */
  timestampBeforeMaxMs?: number;
  timestampAfterMaxMs?: number;
}

export interface PartitionHandle { log: PartitionLogView; config: DataPathTopicConfig; leaderEpoch: number }
/** Finds a partition's log and topic config; undefined when the topic or partition does not exist. */
export type PartitionLookup = (topic: string, partition: number) => PartitionHandle | undefined;
/** Whether a transactional batch may be written: NONE, or the error the producer gets. */
export type TxnVerifier = (producerId: number, producerEpoch: number, topic: string, partition: number) => number;

interface PartitionState {
  key: string;
  name: string;
  /** The log this state belongs to; a different log (topic deleted and re-created) means fresh state. */
  log: PartitionLogView;
  /** Built on first use (producersOf). */
  producers: ProducerStateManager | null;
  producerUpdates: number;
  highWatermark: number;
  /** Appends not yet acknowledged, oldest first. */
  pending: PendingAppend[];
  /** A write failed: nothing after it is acknowledged until the log is cut back. */
  writeFailed: boolean;
  /** The log's truncation count this state was built at. */
  truncations: number;
}

const enum Write { InFlight, Written, Failed }

interface PendingAppend { nextOffset: number; write: Write; resolve(code: number): void }

export interface AppendResult {
  errorCode: number;
  errorMessage: string | null;
  /** Records refused individually (Produce v8+ record_errors). */
  recordErrors?: RecordError[];
  baseOffset: number;
  logAppendTimeMs: number;
  logStartOffset: number;
  /**
   * Resolves when the batch is in the log (high watermark moved past it) with
   * NONE, or with KAFKA_STORAGE_ERROR when the write failed.
   */
  done: Promise<number>;
}

export interface ReadResult {
  errorCode: number;
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
  /** Whole batches, empty (never null) when there is nothing. */
  records: Buffer;
  /** read_committed: aborted transactions overlapping the records. */
  abortedTransactions?: AbortedTxn[];
}

/** Topics only the broker writes (Kafka refuses client appends to them). */
const INTERNAL_TOPICS = new Set(['__consumer_offsets', '__transaction_state']);
/** producer.id.expiration.ms (Kafka's default, one day). */
const PRODUCER_ID_EXPIRATION_MS = 86_400_000;
const RESOLVED: Promise<number> = Promise.resolve(0);
const EMPTY = Buffer.alloc(0);

export const READ_UNCOMMITTED = 0;
export const READ_COMMITTED = 1;

export class ReplicaManager {
  readonly purgatory = new DelayedFetchPurgatory();
  private readonly partitions = new Map<string, PartitionState>();
  /** Set by the transaction coordinator; without one, transactional batches are INVALID_TXN_STATE. */
  txnVerifier?: TxnVerifier;

  constructor(
    private readonly lookup: PartitionLookup,
    private readonly now: () => number = Date.now,
    private readonly log: { error(msg: string): void } = { error: (m) => console.error(m) },
  ) {}

  /** Forgets the state of a partition whose log went away (topic deleted) and wakes its fetches. */
  removePartition(topic: string, partition: number): void {
    const key = `${topic}:${partition}`;
    this.partitions.delete(key);
    this.purgatory.checkAndComplete(key);
  }

  private state(topic: string, partition: number, h: PartitionHandle): PartitionState {
    const key = `${topic}:${partition}`;
    let s = this.partitions.get(key);
    if (s === undefined || s.log !== h.log) {
      s = { key, name: `${topic}-${partition}`, log: h.log, producers: null, producerUpdates: 0, highWatermark: h.log.logEndOffset, pending: [], writeFailed: false, truncations: h.log.truncations ?? 0 };
      this.partitions.set(key, s);
    } else if ((h.log.truncations ?? 0) !== s.truncations) {
      this.afterTruncation(s);
    }
    return s;
  }

  /**
   * The log was cut back after a failed write: what was pending failed, the
   * producer state is rebuilt from the log (a failed batch must not count as
   * a duplicate of its retry), and the high watermark is the log's end.
   */
  private afterTruncation(s: PartitionState): void {
    for (const p of s.pending) p.resolve(ErrorCode.KAFKA_STORAGE_ERROR);
    s.pending = [];
    s.writeFailed = false;
    s.producers = null;
    s.truncations = s.log.truncations ?? 0;
    // Everything the log kept was written whole.
    s.highWatermark = s.log.logEndOffset;
    this.purgatory.checkAndComplete(s.key);
  }

  /**
   * The partition's producer state, rebuilt from the log's batch headers the
   * first time an idempotent batch arrives (partitions only ever written by
   * plain producers never pay for the scan).
   */
  private producersOf(s: PartitionState): ProducerStateManager {
    if (s.producers === null) {
      s.producers = new ProducerStateManager(s.name);
      for (const b of s.log.scanBatches(s.log.logStartOffset)) {
        if (b.producerId < 0) continue;
        s.producers.replay(b, b.isControl ? this.markerKind(s.log, b.baseOffset) : undefined);
      }
    }
    return s.producers;
  }

  /** Commit (true) or abort (false) of the marker batch at `offset`; undefined when it is not a marker. */
  private markerKind(log: PartitionLogView, offset: number): boolean | undefined {
    const bytes = log.read(offset, 1, offset + 1).chunks[0];
    if (!bytes || bytes.length < BATCH_HEADER_SIZE) return undefined;
    const type = controlType(new BatchHeader(bytes));
    return type === undefined ? undefined : type === ControlType.Commit;
  }

  /** The last stable offset: the high watermark, or the first offset of the oldest open transaction before it. */
  private lastStableOffset(s: PartitionState): number {
    if (s.producers === null) return s.highWatermark;
    return Math.min(s.highWatermark, s.producers.firstUnstableOffset());
  }

  /**
   * Ends a producer's transaction in one partition with a commit or abort
   * marker (the coordinator's WriteTxnMarkers). Resolves with NONE once the
   * marker is in the log, or with the error (UNKNOWN_TOPIC_OR_PARTITION,
   * INVALID_PRODUCER_EPOCH for a fenced epoch, KAFKA_STORAGE_ERROR).
   */
  writeTxnMarker(topic: string, partition: number, producerId: number, producerEpoch: number, commit: boolean, coordinatorEpoch: number): Promise<number> {
    const h = this.lookup(topic, partition);
    if (h === undefined) return Promise.resolve(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    const s = this.state(topic, partition, h);
    const producers = this.producersOf(s);
    const c = producers.checkMarker(producerId, producerEpoch);
    if (c.kind === 'error') return Promise.resolve(c.errorCode);
    const now = this.now();
    let appended: ReturnType<PartitionLogView['append']>;
    try {
      appended = h.log.append(buildControlBatch(commit ? ControlType.Commit : ControlType.Abort, producerId, producerEpoch, coordinatorEpoch, now), h.leaderEpoch);
    } catch (e) {
      this.log.error(`marker to ${topic}-${partition} failed: ${(e as Error)?.message ?? e}`);
      return Promise.resolve(ErrorCode.KAFKA_STORAGE_ERROR);
    }
    producers.completeTxn(producerId, producerEpoch, commit, appended.baseOffset, now);
    return this.track(s, appended.lastOffset, appended.done, `${topic}-${partition}`);
  }

  /** The producers a partition knows (DescribeProducers); undefined when the partition does not exist. */
  producerStates(topic: string, partition: number): ReturnType<ProducerStateManager['entries']> | undefined {
    const h = this.lookup(topic, partition);
    return h === undefined ? undefined : this.producersOf(this.state(topic, partition, h)).entries();
  }

  /** The high watermark; -1 when the partition does not exist. */
  highWatermark(topic: string, partition: number): number {
    const h = this.lookup(topic, partition);
    return h === undefined ? -1 : this.state(topic, partition, h).highWatermark;
  }

  /**
   * Validates and appends one partition's records from a Produce request.
   * Synchronous up to the append; `done` resolves once the bytes are written.
   */
  appendRecords(topic: string, partition: number, records: Buffer | null, version: number, acks: number, internalTopicsAllowed = false): AppendResult {
    let h: PartitionHandle | undefined;
    try {
      h = this.lookup(topic, partition);
    } catch (e) {
      // The log could not be opened (logs open on first use; EMFILE, an I/O error): a storage error, as a failed write is.
      this.log.error(`cannot open the log of ${topic}-${partition}: ${(e as Error)?.message ?? e}`);
      return fail(ErrorCode.KAFKA_STORAGE_ERROR, storageErrorMessage(topic, partition, e as Error));
    }
    if (h === undefined) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, null);
    if (!internalTopicsAllowed && INTERNAL_TOPICS.has(topic)) return fail(ErrorCode.INVALID_TOPIC_EXCEPTION, `Cannot append to internal topic ${topic}`);
    const s = this.state(topic, partition, h);
    const logStartOffset = h.log.logStartOffset;
    if (h.log.offline || s.writeFailed) return fail(ErrorCode.KAFKA_STORAGE_ERROR, storageErrorMessage(topic, partition, h.log.offline), logStartOffset);
    if (acks === -1 && h.config.minInsyncReplicas > 1) {
      return fail(ErrorCode.NOT_ENOUGH_REPLICAS, `The size of the current ISR (1) is insufficient to satisfy the min.isr requirement of ${h.config.minInsyncReplicas} for partition ${topic}-${partition}`, logStartOffset);
    }
    const checked = validateProduceRecords(records, version, h.config, `${topic}-${partition}`);
    if ('errorCode' in checked) return { ...fail(checked.errorCode, checked.message, logStartOffset), recordErrors: checked.recordErrors };
    const batch = checked.batch;

    const producerBatch = batch.producerId >= 0
      ? { producerId: batch.producerId, producerEpoch: batch.producerEpoch, baseSequence: batch.baseSequence, lastOffsetDelta: batch.lastOffsetDelta, isTransactional: batch.isTransactional }
      : null;
    if (producerBatch !== null) {
      const producers = this.producersOf(s);
      const c = producers.check(producerBatch);
      if (c.kind === 'error') return fail(c.errorCode, c.message, logStartOffset);
      if (c.kind === 'duplicate') {
        // A retry of a batch already in the log: acknowledged with its original offsets once it is written.
        return { errorCode: ErrorCode.NONE, errorMessage: null, baseOffset: c.batch.firstOffset, logAppendTimeMs: -1, logStartOffset, done: this.whenWritten(s, c.batch.lastOffset + 1) };
      }
      if (batch.isTransactional) {
        const code = this.txnVerifier?.(batch.producerId, batch.producerEpoch, topic, partition) ?? ErrorCode.INVALID_TXN_STATE;
        if (code !== ErrorCode.NONE) return fail(code, code === ErrorCode.INVALID_TXN_STATE ? `Partition ${topic}-${partition} is not part of an ongoing transaction of producer ${batch.producerId}` : null, logStartOffset);
      } else if (producers.openTxnFirstOffset(batch.producerId) >= 0) {
        return fail(ErrorCode.INVALID_TXN_STATE, `Expected a transactional write from producer ${batch.producerId} in ${topic}-${partition}, which has an open transaction`, logStartOffset);
      }
    }

    let logAppendTimeMs = -1;
    if (h.config.logAppendTime) {
      logAppendTimeMs = this.now();
      batch.setLogAppendTime(logAppendTimeMs);
      batch.updateCrc();
    }
    const bytes = batch.bytes();
    let appended: ReturnType<PartitionLogView['append']>;
    try {
      appended = h.log.append(bytes, h.leaderEpoch);
    } catch (e) {
      this.log.error(`append to ${topic}-${partition} failed: ${(e as Error)?.message ?? e}`);
      return fail(ErrorCode.KAFKA_STORAGE_ERROR, storageErrorMessage(topic, partition, e as Error), logStartOffset);
    }
    const { baseOffset, lastOffset, done } = appended;
    if (producerBatch !== null) {
      const producers = this.producersOf(s);
      producers.update(producerBatch, baseOffset, lastOffset, logAppendTimeMs >= 0 ? logAppendTimeMs : batch.maxTimestamp);
      // Every producer id ever seen would otherwise stay forever (kafkajs takes a new id per connect).
      if (++s.producerUpdates % 1000 === 0) producers.removeExpiredProducers(this.now(), PRODUCER_ID_EXPIRATION_MS);
    }
    return { errorCode: ErrorCode.NONE, errorMessage: null, baseOffset, logAppendTimeMs, logStartOffset, done: this.track(s, lastOffset, done, `${topic}-${partition}`) };
  }

  /**
   * Acknowledges an append once the high watermark passes it: its own write
   * and every earlier one are in the file. After a failed write nothing
   * later is acknowledged (KAFKA_STORAGE_ERROR), even when its own bytes were
   * written, until the log has been cut back (afterTruncation).
   */
  private track(s: PartitionState, lastOffset: number, done: Promise<unknown>, name: string): Promise<number> {
    let resolve!: (code: number) => void;
    const acked = new Promise<number>((r) => { resolve = r; });
    const entry: PendingAppend = { nextOffset: lastOffset + 1, write: Write.InFlight, resolve };
    s.pending.push(entry);
    done.then(() => {
      entry.write = Write.Written;
      this.settle(s);
    }, (e: unknown) => {
      if (!s.writeFailed) this.log.error(`write to ${name} failed: ${(e as Error)?.message ?? e}`);
      entry.write = Write.Failed;
      this.settle(s);
    });
    return acked;
  }

  /** Settles pending appends from the oldest, in offset order. */
  private settle(s: PartitionState): void {
    let moved = false;
    while (s.pending.length > 0 && s.pending[0]!.write !== Write.InFlight) {
      const p = s.pending.shift()!;
      if (p.write === Write.Failed && !s.writeFailed) { s.writeFailed = true; moved = true; }
      if (s.writeFailed) { p.resolve(ErrorCode.KAFKA_STORAGE_ERROR); continue; }
      s.highWatermark = p.nextOffset;
      moved = true;
      p.resolve(ErrorCode.NONE);
    }
    // Also on a failure: retries waiting for a duplicate's write learn it failed.
    if (moved) this.purgatory.checkAndComplete(s.key);
  }

  /** Resolves when the high watermark reaches `offset`. */
  private whenWritten(s: PartitionState, offset: number): Promise<number> {
    if (s.highWatermark >= offset) return RESOLVED;
    // A failed write in between fails the retry too: after the cut its offsets belong to other data.
    const truncations = s.truncations;
    const gone = () => s.writeFailed || s.truncations !== truncations;
    return this.purgatory.wait([s.key], 30_000, () => gone() || s.highWatermark >= offset)
      .then((ok) => (gone() ? ErrorCode.KAFKA_STORAGE_ERROR : ok ? ErrorCode.NONE : ErrorCode.REQUEST_TIMED_OUT));
  }

  /**
   * Reads whole batches from `fetchOffset`, at most `maxBytes` unless
   * `minOneBatch` (then the first batch comes whole even when larger).
   */
  readPartition(topic: string, partition: number, fetchOffset: number, maxBytes: number, isolationLevel: number, minOneBatch: boolean): ReadResult {
    const plan = this.planRead(topic, partition, fetchOffset, maxBytes, isolationLevel, minOneBatch);
    return 'result' in plan ? plan.result : plan.finish(plan.log.read(fetchOffset, plan.maxBytes, plan.upperBound).chunks);
  }

  /** readPartition with the file reads off the event loop (Fetch uses it). */
  async readPartitionAsync(topic: string, partition: number, fetchOffset: number, maxBytes: number, isolationLevel: number, minOneBatch: boolean): Promise<ReadResult> {
    const plan = this.planRead(topic, partition, fetchOffset, maxBytes, isolationLevel, minOneBatch);
    if ('result' in plan) return plan.result;
    const read = plan.log.readAsync ? await plan.log.readAsync(fetchOffset, plan.maxBytes, plan.upperBound) : plan.log.read(fetchOffset, plan.maxBytes, plan.upperBound);
    return plan.finish(read.chunks);
  }

  /**
   * Everything of a read but the file access, decided synchronously: the
   * error or empty answer, or the byte range to read and how to turn the
   * bytes read into the answer.
   */
  private planRead(topic: string, partition: number, fetchOffset: number, maxBytes: number, isolationLevel: number, minOneBatch: boolean):
    { result: ReadResult } | { log: PartitionLogView; maxBytes: number; upperBound: number; finish(chunks: Buffer[]): ReadResult } {
    const h = this.lookup(topic, partition);
    if (h === undefined) return { result: { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1, records: EMPTY } };
    const s = this.state(topic, partition, h);
    const committed = isolationLevel === READ_COMMITTED;
    if (committed) this.producersOf(s);
    const hw = s.highWatermark;
    const lso = this.lastStableOffset(s);
    const logStartOffset = h.log.logStartOffset;
    const base = { highWatermark: hw, lastStableOffset: lso, logStartOffset };
    if (fetchOffset < logStartOffset || fetchOffset > h.log.logEndOffset) return { result: { errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, ...base, records: EMPTY } };
    const upperBound = committed ? lso : hw;
    if (fetchOffset >= upperBound) return { result: { errorCode: ErrorCode.NONE, ...base, records: EMPTY, ...(committed ? { abortedTransactions: [] } : {}) } };
    return {
      log: h.log, maxBytes: minOneBatch ? Math.max(maxBytes, 1) : maxBytes, upperBound,
      finish: (chunks) => {
        let records = chunks.length === 1 ? chunks[0]! : chunks.length === 0 ? EMPTY : Buffer.concat(chunks);
        if (!minOneBatch && records.length > maxBytes) records = EMPTY;
        if (!committed) return { errorCode: ErrorCode.NONE, ...base, records };
        const producers = s.producers!;
        producers.truncateAbortedBefore(logStartOffset);
        return { errorCode: ErrorCode.NONE, ...base, records, abortedTransactions: records.length === 0 ? [] : producers.abortedTxns(fetchOffset, lastOffsetIn(records) + 1) };
      },
    };
  }

  /**
   * Bytes a fetch could read now past `fetchOffset`, for a delayed fetch's
   * min_bytes check (Infinity when the partition has an error to report). Runs on
   * every append to a watched partition, so it reads the log only when
   * `minBytes` is larger than one batch header.
   */
  availableBytes(topic: string, partition: number, fetchOffset: number, maxBytes: number, minBytes = Infinity, isolationLevel = READ_UNCOMMITTED): number {
    const h = this.lookup(topic, partition);
    if (h === undefined) return Infinity; // gone: the fetch answers now (Kafka's DelayedFetch does the same)
    const s = this.state(topic, partition, h);
    if (fetchOffset < h.log.logStartOffset || fetchOffset > h.log.logEndOffset) return Infinity; // an error to report now
    if (fetchOffset >= (isolationLevel === READ_COMMITTED ? this.lastStableOffset(s) : s.highWatermark)) return 0;
    // Something is visible; a whole batch is at least 61 bytes, so small min_bytes need no read.
    if (minBytes <= BATCH_HEADER_SIZE) return BATCH_HEADER_SIZE;
    const r = this.readPartition(topic, partition, fetchOffset, maxBytes, isolationLevel, true);
    return r.errorCode === ErrorCode.NONE ? r.records.length : Infinity;
  }

  /** Partition leader epoch check shared by Fetch, ListOffsets and OffsetForLeaderEpoch (-1: no check). */
  checkLeaderEpoch(topic: string, partition: number, currentLeaderEpoch: number): number {
    const h = this.lookup(topic, partition);
    if (h === undefined) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    if (currentLeaderEpoch < 0 || currentLeaderEpoch === h.leaderEpoch) return ErrorCode.NONE;
    return currentLeaderEpoch < h.leaderEpoch ? ErrorCode.FENCED_LEADER_EPOCH : ErrorCode.UNKNOWN_LEADER_EPOCH;
  }

  handle(topic: string, partition: number): PartitionHandle | undefined { return this.lookup(topic, partition); }

  /**
   * ListOffsets for one partition: -2 earliest, -1 latest (high watermark, or
   * the last stable offset for read_committed), -3 max timestamp, -4 earliest
   * local, -5 latest tiered; else the first offset whose timestamp >= it.
   */
  listOffset(topic: string, partition: number, timestamp: number, isolationLevel: number): { errorCode: number; offset: number; timestamp: number; leaderEpoch: number } {
    const h = this.lookup(topic, partition);
    if (h === undefined) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, offset: -1, timestamp: -1, leaderEpoch: -1 };
    const s = this.state(topic, partition, h);
    if (isolationLevel === READ_COMMITTED) this.producersOf(s);
    const epoch = h.leaderEpoch;
    // What a consumer of this isolation level may read: lookups by time stop there too, as in Kafka.
    const fetchable = isolationLevel === READ_COMMITTED ? this.lastStableOffset(s) : s.highWatermark;
    switch (timestamp) {
      case -2: case -4: return { errorCode: ErrorCode.NONE, offset: h.log.logStartOffset, timestamp: -1, leaderEpoch: epoch };
      case -1: return { errorCode: ErrorCode.NONE, offset: fetchable, timestamp: -1, leaderEpoch: epoch };
      case -5: return { errorCode: ErrorCode.NONE, offset: -1, timestamp: -1, leaderEpoch: -1 };
      case -3: {
        const m = h.log.maxTimestampOffset();
        if (!m || m.offset >= fetchable) return { errorCode: ErrorCode.NONE, offset: -1, timestamp: -1, leaderEpoch: -1 };
        return { errorCode: ErrorCode.NONE, offset: m.offset, timestamp: m.timestamp, leaderEpoch: epoch };
      }
      default: {
        const f = h.log.offsetForTimestamp(timestamp);
        if (!f || f.offset >= fetchable) return { errorCode: ErrorCode.NONE, offset: -1, timestamp: -1, leaderEpoch: -1 };
        return { errorCode: ErrorCode.NONE, offset: f.offset, timestamp: f.timestamp, leaderEpoch: epoch };
      }
    }
  }

  /** DeleteRecords for one partition; offset -1 means the high watermark. */
  deleteRecords(topic: string, partition: number, offset: number): { errorCode: number; lowWatermark: number } {
    const h = this.lookup(topic, partition);
    if (h === undefined) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, lowWatermark: -1 };
    if (h.config.compactOnly) return { errorCode: ErrorCode.POLICY_VIOLATION, lowWatermark: -1 };
    const s = this.state(topic, partition, h);
    const target = offset === -1 ? s.highWatermark : offset;
    if (target < 0 || target > s.highWatermark) return { errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, lowWatermark: -1 };
    if (target > h.log.logStartOffset) {
      h.log.deleteRecordsBefore(target);
      this.purgatory.checkAndComplete(s.key);
    }
    return { errorCode: ErrorCode.NONE, lowWatermark: h.log.logStartOffset };
  }
}

/** The last offset of the last whole batch in `records`. */
function lastOffsetIn(records: Buffer): number {
  let last = -1;
  for (let at = 0; at + BATCH_HEADER_SIZE <= records.length;) {
    const h = new BatchHeader(records, at);
    last = h.lastOffset;
    at += h.sizeInBytes;
  }
  return last;
}

function storageErrorMessage(topic: string, partition: number, cause: Error | null | undefined): string {
  return `Disk error when trying to write to the log of ${topic}-${partition}${cause ? `: ${cause.message}` : ''}`;
}

function fail(errorCode: number, errorMessage: string | null, logStartOffset = -1): AppendResult {
  return { errorCode, errorMessage, baseOffset: -1, logAppendTimeMs: -1, logStartOffset, done: RESOLVED };
}
