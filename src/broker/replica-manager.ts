import { BATCH_HEADER_SIZE, BatchHeader } from '../wire/records/batch-header.js';
import { ErrorCode } from '../wire/errors.js';
import { validateProduceRecords, type RecordError } from './log-validator.js';
import { ProducerStateManager, type AbortedTxn } from '../log/producer-state-manager.js';
import type { ReadAlloc } from '../log/log-segment.js';
import { buildControlBatch, controlType, ControlType } from '../wire/records/control-records.js';
import { DelayedFetchPurgatory } from './delayed-fetch.js';
import type { PartitionState as ClusterPartitionState } from '../controller/cluster-metadata.js';
import { FollowerTracker } from './follower-tracker.js';
import type { BrokerStats } from './broker-stats.js';

/** Where a partition read's bytes land (the log's type; handlers name it from here). */
export type { ReadAlloc };

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
 * Producer state of a partition is the log's (src/log: loaded from its
 * newest producer snapshot on first use, recorded by every append, aborted
 * transactions in its segments' transaction indexes); the replica manager
 * checks batches against it before appending. A log that keeps none (the
 * data path's unit tests) gets it rebuilt here from its batch headers and
 * recorded here. Producers idle for producer.id.expiration.ms (one day) are forgotten.
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
  /** `alloc`: where the bytes read land (a buffer of the length asked), fresh buffers when absent. */
  read(fetchOffset: number, maxBytes: number, upperBound: number, alloc?: ReadAlloc): { chunks: Buffer[]; bytes: number };
  /** The same answer as read() without holding the event loop during the file reads. */
  readAsync?(fetchOffset: number, maxBytes: number, upperBound: number, alloc?: ReadAlloc): Promise<{ chunks: Buffer[]; bytes: number }>;
  offsetForTimestamp(timestamp: number): { offset: number; timestamp: number } | null | undefined;
  maxTimestampOffset(): { offset: number; timestamp: number } | null | undefined;
  deleteRecordsBefore(offset: number): unknown;
  scanBatches(fromOffset: number): Iterable<BatchHeader>;
  /** The producer state the log keeps and records its appends in (PartitionLog); absent: kept here. */
  producerState?(): ProducerStateManager;
  /** read_committed: aborted transactions overlapping [fetchOffset, upperBound) (with producerState). */
  abortedTxns?(fetchOffset: number, upperBound: number): AbortedTxn[];
  /** Set while a failed write is being cut back: appends get KAFKA_STORAGE_ERROR at once. */
  readonly offline?: Error | null;
  /** Changes when the log was cut back: state derived from it is rebuilt. */
  readonly truncations?: number;
  // Replication (absent in unit tests of a lone partition):
  /** Appends batches that carry their offsets and leader epochs already (a follower's). */
  appendAsFollower?(records: Buffer): { baseOffset: number; lastOffset: number; done: Promise<unknown> };
  truncateTo?(offset: number): Promise<void>;
  truncateFullyAndStartAt?(offset: number): Promise<void>;
  latestEpoch?(): number;
  /** The largest epoch <= `epoch` and where it ends (-1/-1 when unknown). */
  endOffsetForEpoch?(epoch: number): { epoch: number; endOffset: number };
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

/** A partition this broker holds a replica of: its log, topic config and state in the cluster metadata. */
export interface PartitionHandle {
  log: PartitionLogView;
  config: DataPathTopicConfig;
  /** Absent: a lone replica that leads at `leaderEpoch` (unit tests of the data path). */
  state?: ClusterPartitionState;
  leaderEpoch?: number;
}
/** Finds a partition's log and topic config; undefined when the topic or partition does not exist. */
export type PartitionLookup = (topic: string, partition: number) => PartitionHandle | undefined;
/** Whether a transactional batch may be written: NONE, or the error the producer gets. */
export type TxnVerifier = (producerId: number, producerEpoch: number, topic: string, partition: number) => number;

interface PartitionState {
  key: string;
  topic: string;
  partition: number;
  name: string;
  /** The log this state belongs to; a different log (topic deleted and re-created) means fresh state. */
  log: PartitionLogView;
  /** The metadata state this broker acts on (leader, leader epoch, ISR); replaced by applyPartitionState. */
  cluster: ClusterPartitionState;
  /** Leader: what each follower fetched and when, for the high watermark and the ISR. */
  followers: FollowerTracker;
  /** The offset after the longest prefix of appends written to the log file. */
  written: number;
  /** acks=-1 appends written here, waiting for the high watermark. */
  awaitingHw: PendingAppend[];
  /** min.insync.replicas of the topic, as of the last lookup. */
  minIsr: number;
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
  /** An ISR change is with the controller: no other is asked for until it is answered. */
  isrChangePending?: boolean;
}

const enum Write { InFlight, Written, Failed }

interface PendingAppend { nextOffset: number; write: Write; acks: number; resolve(code: number): void }

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
  /**
   * Settles once the log no longer refers to the request's bytes (its write
   * of them completed, or they never reached the log); absent when that is
   * not known (an append that threw), and then the bytes must never be
   * reused. The produce handler gives a pooled frame back on it.
   */
  written?: Promise<unknown>;
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
/**
 * A follower this few offsets behind the leader's written end reads synchronously, at most
 * TAIL_READ_BYTES (or its first batch whole): a caught-up follower's next fetch; if the cap cuts
 * the read it fetches again at once. Further behind (catching up, or a leader too busy to answer
 * every append on its own) it reads in the pool, uncapped, as before.
 */
const TAIL_READ_OFFSETS = 64;
const TAIL_READ_BYTES = 64 * 1024;

export const READ_UNCOMMITTED = 0;
export const READ_COMMITTED = 1;

/** What the replica manager needs of the cluster around it; a lone broker needs none of it. */
export interface ReplicationHooks {
  nodeId: number;
  replicaLagTimeMaxMs: number;
  /** The partition's state in the cluster metadata (exists even where this broker holds no replica). */
  clusterState(topic: string, partition: number): ClusterPartitionState | undefined;
  /** Asks the controller for an ISR change (AlterPartition); the result comes back through applyPartitionState. */
  alterIsr(topic: string, partition: number, based: ClusterPartitionState, isr: number[]): Promise<void>;
  /** Leadership of a partition began (true) or ended here (coordinators load and unload their partitions). */
  onLeadership(topic: string, partition: number, leader: boolean, leaderEpoch: number): void;
  /** Starts following `leader` for the partition (the fetchers), or stops with null. */
  follow(topic: string, partition: number, leader: number | null): void;
  /**
   * Whether this broker may act as a leader now (with etcd: while its
   * registration lease is known to hold). A leader whose lease lapsed (a
   * pause, a partition from etcd) answers NOT_LEADER_OR_FOLLOWER rather than
   * take writes a new leader would not have.
   */
  canLead?(): boolean;
}

const SINGLE_NODE: ReplicationHooks = {
  nodeId: 0, replicaLagTimeMaxMs: 30_000, clusterState: () => undefined, alterIsr: async () => {}, onLeadership: () => {}, follow: () => {},
};

/** Kafka's answer to a request for a partition this broker does not lead, with the leader it knows of (KIP-951). */
export interface NotLeader { errorCode: number; leaderId: number; leaderEpoch: number }

export class ReplicaManager {
  readonly purgatory = new DelayedFetchPurgatory();
  private readonly partitions = new Map<string, PartitionState>();
  /** Set by the transaction coordinator; without one, transactional batches are INVALID_TXN_STATE. */
  txnVerifier?: TxnVerifier;
  /** The broker's counters: bytes and records produced per topic, ISR shrinks and expands. */
  stats?: BrokerStats;
  private readonly isrTimer?: NodeJS.Timeout;

  constructor(
    private readonly lookup: PartitionLookup,
    private readonly now: () => number = Date.now,
    private readonly log: { error(msg: string): void; info?(msg: string): void } = { error: (m) => console.error(m) },
    private readonly hooks: ReplicationHooks = SINGLE_NODE,
  ) {
    if (hooks !== SINGLE_NODE) {
      this.isrTimer = setInterval(() => this.shrinkIsrs(), Math.max(10, hooks.replicaLagTimeMaxMs / 2));
      this.isrTimer.unref();
    }
  }

  close(): void {
    clearInterval(this.isrTimer);
  }

  private get self(): number { return this.hooks.nodeId; }

  private lone(leaderEpoch: number): ClusterPartitionState {
    return { replicas: [this.self], isr: [this.self], leader: this.self, leaderEpoch, partitionEpoch: 0, addingReplicas: [], removingReplicas: [] };
  }

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
      const cluster = h.state ?? this.lone(h.leaderEpoch ?? 0);
      const end = h.log.logEndOffset;
      // A lone replica's log is all committed; with followers the high watermark is learnt again from their fetches.
      const hw = cluster.replicas.length <= 1 ? end : h.log.logStartOffset;
      s = {
        key, topic, partition, name: `${topic}-${partition}`, log: h.log, producers: null, producerUpdates: 0, highWatermark: hw, pending: [], writeFailed: false,
        truncations: h.log.truncations ?? 0, cluster, followers: new FollowerTracker(), written: end, awaitingHw: [], minIsr: h.config.minInsyncReplicas,
      };
      this.partitions.set(key, s);
      if (cluster.leader === this.self) s.followers.reset(cluster.replicas, cluster.isr, this.self, this.now());
    } else if ((h.log.truncations ?? 0) !== s.truncations) {
      this.afterTruncation(s);
    }
    s.minIsr = h.config.minInsyncReplicas;
    return s;
  }

  /**
   * Acts on a partition's new state in the cluster metadata: becomes its
   * leader (followers tracked from now, coordinators told), its follower
   * (appends waiting for acknowledgement fail with NOT_LEADER_OR_FOLLOWER,
   * the fetcher follows the new leader), or drops it (no replica here).
   */
  applyPartitionState(topic: string, partition: number, next: ClusterPartitionState | undefined): void {
    const key = `${topic}:${partition}`;
    const h = next?.replicas.includes(this.self) ? this.lookup(topic, partition) : undefined;
    if (h === undefined) {
      const s = this.partitions.get(key);
      if (s) {
        if (s.cluster.leader === this.self) this.hooks.onLeadership(topic, partition, false, s.cluster.leaderEpoch);
        this.failWaiting(s, ErrorCode.NOT_LEADER_OR_FOLLOWER);
        this.partitions.delete(key);
      }
      this.hooks.follow(topic, partition, null);
      this.purgatory.checkAndComplete(key);
      return;
    }
    const fresh = !this.partitions.has(key);
    const s = this.state(topic, partition, { ...h, state: next! });
    const before = s.cluster;
    s.cluster = next!;
    const wasLeader = !fresh && before.leader === this.self;
    const sameEpoch = !fresh && before.leaderEpoch === next!.leaderEpoch;
    if (next!.leader === this.self) {
      if (!wasLeader || !sameEpoch) {
        s.followers.reset(next!.replicas, next!.isr, this.self, this.now());
        // Batches appended as a follower did not go through producer checks: rebuild from the log when needed.
        s.producers = null;
        s.isrChangePending = false;
        this.hooks.follow(topic, partition, null);
        this.hooks.onLeadership(topic, partition, true, next!.leaderEpoch);
      } else {
        s.followers.track(next!.replicas, this.self);
        if (next!.partitionEpoch !== before.partitionEpoch) s.isrChangePending = false;
        this.stats?.isrChanged(before.isr.length, next!.isr.length);
        if (next!.replicas.length > 1 && next!.isr.length < s.minIsr) this.failAwaitingHw(s, ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND);
      }
      this.advanceHighWatermark(s);
    } else {
      if (wasLeader) this.hooks.onLeadership(topic, partition, false, before.leaderEpoch);
      if (fresh || wasLeader || !sameEpoch || before.leader !== next!.leader) {
        this.failWaiting(s, ErrorCode.NOT_LEADER_OR_FOLLOWER);
        s.producers = null;
        this.hooks.follow(topic, partition, next!.leader >= 0 ? next!.leader : null);
      }
    }
    this.purgatory.checkAndComplete(key);
  }

  /** Fails every acknowledgement still waiting (the broker stopped leading the partition). */
  private failWaiting(s: PartitionState, code: number): void {
    for (const p of s.pending) p.resolve(code);
    this.failAwaitingHw(s, code);
  }

  private failAwaitingHw(s: PartitionState, code: number): void {
    for (const p of s.awaitingHw) p.resolve(code);
    s.awaitingHw = [];
  }

  /**
   * The leader's high watermark: the smallest log end offset of the ISR
   * (its own written end included). With more than one replica it does not
   * move while the ISR is smaller than min.insync.replicas.
   */
  private advanceHighWatermark(s: PartitionState): void {
    // A leader that may have been replaced unseen (its etcd lease lapsed) acknowledges nothing more until it knows.
    if (s.cluster.leader !== this.self || this.hooks.canLead?.() === false) return;
    let hw = s.written;
    if (s.cluster.replicas.length > 1) {
      if (s.cluster.isr.length < s.minIsr) return;
      for (const r of s.cluster.isr) if (r !== this.self) hw = Math.min(hw, s.followers.leo(r));
    }
    if (hw <= s.highWatermark) return;
    s.highWatermark = hw;
    let done = 0;
    while (done < s.awaitingHw.length && s.awaitingHw[done]!.nextOffset <= hw) s.awaitingHw[done++]!.resolve(ErrorCode.NONE);
    if (done) s.awaitingHw.splice(0, done);
    this.purgatory.checkAndComplete(s.key);
  }

  /** The leader this broker knows for a partition it cannot serve (NOT_LEADER_OR_FOLLOWER answers); undefined when the partition does not exist. */
  notLeader(topic: string, partition: number): NotLeader | undefined {
    const c = this.hooks.clusterState(topic, partition);
    return c === undefined ? undefined : { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, leaderId: c.leader, leaderEpoch: c.leaderEpoch };
  }

  /**
   * The partition's handle and state when this broker leads it, else the
   * error for the request: NOT_LEADER_OR_FOLLOWER where the partition exists
   * elsewhere (or is a follower here), UNKNOWN_TOPIC_OR_PARTITION where it
   * does not exist at all.
   */
  private leading(topic: string, partition: number): { h: PartitionHandle; s: PartitionState } | { errorCode: number } {
    const h = this.lookup(topic, partition);
    if (h === undefined) return { errorCode: this.hooks.clusterState(topic, partition) ? ErrorCode.NOT_LEADER_OR_FOLLOWER : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
    const s = this.state(topic, partition, h);
    if (this.hooks !== SINGLE_NODE && (s.cluster.leader !== this.self || this.hooks.canLead?.() === false)) return { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER };
    return { h, s };
  }

  /** Leaders: followers that stopped catching up leave the ISR (replica.lag.time.max.ms). */
  private shrinkIsrs(): void {
    const now = this.now();
    for (const s of this.partitions.values()) {
      if (s.cluster.leader !== this.self || s.isrChangePending || s.cluster.isr.length <= 1 || this.hooks.canLead?.() === false) continue;
      const lagging = s.followers.lagging(s.cluster.isr, now, this.hooks.replicaLagTimeMaxMs);
      if (lagging.length === 0) continue;
      this.log.info?.(`${s.name}: shrinking the ISR from ${s.cluster.isr} (replicas ${lagging} not caught up for ${this.hooks.replicaLagTimeMaxMs} ms)`);
      this.requestIsr(s, s.cluster.isr.filter((r) => !lagging.includes(r)));
    }
  }

  private requestIsr(s: PartitionState, isr: number[]): void {
    s.isrChangePending = true;
    const based = s.cluster;
    this.hooks.alterIsr(s.topic, s.partition, based, isr).catch((e: unknown) => {
      this.log.error(`${s.name}: ISR change to [${isr}] failed: ${(e as Error)?.message ?? e}`);
    }).finally(() => {
      // Retried at the next fetch or sweep when the state did not change (a lost race, the controller away).
      if (s.cluster === based) s.isrChangePending = false;
    });
  }

  /**
   * A follower's fetch at the leader: checks its epochs, records its
   * position (high watermark, ISR membership), and reads what it lacks up to
   * the leader's written end. A follower whose last fetched epoch ends
   * earlier here gets the diverging epoch instead of records, to truncate.
   */
  async readForFollower(topic: string, partition: number, replicaId: number, fetchOffset: number, lastFetchedEpoch: number, currentLeaderEpoch: number, maxBytes: number, alloc?: ReadAlloc): Promise<ReadResult & { divergingEpoch?: { epoch: number; endOffset: number } }> {
    const none = { highWatermark: -1, lastStableOffset: -1, logStartOffset: -1, records: EMPTY };
    const l = this.leading(topic, partition);
    if ('errorCode' in l) return { errorCode: l.errorCode, ...none };
    const { h, s } = l;
    if (currentLeaderEpoch >= 0 && currentLeaderEpoch !== s.cluster.leaderEpoch) {
      return { errorCode: currentLeaderEpoch < s.cluster.leaderEpoch ? ErrorCode.FENCED_LEADER_EPOCH : ErrorCode.UNKNOWN_LEADER_EPOCH, ...none };
    }
    if (!s.followers.isReplica(replicaId)) return { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, ...none };
    const base = { highWatermark: s.highWatermark, lastStableOffset: this.lastStableOffset(s), logStartOffset: h.log.logStartOffset };
    if (lastFetchedEpoch >= 0 && h.log.endOffsetForEpoch) {
      const e = h.log.endOffsetForEpoch(lastFetchedEpoch);
      if (e.epoch < lastFetchedEpoch || e.endOffset < fetchOffset) return { errorCode: ErrorCode.NONE, ...base, records: EMPTY, divergingEpoch: e };
    }
    if (fetchOffset < h.log.logStartOffset || fetchOffset > h.log.logEndOffset) return { errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, ...base, records: EMPTY };
    s.followers.onFetch(replicaId, fetchOffset, s.written, this.now());
    if (!s.cluster.isr.includes(replicaId) && !s.isrChangePending && fetchOffset >= s.highWatermark) {
      this.log.info?.(`${s.name}: replica ${replicaId} caught up at ${fetchOffset}; adding it to the ISR`);
      this.requestIsr(s, [...s.cluster.isr, replicaId]);
    }
    this.advanceHighWatermark(s);
    // A follower at the tail reads what was just appended, a few KiB still in the page cache: copied
    // here it costs less than the thread pool's two hand-offs, which were a quarter of an acks=all
    // round trip (leader write -> follower fetch answered). Catching up, it reads in the pool.
    const atTail = s.written - fetchOffset <= TAIL_READ_OFFSETS;
    const read = !h.log.readAsync ? h.log.read(fetchOffset, Math.max(maxBytes, 1), s.written, alloc)
      : atTail ? h.log.read(fetchOffset, Math.max(Math.min(maxBytes, TAIL_READ_BYTES), 1), s.written, alloc)
      : await h.log.readAsync(fetchOffset, Math.max(maxBytes, 1), s.written, alloc);
    const records = read.chunks.length === 1 ? read.chunks[0]! : read.chunks.length === 0 ? EMPTY : Buffer.concat(read.chunks);
    return { errorCode: ErrorCode.NONE, ...base, highWatermark: s.highWatermark, records };
  }

  /** Whether a follower's fetch has something to read now (its delayed fetch's check). */
  hasDataForFollower(topic: string, partition: number, fetchOffset: number): boolean {
    const s = this.partitions.get(`${topic}:${partition}`);
    return s === undefined || s.cluster.leader !== this.self || s.written > fetchOffset;
  }

  /**
   * Appends batches fetched from the leader, offsets and epochs as they are,
   * and takes the leader's high watermark (up to what is written here).
   */
  async appendAsFollower(topic: string, partition: number, records: Buffer, leaderHighWatermark: number): Promise<void> {
    const h = this.lookup(topic, partition);
    if (h === undefined || !h.log.appendAsFollower) return;
    const s = this.state(topic, partition, h);
    if (s.cluster.leader === this.self) return;
    if (records.length > 0) {
      const { lastOffset, done } = h.log.appendAsFollower(records);
      await done;
      s.written = Math.max(s.written, lastOffset + 1);
    }
    this.followerHighWatermark(s, leaderHighWatermark);
  }

  private followerHighWatermark(s: PartitionState, leaderHighWatermark: number): void {
    const hw = Math.min(leaderHighWatermark, s.written);
    if (hw > s.highWatermark) s.highWatermark = hw;
  }

  /** A follower's log end offset and the epoch of its last batch, to fetch from (-1 when unknown). */
  followerPosition(topic: string, partition: number): { fetchOffset: number; lastFetchedEpoch: number; leaderEpoch: number; logStartOffset: number } | undefined {
    const h = this.lookup(topic, partition);
    if (h === undefined) return undefined;
    const s = this.state(topic, partition, h);
    return { fetchOffset: h.log.logEndOffset, lastFetchedEpoch: h.log.latestEpoch?.() ?? -1, leaderEpoch: s.cluster.leaderEpoch, logStartOffset: h.log.logStartOffset };
  }

  /** A follower cuts its log back to `offset` (a diverging tail, or past the leader's end). */
  async truncateFollower(topic: string, partition: number, offset: number): Promise<void> {
    const h = this.lookup(topic, partition);
    if (h === undefined || !h.log.truncateTo || offset >= h.log.logEndOffset) return;
    this.log.info?.(`${topic}-${partition}: truncating to offset ${offset} (log end ${h.log.logEndOffset}) to match the leader`);
    await h.log.truncateTo(offset);
    this.state(topic, partition, h);
  }

  /** A follower whose log ends before the leader's log start starts over there. */
  async restartFollowerAt(topic: string, partition: number, offset: number): Promise<void> {
    const h = this.lookup(topic, partition);
    if (h === undefined || !h.log.truncateFullyAndStartAt) return;
    this.log.info?.(`${topic}-${partition}: the leader's log starts at ${offset}, past this replica's end ${h.log.logEndOffset}: starting over there`);
    await h.log.truncateFullyAndStartAt(offset);
    this.state(topic, partition, h);
  }

  /** Follows the leader's log start offset (its retention and DeleteRecords). */
  followerLogStart(topic: string, partition: number, leaderLogStart: number): void {
    const h = this.lookup(topic, partition);
    if (h === undefined) return;
    const s = this.state(topic, partition, h);
    const to = Math.min(leaderLogStart, s.highWatermark);
    if (to > h.log.logStartOffset) h.log.deleteRecordsBefore(to);
  }

  /** Replication state of the partitions this broker holds, for status pages. */
  replicaStates(): { topic: string; partition: number; leader: boolean; leaderEpoch: number; highWatermark: number; logEndOffset: number; followers: ReturnType<FollowerTracker['entries']> }[] {
    return [...this.partitions.values()].map((s) => ({
      topic: s.topic, partition: s.partition, leader: s.cluster.leader === this.self, leaderEpoch: s.cluster.leaderEpoch,
      highWatermark: s.highWatermark, logEndOffset: s.log.logEndOffset, followers: s.followers.entries(),
    }));
  }

  /**
   * The log was cut back after a failed write: what was pending failed, the
   * producer state is rebuilt from the log (a failed batch must not count as
   * a duplicate of its retry), and the high watermark is the log's end.
   */
  private afterTruncation(s: PartitionState): void {
    for (const p of s.pending) p.resolve(ErrorCode.KAFKA_STORAGE_ERROR);
    s.pending = [];
    this.failAwaitingHw(s, ErrorCode.KAFKA_STORAGE_ERROR);
    s.writeFailed = false;
    s.producers = null;
    s.truncations = s.log.truncations ?? 0;
    // Everything the log kept was written whole; a lone replica's log is all committed.
    s.written = s.log.logEndOffset;
    s.highWatermark = s.cluster.replicas.length <= 1 ? s.written : Math.min(s.highWatermark, s.written);
    this.purgatory.checkAndComplete(s.key);
  }

  /**
   * The partition's producer state: the log's own when it keeps one (loaded
   * from its snapshot on first use), else rebuilt from the log's batch
   * headers the first time it is needed.
   */
  private producersOf(s: PartitionState): ProducerStateManager {
    if (s.producers === null && s.log.producerState) s.producers = s.log.producerState();
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
    const l = this.leading(topic, partition);
    if ('errorCode' in l) return Promise.resolve(l.errorCode);
    const { h, s } = l;
    const producers = this.producersOf(s);
    const c = producers.checkMarker(producerId, producerEpoch);
    if (c.kind === 'error') return Promise.resolve(c.errorCode);
    const now = this.now();
    let appended: ReturnType<PartitionLogView['append']>;
    try {
      appended = h.log.append(buildControlBatch(commit ? ControlType.Commit : ControlType.Abort, producerId, producerEpoch, coordinatorEpoch, now), s.cluster.leaderEpoch);
    } catch (e) {
      this.log.error(`marker to ${topic}-${partition} failed: ${(e as Error)?.message ?? e}`);
      return Promise.resolve(ErrorCode.KAFKA_STORAGE_ERROR);
    }
    if (!h.log.producerState) producers.completeTxn(producerId, producerEpoch, commit, appended.baseOffset, now);
    return this.track(s, appended.lastOffset, appended.done, -1);
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
    if (h === undefined) return fail(this.hooks.clusterState(topic, partition) ? ErrorCode.NOT_LEADER_OR_FOLLOWER : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, null);
    if (!internalTopicsAllowed && INTERNAL_TOPICS.has(topic)) return fail(ErrorCode.INVALID_TOPIC_EXCEPTION, `Cannot append to internal topic ${topic}`);
    const s = this.state(topic, partition, h);
    if (this.hooks !== SINGLE_NODE && (s.cluster.leader !== this.self || this.hooks.canLead?.() === false)) return fail(ErrorCode.NOT_LEADER_OR_FOLLOWER, `This broker (${this.self}) is not the leader of ${topic}-${partition}`);
    const logStartOffset = h.log.logStartOffset;
    if (h.log.offline || s.writeFailed) return fail(ErrorCode.KAFKA_STORAGE_ERROR, storageErrorMessage(topic, partition, h.log.offline), logStartOffset);
    if (acks === -1 && s.cluster.isr.length < h.config.minInsyncReplicas) {
      return fail(ErrorCode.NOT_ENOUGH_REPLICAS, `The size of the current ISR (${s.cluster.isr.length}) is insufficient to satisfy the min.isr requirement of ${h.config.minInsyncReplicas} for partition ${topic}-${partition}`, logStartOffset);
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
        return { errorCode: ErrorCode.NONE, errorMessage: null, baseOffset: c.batch.firstOffset, logAppendTimeMs: -1, logStartOffset, done: this.whenWritten(s, c.batch.lastOffset + 1, acks), written: RESOLVED };
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
      appended = h.log.append(bytes, s.cluster.leaderEpoch);
    } catch (e) {
      this.log.error(`append to ${topic}-${partition} failed: ${(e as Error)?.message ?? e}`);
      // The bytes may be queued for a write after all: `written` stays unknown.
      return { ...fail(ErrorCode.KAFKA_STORAGE_ERROR, storageErrorMessage(topic, partition, e as Error), logStartOffset), written: undefined };
    }
    const { baseOffset, lastOffset, done } = appended;
    this.stats?.produced(topic, bytes.length, lastOffset - baseOffset + 1);
    if (producerBatch !== null) {
      const producers = this.producersOf(s);
      // A log that keeps producer state recorded the batch as it appended it.
      if (!h.log.producerState) producers.update(producerBatch, baseOffset, lastOffset, logAppendTimeMs >= 0 ? logAppendTimeMs : batch.maxTimestamp);
      // Every producer id ever seen would otherwise stay forever (kafkajs takes a new id per connect).
      if (++s.producerUpdates % 1000 === 0) producers.removeExpiredProducers(this.now(), PRODUCER_ID_EXPIRATION_MS);
    }
    return { errorCode: ErrorCode.NONE, errorMessage: null, baseOffset, logAppendTimeMs, logStartOffset, done: this.track(s, lastOffset, done, acks), written: done };
  }

  /**
   * A coordinator's write to its internal topic partition (InternalTopicHost.append):
   * appended as the leader and acknowledged as acks=all, so that group and
   * transaction state is replicated and survives the loss of its leader.
   * The coordinator built the batch: no client validation, and a
   * transactional offset commit carries no sequence (Kafka's coordinator
   * origin skips the sequence checks too).
   */
  appendInternal(topic: string, partition: number, batch: Buffer): Promise<number> {
    const l = this.leading(topic, partition);
    if ('errorCode' in l) return Promise.resolve(l.errorCode);
    const { h, s } = l;
    if (h.log.offline || s.writeFailed) return Promise.resolve(ErrorCode.KAFKA_STORAGE_ERROR);
    if (s.cluster.replicas.length > 1 && s.cluster.isr.length < h.config.minInsyncReplicas) return Promise.resolve(ErrorCode.NOT_ENOUGH_REPLICAS);
    let appended: ReturnType<PartitionLogView['append']>;
    try {
      appended = h.log.append(batch, s.cluster.leaderEpoch);
    } catch (e) {
      this.log.error(`append to ${topic}-${partition} failed: ${(e as Error)?.message ?? e}`);
      return Promise.resolve(ErrorCode.KAFKA_STORAGE_ERROR);
    }
    const header = new BatchHeader(batch);
    if (s.producers !== null && header.producerId >= 0 && !h.log.producerState) {
      s.producers.update({ producerId: header.producerId, producerEpoch: header.producerEpoch, baseSequence: header.baseSequence, lastOffsetDelta: header.lastOffsetDelta, isTransactional: header.isTransactional },
        appended.baseOffset, appended.lastOffset, header.maxTimestamp);
    }
    return this.track(s, appended.lastOffset, appended.done, -1);
  }

  /**
   * Acknowledges an append once the high watermark passes it: its own write
   * and every earlier one are in the file. After a failed write nothing
   * later is acknowledged (KAFKA_STORAGE_ERROR), even when its own bytes were
   * written, until the log has been cut back (afterTruncation).
   */
  private track(s: PartitionState, lastOffset: number, done: Promise<unknown>, acks: number): Promise<number> {
    let resolve!: (code: number) => void;
    const acked = new Promise<number>((r) => { resolve = r; });
    const entry: PendingAppend = { nextOffset: lastOffset + 1, write: Write.InFlight, acks, resolve };
    s.pending.push(entry);
    done.then(() => {
      entry.write = Write.Written;
      this.settle(s);
    }, (e: unknown) => {
      if (!s.writeFailed) this.log.error(`write to ${s.name} failed: ${(e as Error)?.message ?? e}`);
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
      s.written = p.nextOffset;
      moved = true;
      // acks=1 answers once the leader has it; acks=-1 once the ISR has it (the high watermark passed it).
      if (p.acks === -1) s.awaitingHw.push(p); else p.resolve(ErrorCode.NONE);
    }
    this.advanceHighWatermark(s);
    // Also on a failure: retries waiting for a duplicate's write learn it failed; followers waiting for data wake.
    if (moved) this.purgatory.checkAndComplete(s.key);
  }

  /** Resolves when the high watermark reaches `offset`. */
  private whenWritten(s: PartitionState, offset: number, acks: number): Promise<number> {
    const reached = () => (acks === -1 ? s.highWatermark : s.written) >= offset;
    if (reached()) return RESOLVED;
    // A failed write in between fails the retry too: after the cut its offsets belong to other data.
    const truncations = s.truncations;
    const gone = () => s.writeFailed || s.truncations !== truncations;
    return this.purgatory.wait([s.key], 30_000, () => gone() || reached())
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

  /**
   * readPartition with the file reads off the event loop (Fetch uses it).
   * `alloc` gives the buffers the file reads land in (the records returned may be views of them).
   */
  async readPartitionAsync(topic: string, partition: number, fetchOffset: number, maxBytes: number, isolationLevel: number, minOneBatch: boolean, alloc?: ReadAlloc): Promise<ReadResult> {
    const plan = this.planRead(topic, partition, fetchOffset, maxBytes, isolationLevel, minOneBatch);
    if ('result' in plan) return plan.result;
    const read = plan.log.readAsync ? await plan.log.readAsync(fetchOffset, plan.maxBytes, plan.upperBound, alloc) : plan.log.read(fetchOffset, plan.maxBytes, plan.upperBound, alloc);
    return plan.finish(read.chunks);
  }

  /**
   * Everything of a read but the file access, decided synchronously: the
   * error or empty answer, or the byte range to read and how to turn the
   * bytes read into the answer.
   */
  private planRead(topic: string, partition: number, fetchOffset: number, maxBytes: number, isolationLevel: number, minOneBatch: boolean):
    { result: ReadResult } | { log: PartitionLogView; maxBytes: number; upperBound: number; finish(chunks: Buffer[]): ReadResult } {
    const l = this.leading(topic, partition);
    if ('errorCode' in l) return { result: { errorCode: l.errorCode, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1, records: EMPTY } };
    const { h, s } = l;
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
        if (records.length === 0) return { errorCode: ErrorCode.NONE, ...base, records, abortedTransactions: [] };
        const upTo = lastOffsetIn(records) + 1;
        if (h.log.abortedTxns) return { errorCode: ErrorCode.NONE, ...base, records, abortedTransactions: h.log.abortedTxns(fetchOffset, upTo) };
        const producers = s.producers!;
        producers.truncateAbortedBefore(logStartOffset);
        return { errorCode: ErrorCode.NONE, ...base, records, abortedTransactions: producers.abortedTxns(fetchOffset, upTo) };
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
    const l = this.leading(topic, partition);
    if ('errorCode' in l) return Infinity; // gone or moved: the fetch answers now (Kafka's DelayedFetch does the same)
    const { h, s } = l;
    if (fetchOffset < h.log.logStartOffset || fetchOffset > h.log.logEndOffset) return Infinity; // an error to report now
    if (fetchOffset >= (isolationLevel === READ_COMMITTED ? this.lastStableOffset(s) : s.highWatermark)) return 0;
    // Something is visible; a whole batch is at least 61 bytes, so small min_bytes need no read.
    if (minBytes <= BATCH_HEADER_SIZE) return BATCH_HEADER_SIZE;
    const r = this.readPartition(topic, partition, fetchOffset, maxBytes, isolationLevel, true);
    return r.errorCode === ErrorCode.NONE ? r.records.length : Infinity;
  }

  /** Partition leader epoch check shared by Fetch, ListOffsets and OffsetForLeaderEpoch (-1: no check). */
  checkLeaderEpoch(topic: string, partition: number, currentLeaderEpoch: number): number {
    const l = this.leading(topic, partition);
    if ('errorCode' in l) {
      // Kafka checks the epoch before leadership: a client behind on epochs learns it must refresh.
      const c = this.hooks.clusterState(topic, partition);
      if (c && currentLeaderEpoch >= 0 && currentLeaderEpoch !== c.leaderEpoch) return currentLeaderEpoch < c.leaderEpoch ? ErrorCode.FENCED_LEADER_EPOCH : ErrorCode.UNKNOWN_LEADER_EPOCH;
      return l.errorCode;
    }
    const epoch = l.s.cluster.leaderEpoch;
    if (currentLeaderEpoch < 0 || currentLeaderEpoch === epoch) return ErrorCode.NONE;
    return currentLeaderEpoch < epoch ? ErrorCode.FENCED_LEADER_EPOCH : ErrorCode.UNKNOWN_LEADER_EPOCH;
  }

  handle(topic: string, partition: number): PartitionHandle | undefined { return this.lookup(topic, partition); }

  /**
   * OffsetForLeaderEpoch on the leader: the largest epoch <= `epoch` this log
   * has and the offset where it ends (the log end for the current epoch);
   * -1/-1 for an epoch before the log's first or after the current one.
   */
  endOffsetForEpoch(topic: string, partition: number, epoch: number): { epoch: number; endOffset: number } {
    const h = this.lookup(topic, partition);
    if (h === undefined) return { epoch: -1, endOffset: -1 };
    const s = this.state(topic, partition, h);
    const current = s.cluster.leaderEpoch;
    if (epoch < 0 || epoch > current) return { epoch: -1, endOffset: -1 };
    if (epoch === current) return { epoch, endOffset: h.log.logEndOffset };
    if (h.log.endOffsetForEpoch) return h.log.endOffsetForEpoch(epoch);
    // Without an epoch history (a lone partition in tests), earlier epochs end where the log starts.
    return { epoch, endOffset: 0 };
  }

  /**
   * ListOffsets for one partition: -2 earliest, -1 latest (high watermark, or
   * the last stable offset for read_committed), -3 max timestamp, -4 earliest
   * local, -5 latest tiered; else the first offset whose timestamp >= it.
   */
  listOffset(topic: string, partition: number, timestamp: number, isolationLevel: number): { errorCode: number; offset: number; timestamp: number; leaderEpoch: number } {
    const l = this.leading(topic, partition);
    if ('errorCode' in l) return { errorCode: l.errorCode, offset: -1, timestamp: -1, leaderEpoch: -1 };
    const { h, s } = l;
    if (isolationLevel === READ_COMMITTED) this.producersOf(s);
    const epoch = s.cluster.leaderEpoch;
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
    const l = this.leading(topic, partition);
    if ('errorCode' in l) return { errorCode: l.errorCode, lowWatermark: -1 };
    const { h, s } = l;
    if (h.config.compactOnly) return { errorCode: ErrorCode.POLICY_VIOLATION, lowWatermark: -1 };
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
  return { errorCode, errorMessage, baseOffset: -1, logAppendTimeMs: -1, logStartOffset, done: RESOLVED, written: RESOLVED };
}
