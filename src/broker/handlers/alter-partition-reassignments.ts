/**
 * AlterPartitionReassignments (API 45), v0.
 *
 * Behavior: as Kafka's controller (ReplicationControlManager.
 * alterPartitionReassignment) answers with one broker registered, this one.
 * Each partition is checked on its own: an unknown topic is
 * UNKNOWN_TOPIC_OR_PARTITION "Unable to find a topic named <t>.", an unknown
 * partition "Unable to find partition <t>:<p>."; the target replicas are
 * validated as a manual assignment (validateManualPartitionAssignment, brokers
 * in ascending order): an empty list, a broker that is not registered or a
 * broker named twice is INVALID_REPLICA_ASSIGNMENT with Kafka's message. The
 * only valid target is [this broker], the current replica set, and such a
 * reassignment completes at once (NONE), so none is ever in progress: a null
 * replicas list (cancel) is NO_REASSIGNMENT_IN_PROGRESS and
 * ListPartitionReassignments lists nothing. The top-level error is NONE.
 *
 * Version notes: the specs' only version, v0 (flexible). timeout_ms is not
 * needed: nothing waits.
 */
import { ApiKey } from '../../wire/generated/api-keys.js';
import type { AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse } from '../../wire/generated/alter-partition-reassignments.js';
import { ErrorCode } from '../../wire/errors.js';
import { defineHandler } from '../handler.js';
import type { BrokerContext } from '../broker-context.js';

interface Outcome { errorCode: number; errorMessage: string | null }

const NO_REASSIGNMENT = 'No partition reassignment is in progress.';

/** Kafka's validateManualPartitionAssignment with `nodeId` the only registered broker. */
function validateAssignment(replicas: readonly number[], nodeId: number): string | null {
  if (replicas.length === 0) return 'The manual partition assignment includes an empty replica list.';
  const sorted = [...replicas].sort((a, b) => a - b);
  let previous: number | undefined;
  for (const brokerId of sorted) {
    if (brokerId !== nodeId) return `The manual partition assignment includes broker ${brokerId}, but no such broker is registered.`;
    if (brokerId === previous) return `The manual partition assignment includes the broker ${brokerId} more than once.`;
    previous = brokerId;
  }
  return null;
}

function reassign(ctx: BrokerContext, topic: string, partition: number, replicas: readonly number[] | null): Outcome {
  const t = ctx.metadata.topic(topic);
  if (t === undefined) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Unable to find a topic named ${topic}.` };
  if (partition < 0 || partition >= t.partitions) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Unable to find partition ${topic}:${partition}.` };
  if (replicas === null) return { errorCode: ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, errorMessage: NO_REASSIGNMENT };
  const invalid = validateAssignment(replicas, ctx.nodeId);
  if (invalid !== null) return { errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, errorMessage: invalid };
  return { errorCode: ErrorCode.NONE, errorMessage: null };
}

export const alterPartitionReassignments = defineHandler<AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse>({
  apiKey: ApiKey.AlterPartitionReassignments,
  minVersion: 0,
  maxVersion: 0,
  handle(ctx, req) {
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      responses: req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, ...reassign(ctx, t.name, p.partitionIndex, p.replicas) })),
      })),
    };
  },
  errorResponse(req, _version, errorCode, message) {
    return {
      throttleTimeMs: 0,
      errorCode,
      errorMessage: message,
      responses: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode, errorMessage: message })) })),
    };
  },
});
