/**
 * CreateTopics (API 19), v0-v7.
 *
 * Behavior: one broker, so the replication factor must be 1 or -1 (default);
 * anything else is INVALID_REPLICATION_FACTOR. Explicit assignments must name
 * only this broker, one replica per partition, partitions 0..n-1
 * (INVALID_REPLICA_ASSIGNMENT). Configs are validated (INVALID_CONFIG, with a
 * "did you mean" for unknown names). validate_only checks without creating.
 * Existing topic: TOPIC_ALREADY_EXISTS. A name given twice in one request:
 * INVALID_REQUEST for each. Errors carry messages from v1 (kafkajs reads only
 * the code). Checks run in Kafka's order: duplicates, name, existence,
 * partitions and replication factor, assignments, configs.
 *
 * Version notes: v5+ returns the topic's configs, partition count and
 * replication factor; v7+ its topic id.
 */
import { ApiKey } from '../../wire/generated/api-keys.js';
import type { CreateTopicsRequest, CreateTopicsRequestCreatableTopic, CreateTopicsResponse, CreateTopicsResponseCreatableTopicResult } from '../../wire/generated/create-topics.js';
import { ErrorCode, KafkaError } from '../../wire/errors.js';
import type { BrokerContext } from '../broker-context.js';
import { defineHandler, errorEntry } from '../handler.js';
import { configSourceId } from './describe-configs.js';

function checkAssignments(ctx: BrokerContext, t: CreateTopicsRequestCreatableTopic): number {
  if (t.assignments.length === 0) return t.numPartitions;
  if (t.numPartitions !== -1 || t.replicationFactor !== -1) {
    throw new KafkaError(ErrorCode.INVALID_REQUEST, 'Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.');
  }
  const seen = new Set<number>();
  for (const a of t.assignments) {
    if (a.brokerIds.length !== 1 || a.brokerIds[0] !== ctx.nodeId) {
      throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Partition ${a.partitionIndex} must be assigned to broker ${ctx.nodeId} only (a single-broker cluster).`);
    }
    seen.add(a.partitionIndex);
  }
  for (let p = 0; p < t.assignments.length; p++) {
    if (!seen.has(p)) throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'Partitions should be a consecutive 0-based integer sequence');
  }
  return t.assignments.length;
}

export const createTopics = defineHandler<CreateTopicsRequest, CreateTopicsResponse>({
  apiKey: ApiKey.CreateTopics,
  minVersion: 0,
  maxVersion: 7,
  handle(ctx, req, version) {
    const names = req.topics.map((t) => t.name);
    const topics = req.topics.map((t): CreateTopicsResponseCreatableTopicResult => {
      try {
        if (names.indexOf(t.name) !== names.lastIndexOf(t.name)) throw new KafkaError(ErrorCode.INVALID_REQUEST, 'Duplicate topic name.');
        const partitions = checkAssignments(ctx, t);
        const configs = Object.fromEntries(t.configs.map((c) => [c.name, c.value]));
        const created = ctx.topics.createTopic(t.name, partitions, t.assignments.length ? 1 : t.replicationFactor, configs, req.validateOnly ?? false);
        return {
          name: t.name, topicId: created.id || undefined, errorCode: ErrorCode.NONE, errorMessage: null,
          numPartitions: created.partitions, replicationFactor: 1,
          configs: version >= 5 ? ctx.topics.effectiveConfigs(created).map((c) => ({ name: c.name, value: c.value, readOnly: false, configSource: configSourceId(c.source), isSensitive: false })) : undefined,
        };
      } catch (err) {
        return { name: t.name, ...errorEntry(ctx, err, `CreateTopics ${t.name}`), numPartitions: -1, replicationFactor: -1, configs: version >= 5 ? null : undefined };
      }
    });
    return { throttleTimeMs: 0, topics };
  },
  errorResponse(req, _version, errorCode, errorMessage) {
    return { throttleTimeMs: 0, topics: req.topics.map((t) => ({ name: t.name, errorCode, errorMessage, numPartitions: -1, replicationFactor: -1, configs: null })) };
  },
});
