/**
 * ListOffsets at each partition's leader: the earliest and latest offsets,
 * the first offset at or after a timestamp, and with read_committed the last
 * stable offset (an open transaction holds it back from the high watermark).
 */
import { ApiKey } from '../wire/generated/api-keys.js';
import { decodeListOffsetsResponse, encodeListOffsetsRequest } from '../wire/generated/list-offsets.js';
import { ErrorCode } from '../wire/errors.js';
import type { KafkaClient } from './kafka-client.js';
import { KafkaClientError } from './errors.js';
import { routeToLeaders, tpKey, type Outcome, type TopicPartition } from './leader-routing.js';
import { describeTopic } from './topics.js';

/** earliest: the log start offset; latest: the end (high watermark, or LSO with read_committed); max-timestamp: the record with the largest timestamp; a number: the first record at or after that epoch ms. */
export type OffsetSpec = 'earliest' | 'latest' | 'max-timestamp' | number;
export type Isolation = 'read_uncommitted' | 'read_committed';

export interface ListedOffset {
  topic: string;
  partition: number;
  /** -1 when no record is at or after the timestamp asked for (Kafka's answer; the end offset is where such a record would go). */
  offset: number;
  /** The found record's timestamp for a timestamp lookup, -1 otherwise. */
  timestamp: number;
  leaderEpoch: number;
}

export interface PartitionOffsets {
  partition: number;
  /** The log start offset. */
  startOffset: number;
  /** The high watermark. */
  endOffset: number;
  /** The last stable offset: below endOffset while a transaction is open. */
  lastStableOffset: number;
}

const SPEC_TIMESTAMP = { earliest: -2n, latest: -1n, 'max-timestamp': -3n } as const;

/**
 * One offset per partition, at each leader (partitions of several topics at
 * once); throws the first partition's error (UNKNOWN_TOPIC_OR_PARTITION, ...).
 */
export async function listOffsets(client: KafkaClient, partitions: TopicPartition[], spec: OffsetSpec, isolation: Isolation = 'read_uncommitted'): Promise<ListedOffset[]> {
  const outcomes = await listOffsetOutcomes(client, partitions, spec, isolation);
  const failed = outcomes.find((o) => o.errorCode !== ErrorCode.NONE);
  if (failed) throw new KafkaClientError(failed.errorCode, `${failed.item.topic}-${failed.item.partition}`, failed.errorMessage ?? null);
  return outcomes.map((o) => o.value!);
}

/** listOffsets without throwing: each partition's answer or error code, in the order asked (a deleted topic's partitions among live ones). */
export async function listOffsetOutcomes(client: KafkaClient, partitions: TopicPartition[], spec: OffsetSpec, isolation: Isolation = 'read_uncommitted'): Promise<Outcome<TopicPartition, ListedOffset>[]> {
  const timestamp = typeof spec === 'number' ? BigInt(spec) : SPEC_TIMESTAMP[spec];
  // A partition asked twice in one request is refused: ask each once.
  const unique = [...new Map(partitions.map((p) => [tpKey(p.topic, p.partition), { topic: p.topic, partition: p.partition }])).values()];
  const outcomes = await routeToLeaders<TopicPartition, ListedOffset>(client, unique, async (conn, mine) => {
    const v = conn.version(ApiKey.ListOffsets, 10, 'ListOffsets', 1);
    if (spec === 'max-timestamp' && v < 7) throw new KafkaClientError(ErrorCode.UNSUPPORTED_VERSION, 'ListOffsets', 'the broker cannot look up the max timestamp (ListOffsets v7)');
    const byTopic = new Map<string, number[]>();
    for (const p of mine) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.partition]);
    const r = await conn.request(ApiKey.ListOffsets, v, (w) => encodeListOffsetsRequest(w, {
      replicaId: -1,
      isolationLevel: isolation === 'read_committed' ? 1 : 0,
      topics: [...byTopic].map(([name, ps]) => ({ name, partitions: ps.map((partitionIndex) => ({ partitionIndex, currentLeaderEpoch: -1, timestamp })) })),
      timeoutMs: 30_000,
    }, v), (rd) => decodeListOffsetsResponse(rd, v));
    const answers = new Map<string, Outcome<TopicPartition, ListedOffset>>();
    for (const t of r.topics) {
      for (const p of t.partitions) {
        answers.set(tpKey(t.name, p.partitionIndex), {
          item: { topic: t.name, partition: p.partitionIndex },
          errorCode: p.errorCode,
          value: { topic: t.name, partition: p.partitionIndex, offset: Number(p.offset ?? -1n), timestamp: Number(p.timestamp ?? -1n), leaderEpoch: p.leaderEpoch ?? -1 },
        });
      }
    }
    return mine.map((item) => answers.get(tpKey(item.topic, item.partition)) ?? { item, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
  });
  const byKey = new Map(outcomes.map((o) => [tpKey(o.item.topic, o.item.partition), o]));
  return partitions.map((p) => byKey.get(tpKey(p.topic, p.partition))!);
}

/**
 * Start, end and last stable offsets of a topic's partitions (all of them
 * unless `partitions` names some), by partition number.
 */
export async function partitionOffsets(client: KafkaClient, topic: string, partitions?: number[]): Promise<PartitionOffsets[]> {
  const ps = partitions ?? (await describeTopic(client, topic)).partitions.map((p) => p.partition);
  const tps = ps.map((partition) => ({ topic, partition }));
  const [start, end, stable] = await Promise.all([
    listOffsets(client, tps, 'earliest'),
    listOffsets(client, tps, 'latest'),
    listOffsets(client, tps, 'latest', 'read_committed'),
  ]);
  return ps.map((partition, i) => ({ partition, startOffset: start[i]!.offset, endOffset: end[i]!.offset, lastStableOffset: stable[i]!.offset }))
    .sort((a, b) => a.partition - b.partition);
}
