/**
 * Group state on disk: records of the compacted internal topic
 * __consumer_offsets (Kafka's layout, group-records.ts). A group's records go
 * to partition abs(hashCode(groupId)) mod the topic's partition count, so one
 * group's history stays in order. The topic is created on the first write with
 * offsets.topic.num.partitions partitions and cleanup.policy=compact; the
 * cleaner keeps the last record per key and drops tombstones later.
 *
 * `replay` reads every partition from its start at broker start-up and hands
 * each record to the coordinator, which rebuilds groups and offsets from them.
 */
import type { TopicManager } from '../../broker/topic-manager.js';
import { BatchHeader, BATCH_HEADER_SIZE } from '../../wire/records/batch-header.js';
import { buildBatch } from '../../wire/records/batch-builder.js';
import { readRecords } from '../../wire/records/record-reader.js';
import { partitionFor, readKey, type GroupRecordKey } from './group-records.js';

export const OFFSETS_TOPIC = '__consumer_offsets';

export interface StoredRecord { key: Buffer; value: Buffer | null }

/** Where the coordinator writes its records; `write` resolves when they are in the log. */
export interface GroupStore {
  write(groupId: string, records: StoredRecord[]): Promise<void>;
}

export class OffsetsTopicStore implements GroupStore {
  constructor(private readonly topics: TopicManager, private readonly numPartitions: number) {}

  private partitionCount(): number {
    const t = this.topics.metadata.topic(OFFSETS_TOPIC)
      ?? this.topics.createTopic(OFFSETS_TOPIC, this.numPartitions, 1, { 'cleanup.policy': 'compact' });
    return t.partitions;
  }

  write(groupId: string, records: StoredRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    const p = partitionFor(groupId, this.partitionCount());
    const handle = this.topics.lookup(OFFSETS_TOPIC, p);
    if (!handle) return Promise.reject(new Error(`${OFFSETS_TOPIC}-${p} is missing`));
    const now = Date.now();
    return handle.log.append(buildBatch(records.map((r) => ({ key: r.key, value: r.value, timestamp: now }))), handle.leaderEpoch).done.then(() => undefined);
  }

  /** Every record of every partition, in log order within each partition. */
  replay(apply: (key: GroupRecordKey, value: Buffer | null, timestamp: number) => void): number {
    const t = this.topics.metadata.topic(OFFSETS_TOPIC);
    if (!t) return 0;
    let count = 0;
    for (let p = 0; p < t.partitions; p++) {
      const log = this.topics.lookup(OFFSETS_TOPIC, p)?.log;
      if (!log) continue;
      const end = log.logEndOffset;
      let next = log.logStartOffset;
      while (next < end) {
        const { chunks, bytes } = log.read(next, 1 << 20, end);
        if (bytes === 0) break;
        for (const chunk of chunks) {
          for (let at = 0; at + BATCH_HEADER_SIZE <= chunk.length;) {
            const h = new BatchHeader(chunk, at);
            at += h.sizeInBytes;
            next = Math.max(next, h.lastOffset + 1);
            if (h.isControl) continue;
            for (const r of readRecords(h)) {
              if (!r.key) continue;
              const key = readKey(r.key);
              if (!key) continue;
              apply(key, r.value, r.timestamp);
              count++;
            }
          }
        }
      }
    }
    return count;
  }
}
