/**
 * Group state on disk: records of the compacted internal topic
 * __consumer_offsets (Kafka's layout, group-records.ts), one partition per
 * group by hashCode (internal-topic.ts). Offsets committed inside a
 * transaction (TxnOffsetCommit) are a transactional batch of the producer;
 * the transaction's marker in the same partition commits or drops them.
 *
 * `replay` reads every partition from its start at broker start-up and hands
 * each record to the coordinator, which rebuilds groups and offsets from them.
 */
import { InternalTopic, type InternalTopicHost, type StoredRecord, type TxnWrite } from '../internal-topic.js';
import { readRecords } from '../../wire/records/record-reader.js';
import { controlType, ControlType } from '../../wire/records/control-records.js';
import { readKey, type GroupRecordKey } from './group-records.js';

export const OFFSETS_TOPIC = '__consumer_offsets';
export type { StoredRecord } from '../internal-topic.js';

/** Where the coordinator writes its records; `write` resolves when they are in the log. */
export interface GroupStore {
  write(groupId: string, records: StoredRecord[], txn?: TxnWrite): Promise<void>;
}

/** What replay hands over: a record (with the producer id when it is part of a transaction), or a marker. */
export interface GroupReplay {
  record(partition: number, key: GroupRecordKey, value: Buffer | null, timestamp: number, txnProducerId: number): void;
  marker(partition: number, producerId: number, commit: boolean): void;
}

export class OffsetsTopicStore implements GroupStore {
  readonly topic: InternalTopic;

  constructor(topics: InternalTopicHost, numPartitions: number, segmentBytes: number) {
    this.topic = new InternalTopic(topics, OFFSETS_TOPIC, numPartitions, segmentBytes);
  }

  write(groupId: string, records: StoredRecord[], txn?: TxnWrite): Promise<void> {
    return this.topic.write(groupId, records, txn);
  }

  /** Every record and marker of every partition, in log order within each partition; returns the record count. */
  replay(to: GroupReplay): number {
    let count = 0;
    for (const { partition, batch } of this.topic.batches()) {
      if (batch.isControl) {
        const type = controlType(batch);
        if (type !== undefined) to.marker(partition, batch.producerId, type === ControlType.Commit);
        continue;
      }
      const txnProducerId = batch.isTransactional ? batch.producerId : -1;
      for (const r of readRecords(batch)) {
        if (!r.key) continue;
        const key = readKey(r.key);
        if (!key) continue;
        to.record(partition, key, r.value, r.timestamp, txnProducerId);
        count++;
      }
    }
    return count;
  }
}
