/**
 * ListPartitionReassignments (API 46), v0.
 *
 * Behavior: the partitions with a reassignment in progress (replicas being
 * added or removed in their state), as Kafka's controller lists them
 * (ReplicationControlManager.listPartitionReassignments): each with its full
 * current replica list (target and replicas still to drop), the adding and
 * the removing replicas. A null topic list means every partition of every
 * topic; otherwise the partitions asked for, in request order, where unknown
 * topics and partitions and those not moving are left out without an error,
 * and a topic with nothing listed is not in the answer.
 *
 * Authorization: DESCRIBE on the cluster, else CLUSTER_AUTHORIZATION_FAILED
 * and no topics.
 *
 * Version notes: the specs' only version, v0 (flexible). timeout_ms is not
 * used: the answer is read from this broker's metadata image.
 */
import { ApiKey } from '../../wire/generated/api-keys.js';
import type { ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse, ListPartitionReassignmentsResponseOngoingTopicReassignment } from '../../wire/generated/list-partition-reassignments.js';
import type { BrokerContext } from '../broker-context.js';
import { ErrorCode } from '../../wire/errors.js';
import { defineHandler } from '../handler.js';
import { AclOperation, allowedOnCluster, deniedMessage } from '../request-authorization.js';

function ongoing(ctx: BrokerContext, topic: string, partitions: Iterable<number>): ListPartitionReassignmentsResponseOngoingTopicReassignment | undefined {
  const listed = [];
  for (const p of partitions) {
    const s = ctx.metadata.partition(topic, p);
    if (!s || (s.addingReplicas.length === 0 && s.removingReplicas.length === 0)) continue;
    listed.push({ partitionIndex: p, replicas: [...s.replicas], addingReplicas: [...s.addingReplicas], removingReplicas: [...s.removingReplicas] });
  }
  return listed.length ? { name: topic, partitions: listed } : undefined;
}

export const listPartitionReassignments = defineHandler<ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse>({
  apiKey: ApiKey.ListPartitionReassignments,
  minVersion: 0,
  maxVersion: 0,
  handle(ctx, req) {
    if (!allowedOnCluster(ctx, AclOperation.DESCRIBE)) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: deniedMessage(ErrorCode.CLUSTER_AUTHORIZATION_FAILED), topics: [] };
    }
    const asked = req.topics ?? ctx.metadata.topics().map((t) => ({ name: t.name, partitionIndexes: t.states.map((_, p) => p) }));
    const topics = asked.flatMap((t) => ongoing(ctx, t.name, t.partitionIndexes) ?? []);
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, topics };
  },
  errorResponse(_req, _version, errorCode, message) {
    return { throttleTimeMs: 0, errorCode, errorMessage: message, topics: [] };
  },
});
