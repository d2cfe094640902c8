/**
 * ConsumerGroupDescribe (API 69): the describe of KIP-848 groups, whose
 * members heartbeat with ConsumerGroupHeartbeat and whose assignment the
 * coordinator computes. DescribeGroups only knows classic groups (a consumer
 * group answers it as Dead with no members), so, as Kafka's admin client
 * does, groups are asked here first and those the coordinator does not know
 * as consumer groups (GROUP_ID_NOT_FOUND: classic or unknown) or cannot
 * describe this way (the API or the version not served) are handed back for
 * DescribeGroups.
 */
import { ApiKey } from '../wire/generated/api-keys.js';
import {
  decodeConsumerGroupDescribeResponse, encodeConsumerGroupDescribeRequest,
  type ConsumerGroupDescribeResponseAssignment, type ConsumerGroupDescribeResponseDescribedGroup,
} from '../wire/generated/consumer-group-describe.js';
import { ErrorCode } from '../wire/errors.js';
import type { AdminConnection } from '../cli/admin-connection.js';
import { check } from './errors.js';
import type { TopicPartitions } from './consumer-protocol.js';
import type { GroupDescription } from './groups.js';

/** Sorted by topic and partition, as the classic groups' decoded assignments are. */
function byTopicName(a: ConsumerGroupDescribeResponseAssignment): TopicPartitions[] {
  return a.topicPartitions
    .map((tp) => ({ topic: tp.topicName, partitions: [...tp.partitions].sort((x, y) => x - y) }))
    .sort((x, y) => (x.topic < y.topic ? -1 : x.topic > y.topic ? 1 : 0));
}

function description(g: ConsumerGroupDescribeResponseDescribedGroup, coordinator: number): GroupDescription {
  return {
    groupId: g.groupId,
    type: 'consumer',
    state: g.groupState,
    // What DescribeGroups says of a classic group of consumers; the assignor is the broker's, chosen per group.
    protocolType: 'consumer',
    protocol: g.assignorName,
    coordinator,
    groupEpoch: g.groupEpoch,
    assignmentEpoch: g.assignmentEpoch,
    members: g.members.map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.instanceId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      assignment: byTopicName(m.assignment),
      subscription: [...m.subscribedTopicNames].sort(),
      subscribedTopicRegex: m.subscribedTopicRegex,
      rackId: m.rackId,
      memberEpoch: m.memberEpoch,
      targetAssignment: byTopicName(m.targetAssignment),
    })).sort((a, b) => (a.memberId < b.memberId ? -1 : 1)),
  };
}

/** The highest ConsumerGroupDescribe version both sides speak, or null when the broker does not serve it. */
function supportedVersion(conn: AdminConnection): number | null {
  try {
    return conn.version(ApiKey.ConsumerGroupDescribe, 0, 'ConsumerGroupDescribe');
  } catch {
    return null;
  }
}

/**
 * The groups (all coordinated by `conn`'s broker) that are consumer groups,
 * described; `others` are those to describe with DescribeGroups. Any other
 * refusal (GROUP_AUTHORIZATION_FAILED, TOPIC_AUTHORIZATION_FAILED for a group
 * assigned topics the principal may not describe, NOT_COORDINATOR, ...) is
 * thrown, as DescribeGroups' are.
 */
export async function describeConsumerGroups(conn: AdminConnection, coordinator: number, groupIds: string[]): Promise<{ described: GroupDescription[]; others: string[] }> {
  const v = supportedVersion(conn);
  if (v === null || groupIds.length === 0) return { described: [], others: groupIds };
  const r = await conn.request(ApiKey.ConsumerGroupDescribe, v,
    (w) => encodeConsumerGroupDescribeRequest(w, { groupIds, includeAuthorizedOperations: false }, v),
    (rd) => decodeConsumerGroupDescribeResponse(rd, v));
  const described: GroupDescription[] = [];
  const others: string[] = [];
  for (const id of groupIds) {
    const g = r.groups.find((x) => x.groupId === id);
    if (!g || g.errorCode === ErrorCode.GROUP_ID_NOT_FOUND || g.errorCode === ErrorCode.UNSUPPORTED_VERSION) {
      others.push(id);
      continue;
    }
    check(g.errorCode, `group ${id}`, g.errorMessage);
    described.push(description(g, coordinator));
  }
  return { described, others };
}
