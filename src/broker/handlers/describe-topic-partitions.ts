/**
 * DescribeTopicPartitions (API 75), v0 (KIP-966).
 *
 * Behavior: Metadata's partition details, paged, as Kafka's broker answers
 * (DescribeTopicPartitionsRequestHandler, KRaftMetadataCache.
 * getTopicMetadataForDescribeTopicResponse). An empty topic list means every
 * topic; topics are deduplicated and answered in name order, starting at the
 * cursor's topic (names before it are skipped) and, for that topic only, at
 * the cursor's partition. At most min(response_partition_limit, 2000)
 * partitions are returned (Kafka's max.request.partition.size.limit
 * default): when a topic's partitions do not all fit, the answer stops there
 * with next_cursor at the first partition left out; when the limit is used
 * up exactly before a topic, next_cursor is that topic at partition 0.
 * Per partition: leader (-1 when there is none), leader epoch, all replicas,
 * the ISR, the replicas on fenced or unregistered brokers as offline, and
 * empty eligible leader replicas and last known ELR (Samsa has no ELR:
 * eligible leaders are always the ISR). A named topic that does not exist is
 * UNKNOWN_TOPIC_OR_PARTITION (INVALID_TOPIC_EXCEPTION when the name is not a
 * legal topic name) with a zero topic id; with an empty topic list there is
 * nothing unknown to report. A cursor naming a topic that is not in a
 * non-empty topic list is INVALID_REQUEST for every topic asked for.
 *
 * Authorization (Kafka's DescribeTopicPartitionsRequestHandler): DESCRIBE on
 * each topic. With an empty list the others are left out; a named one is
 * answered after the page with TOPIC_AUTHORIZATION_FAILED and a zero topic
 * id, outside the partition limit and the cursor's paging, as Kafka appends
 * them. Every topic of the page carries its authorized operations (always
 * computed here, unlike Metadata).
 *
 * Version notes: the specs' only version, v0 (flexible).
 */
import { ApiKey } from '../../wire/generated/api-keys.js';
import type { DescribeTopicPartitionsRequest, DescribeTopicPartitionsResponse, DescribeTopicPartitionsResponseDescribeTopicPartitionsResponsePartition as PartitionEntry, DescribeTopicPartitionsResponseDescribeTopicPartitionsResponseTopic as TopicEntry } from '../../wire/generated/describe-topic-partitions.js';
import { ZERO_UUID } from '../../wire/protocol/uuid.js';
import { ErrorCode } from '../../wire/errors.js';
import { topicNameError } from '../../controller/metadata-store.js';
import type { TopicMetadata } from '../../controller/cluster-metadata.js';
import { INTERNAL_TOPICS } from '../topic-manager.js';
import type { BrokerContext } from '../broker-context.js';
import { defineHandler } from '../handler.js';
import { AclOperation, OPERATIONS_NOT_REQUESTED, ResourceType, authorizedOperations, checker } from '../request-authorization.js';

/** Kafka's max.request.partition.size.limit default: the most partitions one answer carries. */
export const MAX_PARTITIONS_PER_RESPONSE = 2000;
const NOT_COMPUTED = OPERATIONS_NOT_REQUESTED;

function partitions(ctx: BrokerContext, t: TopicMetadata, from: number, upTo: number): PartitionEntry[] {
  const out: PartitionEntry[] = [];
  for (let p = from; p < upTo; p++) {
    const s = t.states[p];
    if (!s) continue; // a negative cursor index: Kafka skips what does not exist

    const offline = s.replicas.filter((r) => ctx.metadata.broker(r)?.fenced !== false);
    out.push({
      errorCode: ErrorCode.NONE, partitionIndex: p,
      // Kafka names a leader it has a registration for, fenced or not; a leader id without one is no leader.
      leaderId: s.leader >= 0 && ctx.metadata.broker(s.leader) ? s.leader : -1,
      leaderEpoch: s.leaderEpoch, replicaNodes: [...s.replicas], isrNodes: [...s.isr],
      eligibleLeaderReplicas: [], lastKnownElr: [], offlineReplicas: offline,
    });
  }
  return out;
}

export const describeTopicPartitions = defineHandler<DescribeTopicPartitionsRequest, DescribeTopicPartitionsResponse>({
  apiKey: ApiKey.DescribeTopicPartitions,
  minVersion: 0,
  maxVersion: 0,
  handle(ctx, req) {
    const all = req.topics.length === 0;
    const cursorTopic = req.cursor?.topicName ?? '';
    const names = [...new Set(all ? ctx.metadata.topics().map((t) => t.name) : req.topics.map((t) => t.name))]
      .filter((n) => n >= cursorTopic)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    if (req.cursor && !all && !names.includes(req.cursor.topicName)) {
      const errorCode = ErrorCode.INVALID_REQUEST;
      return { throttleTimeMs: 0, nextCursor: null, topics: req.topics.map((t): TopicEntry => ({ errorCode, name: t.name, topicId: ZERO_UUID, isInternal: false, partitions: [], topicAuthorizedOperations: NOT_COMPUTED })) };
    }

    const mayDescribe = checker(ctx, AclOperation.DESCRIBE, ResourceType.TOPIC);
    const refused = all ? [] : names.filter((n) => !mayDescribe(n)).map((name): TopicEntry => ({
      errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, name, topicId: ZERO_UUID, isInternal: false, partitions: [], topicAuthorizedOperations: NOT_COMPUTED,
    }));
    let remaining = Math.min(MAX_PARTITIONS_PER_RESPONSE, req.responsePartitionLimit);
    const topics: TopicEntry[] = [];
    let nextCursor: DescribeTopicPartitionsResponse['nextCursor'] = null;
    for (const name of names.filter((n) => mayDescribe(n))) {
      if (remaining === 0) {
        // The limit was used up exactly by the topics before: the next page starts at this one.
        nextCursor = { topicName: name, partitionIndex: 0 };
        break;
      }
      if (remaining < 0) break;
      const t = ctx.metadata.topic(name);
      if (!t) {
        if (!all) topics.push({ errorCode: topicNameError(name) ? ErrorCode.INVALID_TOPIC_EXCEPTION : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, name, topicId: ZERO_UUID, isInternal: INTERNAL_TOPICS.has(name), partitions: [], topicAuthorizedOperations: NOT_COMPUTED });
        continue;
      }
      const from = name === cursorTopic && req.cursor ? req.cursor.partitionIndex : 0;
      const upTo = Math.min(t.partitions, from + remaining);
      const listed = partitions(ctx, t, from, upTo);
      topics.push({ errorCode: ErrorCode.NONE, name, topicId: t.id, isInternal: t.internal, partitions: listed, topicAuthorizedOperations: NOT_COMPUTED });
      if (upTo < t.partitions) {
        nextCursor = { topicName: name, partitionIndex: upTo };
        break;
      }
      remaining -= listed.length;
    }
    for (const t of topics) t.topicAuthorizedOperations = authorizedOperations(ctx, ResourceType.TOPIC, t.name ?? '');
    return { throttleTimeMs: 0, topics: [...topics, ...refused], nextCursor };
  },
  errorResponse(req, _version, errorCode) {
    return { throttleTimeMs: 0, nextCursor: null, topics: req.topics.map((t) => ({ errorCode, name: t.name, topicId: ZERO_UUID, isInternal: false, partitions: [], topicAuthorizedOperations: NOT_COMPUTED })) };
  },
});
