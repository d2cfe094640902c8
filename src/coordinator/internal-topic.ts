/**
 * A compacted internal topic that a coordinator keeps its state in
 * (__consumer_offsets, __transaction_state). A key (group id, transactional
 * id) always maps to the same partition, abs(Java String.hashCode(key)) mod
 * the partition count, as in Kafka, so one key's history stays in order. The
 * topic is created on the first write with cleanup.policy=compact and, as in
 * Kafka, segments of 100 MiB by default (offsets.topic.segment.bytes,
 * transaction.state.log.segment.bytes), so that the cleaner gets inactive
 * segments to compact long before the topic's default 1 GiB.
 *
 * `batches` reads every partition from its start (state rebuild at start-up).
 */
import { BatchHeader, BATCH_HEADER_SIZE } from '../wire/records/batch-header.js';
import { buildBatch } from '../wire/records/batch-builder.js';

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

/** What an internal topic needs of a partition's log. */
export interface InternalTopicLog {
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  append(records: Buffer, leaderEpoch: number): { done: Promise<unknown> };
  read(fetchOffset: number, maxBytes: number, upperBound: number): { chunks: Buffer[]; bytes: number };
}

/**
 * What the coordinators need of the broker's topics (the broker's
 * TopicManager provides it): the coordinator layer sits below the broker and
 * does not import it.
 */
export interface InternalTopicHost {
  /** The topic's partition count; undefined when it does not exist. */
  partitionCount(topic: string): number | undefined;
  /** Creates the topic (throws when refused); returns it with its partition count. */
  createTopic(name: string, partitions: number, replicationFactor: number, configs: Record<string, string>): { partitions: number };
  lookup(topic: string, partition: number): { log: InternalTopicLog; leaderEpoch: number } | undefined;
}

export class InternalTopic {
  constructor(private readonly topics: InternalTopicHost, readonly name: string, private readonly numPartitions: number, private readonly segmentBytes: number) {}

  /** The partition count, creating the topic when it does not exist yet. */
  partitionCount(): number {
    return this.topics.partitionCount(this.name)
      ?? this.topics.createTopic(this.name, this.numPartitions, 1, { 'cleanup.policy': 'compact', 'segment.bytes': String(this.segmentBytes) }).partitions;
  }

  partitionOf(key: string): number { return partitionFor(key, this.partitionCount()); }

  /** Appends records to the key's partition; resolves when they are in the log. */
  write(key: string, records: StoredRecord[], txn?: TxnWrite): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    let p: number;
    // Creating the topic can be refused (max.broker.partitions) or fail (EMFILE): a rejection, as for a failed append.
    try { p = this.partitionOf(key); } catch (err) { return Promise.reject(err); }
    const handle = this.topics.lookup(this.name, p);
    if (!handle) return Promise.reject(new Error(`${this.name}-${p} is missing`));
    const now = Date.now();
    const batch = buildBatch(records.map((r) => ({ key: r.key, value: r.value, timestamp: now })),
      txn ? { producerId: txn.producerId, producerEpoch: txn.producerEpoch, transactional: true } : {});
    return handle.log.append(batch, handle.leaderEpoch).done.then(() => undefined);
  }

  /** Every batch of every partition (whole, records included), in log order within each partition. */
  *batches(): Generator<{ partition: number; batch: BatchHeader }> {
    const partitions = this.topics.partitionCount(this.name) ?? 0;
    for (let p = 0; p < partitions; p++) {
      const log = this.topics.lookup(this.name, p)?.log;
      if (!log) continue;
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
            yield { partition: p, batch };
          }
        }
      }
    }
  }
}
