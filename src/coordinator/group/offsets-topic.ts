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
 * state from requests. `replay` does the same for every partition at once,
 * synchronously (a single broker that leads them all, before it serves).
 */
import { InternalTopic, type InternalTopicHost, type LegacyInternalTopicHost, type StoredRecord, type TxnWrite } from '../internal-topic.js';
import { readRecords } from '../../wire/records/record-reader.js';
import { controlType, ControlType } from '../../wire/records/control-records.js';
import type { BatchHeader } from '../../wire/records/batch-header.js';
import { readKey, type GroupRecordKey } from './group-records.js';

export const OFFSETS_TOPIC = '__consumer_offsets';
export type { StoredRecord } from '../internal-topic.js';

/**
 * Where the coordinator writes its records; `write` resolves when they are
 * committed. A store that also maps groups to partitions and reads them back
 * (the __consumer_offsets topic) makes the coordinator follow partition
 * leadership: it serves only groups of partitions it has loaded.
 */
export interface GroupStore {
  /** `offsetCommit`: the records are a commit's offsets (too large is INVALID_COMMIT_OFFSET_SIZE). */
  write(groupId: string, records: StoredRecord[], txn?: TxnWrite, offsetCommit?: boolean): Promise<void>;
  partitionOf?(groupId: string): number;
  /** The partition count, creating the topic when it is missing. */
  ensure?(): Promise<number>;
  /** Whether the topic exists. */
  exists?(): boolean;
  /** Replays one partition; resolves false when `wanted()` turned false and the replay stopped early. */
  replayPartition?(partition: number, to: GroupReplay, wanted: () => boolean): Promise<boolean>;
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
  constructor(topics: InternalTopicHost | LegacyInternalTopicHost, numPartitions: number, segmentBytes: number, replicationFactor = 3) {
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

  /** Every record and marker of every partition, in log order within each partition; returns the record count. */
  replay(to: GroupReplay): number {
    let count = 0;
    const partitions = this.topic.existingPartitionCount() ?? 0;
    for (let p = 0; p < partitions; p++) for (const batch of this.topic.batches(p)) count += replayBatch(p, batch, to);
    return count;
  }
}

function replayBatch(partition: number, batch: BatchHeader, to: GroupReplay): number {
  if (batch.isControl) {
    const type = controlType(batch);
    if (type !== undefined) to.marker(partition, batch.producerId, type === ControlType.Commit);
    return 0;
  }
  let count = 0;
  const txnProducerId = batch.isTransactional ? batch.producerId : -1;
  for (const r of readRecords(batch)) {
    if (!r.key) continue;
    const key = readKey(r.key);
    if (!key) continue;
    to.record(partition, key, r.value, r.timestamp, txnProducerId);
    count++;
  }
  return count;
}
