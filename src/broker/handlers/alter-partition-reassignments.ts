/**
 * AlterPartitionReassignments (API 45), v0.
 *
 * Behavior: as Kafka's controller (ReplicationControlManager.
 * alterPartitionReassignment) answers, each partition on its own, in request
 * order. An unknown topic is UNKNOWN_TOPIC_OR_PARTITION "Unable to find a
 * topic named <t>.", an unknown partition "Unable to find partition <t>:<p>.".
 * A target replica list is checked as Kafka checks a manual assignment
 * (validateManualPartitionAssignment: brokers in ascending order): an empty
 * list, a broker that is not registered (a fenced broker is still
 * registered) or one named twice is INVALID_REPLICA_ASSIGNMENT with Kafka's
 * message. A valid target goes to the controller, which starts the move:
 * the partition's replicas become target + those being removed, the new
 * replicas fetch from the leader, and once they are in the ISR the removed
 * ones are dropped (and leadership moves if the leader was one of them). A
 * target equal to the current replicas with no move in progress changes
 * nothing. A null target cancels the move in progress (the original replicas
 * come back) or is NO_REASSIGNMENT_IN_PROGRESS. The answer comes once the
 * move has started, not when it finishes: ListPartitionReassignments shows
 * it until then. The top-level error is NONE.
 *
 * Authorization: ALTER on the cluster, else CLUSTER_AUTHORIZATION_FAILED
 * for the request and every partition.
 *
 * Version notes: the specs' only version, v0 (flexible): no
 * allow_replication_factor_change. timeout_ms is not used: starting a move
 * is one metadata write.
 */
import { ApiKey } from '../../wire/generated/api-keys.js';
import type { AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse } from '../../wire/generated/alter-partition-reassignments.js';
import { ErrorCode, KafkaError } from '../../wire/errors.js';
import { defineHandler, errorEntry } from '../handler.js';
import type { BrokerContext } from '../broker-context.js';
import { AclOperation, allowedOnCluster, deniedMessage } from '../request-authorization.js';

interface Outcome { errorCode: number; errorMessage: string | null }

const NO_REASSIGNMENT = 'No partition reassignment is in progress.';

/** Kafka's validateManualPartitionAssignment against the registered brokers. */
export function validateAssignment(replicas: readonly number[], registered: (id: number) => boolean): string | null {
  if (replicas.length === 0) return 'The manual partition assignment includes an empty replica list.';
  const sorted = [...replicas].sort((a, b) => a - b);
  let previous: number | undefined;
  for (const brokerId of sorted) {
    if (!registered(brokerId)) return `The manual partition assignment includes broker ${brokerId}, but no such broker is registered.`;
    if (brokerId === previous) return `The manual partition assignment includes the broker ${brokerId} more than once.`;
    previous = brokerId;
  }
  return null;
}

/** The message Kafka gives with a controller's answer code. */
function outcome(code: number): Outcome {
  if (code === ErrorCode.NONE) return { errorCode: code, errorMessage: null };
  if (code === ErrorCode.NO_REASSIGNMENT_IN_PROGRESS) return { errorCode: code, errorMessage: NO_REASSIGNMENT };
  return { errorCode: code, errorMessage: null };
}

async function reassign(ctx: BrokerContext, topic: string, partition: number, replicas: number[] | null): Promise<Outcome> {
  const t = ctx.metadata.topic(topic);
  if (t === undefined) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Unable to find a topic named ${topic}.` };
  if (partition < 0 || partition >= t.partitions) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Unable to find partition ${topic}:${partition}.` };
  if (replicas !== null) {
    const invalid = validateAssignment(replicas, (id) => ctx.metadata.broker(id) !== undefined);
    if (invalid !== null) return { errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, errorMessage: invalid };
  }
  try {
    // The controller compares-and-sets the partition state; a concurrent ISR change makes it retry-able, not an error for the client.
    for (let attempt = 0; ; attempt++) {
      const code = await ctx.controller.reassignPartition(topic, partition, replicas === null ? null : [...replicas]);
      if (code !== ErrorCode.INVALID_UPDATE_VERSION || attempt >= 4) return outcome(code);
    }
  } catch (err) {
    if (err instanceof KafkaError && err.code === ErrorCode.NO_REASSIGNMENT_IN_PROGRESS) return outcome(err.code);
    return errorEntry(ctx, err, `AlterPartitionReassignments ${topic}-${partition}`);
  }
}

/** The error on the request and on every partition (Kafka's getErrorResponse). */
function failAll(req: AlterPartitionReassignmentsRequest, errorCode: number, errorMessage: string): AlterPartitionReassignmentsResponse {
  return {
    throttleTimeMs: 0, errorCode, errorMessage,
    responses: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode, errorMessage })) })),
  };
}

export const alterPartitionReassignments = defineHandler<AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse>({
  apiKey: ApiKey.AlterPartitionReassignments,
  minVersion: 0,
  maxVersion: 0,
  async handle(ctx, req) {
    if (!allowedOnCluster(ctx, AclOperation.ALTER)) return failAll(req, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, deniedMessage(ErrorCode.CLUSTER_AUTHORIZATION_FAILED));
    const responses: AlterPartitionReassignmentsResponse['responses'] = [];
    for (const t of req.topics) {
      const partitions = [];
      for (const p of t.partitions) partitions.push({ partitionIndex: p.partitionIndex, ...(await reassign(ctx, t.name, p.partitionIndex, p.replicas)) });
      responses.push({ name: t.name, partitions });
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, responses };
  },
  errorResponse: (req, _version, errorCode, message) => failAll(req, errorCode, message),
});
