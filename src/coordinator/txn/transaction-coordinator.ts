/**
 * The transaction coordinator. Kafka's state machine per transactional id:
 *
 *   Empty --AddPartitions/AddOffsets--> Ongoing --EndTxn--> PrepareCommit|PrepareAbort
 *     --markers written--> CompleteCommit|CompleteAbort --next AddPartitions--> Ongoing ...
 *
 * InitProducerId gives a transactional id its producer id (kept across
 * calls) and bumps the epoch on every call, fencing older incarnations:
 * their requests get PRODUCER_FENCED (INVALID_PRODUCER_EPOCH on the produce
 * path and for older request versions). A transaction still open at that
 * moment is aborted first. When the epoch would overflow, a new producer id
 * is taken at epoch 0, as Kafka does.
 *
 * Ending a transaction writes a commit or abort marker to every partition in
 * it (the internal equivalent of WriteTxnMarkers, through `markers`) and then
 * records the completed state. While markers are being written the id is in
 * a Prepare state and other requests for it get CONCURRENT_TRANSACTIONS
 * (retriable), as in Kafka.
 *
 * transaction.timeout.ms: a check every
 * transaction.abort.timed.out.transaction.cleanup.interval.ms aborts
 * transactions open longer than their timeout, with a bumped epoch so the
 * producer that left it open is fenced.
 *
 * transactional.id.expiration.ms: an id with no transaction open and no
 * activity for that long is forgotten (a tombstone in the log), checked every
 * transaction.remove.expired.transaction.cleanup.interval.ms.
 *
 * Every state change is a record in __transaction_state (`log`), written
 * before the change is acknowledged; when that write fails (a full disk) the
 * change is undone and the client gets COORDINATOR_NOT_AVAILABLE, which it
 * retries (NOT_COORDINATOR when this broker lost the partition).
 *
 * Leadership: this coordinator serves only the transactional ids of
 * __transaction_state partitions it has loaded (a lone broker leads, and
 * loads, them all). The broker calls `loadPartition` when it becomes a
 * partition's leader (its records are replayed, requests for its ids get
 * COORDINATOR_LOAD_IN_PROGRESS meanwhile, and transactions caught between
 * Prepare and Complete get their markers again) and `unloadPartition` when
 * it stops leading it (its ids leave memory, nothing is written); ids of
 * partitions not loaded here get NOT_COORDINATOR. Markers carry the partition's leader epoch as the
 * coordinator epoch.
 */
import { ErrorCode, KafkaError } from '../../wire/errors.js';
import { txnKey, txnValue, readTxnValue, type TxnState } from './txn-records.js';
import { FIRST_LOAD_WAIT_MS, LoadWaiters, type StoredRecord } from '../internal-topic.js';

/** Kafka's limit: an epoch at Short.MAX_VALUE - 1 cannot be bumped; a new producer id starts at 0. */
const MAX_EPOCH = 32766;
/** Marker errors that pass with time (Kafka's TransactionMarkerRequestCompletionHandler retries these). */
const MARKER_RETRIABLE = new Set<number>([
  ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.NOT_ENOUGH_REPLICAS,
  ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND, ErrorCode.REQUEST_TIMED_OUT, ErrorCode.KAFKA_STORAGE_ERROR,
  ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, ErrorCode.LEADER_NOT_AVAILABLE,
]);
const MARKER_RETRY_MIN_MS = 50;
const MARKER_RETRY_MAX_MS = 1000;

export interface TxnMetadata {
  transactionalId: string;
  producerId: number;
  producerEpoch: number;
  /** The id and epoch before the last InitProducerId (a retry of it gets the same answer). */
  lastProducerId: number;
  lastProducerEpoch: number;
  timeoutMs: number;
  state: TxnState;
  /** `topic\0partition` -> the partition. */
  partitions: Map<string, { topic: string; partition: number }>;
  startTimestamp: number;
  lastUpdateTimestamp: number;
}

/** The __transaction_state topic as the coordinator uses it (TxnStateTopic). */
export interface TxnLog {
  partitionOf(transactionalId: string): number;
  /** The partition count, creating the topic when it is missing. */
  ensure(): Promise<number>;
  exists(): boolean;
  /** Resolves once committed; rejects with a KafkaError carrying the coordinator error (NOT_COORDINATOR, ...). */
  write(transactionalId: string, records: StoredRecord[]): Promise<void>;
  partitionRecords(partition: number): AsyncIterable<{ transactionalId: string; value: Buffer | null }>;
}

export interface TxnCoordinatorDeps {
  /** A fresh producer id (never given out before). */
  allocateProducerId(): number;
  /**
   * Writes a commit/abort marker to a partition (through WriteTxnMarkers when
   * another broker leads it); resolves with a Kafka error code.
   * `coordinatorEpoch`: the leader epoch of the id's __transaction_state partition.
   */
  writeMarker(topic: string, partition: number, producerId: number, producerEpoch: number, commit: boolean, coordinatorEpoch: number): Promise<number>;
  /** Whether a partition exists (AddPartitionsToTxn answers UNKNOWN_TOPIC_OR_PARTITION otherwise). */
  partitionExists(topic: string, partition: number): boolean;
  /** The state topic: writes go there, and the coordinator follows its partitions' leadership. */
  log: TxnLog;
  onError?(e: unknown): void;
}

export interface TxnLimits {
  maxTimeoutMs: number;
  /** How often open transactions are checked against their timeout. */
  abortCheckIntervalMs: number;
  /** transactional.id.expiration.ms; ids never expire when absent. */
  idExpirationMs?: number;
  /** How often expired ids are looked for. */
  idExpirationCheckIntervalMs?: number;
}

export interface InitResult { errorCode: number; producerId: number; producerEpoch: number }
export interface PartitionResult { topic: string; partition: number; errorCode: number }

const key = (topic: string, partition: number) => `${topic}\0${partition}`;

/** A __transaction_state partition this coordinator leads. */
interface OwnedPartition { state: 'loading' | 'loaded'; leaderEpoch: number; loaded: Promise<void> }

/** The error a client gets for a state write that failed: the coordinator's, or a retriable one for a fault. */
const writeError = (e: unknown): number => (e instanceof KafkaError ? e.code : ErrorCode.COORDINATOR_NOT_AVAILABLE);

export class TransactionCoordinator {
  private readonly txns = new Map<string, TxnMetadata>();
  private readonly byProducerId = new Map<number, TxnMetadata>();
  private readonly timers: NodeJS.Timeout[] = [];
  private closed = false;
  private readonly owned = new Map<number, OwnedPartition>();
  private readonly loadWaiters = new LoadWaiters();

  constructor(private readonly limits: TxnLimits, private readonly deps: TxnCoordinatorDeps, private readonly now: () => number = Date.now) {
    this.timers.push(setInterval(() => void this.abortTimedOut(), limits.abortCheckIntervalMs));
    if (limits.idExpirationMs !== undefined) this.timers.push(setInterval(() => void this.expireIds(), limits.idExpirationCheckIntervalMs ?? 3_600_000));
    for (const t of this.timers) t.unref();
  }

  get(transactionalId: string): TxnMetadata | undefined { return this.txns.get(transactionalId); }
  /** The ids of partitions loaded here (ListTransactions). */
  all(): TxnMetadata[] { return [...this.txns.values()].filter((m) => this.coordinatorStatus(m.transactionalId) === ErrorCode.NONE); }

  /** The __transaction_state partition of an id. */
  partitionOf(transactionalId: string): number { return this.deps.log.partitionOf(transactionalId); }

  /** The partition count of __transaction_state, creating it when missing (FindCoordinator). */
  ensureTopic(): Promise<number> { return this.deps.log.ensure(); }

  /**
   * Before a request for an id: when __transaction_state does not exist yet
   * (a client that did not ask FindCoordinator first, on a fresh cluster), it
   * is created and the request waits, up to `waitMs`, for the id's partition
   * to be loaded here, so that a lone broker serves it. Kafka would answer
   * NOT_COORDINATOR; that is still the answer when another broker leads it.
   */
  async prepare(transactionalId: string, waitMs = FIRST_LOAD_WAIT_MS): Promise<void> {
    const log = this.deps.log;
    if (log.exists()) return;
    try { await log.ensure(); } catch (e) { this.deps.onError?.(e); return; }
    const p = this.partitionOf(transactionalId);
    if (!this.owned.has(p)) await this.loadWaiters.wait(p, waitMs);
    await this.owned.get(p)?.loaded;
  }

  /** NONE when this coordinator serves the id now; else COORDINATOR_LOAD_IN_PROGRESS or NOT_COORDINATOR. */
  /** Whether this broker may act as a coordinator at all now (with etcd: while its registration lease holds). */
  canServe: () => boolean = () => true;

  coordinatorStatus(transactionalId: string): number {
    const o = this.owned.get(this.partitionOf(transactionalId));
    if (!o || !this.canServe()) return ErrorCode.NOT_COORDINATOR;
    return o.state === 'loading' ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : ErrorCode.NONE;
  }

  /** Whether some partition is still loading (ListTransactions reports it, as Kafka does). */
  loading(): boolean { return [...this.owned.values()].some((o) => o.state === 'loading'); }

  /** The coordinator epoch markers of this id carry: its partition's leader epoch. */
  private coordinatorEpoch(transactionalId: string): number {
    return this.owned.get(this.partitionOf(transactionalId))?.leaderEpoch ?? 0;
  }

  /**
   * This broker became the leader of a __transaction_state partition: replay
   * its records, then serve its ids; transactions found in PrepareCommit or
   * PrepareAbort get their markers again in the background (their ids answer
   * CONCURRENT_TRANSACTIONS until that is done). An epoch already loaded (or
   * loading) does nothing; a newer one reloads; an older one is stale.
   */
  loadPartition(partition: number, leaderEpoch: number): Promise<void> {
    const log = this.deps.log;
    const cur = this.owned.get(partition);
    if (cur && cur.leaderEpoch >= leaderEpoch) return cur.loaded;
    // Whatever is in memory for the partition (an older epoch's state) is replaced by what the log says now.
    this.unloadPartition(partition);
    const entry: OwnedPartition = { state: 'loading', leaderEpoch, loaded: Promise.resolve() };
    this.owned.set(partition, entry);
    const wanted = () => this.owned.get(partition) === entry;
    entry.loaded = (async () => {
      const loaded: TxnMetadata[] = [];
      try {
        const found = new Map<string, TxnMetadata>();
        for await (const r of log.partitionRecords(partition)) {
          if (!wanted()) return;
          const m = this.fromRecord(r.transactionalId, r.value);
          if (m) found.set(r.transactionalId, m); else found.delete(r.transactionalId);
        }
        if (!wanted()) return;
        for (const m of found.values()) { this.add(m); loaded.push(m); }
      } catch (e) {
        if (wanted()) this.owned.delete(partition);
        this.deps.onError?.(e);
        return;
      }
      entry.state = 'loaded';
      for (const m of loaded) {
        if (m.state !== 'PrepareCommit' && m.state !== 'PrepareAbort') continue;
        this.complete(m, m.state === 'PrepareCommit').catch((e: unknown) => this.deps.onError?.(e));
      }
    })();
    this.loadWaiters.loaded(partition);
    return entry.loaded;
  }

  /** This broker no longer leads the partition: its ids leave memory (the new leader loads them from the log). */
  unloadPartition(partition: number): void {
    this.owned.delete(partition);
    for (const m of [...this.txns.values()]) if (this.partitionOf(m.transactionalId) === partition) this.forget(m);
  }

  private forget(m: TxnMetadata): void {
    if (this.txns.get(m.transactionalId) === m) this.txns.delete(m.transactionalId);
    if (this.byProducerId.get(m.producerId) === m) this.byProducerId.delete(m.producerId);
  }

  private add(m: TxnMetadata): void {
    const old = this.txns.get(m.transactionalId);
    if (old) this.forget(old);
    this.txns.set(m.transactionalId, m);
    this.byProducerId.set(m.producerId, m);
  }

  private fromRecord(transactionalId: string, value: Buffer | null): TxnMetadata | undefined {
    const v = value ? readTxnValue(value) : undefined;
    if (!v) return undefined;
    const m: TxnMetadata = {
      transactionalId, producerId: v.producerId, producerEpoch: v.producerEpoch, lastProducerId: -1, lastProducerEpoch: -1,
      timeoutMs: v.timeoutMs, state: v.state, partitions: new Map(), startTimestamp: v.startTimestamp, lastUpdateTimestamp: v.lastUpdateTimestamp,
    };
    for (const t of v.partitions) for (const p of t.partitions) m.partitions.set(key(t.topic, p), { topic: t.topic, partition: p });
    return m;
  }

  private persist(m: TxnMetadata): Promise<void> {
    const byTopic = new Map<string, number[]>();
    for (const p of m.partitions.values()) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.partition]);
    const value = txnValue({
      producerId: m.producerId, producerEpoch: m.producerEpoch, timeoutMs: m.timeoutMs, state: m.state,
      partitions: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
      lastUpdateTimestamp: m.lastUpdateTimestamp, startTimestamp: m.startTimestamp,
    });
    return this.deps.log.write(m.transactionalId, [{ key: txnKey(m.transactionalId), value }]);
  }

  private setProducer(m: TxnMetadata, producerId: number, epoch: number): void {
    if (this.byProducerId.get(m.producerId) === m) this.byProducerId.delete(m.producerId);
    m.lastProducerId = m.producerId;
    m.lastProducerEpoch = m.producerEpoch;
    m.producerId = producerId;
    m.producerEpoch = epoch;
    this.byProducerId.set(producerId, m);
  }

  /** The next epoch, or a new producer id at epoch 0 when the epoch is exhausted. */
  private bumpEpoch(m: TxnMetadata): void {
    if (m.producerEpoch >= MAX_EPOCH) this.setProducer(m, this.deps.allocateProducerId(), 0);
    else this.setProducer(m, m.producerId, m.producerEpoch + 1);
  }

  /**
   * InitProducerId with a transactional id. `expected` (v3+, KIP-360) is the
   * producer id and epoch the client had, or null.
   */
  async initProducerId(transactionalId: string, timeoutMs: number, expected: { producerId: number; producerEpoch: number } | null): Promise<InitResult> {
    const fail = (errorCode: number): InitResult => ({ errorCode, producerId: -1, producerEpoch: -1 });
    const status = this.coordinatorStatus(transactionalId);
    if (status !== ErrorCode.NONE) return fail(status);
    if (timeoutMs <= 0 || timeoutMs > this.limits.maxTimeoutMs) return fail(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    const now = this.now();
    let m = this.txns.get(transactionalId);
    if (m === undefined) {
      m = {
        transactionalId, producerId: -1, producerEpoch: -1, lastProducerId: -1, lastProducerEpoch: -1, timeoutMs,
        state: 'Empty', partitions: new Map(), startTimestamp: -1, lastUpdateTimestamp: now,
      };
      this.setProducer(m, this.deps.allocateProducerId(), 0);
      this.txns.set(transactionalId, m);
      try {
        await this.persist(m);
      } catch (e) {
        this.deps.onError?.(e);
        this.forget(m);
        return fail(writeError(e));
      }
      return { errorCode: ErrorCode.NONE, producerId: m.producerId, producerEpoch: m.producerEpoch };
    }
    if (expected !== null) {
      // A retry of the InitProducerId that moved the client to its current epoch gets the same answer.
      const isRetry = expected.producerId === m.lastProducerId && expected.producerEpoch === m.lastProducerEpoch && m.state === 'Empty';
      if (isRetry) return { errorCode: ErrorCode.NONE, producerId: m.producerId, producerEpoch: m.producerEpoch };
      if (expected.producerId !== m.producerId || expected.producerEpoch !== m.producerEpoch) return fail(ErrorCode.PRODUCER_FENCED);
    }
    if (m.state === 'PrepareCommit' || m.state === 'PrepareAbort' || m.state === 'PrepareEpochFence') return fail(ErrorCode.CONCURRENT_TRANSACTIONS);
    const txn = m;
    // A new incarnation: the old one's transaction is aborted under a bumped epoch, which fences it.
    if (txn.state === 'Ongoing') {
      const aborted = await this.complete(txn, false, () => this.bumpEpoch(txn));
      if (aborted !== ErrorCode.NONE) return fail(aborted);
    }
    const saved = await this.apply(txn, () => {
      this.bumpEpoch(txn);
      // Only a KIP-360 resume can be retried; a new producer's call makes the older epoch unusable (Kafka does the same).
      if (expected === null) txn.lastProducerEpoch = -1;
      txn.timeoutMs = timeoutMs;
      txn.state = 'Empty';
      txn.partitions.clear();
      txn.startTimestamp = -1;
      txn.lastUpdateTimestamp = now;
    });
    if (saved !== ErrorCode.NONE) return fail(saved);
    return { errorCode: ErrorCode.NONE, producerId: txn.producerId, producerEpoch: txn.producerEpoch };
  }

  /** The common checks of AddPartitions, AddOffsets and EndTxn; NONE when the request is the current producer's. */
  private check(m: TxnMetadata | undefined, producerId: number, producerEpoch: number): number {
    if (m === undefined || m.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (m.producerEpoch !== producerEpoch) return ErrorCode.PRODUCER_FENCED;
    if (m.state === 'PrepareCommit' || m.state === 'PrepareAbort' || m.state === 'PrepareEpochFence') return ErrorCode.CONCURRENT_TRANSACTIONS;
    if (m.state === 'Dead') return ErrorCode.INVALID_TXN_STATE;
    return ErrorCode.NONE;
  }

  /**
   * AddPartitionsToTxn (and AddOffsetsToTxn's offsets partition). Unknown
   * partitions fail the request: they get UNKNOWN_TOPIC_OR_PARTITION and the
   * others OPERATION_NOT_ATTEMPTED, as in Kafka. Any other error applies to
   * every partition.
   */
  async addPartitions(transactionalId: string, producerId: number, producerEpoch: number, partitions: { topic: string; partition: number }[]): Promise<PartitionResult[]> {
    const all = (errorCode: number) => partitions.map((p) => ({ ...p, errorCode }));
    const status = this.coordinatorStatus(transactionalId);
    if (status !== ErrorCode.NONE) return all(status);
    const unknown = partitions.filter((p) => !this.deps.partitionExists(p.topic, p.partition));
    if (unknown.length > 0) {
      return partitions.map((p) => ({ ...p, errorCode: unknown.includes(p) ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.OPERATION_NOT_ATTEMPTED }));
    }
    const m = this.txns.get(transactionalId);
    const code = this.check(m, producerId, producerEpoch);
    if (code !== ErrorCode.NONE) return all(code);
    const txn = m!;
    const fresh = partitions.filter((p) => !txn.partitions.has(key(p.topic, p.partition)));
    if (txn.state === 'Ongoing' && fresh.length === 0) return all(ErrorCode.NONE);
    const now = this.now();
    const saved = await this.apply(txn, () => {
      if (txn.state !== 'Ongoing') {
        txn.partitions.clear();
        txn.startTimestamp = now;
        txn.state = 'Ongoing';
      }
      for (const p of partitions) txn.partitions.set(key(p.topic, p.partition), { topic: p.topic, partition: p.partition });
      txn.lastUpdateTimestamp = now;
    });
    return all(saved);
  }

  /** AddPartitionsToTxn v4+ verify_only: which partitions are already in the producer's open transaction. */
  verifyPartitions(transactionalId: string, producerId: number, producerEpoch: number, partitions: { topic: string; partition: number }[]): PartitionResult[] {
    const m = this.txns.get(transactionalId);
    const status = this.coordinatorStatus(transactionalId);
    const code = status !== ErrorCode.NONE ? status : this.check(m, producerId, producerEpoch);
    return partitions.map((p) => ({
      ...p,
      errorCode: code !== ErrorCode.NONE ? code : m!.state === 'Ongoing' && m!.partitions.has(key(p.topic, p.partition)) ? ErrorCode.NONE : ErrorCode.INVALID_TXN_STATE,
    }));
  }

  /**
   * May this producer write a transactional batch to this partition? (Kafka
   * 3.6's produce-path verification.) INVALID_PRODUCER_EPOCH for a fenced
   * epoch, INVALID_TXN_STATE when the partition is not in an open transaction.
   */
  /** Whether this coordinator holds the transactional id of `producerId` (in a cluster another broker may). */
  knowsProducer(producerId: number): boolean { return this.byProducerId.has(producerId); }

  verify(producerId: number, producerEpoch: number, topic: string, partition: number): number {
    const m = this.byProducerId.get(producerId);
    if (m === undefined) return ErrorCode.INVALID_TXN_STATE;
    if (producerEpoch < m.producerEpoch) return ErrorCode.INVALID_PRODUCER_EPOCH;
    if (m.state !== 'Ongoing' || !m.partitions.has(key(topic, partition))) return ErrorCode.INVALID_TXN_STATE;
    return ErrorCode.NONE;
  }

  /**
   * TxnOffsetCommit's verification (KIP-890 part 1, Kafka 3.6+; Kafka's
   * TransactionCoordinator.handleVerifyPartitionsInTransaction as the group
   * coordinator's ReplicaManager.maybeStartTransactionVerificationForPartition
   * sees it through AddPartitionsToTxnManager): is the group's
   * __consumer_offsets partition in this producer's open transaction? Looked
   * up by transactional id, as Kafka does: an empty id is INVALID_REQUEST, an
   * unknown id or another producer id INVALID_PRODUCER_ID_MAPPING, another
   * epoch INVALID_PRODUCER_EPOCH (the coordinator's PRODUCER_FENCED as the
   * append path maps it), a transaction being completed CONCURRENT_TRANSACTIONS,
   * and a partition not added (no AddOffsetsToTxn) TRANSACTION_ABORTABLE,
   * which request versions before `abortableSince` get as INVALID_TXN_STATE.
   */
  verifyOffsetsPartition(transactionalId: string, producerId: number, producerEpoch: number, topic: string, partition: number, version: number, abortableSince: number): number {
    if (transactionalId === '') return ErrorCode.INVALID_REQUEST;
    const status = this.coordinatorStatus(transactionalId);
    if (status !== ErrorCode.NONE) return status;
    const m = this.txns.get(transactionalId);
    const code = this.check(m, producerId, producerEpoch);
    if (code === ErrorCode.PRODUCER_FENCED) return ErrorCode.INVALID_PRODUCER_EPOCH;
    if (code !== ErrorCode.NONE) return code;
    if (m!.state === 'Ongoing' && m!.partitions.has(key(topic, partition))) return ErrorCode.NONE;
    return version >= abortableSince ? ErrorCode.TRANSACTION_ABORTABLE : ErrorCode.INVALID_TXN_STATE;
  }

  /** EndTxn: commit or abort the open transaction. */
  async endTxn(transactionalId: string, producerId: number, producerEpoch: number, commit: boolean): Promise<number> {
    const status = this.coordinatorStatus(transactionalId);
    if (status !== ErrorCode.NONE) return status;
    const m = this.txns.get(transactionalId);
    if (m !== undefined && m.producerId === producerId && m.producerEpoch === producerEpoch) {
      // Retries and mismatches, decided by where the transaction already is.
      if (m.state === 'CompleteCommit') return commit ? ErrorCode.NONE : ErrorCode.INVALID_TXN_STATE;
      if (m.state === 'CompleteAbort') return commit ? ErrorCode.INVALID_TXN_STATE : ErrorCode.NONE;
      if (m.state === 'PrepareCommit') return commit ? ErrorCode.CONCURRENT_TRANSACTIONS : ErrorCode.INVALID_TXN_STATE;
      if (m.state === 'PrepareAbort') return commit ? ErrorCode.INVALID_TXN_STATE : ErrorCode.CONCURRENT_TRANSACTIONS;
      if (m.state === 'Empty') return ErrorCode.INVALID_TXN_STATE;
    }
    const code = this.check(m, producerId, producerEpoch);
    if (code !== ErrorCode.NONE) return code;
    return this.complete(m!, commit);
  }

  /**
   * Applies `change` to m and writes m's record. When the write fails m is
   * put back as it was and the coordinator error comes back (retriable
   * COORDINATOR_NOT_AVAILABLE for a full disk or too few replicas,
   * NOT_COORDINATOR when the partition moved): memory never runs ahead of the log.
   */
  private async apply(m: TxnMetadata, change: () => void): Promise<number> {
    const before: TxnMetadata = { ...m, partitions: new Map(m.partitions) };
    change();
    try {
      await this.persist(m);
      return ErrorCode.NONE;
    } catch (e) {
      this.deps.onError?.(e);
      const current = this.txns.get(m.transactionalId) === m;
      if (this.byProducerId.get(m.producerId) === m) this.byProducerId.delete(m.producerId);
      Object.assign(m, before);
      if (current && m.producerId >= 0) this.byProducerId.set(m.producerId, m);
      return writeError(e);
    }
  }

  /**
   * The second phase of a commit or an abort: Prepare (after `first`, e.g. a
   * fencing epoch bump), the markers, Complete. The error when the Prepare
   * record could not be written (nothing changed, no marker written).
   */
  private async complete(m: TxnMetadata, commit: boolean, first: () => void = () => {}): Promise<number> {
    const prepared = await this.apply(m, () => {
      first();
      m.state = commit ? 'PrepareCommit' : 'PrepareAbort';
      m.lastUpdateTimestamp = this.now();
    });
    if (prepared !== ErrorCode.NONE) return prepared;
    // Not all written because this broker stopped coordinating the id: the transaction is decided
    // (Prepare is in the log) and the new coordinator writes the markers when it loads it.
    if (!(await this.writeMarkers(m, commit))) return ErrorCode.NONE;
    m.state = commit ? 'CompleteCommit' : 'CompleteAbort';
    m.lastUpdateTimestamp = this.now();
    // The markers are written: a lost Complete record only means that a restart replays Prepare and writes them again.
    await this.persist(m).catch((e: unknown) => this.deps.onError?.(e));
    return ErrorCode.NONE;
  }

  /**
   * Writes the transaction's marker to each of its partitions. A marker that
   * fails for a reason that passes (the partition's leader moved or is away,
   * too few replicas, a timeout) is tried again, with backoff, each time at
   * the partition's leader of the moment, as Kafka's marker channel does:
   * a marker given up would leave the transaction open in that partition, and
   * the producer's next transaction would run into it (a later abort marker
   * would hide records this commit acknowledged). False when this broker
   * stopped coordinating the id (or closed) before all were written.
   */
  private async writeMarkers(m: TxnMetadata, commit: boolean): Promise<boolean> {
    const written = await Promise.all([...m.partitions.values()].map(async (p) => {
      for (let attempt = 0, backoffMs = MARKER_RETRY_MIN_MS; ; attempt++) {
        // Only a partition that moved away ends this (its next coordinator writes the markers when it loads it);
        // a lease in doubt (canServe) does not: no other coordinator would take over, and the markers retry.
        if (this.closed || this.owned.get(this.partitionOf(m.transactionalId))?.state !== 'loaded') return false;
        // A partition deleted since it joined the transaction has nothing left to mark.
        if (!this.deps.partitionExists(p.topic, p.partition)) return true;
        const code = await this.deps.writeMarker(p.topic, p.partition, m.producerId, m.producerEpoch, commit, this.coordinatorEpoch(m.transactionalId));
        if (code === ErrorCode.NONE) return true;
        const retry = MARKER_RETRIABLE.has(code);
        if (!retry || attempt % 20 === 0) {
          this.deps.onError?.(new KafkaError(code, `${commit ? 'commit' : 'abort'} marker of ${m.transactionalId} to ${p.topic}-${p.partition} failed with error ${code}${retry ? '; retrying' : ''}`));
        }
        // Anything else will not pass by retrying (Kafka stops there too).
        if (!retry) return true;
        await new Promise((r) => setTimeout(r, backoffMs));
        backoffMs = Math.min(backoffMs * 2, MARKER_RETRY_MAX_MS);
      }
    }));
    return written.every(Boolean);
  }

  /** Aborts transactions open longer than their timeout, fencing the producer with a bumped epoch. */
  async abortTimedOut(): Promise<void> {
    const now = this.now();
    for (const m of this.txns.values()) {
      if (m.state !== 'Ongoing' || now - m.startTimestamp <= m.timeoutMs) continue;
      if (this.coordinatorStatus(m.transactionalId) !== ErrorCode.NONE) continue;
      try {
        await this.complete(m, false, () => this.bumpEpoch(m));
      } catch (e) {
        this.deps.onError?.(e);
      }
    }
  }

  /** Forgets ids idle past transactional.id.expiration.ms with no transaction open; writes their tombstones. */
  async expireIds(): Promise<void> {
    const expiration = this.limits.idExpirationMs;
    if (expiration === undefined) return;
    const now = this.now();
    for (const m of [...this.txns.values()]) {
      const idle = m.state === 'Empty' || m.state === 'CompleteCommit' || m.state === 'CompleteAbort';
      if (!idle || now - m.lastUpdateTimestamp < expiration) continue;
      if (this.coordinatorStatus(m.transactionalId) !== ErrorCode.NONE) continue;
      this.txns.delete(m.transactionalId);
      if (this.byProducerId.get(m.producerId) === m) this.byProducerId.delete(m.producerId);
      try {
        await this.deps.log.write(m.transactionalId, [{ key: txnKey(m.transactionalId), value: null }]);
      } catch (e) {
        this.deps.onError?.(e);
      }
    }
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
  }
}

/**
 * PRODUCER_FENCED exists since KIP-588; request versions before `since` get
 * INVALID_PRODUCER_EPOCH instead, which older clients handle the same way.
 */
export function fencedAs(errorCode: number, version: number, since: number): number {
  return errorCode === ErrorCode.PRODUCER_FENCED && version < since ? ErrorCode.INVALID_PRODUCER_EPOCH : errorCode;
}
