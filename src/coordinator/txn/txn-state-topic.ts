/**
 * Transaction state on disk: records of the compacted internal topic
 * __transaction_state (Kafka's layout, txn-records.ts), one partition per
 * transactional id by hashCode (internal-topic.ts).
 */
import { InternalTopic, type InternalTopicHost, type StoredRecord } from '../internal-topic.js';
import { readRecords } from '../../wire/records/record-reader.js';
import { readTxnKey } from './txn-records.js';
import type { TxnLog } from './transaction-coordinator.js';

export const TXN_STATE_TOPIC = '__transaction_state';

/** Batches read between two yields to the event loop while a partition loads. */
const BATCHES_PER_TURN = 256;

export class TxnStateTopic implements TxnLog {
  readonly topic: InternalTopic;

  /** `replicationFactor`: transaction.state.log.replication.factor (the broker caps it at the live brokers). */
  constructor(topics: InternalTopicHost, numPartitions: number, segmentBytes: number, replicationFactor = 3) {
    this.topic = new InternalTopic(topics, TXN_STATE_TOPIC, numPartitions, segmentBytes, replicationFactor);
  }

  write(transactionalId: string, records: StoredRecord[]): Promise<void> {
    return this.topic.write(transactionalId, records);
  }

  partitionOf(transactionalId: string): number { return this.topic.partitionOf(transactionalId); }
  ensure(): Promise<number> { return this.topic.ensure(); }
  exists(): boolean { return this.topic.existingPartitionCount() !== undefined; }

  /** One partition's records in log order, yielding to the event loop now and then. */
  async *partitionRecords(partition: number): AsyncGenerator<{ transactionalId: string; value: Buffer | null }> {
    let n = 0;
    for (const batch of this.topic.batches(partition)) {
      if (++n % BATCHES_PER_TURN === 0) await new Promise<void>((resolve) => setImmediate(resolve));
      if (batch.isControl) continue;
      for (const r of readRecords(batch)) {
        const id = r.key ? readTxnKey(r.key) : undefined;
        if (id !== undefined) yield { transactionalId: id, value: r.value };
      }
    }
  }
}
