/**
 * The console's consumer group routes: the list with each group's type and
 * total lag, a group's members (with a KIP-848 group's epochs and current and
 * target assignments), committed offsets and lag per partition with its
 * lag-over-time history, offset resets of an inactive group, and delete.
 * The broker's refusals come through as they are: NON_EMPTY_GROUP (409) for
 * a reset or delete while consumers are in the group, GROUP_ID_NOT_FOUND (404).
 */
import type { KafkaClient } from '../client/kafka-client.js';
import { deleteGroup, describeGroup, describeGroups, groupOffsets, listGroups, resetGroupOffsets, totalLag, type GroupDescription, type GroupListing, type ResetTarget } from '../client/groups.js';
import { KafkaClientError } from '../client/errors.js';
import type { GroupDetail, GroupOffset, GroupSummary, ResetOffsetsRequest } from './console-api-types.js';
import type { LagHistory } from './console-lag-history.js';
import { HttpError } from './route.js';

function summary(d: GroupDescription, lag: number | null): GroupSummary {
  const s: GroupSummary = { groupId: d.groupId, state: d.state, type: d.type, protocolType: d.protocolType, protocol: d.protocol, members: d.members.length, coordinator: d.coordinator, totalLag: lag };
  if (d.groupEpoch !== undefined) s.groupEpoch = d.groupEpoch;
  if (d.assignmentEpoch !== undefined) s.assignmentEpoch = d.assignmentEpoch;
  return s;
}

/** As the listing has it: a group the console may list but not describe (a consumer group assigned a topic the user may not describe). */
const asListed = (g: GroupListing): GroupDescription => ({ groupId: g.groupId, type: g.type, state: g.state, protocolType: g.protocolType, protocol: '', coordinator: g.coordinator, members: [] });

const unlessRefused = <T>(fallback: T) => (e: unknown): T => { if (e instanceof KafkaClientError) return fallback; throw e; };

export async function groupSummaries(client: KafkaClient): Promise<GroupSummary[]> {
  const listed = await listGroups(client);
  if (listed.length === 0) return [];
  // One refusal must not hide the other groups: described together, and one by one only when that fails.
  const described = await describeGroups(client, listed.map((g) => g.groupId))
    .catch(() => Promise.all(listed.map((g) => describeGroups(client, [g.groupId]).then(([d]) => d!, unlessRefused(asListed(g))))));
  return Promise.all(listed.map(async (g, i) => {
    const d = described[i]!;
    // A group whose offsets this user may not read (or whose topic went away) is still listed, without a lag.
    const lag = await groupOffsets(client, g.groupId).then(totalLag, unlessRefused(null));
    return summary({ ...d, protocolType: d.protocolType || g.protocolType, coordinator: g.coordinator }, lag);
  }));
}

export async function groupDetail(client: KafkaClient, groupId: string, history: LagHistory): Promise<GroupDetail> {
  const [d, offsets] = await Promise.all([describeGroup(client, groupId), groupOffsets(client, groupId)]);
  const lag = totalLag(offsets);
  const lagHistory = history.viewed(groupId, lag, async () => totalLag(await groupOffsets(client, groupId)));
  return {
    ...summary(d, lag),
    memberDetails: d.members.map((m) => ({
      memberId: m.memberId, groupInstanceId: m.groupInstanceId, clientId: m.clientId, clientHost: m.clientHost, assignment: m.assignment, subscription: m.subscription,
      ...(d.type === 'consumer' ? { subscribedTopicRegex: m.subscribedTopicRegex ?? null, rackId: m.rackId ?? null, memberEpoch: m.memberEpoch, targetAssignment: m.targetAssignment ?? [] } : {}),
    })),
    offsets,
    lagHistory,
  };
}

const badBody = (message: string) => new HttpError(400, 'BAD_REQUEST', message);
const TARGETS = ['earliest', 'latest', 'timestamp', 'offset'];

function wholeNumber(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw badBody(`${what} must be a whole number, got ${JSON.stringify(v)}`);
  return v;
}

/** The reset target and scope from the request body, checked. */
function resetRequest(body: unknown): { scope: { topic?: string; partitions?: number[] }; target: ResetTarget } {
  const b = (body ?? {}) as Partial<Record<keyof ResetOffsetsRequest, unknown>>;
  if (typeof b !== 'object' || !TARGETS.includes(b.to as string)) throw badBody(`body must be {"to": ${TARGETS.map((x) => `"${x}"`).join(' | ')}, "topic"?, "partitions"?, "timestamp"?, "offset"?}`);
  if (b.topic !== undefined && (typeof b.topic !== 'string' || b.topic === '')) throw badBody('topic must be a topic name');
  if (b.partitions !== undefined && (!Array.isArray(b.partitions) || b.partitions.length === 0)) throw badBody('partitions must be a non-empty array of partition numbers');
  const partitions = (b.partitions as unknown[] | undefined)?.map((p) => wholeNumber(p, 'a partition'));
  if (partitions && b.topic === undefined) throw badBody('partitions need a topic');
  let target: ResetTarget;
  if (b.to === 'timestamp') target = { to: 'timestamp', timestamp: wholeNumber(b.timestamp, 'timestamp (epoch ms)') };
  else if (b.to === 'offset') target = { to: 'offset', offset: wholeNumber(b.offset, 'offset') };
  else target = { to: b.to as 'earliest' | 'latest' };
  return { scope: { topic: b.topic as string | undefined, partitions }, target };
}

/** Moves the committed offsets and answers the group's offsets afterwards (every partition it has, the moved ones among them). */
export async function resetGroupFromBody(client: KafkaClient, groupId: string, body: unknown): Promise<GroupOffset[]> {
  const { scope, target } = resetRequest(body);
  await resetGroupOffsets(client, groupId, scope, target);
  return groupOffsets(client, groupId);
}

export async function deleteGroupById(client: KafkaClient, groupId: string): Promise<{ deleted: string }> {
  await deleteGroup(client, groupId);
  return { deleted: groupId };
}
