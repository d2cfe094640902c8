/**
 * A compacted internal topic that a coordinator keeps its state in
 * (__consumer_offsets, __transaction_state). A key (group id, transactional
 * id) always maps to the same partition, abs(Java String.hashCode(key)) mod
 * the partition count, as in Kafka, so one key's history stays in order, and
 * the leader of that partition is the key's coordinator. The topic is created
 * when first needed (FindCoordinator, or a write) with cleanup.policy=compact,
 * the configured replication factor and, as in Kafka, segments of 100 MiB by
 * default (offsets.topic.segment.bytes, transaction.state.log.segment.bytes),
 * so that the cleaner gets inactive segments to compact long before the
 * topic's default 1 GiB.
 *
 * Writes go through the broker (InternalTopicHost.append) as the partition's
 * leader, so that they are replicated and acknowledged like an acks=all
 * produce; a refused append becomes the coordinator error Kafka's
 * coordinators answer (coordinatorError). `batches(p)` reads one partition
 * from its start, to rebuild the state of a partition this broker starts to lead.
 */
import { BatchHeader, BATCH_HEADER_SIZE } from '../wire/records/batch-header.js';
import { buildBatch } from '../wire/records/batch-builder.js';
import { ErrorCode, KafkaError } from '../wire/errors.js';

export interface StoredRecord { key: Buffer; value: Buffer | null }

/** A transactional write: the records belong to this producer's open transaction. */
export interface TxnWrite { producerId: number; producerEpoch: number }

/** Kafka's coordinator partition: abs(Java String.hashCode(key)) mod the partition count. */
export function partitionFor(key: string, partitions: number): number {
  let h = 0;
  for (let i = 0; i < key.length; i++) h = (Math.imul(h, 31) + key.charCodeAt(i)) | 0;
  const abs = h === -2147483648 ? 0 : Math.abs(h);
  return abs % partitions;
}

/** What an internal topic needs of a partition's log (reads only: writes go through the host). */
export interface InternalTopicLog {
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  read(fetchOffset: number, maxBytes: number, upperBound: number): { chunks: Buffer[]; bytes: number };
}

/**
 * What the coordinators need of the broker (it provides this): the
 * coordinator layer sits below the broker and does not import it.
 */
export interface InternalTopicHost {
  /** The topic's partition count from the metadata image; undefined when it does not exist. */
  partitionCount(topic: string): number | undefined;
  /**
   * Creates the topic (the broker caps the replication factor at the live
   * brokers); rejects with a KafkaError when refused. Resolves with its
   * partition count, also when another request created it first.
   */
  createTopic(name: string, partitions: number, replicationFactor: number, configs: Record<string, string>): Promise<{ partitions: number }>;
  /**
   * Appends a batch as the partition's leader with acks=all; resolves with
   * NONE once it is committed (the high watermark is past it), else with the
   * Kafka error code (NOT_LEADER_OR_FOLLOWER when this broker no longer leads
   * the partition, NOT_ENOUGH_REPLICAS, KAFKA_STORAGE_ERROR, REQUEST_TIMED_OUT, ...).
   */
  append(topic: string, partition: number, batch: Buffer): Promise<number>;
  /** The local log of a partition, to read when loading its state. */
  lookup(topic: string, partition: number): { log: InternalTopicLog } | undefined;
}

/**
 * The error a coordinator answers for a failed append of its records, as
 * Kafka's GroupMetadataManager and TransactionStateManager map them: losing
 * the partition (or its disk) means another broker is or will be the
 * coordinator; a shortage of replicas or a timeout is worth retrying here.
 * Records too large are the server's fault, except for an offset commit,
 * whose metadata the client chose.
 */
export function coordinatorError(appendError: number, offsetCommit = false): number {
  switch (appendError) {
    case ErrorCode.NONE: return ErrorCode.NONE;
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case ErrorCode.REQUEST_TIMED_OUT:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return ErrorCode.NOT_COORDINATOR;
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
    case ErrorCode.INVALID_FETCH_SIZE:
      return offsetCommit ? ErrorCode.INVALID_COMMIT_OFFSET_SIZE : ErrorCode.UNKNOWN_SERVER_ERROR;
    default:
      return appendError;
  }
}

/**
 * Waits for partitions to finish loading (a coordinator's `prepare`): the
 * first request for a key before its internal topic exists creates the topic
 * and waits for this broker to load the key's partition, if it leads it.
 */
export class LoadWaiters {
  private readonly waiting = new Map<number, (() => void)[]>();

  /** Resolves when `loaded(partition)` is called, or after `timeoutMs`. */
  wait(partition: number, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      const list = this.waiting.get(partition) ?? [];
      list.push(done);
      this.waiting.set(partition, list);
      function done(): void { clearTimeout(timer); resolve(); }
    });
  }

  loaded(partition: number): void {
    const list = this.waiting.get(partition);
    this.waiting.delete(partition);
    for (const done of list ?? []) done();
  }
}

/** How long the first request before the internal topic exists waits for its partition to load here. */
export const FIRST_LOAD_WAIT_MS = 5000;

export class InternalTopic {
  private creating?: Promise<number>;

  constructor(private readonly host: InternalTopicHost, readonly name: string, private readonly numPartitions: number,
    private readonly segmentBytes: number, private readonly replicationFactor = 3) {}

  /** The partition count; undefined while the topic does not exist. */
  existingPartitionCount(): number | undefined { return this.host.partitionCount(this.name); }

  /** The key's partition; while the topic does not exist, by the configured partition count it will be created with (as Kafka). */
  partitionOf(key: string): number {
    return partitionFor(key, this.existingPartitionCount() ?? this.numPartitions);
  }

  /** The partition count, creating the topic when it does not exist yet (concurrent callers share one creation). */
  ensure(): Promise<number> {
    const n = this.existingPartitionCount();
    if (n !== undefined) return Promise.resolve(n);
    this.creating ??= this.host.createTopic(this.name, this.numPartitions, this.replicationFactor,
      { 'cleanup.policy': 'compact', 'segment.bytes': String(this.segmentBytes) })
      .then((t) => t.partitions, (err: unknown) => {
        // Another request may have created it meanwhile; that is success.
        const now = this.existingPartitionCount();
        if (now !== undefined) return now;
        throw err;
      })
      .finally(() => { this.creating = undefined; });
    return this.creating;
  }

  /**
   * Appends records to the key's partition; resolves once they are committed,
   * rejects with a KafkaError carrying the coordinator's error (see
   * coordinatorError) when the append is refused, or with the fault.
   */
  async write(key: string, records: StoredRecord[], txn?: TxnWrite, offsetCommit = false): Promise<void> {
    if (records.length === 0) return;
    const p = partitionFor(key, await this.ensure());
    const now = Date.now();
    const batch = buildBatch(records.map((r) => ({ key: r.key, value: r.value, timestamp: now })),
      txn ? { producerId: txn.producerId, producerEpoch: txn.producerEpoch, transactional: true } : {});
    const code = coordinatorError(await this.host.append(this.name, p, batch), offsetCommit);
    if (code !== ErrorCode.NONE) throw new KafkaError(code, `writing to ${this.name}-${p} failed (error ${code})`);
  }

  /** Every batch of one partition (whole, records included), in log order, up to the log end as it is now. */
  *batches(partition: number): Generator<BatchHeader> {
    const log = this.host.lookup(this.name, partition)?.log;
    if (!log) return;
    const end = log.logEndOffset;
    let next = log.logStartOffset;
    while (next < end) {
      const { chunks, bytes } = log.read(next, 1 << 20, end);
      if (bytes === 0) break;
      for (const chunk of chunks) {
        for (let at = 0; at + BATCH_HEADER_SIZE <= chunk.length;) {
          const batch = new BatchHeader(chunk, at);
          at += batch.sizeInBytes;
          next = Math.max(next, batch.lastOffset + 1);
          yield batch;
        }
      }
    }
  }
}
