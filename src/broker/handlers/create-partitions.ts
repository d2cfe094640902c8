/**
 * CreatePartitions (API 37), v0-v3.
 *
 * Behavior: partitions only grow (INVALID_PARTITIONS otherwise, with Kafka's
 * messages); the new partitions get empty logs and the topic's configs.
 * Assignments, if given, must list one replica set per new partition, each
 * of registered brokers without repeats (INVALID_REPLICA_ASSIGNMENT); without
 * them the new partitions are placed as CreateTopics places them, with the
 * topic's replication factor. validate_only checks
 * without changing anything; a topic named twice is INVALID_REQUEST; an
 * unknown topic UNKNOWN_TOPIC_OR_PARTITION.
 *
 * Partition limits (src/broker/partition-limits.ts), checked before anything
 * else, validate_only included: when the partitions the request adds come to
 * more than max.partitions.per.request, every topic gets POLICY_VIOLATION
 * "Excessively large number of partitions per request.", the answer Kafka's
 * CreateTopics gives (Kafka's controller lets CreatePartitions run into its
 * 10,000-record batch bound instead: UNKNOWN_SERVER_ERROR for the topic that
 * crosses it and those after). Growing past max.broker.partitions is
 * POLICY_VIOLATION for that topic. When the new partitions' logs cannot all
 * be created (EMFILE, ENOSPC, ...), none is kept and the count does not
 * change: KAFKA_STORAGE_ERROR.
 *
 * Authorization: ALTER on each topic, else TOPIC_AUTHORIZATION_FAILED (after
 * the duplicate check); a refused topic counts for no limit.
 *
 * Version notes: v0-v3 are the same on the wire but for v2+ being flexible.
 */
import { ApiKey } from '../../wire/generated/api-keys.js';
import type { CreatePartitionsRequest, CreatePartitionsRequestCreatePartitionsTopic, CreatePartitionsResponse } from '../../wire/generated/create-partitions.js';
import { ErrorCode, KafkaError } from '../../wire/errors.js';
import type { BrokerContext } from '../broker-context.js';
import { defineHandler, errorEntry } from '../handler.js';
import { partitionsPerRequestError } from '../partition-limits.js';
import { checkReplicas } from './create-topics.js';
import { AclOperation, ResourceType, checker, deniedMessage } from '../request-authorization.js';

function checkAssignments(ctx: BrokerContext, t: CreatePartitionsRequestCreatePartitionsTopic): void {
  if (!t.assignments) return;
  const current = ctx.metadata.topic(t.name)?.partitions;
  if (current !== undefined && t.count > current && t.assignments.length !== t.count - current) {
    throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Attempted to add ${t.count - current} additional partition(s), but only ${t.assignments.length} assignment(s) were specified.`);
  }
  for (const a of t.assignments) checkReplicas(ctx, a.brokerIds);
}

const assignmentsOf = (t: CreatePartitionsRequestCreatePartitionsTopic) => t.assignments?.map((a) => a.brokerIds);

/** The partitions the request adds, counting each topic named once that exists and grows. */
function partitionsAdded(ctx: BrokerContext, topics: readonly CreatePartitionsRequestCreatePartitionsTopic[], named: Map<string, number>): number {
  let total = 0;
  for (const t of topics) {
    const current = named.get(t.name) === 1 ? ctx.metadata.topic(t.name)?.partitions : undefined;
    if (current !== undefined && t.count > current) total += t.count - current;
  }
  return total;
}

/** Every topic of the request refused with one error. */
function failed(req: CreatePartitionsRequest, errorCode: number, errorMessage: string): CreatePartitionsResponse {
  return { throttleTimeMs: 0, results: req.topics.map((t) => ({ name: t.name, errorCode, errorMessage })) };
}

export const createPartitions = defineHandler<CreatePartitionsRequest, CreatePartitionsResponse>({
  apiKey: ApiKey.CreatePartitions,
  minVersion: 0,
  maxVersion: 3,
  async handle(ctx, req) {
    const named = new Map<string, number>();
    for (const t of req.topics) named.set(t.name, (named.get(t.name) ?? 0) + 1);
    const mayAlter = checker(ctx, AclOperation.ALTER, ResourceType.TOPIC);
    const refused = (name: string) => named.get(name) === 1 && !mayAlter(name);
    const tooMany = partitionsPerRequestError(ctx.config, partitionsAdded(ctx, req.topics.filter((t) => !refused(t.name)), named));
    if (tooMany) {
      const r = failed(req, tooMany.code, tooMany.message);
      for (const t of r.results) if (refused(t.name)) Object.assign(t, { errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: deniedMessage(ErrorCode.TOPIC_AUTHORIZATION_FAILED) });
      return r;
    }
    const results = [];
    // One at a time, in request order: each counts against the partition limits with those before it.
    for (const t of req.topics) {
      results.push(await (async () => {
      try {
        if (named.get(t.name)! > 1) throw new KafkaError(ErrorCode.INVALID_REQUEST, 'Duplicate topic name.');
        if (refused(t.name)) throw new KafkaError(ErrorCode.TOPIC_AUTHORIZATION_FAILED, deniedMessage(ErrorCode.TOPIC_AUTHORIZATION_FAILED));
        if (!ctx.metadata.topic(t.name)) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${t.name}' does not exist.`);
        checkAssignments(ctx, t);
        await ctx.topics.createPartitions(t.name, t.count, req.validateOnly, assignmentsOf(t));
        return { name: t.name, errorCode: ErrorCode.NONE, errorMessage: null };
      } catch (err) {
        const entry = errorEntry(ctx, err, `CreatePartitions ${t.name}`);
        if (entry.errorCode === ErrorCode.KAFKA_STORAGE_ERROR) ctx.log.warn(`CreatePartitions ${t.name}: ${entry.errorMessage}`);
        return { name: t.name, ...entry };
      }
      })());
    }
    return { throttleTimeMs: 0, results };
  },
  errorResponse: (req, _version, errorCode, errorMessage) => failed(req, errorCode, errorMessage),
});
