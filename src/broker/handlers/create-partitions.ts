/**
 * CreatePartitions (API 37), v0-v3.
 *
 * Behavior: partitions only grow (INVALID_PARTITIONS otherwise, with Kafka's
 * messages); the new partitions get empty logs and the topic's configs.
 * Assignments, if given, must list one replica set per new partition, each
 * being this broker alone (INVALID_REPLICA_ASSIGNMENT). validate_only checks
 * without changing anything; a topic named twice is INVALID_REQUEST; an
 * unknown topic UNKNOWN_TOPIC_OR_PARTITION.
 *
 * Version notes: v0-v3 are the same on the wire but for v2+ being flexible.
 */
import { ApiKey } from '../../wire/generated/api-keys.js';
import type { CreatePartitionsRequest, CreatePartitionsRequestCreatePartitionsTopic, CreatePartitionsResponse } from '../../wire/generated/create-partitions.js';
import { ErrorCode, KafkaError } from '../../wire/errors.js';
import type { BrokerContext } from '../broker-context.js';
import { defineHandler, errorEntry } from '../handler.js';

function checkAssignments(ctx: BrokerContext, t: CreatePartitionsRequestCreatePartitionsTopic): void {
  if (!t.assignments) return;
  const current = ctx.metadata.topic(t.name)?.partitions;
  if (current !== undefined && t.count > current && t.assignments.length !== t.count - current) {
    throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Attempted to add ${t.count - current} additional partition(s), but only ${t.assignments.length} assignment(s) were specified.`);
  }
  if (t.assignments.some((a) => a.brokerIds.length !== 1 || a.brokerIds[0] !== ctx.nodeId)) {
    throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `New partitions must be assigned to broker ${ctx.nodeId} only (a single-broker cluster).`);
  }
}

export const createPartitions = defineHandler<CreatePartitionsRequest, CreatePartitionsResponse>({
  apiKey: ApiKey.CreatePartitions,
  minVersion: 0,
  maxVersion: 3,
  handle(ctx, req) {
    const names = req.topics.map((t) => t.name);
    const results = req.topics.map((t) => {
      try {
        if (names.indexOf(t.name) !== names.lastIndexOf(t.name)) throw new KafkaError(ErrorCode.INVALID_REQUEST, 'Duplicate topic name.');
        if (!ctx.metadata.topic(t.name)) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${t.name}' does not exist.`);
        checkAssignments(ctx, t);
        ctx.topics.createPartitions(t.name, t.count, req.validateOnly);
        return { name: t.name, errorCode: ErrorCode.NONE, errorMessage: null };
      } catch (err) {
        return { name: t.name, ...errorEntry(ctx, err, `CreatePartitions ${t.name}`) };
      }
    });
    return { throttleTimeMs: 0, results };
  },
  errorResponse(req, _version, errorCode, errorMessage) {
    return { throttleTimeMs: 0, results: req.topics.map((t) => ({ name: t.name, errorCode, errorMessage })) };
  },
});
