/**
 * CreateTopics (API 19), v0-v7.
 *
 * Behavior: replicas are placed over the live brokers as Kafka places them
 * (src/controller/placement.ts, rack-aware with broker.rack); a replication
 * factor above the live broker count is INVALID_REPLICATION_FACTOR, -1 means
 * default.replication.factor. Explicit assignments must name registered
 * brokers, none twice, the same count for every partition, partitions
 * 0..n-1 (INVALID_REPLICA_ASSIGNMENT). Configs are validated (INVALID_CONFIG, with a
 * "did you mean" for unknown names). validate_only checks without creating.
 * Existing topic: TOPIC_ALREADY_EXISTS. A name given twice in one request:
 * INVALID_REQUEST for each. Errors carry messages from v1 (kafkajs reads only
 * the code). Checks run in Kafka's order: duplicates, name, existence,
 * partitions and replication factor, assignments, configs.
 *
 * Partition limits (src/broker/partition-limits.ts), checked before anything
 * else, validate_only included: when the request's partitions add up to more
 * than max.partitions.per.request, every topic gets POLICY_VIOLATION
 * "Excessively large number of partitions per request." as from Kafka's
 * controller; a topic that would take the broker past max.broker.partitions
 * gets POLICY_VIOLATION (counted in request order, so earlier ones may fit).
 * A topic whose partition logs cannot all be created (EMFILE, ENOSPC, ...)
 * is not created at all: KAFKA_STORAGE_ERROR. The topics that pass are
 * written to the metadata together, once.
 *
 * Authorization (Kafka's ControllerApis.createTopics): CREATE on the cluster
 * or on the topic, else TOPIC_AUTHORIZATION_FAILED "Authorization failed."
 * (a refused topic counts for no limit and is not created). A created topic
 * shows its configs, partition count and replication factor only with
 * DESCRIBE_CONFIGS on it; otherwise topic_config_error_code is
 * TOPIC_AUTHORIZATION_FAILED and they are left out (-1, no configs).
 *
 * Version notes: v5+ returns the topic's configs, partition count and
 * replication factor; v7+ its topic id.
 */
import { ApiKey } from '../../wire/generated/api-keys.js';
import type { CreateTopicsRequest, CreateTopicsRequestCreatableTopic, CreateTopicsResponse, CreateTopicsResponseCreatableTopicResult } from '../../wire/generated/create-topics.js';
import { ErrorCode, KafkaError } from '../../wire/errors.js';
import type { BrokerContext } from '../broker-context.js';
import type { NewTopic } from '../topic-manager.js';
import { defineHandler, errorEntry } from '../handler.js';
import { configSourceId } from './describe-configs.js';
import { createTopicsPartitions, partitionsPerRequestError } from '../partition-limits.js';
import { AclOperation, ResourceType, allowedOnCluster, checker } from '../request-authorization.js';

function checkAssignments(ctx: BrokerContext, t: CreateTopicsRequestCreatableTopic): number {
  if (t.assignments.length === 0) return t.numPartitions;
  if (t.numPartitions !== -1 || t.replicationFactor !== -1) {
    throw new KafkaError(ErrorCode.INVALID_REQUEST, 'Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.');
  }
  const seen = new Set<number>();
  for (const a of t.assignments) {
    checkReplicas(ctx, a.brokerIds);
    if (a.brokerIds.length !== t.assignments[0]!.brokerIds.length) throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'All partitions should have the same number of replicas');
    seen.add(a.partitionIndex);
  }
  for (let p = 0; p < t.assignments.length; p++) {
    if (!seen.has(p)) throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'Partitions should be a consecutive 0-based integer sequence');
  }
  return t.assignments.length;
}

/** A partition's replicas: registered brokers, none twice (Kafka's INVALID_REPLICA_ASSIGNMENT checks). */
export function checkReplicas(ctx: BrokerContext, brokerIds: readonly number[]): void {
  if (brokerIds.length === 0) throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'The manual partition assignment includes a partition with no replicas.');
  if (new Set(brokerIds).size !== brokerIds.length) throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `The manual partition assignment includes the broker more than once: ${brokerIds.join(', ')}.`);
  const unknown = brokerIds.filter((id) => !ctx.metadata.broker(id));
  if (unknown.length) throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `The manual partition assignment includes broker(s) ${unknown.join(', ')}, but no such broker is registered.`);
}

/** Every topic of the request refused with one error. */
function failed(req: CreateTopicsRequest, errorCode: number, errorMessage: string): CreateTopicsResponse {
  return { throttleTimeMs: 0, topics: req.topics.map((t) => ({ name: t.name, errorCode, errorMessage, numPartitions: -1, replicationFactor: -1, configs: null })) };
}

export const createTopics = defineHandler<CreateTopicsRequest, CreateTopicsResponse>({
  apiKey: ApiKey.CreateTopics,
  minVersion: 0,
  maxVersion: 7,
  async handle(ctx, req, version) {
    const named = new Map<string, number>();
    for (const t of req.topics) named.set(t.name, (named.get(t.name) ?? 0) + 1);
    const mayCreate = allowedOnCluster(ctx, AclOperation.CREATE) ? () => true : checker(ctx, AclOperation.CREATE, ResourceType.TOPIC);
    const refused = (name: string) => named.get(name) === 1 && !mayCreate(name);
    const mayDescribeConfigs = checker(ctx, AclOperation.DESCRIBE_CONFIGS, ResourceType.TOPIC);
    const tooMany = partitionsPerRequestError(ctx.config, createTopicsPartitions(req.topics.filter((t) => !refused(t.name)), ctx.config.int('num.partitions')));
    if (tooMany) {
      const r = failed(req, tooMany.code, tooMany.message);
      for (const t of r.topics) if (refused(t.name)) Object.assign(t, { errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: 'Authorization failed.' });
      return r;
    }
    // The request's own checks per topic, then the topics that pass are created together (one metadata write).
    const checked = req.topics.map((t): NewTopic | Error => {
      try {
        if (named.get(t.name)! > 1) throw new KafkaError(ErrorCode.INVALID_REQUEST, 'Duplicate topic name.');
        if (refused(t.name)) throw new KafkaError(ErrorCode.TOPIC_AUTHORIZATION_FAILED, 'Authorization failed.');
        const partitions = checkAssignments(ctx, t);
        const configs = Object.fromEntries(t.configs.map((c) => [c.name, c.value]));
        const assignments = t.assignments.length ? [...t.assignments].sort((a, b) => a.partitionIndex - b.partitionIndex).map((a) => a.brokerIds) : undefined;
        return { name: t.name, partitions, replicationFactor: assignments ? assignments[0]!.length : t.replicationFactor, configs, assignments };
      } catch (err) {
        return err as Error;
      }
    });
    const created = await ctx.topics.createTopics(checked.filter((c): c is NewTopic => !(c instanceof Error)), req.validateOnly ?? false);
    let next = 0;
    const topics = req.topics.map((t, i): CreateTopicsResponseCreatableTopicResult => {
      const c = checked[i]!;
      const result = c instanceof Error ? c : created[next++]!;
      if (result instanceof Error) {
        const entry = errorEntry(ctx, result, `CreateTopics ${t.name}`);
        if (entry.errorCode === ErrorCode.KAFKA_STORAGE_ERROR) ctx.log.warn(`CreateTopics ${t.name}: ${entry.errorMessage}`);
        return { name: t.name, ...entry, numPartitions: -1, replicationFactor: -1, configs: version >= 5 ? null : undefined };
      }
      if (version >= 5 && !mayDescribeConfigs(t.name)) {
        return { name: t.name, topicId: result.id || undefined, errorCode: ErrorCode.NONE, errorMessage: null, topicConfigErrorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, numPartitions: -1, replicationFactor: -1, configs: [] };
      }
      return {
        name: t.name, topicId: result.id || undefined, errorCode: ErrorCode.NONE, errorMessage: null,
        numPartitions: result.partitions, replicationFactor: result.states[0]?.replicas.length ?? 1,
        configs: version >= 5 ? ctx.topics.effectiveConfigs(result).map((x) => ({ name: x.name, value: x.value, readOnly: false, configSource: configSourceId(x.source), isSensitive: false })) : undefined,
      };
    });
    return { throttleTimeMs: 0, topics };
  },
  errorResponse: (req, _version, errorCode, errorMessage) => failed(req, errorCode, errorMessage),
});
