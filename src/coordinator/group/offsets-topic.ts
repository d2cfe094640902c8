/**
 * Group state on disk: records of the compacted internal topic
 * __consumer_offsets (Kafka's layout, group-records.ts), one partition per
 * group by hashCode (internal-topic.ts). Offsets committed inside a
 * transaction (TxnOffsetCommit) are a transactional batch of the producer;
 * the transaction's marker in the same partition commits or drops them.
 *
 * `replayPartition` reads one partition from its start when this broker
 * becomes its leader and hands each record to the coordinator, which rebuilds
 * that partition's groups and offsets; it yields to the event loop between
 * reads, so that a long log neither stalls the broker nor hides the loading
 * state from requests.
 */
import { InternalTopic, type InternalTopicHost, type StoredRecord, type TxnWrite } from '../internal-topic.js';
import { readRecords } from '../../wire/records/record-reader.js';
import { controlType, ControlType } from '../../wire/records/control-records.js';
import type { BatchHeader } from '../../wire/records/batch-header.js';
import { readKey, type GroupRecordKey } from './group-records.js';

export const OFFSETS_TOPIC = '__consumer_offsets';
export type { StoredRecord } from '../internal-topic.js';

/**
 * The __consumer_offsets topic as the coordinator uses it (OffsetsTopicStore):
 * `write` resolves when the records are committed; the coordinator serves
 * only groups of partitions it has loaded (`replayPartition`).
 */
export interface GroupStore {
  /** `offsetCommit`: the records are a commit's offsets (too large is INVALID_COMMIT_OFFSET_SIZE). */
  write(groupId: string, records: StoredRecord[], txn?: TxnWrite, offsetCommit?: boolean): Promise<void>;
  partitionOf(groupId: string): number;
  /** The partition count, creating the topic when it is missing. */
  ensure(): Promise<number>;
  /** Whether the topic exists. */
  exists(): boolean;
  /** Replays one partition; resolves false when `wanted()` turned false and the replay stopped early. */
  replayPartition(partition: number, to: GroupReplay, wanted: () => boolean): Promise<boolean>;
}

/** What replay hands over: a record (with the producer id when it is part of a transaction), or a marker. */
export interface GroupReplay {
  record(partition: number, key: GroupRecordKey, value: Buffer | null, timestamp: number, txnProducerId: number): void;
  marker(partition: number, producerId: number, commit: boolean): void;
}

/** Batches replayed between two yields to the event loop while a partition loads. */
const BATCHES_PER_TURN = 256;

export class OffsetsTopicStore implements GroupStore {
  readonly topic: InternalTopic;

  /** `replicationFactor`: offsets.topic.replication.factor (the broker caps it at the live brokers). */
  constructor(topics: InternalTopicHost, numPartitions: number, segmentBytes: number, replicationFactor = 3) {
    this.topic = new InternalTopic(topics, OFFSETS_TOPIC, numPartitions, segmentBytes, replicationFactor);
  }

  write(groupId: string, records: StoredRecord[], txn?: TxnWrite, offsetCommit = false): Promise<void> {
    return this.topic.write(groupId, records, txn, offsetCommit);
  }

  partitionOf(groupId: string): number { return this.topic.partitionOf(groupId); }
  ensure(): Promise<number> { return this.topic.ensure(); }
  exists(): boolean { return this.topic.existingPartitionCount() !== undefined; }

  async replayPartition(partition: number, to: GroupReplay, wanted: () => boolean): Promise<boolean> {
    let n = 0;
    for (const batch of this.topic.batches(partition)) {
      if (++n % BATCHES_PER_TURN === 0) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (!wanted()) return false;
      }
      replayBatch(partition, batch, to);
    }
    return true;
  }
}

function replayBatch(partition: number, batch: BatchHeader, to: GroupReplay): void {
  if (batch.isControl) {
    const type = controlType(batch);
    if (type !== undefined) to.marker(partition, batch.producerId, type === ControlType.Commit);
    return;
  }
  const txnProducerId = batch.isTransactional ? batch.producerId : -1;
  for (const r of readRecords(batch)) {
    if (!r.key) continue;
    const key = readKey(r.key);
    if (!key) continue;
    to.record(partition, key, r.value, r.timestamp, txnProducerId);
  }
}
