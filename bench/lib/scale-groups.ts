import { WireClient } from '../../compat-tests/helpers/wire-client.js';
import { ApiKey } from '../../src/wire/generated/api-keys.js';
import { encodeJoinGroupRequest, decodeJoinGroupResponse } from '../../src/wire/generated/join-group.js';
import { encodeSyncGroupRequest, decodeSyncGroupResponse } from '../../src/wire/generated/sync-group.js';
import { encodeHeartbeatRequest, decodeHeartbeatResponse } from '../../src/wire/generated/heartbeat.js';
import { encodeDescribeGroupsRequest, decodeDescribeGroupsResponse } from '../../src/wire/generated/describe-groups.js';

/**
 * Consumer-group members over the wire (JoinGroup v5, SyncGroup v3,
 * Heartbeat v3) with the generated codecs: 200 kafkajs consumers in one
 * process would measure kafkajs, and each would also fetch; these members
 * only keep their group Stable, which is the group coordinator's own cost.
 */
const MEMBER_ID_REQUIRED = 79;
const SESSION_MS = 30_000;

export interface GroupMember { groupId: string; memberId: string; generationId: number; client: WireClient }

/** Subscription metadata of the consumer protocol v0: version, topics, no user data. */
function subscription(topic: string): Buffer {
  const name = Buffer.from(topic);
  const b = Buffer.alloc(2 + 4 + 2 + name.length + 4);
  b.writeInt16BE(0, 0);
  b.writeInt32BE(1, 2);
  b.writeInt16BE(name.length, 6);
  name.copy(b, 8);
  b.writeInt32BE(-1, 8 + name.length);
  return b;
}

/** Joins `groupId` as its only member and syncs an empty assignment: the group is Stable when this resolves. */
export async function joinAlone(host: string, port: number, groupId: string, topic: string): Promise<GroupMember> {
  const client = await WireClient.connect(host, port);
  let memberId = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const join = await client.request(ApiKey.JoinGroup, 5, (w) => encodeJoinGroupRequest(w, {
      groupId, sessionTimeoutMs: SESSION_MS, rebalanceTimeoutMs: SESSION_MS, memberId, groupInstanceId: null,
      protocolType: 'consumer', protocols: [{ name: 'range', metadata: subscription(topic) }],
    }, 5), (r) => decodeJoinGroupResponse(r, 5));
    if (join.errorCode === MEMBER_ID_REQUIRED) { memberId = join.memberId; continue; }
    if (join.errorCode !== 0) throw new Error(`JoinGroup ${groupId}: error ${join.errorCode}`);
    memberId = join.memberId;
    const sync = await client.request(ApiKey.SyncGroup, 3, (w) => encodeSyncGroupRequest(w, {
      groupId, generationId: join.generationId, memberId, groupInstanceId: null,
      assignments: [{ memberId, assignment: Buffer.alloc(0) }],
    }, 3), (r) => decodeSyncGroupResponse(r, 3));
    if (sync.errorCode !== 0) throw new Error(`SyncGroup ${groupId}: error ${sync.errorCode}`);
    return { groupId, memberId, generationId: join.generationId, client };
  }
  throw new Error(`JoinGroup ${groupId}: no member id after 3 tries`);
}

/** One heartbeat; throws on an error code (a rebalance would mean the group left Stable). */
export async function heartbeat(m: GroupMember): Promise<void> {
  const res = await m.client.request(ApiKey.Heartbeat, 3, (w) => encodeHeartbeatRequest(w, {
    groupId: m.groupId, generationId: m.generationId, memberId: m.memberId, groupInstanceId: null,
  }, 3), (r) => decodeHeartbeatResponse(r, 3));
  if (res.errorCode !== 0) throw new Error(`Heartbeat ${m.groupId}: error ${res.errorCode}`);
}

/** States of the given groups as the coordinator reports them (DescribeGroups v4 over one connection). */
export async function groupStates(host: string, port: number, groupIds: string[]): Promise<Record<string, number>> {
  const client = await WireClient.connect(host, port);
  try {
    const res = await client.request(ApiKey.DescribeGroups, 4, (w) => encodeDescribeGroupsRequest(w, { groups: groupIds, includeAuthorizedOperations: false }, 4),
      (r) => decodeDescribeGroupsResponse(r, 4));
    const count: Record<string, number> = {};
    for (const g of res.groups) count[g.groupState] = (count[g.groupState] ?? 0) + 1;
    return count;
  } finally {
    client.close();
  }
}
