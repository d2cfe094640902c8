/**
 * Transaction state on disk: records of the compacted internal topic
 * __transaction_state (Kafka's layout, txn-records.ts), one partition per
 * transactional id by hashCode (internal-topic.ts).
 */
import { InternalTopic, type InternalTopicHost, type StoredRecord } from '../internal-topic.js';
import { readRecords } from '../../wire/records/record-reader.js';
import { readTxnKey } from './txn-records.js';

export const TXN_STATE_TOPIC = '__transaction_state';

export class TxnStateTopic {
  private readonly topic: InternalTopic;

  constructor(topics: InternalTopicHost, numPartitions: number, segmentBytes: number) {
    this.topic = new InternalTopic(topics, TXN_STATE_TOPIC, numPartitions, segmentBytes);
  }

  write(transactionalId: string, records: StoredRecord[]): Promise<void> {
    return this.topic.write(transactionalId, records);
  }

  /** Every record in log order within each partition (a transactional id lives in one partition). */
  *records(): Generator<{ transactionalId: string; value: Buffer | null }> {
    for (const { batch } of this.topic.batches()) {
      if (batch.isControl) continue;
      for (const r of readRecords(batch)) {
        const id = r.key ? readTxnKey(r.key) : undefined;
        if (id !== undefined) yield { transactionalId: id, value: r.value };
      }
    }
  }
}
