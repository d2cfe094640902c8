/**
 * ConsumerGroupDescribe (API 69), v0: a consumer-protocol (KIP-848) group
 * as Kafka's coordinator describes it: state (Empty, Assigning, Reconciling,
 * Stable), group epoch, assignment epoch, the assignor in use (the one most
 * members asked for, else the default), and each member with its epoch,
 * subscription, current assignment and target assignment (topic ids and
 * names).
 *
 * Errors: GROUP_ID_NOT_FOUND for an unknown group ("Group X not found.") or
 * a classic one ("Group X is not a consumer group."); INVALID_GROUP_ID for an
 * empty id; NOT_COORDINATOR / COORDINATOR_LOAD_IN_PROGRESS when this broker
 * does not serve the group's __consumer_offsets partition (yet).
 *
 * Authorization: DESCRIBE on each group, else GROUP_AUTHORIZATION_FAILED
 * for it; as Kafka 4.0, a group whose members' assignments name a topic the
 * principal may not DESCRIBE is answered TOPIC_AUTHORIZATION_FAILED without
 * members. With include_authorized_operations, each group answered without
 * an error carries its authorized operations bit field.
 */
import { ApiKey } from '../../wire/generated/api-keys.js';
import type {
  ConsumerGroupDescribeRequest, ConsumerGroupDescribeResponse, ConsumerGroupDescribeResponseDescribedGroup, ConsumerGroupDescribeResponseAssignment,
} from '../../wire/generated/consumer-group-describe.js';
import { defineHandler } from '../handler.js';
import { ErrorCode } from '../../wire/errors.js';
import type { BrokerContext } from '../broker-context.js';
import type { Assignment, ConsumerGroup } from '../../coordinator/group/consumer-group.js';
import { AclOperation, OPERATIONS_NOT_REQUESTED, ResourceType, allowed, authorizedOperations, checker } from '../request-authorization.js';

const row = (groupId: string, errorCode: number, errorMessage: string | null = null): ConsumerGroupDescribeResponseDescribedGroup => ({
  errorCode, errorMessage, groupId, groupState: '', groupEpoch: 0, assignmentEpoch: 0, assignorName: '', members: [], authorizedOperations: OPERATIONS_NOT_REQUESTED,
});

/** Topics Kafka knows by id; partitions of a topic gone from the metadata are left out, as Kafka does. */
function assignment(ctx: BrokerContext, a: Assignment): ConsumerGroupDescribeResponseAssignment {
  const topicPartitions = [];
  for (const [topicId, parts] of a) {
    const topicName = ctx.groups.topicName(topicId);
    if (topicName !== undefined) topicPartitions.push({ topicId, topicName, partitions: [...parts].sort((x, y) => x - y) });
  }
  return { topicPartitions };
}

function describe(ctx: BrokerContext, g: ConsumerGroup): ConsumerGroupDescribeResponseDescribedGroup {
  return {
    errorCode: ErrorCode.NONE, errorMessage: null, groupId: g.groupId, groupState: g.state, groupEpoch: g.groupEpoch, assignmentEpoch: g.assignmentEpoch,
    assignorName: g.preferredAssignor() ?? ctx.groups.consumerConfig.assignors[0] ?? 'uniform',
    members: [...g.members.values()].map((m) => ({
      memberId: m.memberId, instanceId: m.instanceId, rackId: m.rackId, memberEpoch: m.memberEpoch, clientId: m.clientId, clientHost: m.clientHost,
      subscribedTopicNames: [...m.subscribedTopicNames], subscribedTopicRegex: m.subscribedTopicRegex === '' ? null : m.subscribedTopicRegex,
      assignment: assignment(ctx, m.assigned), targetAssignment: assignment(ctx, g.targetAssignment.get(m.memberId) ?? new Map()),
    })),
    authorizedOperations: OPERATIONS_NOT_REQUESTED,
  };
}

export const consumerGroupDescribe = defineHandler<ConsumerGroupDescribeRequest, ConsumerGroupDescribeResponse>({
  apiKey: ApiKey.ConsumerGroupDescribe,
  minVersion: 0,
  maxVersion: 0,
  async handle(ctx, req) {
    const mayDescribe = new Map(req.groupIds.map((id) => [id, allowed(ctx, AclOperation.DESCRIBE, ResourceType.GROUP, id)]));
    await Promise.all(req.groupIds.filter((id) => id !== '' && mayDescribe.get(id)).map((id) => ctx.groups.prepare(id)));
    const mayDescribeTopic = checker(ctx, AclOperation.DESCRIBE, ResourceType.TOPIC);
    const groups = req.groupIds.map((id) => {
      if (!mayDescribe.get(id)) return row(id, ErrorCode.GROUP_AUTHORIZATION_FAILED);
      if (id === '') return row(id, ErrorCode.INVALID_GROUP_ID);
      const status = ctx.groups.coordinatorStatus(id);
      if (status !== ErrorCode.NONE) return row(id, status);
      const any = ctx.groups.anyGroup(id);
      if (!any) return row(id, ErrorCode.GROUP_ID_NOT_FOUND, `Group ${id} not found.`);
      if (any.type !== 'consumer') return row(id, ErrorCode.GROUP_ID_NOT_FOUND, `Group ${id} is not a consumer group.`);
      const d = describe(ctx, any);
      // Clients are not shown topics they may not describe: the whole group is refused instead (Kafka 4.0).
      const named = d.members.flatMap((m) => [...m.assignment.topicPartitions, ...m.targetAssignment.topicPartitions].map((tp) => tp.topicName));
      if (!named.every(mayDescribeTopic)) return row(id, ErrorCode.TOPIC_AUTHORIZATION_FAILED, 'The group has described topic(s) that the client is not authorized to describe.');
      if (req.includeAuthorizedOperations) d.authorizedOperations = authorizedOperations(ctx, ResourceType.GROUP, id);
      return d;
    });
    return { throttleTimeMs: 0, groups };
  },
  errorResponse(req, _version, errorCode, message) {
    return { throttleTimeMs: 0, groups: req.groupIds.map((id) => row(id, errorCode, message)) };
  },
});
