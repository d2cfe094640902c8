/**
 * Consumer group operations, each at the broker that answers for it:
 * ListGroups at every broker (each lists the groups it coordinates),
 * ConsumerGroupDescribe then DescribeGroups (consumer-group-describe.ts),
 * OffsetFetch, OffsetCommit, OffsetDelete and DeleteGroups at the group's
 * coordinator. Both kinds of group are covered: classic groups (JoinGroup,
 * SyncGroup) and KIP-848 consumer groups (ConsumerGroupHeartbeat); they share
 * offsets, so lag is computed the same way for both: the partition's end
 * offset (high watermark) minus the committed offset.
 */
import { ApiKey } from '../wire/generated/api-keys.js';
import { decodeListGroupsResponse, encodeListGroupsRequest } from '../wire/generated/list-groups.js';
import { decodeDescribeGroupsResponse, encodeDescribeGroupsRequest } from '../wire/generated/describe-groups.js';
import { decodeOffsetFetchResponse, encodeOffsetFetchRequest } from '../wire/generated/offset-fetch.js';
import { decodeOffsetCommitResponse, encodeOffsetCommitRequest } from '../wire/generated/offset-commit.js';
import { decodeOffsetDeleteResponse, encodeOffsetDeleteRequest } from '../wire/generated/offset-delete.js';
import { decodeDeleteGroupsResponse, encodeDeleteGroupsRequest } from '../wire/generated/delete-groups.js';
import { ErrorCode } from '../wire/errors.js';
import type { AdminConnection } from '../cli/admin-connection.js';
import type { KafkaClient } from './kafka-client.js';
import { KafkaClientError, check } from './errors.js';
import { atEveryBroker, tpKey, type TopicPartition } from './leader-routing.js';
import { listOffsetOutcomes, listOffsets } from './offsets.js';
import { describeTopic } from './topics.js';
import { decodeAssignment, decodeSubscription, type TopicPartitions } from './consumer-protocol.js';
import { describeConsumerGroups } from './consumer-group-describe.js';

export { decodeAssignment, decodeSubscription, encodeAssignment, encodeSubscription, type TopicPartitions } from './consumer-protocol.js';

export interface GroupListing {
  groupId: string;
  /** Empty, Stable, PreparingRebalance, CompletingRebalance, Dead ("" when the broker does not say: ListGroups before v4). */
  state: string;
  /** "consumer" for consumer groups, "connect", ... or "" for a group that only holds offsets. */
  protocolType: string;
  /** "classic" or "consumer" (KIP-848), from ListGroups v5; "classic" from older brokers, which have no other kind. */
  type: string;
  /** The broker that coordinates it (the one that listed it). */
  coordinator: number;
}

export interface GroupMemberDescription {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  /** Decoded for consumer groups (protocol type "consumer"), [] otherwise or while rebalancing. */
  assignment: TopicPartitions[];
  /** The topics the member subscribed to (consumer groups). */
  subscription: string[];
  /** KIP-848 members only (type "consumer"): the regular expression it subscribed with, if any. */
  subscribedTopicRegex?: string | null;
  /** KIP-848 members only: the rack the client said it is in. */
  rackId?: string | null;
  /** KIP-848 members only: the epoch of the assignment the member has reconciled to. */
  memberEpoch?: number;
  /**
   * KIP-848 members only: what the coordinator's assignor wants the member to
   * own; differs from `assignment` while it revokes or waits for partitions
   * another member still owns.
   */
  targetAssignment?: TopicPartitions[];
}

export interface GroupDescription {
  groupId: string;
  /** "classic" (described with DescribeGroups) or "consumer" (KIP-848, described with ConsumerGroupDescribe). */
  type: string;
  /** Classic: Empty, PreparingRebalance, CompletingRebalance, Stable, Dead; consumer: Empty, Assigning, Reconciling, Stable. */
  state: string;
  protocolType: string;
  /**
   * The chosen assignor: a classic group's ("range", "RoundRobinAssigner",
   * ...) while Stable or CompletingRebalance; a consumer group's server-side
   * assignor ("uniform", "range").
   */
  protocol: string;
  coordinator: number;
  /** Consumer groups only: bumped by every change of members or subscriptions. */
  groupEpoch?: number;
  /** Consumer groups only: the group epoch the target assignment was computed for. */
  assignmentEpoch?: number;
  members: GroupMemberDescription[];
}

export interface GroupOffset {
  topic: string;
  partition: number;
  /** The committed offset, -1 when none. */
  committed: number;
  /** The partition's high watermark, -1 when unknown (a deleted topic). */
  endOffset: number;
  /** endOffset - committed (never below 0); with no committed offset, the records the partition holds. */
  lag: number;
  metadata: string | null;
  /** The member assigned this partition now, null when none. */
  memberId: string | null;
}

export type ResetTarget =
  | { to: 'earliest' }
  | { to: 'latest' }
  /** The first offset at or after the timestamp (epoch ms); the end where none is. */
  | { to: 'timestamp'; timestamp: number }
  /** This offset in every chosen partition, held inside [earliest, latest]. */
  | { to: 'offset'; offset: number };

export interface ResetScope {
  /** One topic; default: every topic the group has committed offsets for. */
  topic?: string;
  /** Only these partitions of `topic` (default: all of them). */
  partitions?: number[];
}

export interface ResetOffset { topic: string; partition: number; offset: number; previous: number }

/**
 * Groups at every broker, sorted by id; `states` keeps those in one of the
 * states (ListGroups v4 filters at the broker), `types` those of one of the
 * types, "classic" or "consumer" (v5).
 */
export async function listGroups(client: KafkaClient, opts: { states?: string[]; types?: string[] } = {}): Promise<GroupListing[]> {
  const lists = await atEveryBroker(client, async (conn, nodeId) => {
    const v = conn.version(ApiKey.ListGroups, 5, 'ListGroups');
    const req = { statesFilter: v >= 4 ? opts.states ?? [] : [], typesFilter: v >= 5 ? opts.types ?? [] : [] };
    const r = await conn.request(ApiKey.ListGroups, v, (w) => encodeListGroupsRequest(w, req, v), (rd) => decodeListGroupsResponse(rd, v));
    check(r.errorCode, `ListGroups at broker ${nodeId}`);
    return r.groups.map((g) => ({ groupId: g.groupId, state: g.groupState ?? '', protocolType: g.protocolType, type: (v >= 5 && g.groupType) || 'classic', coordinator: nodeId }));
  });
  const same = (wanted: string[] | undefined, x: string) => !wanted || x === '' || wanted.some((w) => w.toLowerCase() === x.toLowerCase());
  const byId = new Map<string, GroupListing>();
  for (const g of lists.flat()) {
    // Older brokers do not filter: the same filters here.
    if (!same(opts.states, g.state) || !same(opts.types, g.type)) continue;
    byId.set(g.groupId, g);
  }
  return [...byId.values()].sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0));
}

async function coordinatorOf(client: KafkaClient, groupId: string): Promise<{ nodeId: number; conn: AdminConnection }> {
  const nodeId = await client.coordinatorId('group', groupId);
  return { nodeId, conn: await client.node(nodeId) };
}

/**
 * Groups described at their coordinators, one request per coordinator and
 * API. As Kafka's admin client: ConsumerGroupDescribe first, where the
 * broker serves it, and DescribeGroups for the groups it does not know as
 * consumer groups. An unknown group comes back in state Dead, as Kafka's
 * DescribeGroups describes it.
 */
export async function describeGroups(client: KafkaClient, groupIds: string[]): Promise<GroupDescription[]> {
  const ids = [...new Set(groupIds)];
  const coordinators = await Promise.all(ids.map((id) => client.coordinatorId('group', id)));
  const byCoordinator = new Map<number, string[]>();
  ids.forEach((id, i) => byCoordinator.set(coordinators[i]!, [...(byCoordinator.get(coordinators[i]!) ?? []), id]));
  const found = new Map<string, GroupDescription>();
  await Promise.all([...byCoordinator].map(async ([nodeId, here]) => {
    const conn = await client.node(nodeId);
    const { described, others } = await describeConsumerGroups(conn, nodeId, here);
    for (const d of described) found.set(d.groupId, d);
    if (others.length) for (const d of await describeClassicGroups(conn, nodeId, others)) found.set(d.groupId, d);
  }));
  return groupIds.map((id) => found.get(id)!);
}

/** DescribeGroups: classic groups (and unknown ones, Dead), all coordinated by `conn`'s broker. */
async function describeClassicGroups(conn: AdminConnection, nodeId: number, groupIds: string[]): Promise<GroupDescription[]> {
  const v = conn.version(ApiKey.DescribeGroups, 5, 'DescribeGroups');
  const r = await conn.request(ApiKey.DescribeGroups, v, (w) => encodeDescribeGroupsRequest(w, { groups: groupIds, includeAuthorizedOperations: false }, v), (rd) => decodeDescribeGroupsResponse(rd, v));
  return groupIds.map((groupId) => {
    const g = r.groups.find((x) => x.groupId === groupId);
    if (!g) throw new KafkaClientError(ErrorCode.UNKNOWN_SERVER_ERROR, `group ${groupId}`, 'the coordinator answered DescribeGroups without this group');
    check(g.errorCode, `group ${groupId}`);
    const consumer = g.protocolType === 'consumer';
    return {
      groupId,
      type: 'classic',
      state: g.groupState,
      protocolType: g.protocolType,
      protocol: g.protocolData,
      coordinator: nodeId,
      members: g.members.map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId ?? null,
        clientId: m.clientId,
        clientHost: m.clientHost,
        assignment: consumer ? decodeAssignment(m.memberAssignment) : [],
        subscription: consumer ? decodeSubscription(m.memberMetadata) : [],
      })).sort((a, b) => (a.memberId < b.memberId ? -1 : 1)),
    };
  });
}

/** One group; GROUP_ID_NOT_FOUND when the coordinator knows no such group (Dead). */
export async function describeGroup(client: KafkaClient, groupId: string): Promise<GroupDescription> {
  const [g] = await describeGroups(client, [groupId]);
  if (!g || g.state === 'Dead') throw new KafkaClientError(ErrorCode.GROUP_ID_NOT_FOUND, `group ${groupId}`);
  return g;
}

/** The group's committed offsets (OffsetFetch), all of them or those of `partitions` (-1: none), sorted by topic and partition. */
export async function committedOffsets(client: KafkaClient, groupId: string, partitions: TopicPartition[] | null = null): Promise<{ topic: string; partition: number; offset: number; metadata: string | null }[]> {
  const { conn } = await coordinatorOf(client, groupId);
  const v = conn.version(ApiKey.OffsetFetch, 9, 'OffsetFetch', 1);
  let topics: { name: string; partitionIndexes: number[] }[] | null = null;
  if (partitions) {
    const byTopic = new Map<string, number[]>();
    for (const p of partitions) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.partition]);
    topics = [...byTopic].map(([name, partitionIndexes]) => ({ name, partitionIndexes }));
  }
  const r = await conn.request(ApiKey.OffsetFetch, v, (w) => encodeOffsetFetchRequest(w, v >= 8
    ? { groups: [{ groupId, memberId: null, memberEpoch: -1, topics }], requireStable: false }
    : { groupId, topics, requireStable: false }, v), (rd) => decodeOffsetFetchResponse(rd, v));
  const group = v >= 8 ? r.groups?.find((g) => g.groupId === groupId) : { errorCode: r.errorCode ?? ErrorCode.NONE, topics: r.topics ?? [] };
  if (!group) throw new KafkaClientError(ErrorCode.UNKNOWN_SERVER_ERROR, `group ${groupId}`, 'the coordinator answered OffsetFetch without this group');
  check(group.errorCode, `group ${groupId}`);
  const out: { topic: string; partition: number; offset: number; metadata: string | null }[] = [];
  for (const t of group.topics) {
    for (const p of t.partitions) {
      check(p.errorCode, `group ${groupId} ${t.name}-${p.partitionIndex}`);
      out.push({ topic: t.name, partition: p.partitionIndex, offset: Number(p.committedOffset), metadata: p.metadata });
    }
  }
  return out.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
}

/**
 * The group's committed offsets and lag per partition: every partition it
 * committed and every partition a member is assigned now, sorted by topic
 * and partition. A deleted topic's partitions keep their committed offset
 * with endOffset -1 and lag 0.
 */
export async function groupOffsets(client: KafkaClient, groupId: string): Promise<GroupOffset[]> {
  const [described] = await describeGroups(client, [groupId]);
  const owner = new Map<string, string>();
  for (const m of described?.members ?? []) for (const a of m.assignment) for (const p of a.partitions) owner.set(tpKey(a.topic, p), m.memberId);
  const committed = await committedOffsets(client, groupId);
  const rows = new Map<string, { topic: string; partition: number; committed: number; metadata: string | null }>();
  for (const c of committed) if (c.offset >= 0) rows.set(tpKey(c.topic, c.partition), { topic: c.topic, partition: c.partition, committed: c.offset, metadata: c.metadata });
  for (const m of described?.members ?? []) {
    for (const a of m.assignment) for (const p of a.partitions) if (!rows.has(tpKey(a.topic, p))) rows.set(tpKey(a.topic, p), { topic: a.topic, partition: p, committed: -1, metadata: null });
  }
  const tps = [...rows.values()];
  if (tps.length === 0) return [];
  const [ends, starts] = await Promise.all([
    listOffsetOutcomes(client, tps, 'latest'),
    tps.some((x) => x.committed < 0) ? listOffsetOutcomes(client, tps.filter((x) => x.committed < 0), 'earliest') : Promise.resolve([]),
  ]);
  const startOf = new Map(starts.filter((o) => o.errorCode === ErrorCode.NONE).map((o) => [tpKey(o.item.topic, o.item.partition), o.value!.offset]));
  return tps.map((row, i) => {
    const e = ends[i]!;
    const endOffset = e.errorCode === ErrorCode.NONE ? e.value!.offset : -1;
    const from = row.committed >= 0 ? row.committed : startOf.get(tpKey(row.topic, row.partition)) ?? endOffset;
    return {
      ...row,
      endOffset,
      lag: endOffset < 0 ? 0 : Math.max(0, endOffset - from),
      memberId: owner.get(tpKey(row.topic, row.partition)) ?? null,
    };
  }).sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
}

/** The sum of the lag of every committed partition; null when the group committed nothing. */
export function totalLag(offsets: GroupOffset[]): number | null {
  const committed = offsets.filter((o) => o.committed >= 0);
  return committed.length === 0 ? null : committed.reduce((n, o) => n + o.lag, 0);
}

/** DeleteGroups at each group's coordinator: one result per group (NON_EMPTY_GROUP, GROUP_ID_NOT_FOUND, ...). */
export async function deleteGroups(client: KafkaClient, groupIds: string[]): Promise<{ groupId: string; error: KafkaClientError | null }[]> {
  return Promise.all(groupIds.map(async (groupId) => {
    const { conn } = await coordinatorOf(client, groupId);
    const v = conn.version(ApiKey.DeleteGroups, 2, 'DeleteGroups');
    const r = await conn.request(ApiKey.DeleteGroups, v, (w) => encodeDeleteGroupsRequest(w, { groupsNames: [groupId] }, v), (rd) => decodeDeleteGroupsResponse(rd, v));
    const res = r.results.find((x) => x.groupId === groupId);
    const code = res?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
    return { groupId, error: code === ErrorCode.NONE ? null : new KafkaClientError(code, `group ${groupId}`) };
  }));
}

/** Deletes one group; throws NON_EMPTY_GROUP while it has members, GROUP_ID_NOT_FOUND when there is none. */
export async function deleteGroup(client: KafkaClient, groupId: string): Promise<void> {
  const [r] = await deleteGroups(client, [groupId]);
  if (r?.error) throw r.error;
}

/**
 * Commits new offsets for an inactive group, as kafka-consumer-groups
 * --reset-offsets does: OffsetCommit with generation -1 and no member id,
 * which the coordinator takes only while the group is Empty (or unknown: it
 * is then created with these offsets). A group with members is refused
 * before anything is sent (NON_EMPTY_GROUP); a member that joined in between
 * makes the coordinator answer UNKNOWN_MEMBER_ID, thrown as it is.
 * `dryRun` computes the offsets without committing them.
 */
export async function resetGroupOffsets(client: KafkaClient, groupId: string, scope: ResetScope, target: ResetTarget, opts: { dryRun?: boolean } = {}): Promise<ResetOffset[]> {
  const [g] = await describeGroups(client, [groupId]);
  if (g && g.state !== 'Empty' && g.state !== 'Dead') {
    throw new KafkaClientError(ErrorCode.NON_EMPTY_GROUP, `group ${groupId}`, `the group is ${g.state} with ${g.members.length} member(s): offsets can only be reset while it is inactive; stop its consumers first`);
  }
  const current = await committedOffsets(client, groupId);
  let tps: TopicPartition[];
  if (scope.topic !== undefined) {
    const all = (await describeTopic(client, scope.topic)).partitions.map((p) => p.partition);
    for (const p of scope.partitions ?? []) {
      if (!all.includes(p)) throw new KafkaClientError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${scope.topic}-${p}`, `topic ${scope.topic} has partitions 0 to ${all.length - 1}`);
    }
    tps = (scope.partitions ?? all).map((partition) => ({ topic: scope.topic!, partition }));
  } else {
    if (scope.partitions) throw new KafkaClientError(ErrorCode.INVALID_REQUEST, `group ${groupId}`, 'partitions need a topic');
    tps = current.filter((c) => c.offset >= 0).map((c) => ({ topic: c.topic, partition: c.partition }));
  }
  if (tps.length === 0) return [];
  const offsets = await targetOffsets(client, tps, target);
  const previous = new Map(current.map((c) => [tpKey(c.topic, c.partition), c.offset]));
  const result = tps.map((tp, i) => ({ ...tp, offset: offsets[i]!, previous: previous.get(tpKey(tp.topic, tp.partition)) ?? -1 }));
  if (opts.dryRun) return result;

  const { conn } = await coordinatorOf(client, groupId);
  const v = conn.version(ApiKey.OffsetCommit, 9, 'OffsetCommit', 2);
  const byTopic = new Map<string, ResetOffset[]>();
  for (const r of result) byTopic.set(r.topic, [...(byTopic.get(r.topic) ?? []), r]);
  const res = await conn.request(ApiKey.OffsetCommit, v, (w) => encodeOffsetCommitRequest(w, {
    groupId,
    generationIdOrMemberEpoch: -1,
    memberId: '',
    groupInstanceId: null,
    retentionTimeMs: -1n,
    topics: [...byTopic].map(([name, ps]) => ({ name, partitions: ps.map((p) => ({ partitionIndex: p.partition, committedOffset: BigInt(p.offset), committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: '' })) })),
  }, v), (rd) => decodeOffsetCommitResponse(rd, v));
  for (const t of res.topics) for (const p of t.partitions) check(p.errorCode, `group ${groupId}`);
  return result;
}

/** Each partition's offset for a reset target. */
async function targetOffsets(client: KafkaClient, tps: TopicPartition[], target: ResetTarget): Promise<number[]> {
  if (target.to === 'earliest' || target.to === 'latest') return (await listOffsets(client, tps, target.to)).map((o) => o.offset);
  const latest = await listOffsets(client, tps, 'latest');
  if (target.to === 'timestamp') {
    const found = await listOffsets(client, tps, target.timestamp);
    return found.map((o, i) => (o.offset >= 0 ? o.offset : latest[i]!.offset));
  }
  if (!Number.isInteger(target.offset) || target.offset < 0) throw new KafkaClientError(ErrorCode.INVALID_REQUEST, 'offset reset', `not an offset: ${target.offset}`);
  const earliest = await listOffsets(client, tps, 'earliest');
  return tps.map((_, i) => Math.min(Math.max(target.offset, earliest[i]!.offset), latest[i]!.offset));
}

/**
 * OffsetDelete: forgets the group's committed offsets of a topic's
 * partitions (all of them by default). GROUP_SUBSCRIBED_TO_TOPIC while a
 * member still consumes the topic.
 */
export async function deleteGroupOffsets(client: KafkaClient, groupId: string, topic: string, partitions?: number[]): Promise<void> {
  const ps = partitions ?? (await describeTopic(client, topic)).partitions.map((p) => p.partition);
  const { conn } = await coordinatorOf(client, groupId);
  const v = conn.version(ApiKey.OffsetDelete, 0, 'OffsetDelete');
  const r = await conn.request(ApiKey.OffsetDelete, v, (w) => encodeOffsetDeleteRequest(w, { groupId, topics: [{ name: topic, partitions: ps.map((partitionIndex) => ({ partitionIndex })) }] }, v), (rd) => decodeOffsetDeleteResponse(rd, v));
  check(r.errorCode, `group ${groupId}`);
  for (const t of r.topics) for (const p of t.partitions) check(p.errorCode, `group ${groupId} ${t.name}-${p.partitionIndex}`);
}
