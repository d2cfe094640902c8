/**
 * Online migration between the two group protocols, as Kafka 4.0's
 * GroupMetadataManager does it (group.consumer.migration.policy):
 *
 * - Upgrade: the first consumer-protocol member to join a classic group with
 *   members turns it into a consumer group (validateOnlineUpgrade,
 *   ConsumerGroup.fromClassicGroup). Every classic member becomes a member of
 *   the consumer group that keeps speaking the classic protocol: its epoch is
 *   the classic generation, its subscription and assignment are read from the
 *   ConsumerProtocol bytes it joined with and was given, the target
 *   assignment is what each already owns, and its session timeout and
 *   protocols are kept as its classic member metadata.
 * - Downgrade: when the last consumer-protocol member leaves a group whose
 *   other members all speak the classic protocol, it becomes a classic group
 *   again (ClassicGroup.fromConsumerGroup): generation = group epoch, each
 *   member's target assignment encoded as its classic assignment, and a
 *   rebalance to follow.
 *
 * The ConsumerProtocol payloads are read and written here too: a classic
 * member's subscription (topics, owned partitions, rack) and the assignment
 * SyncGroup hands it, in the version of the subscription it sent.
 */
import { ErrorCode, KafkaError } from '../../wire/errors.js';
import { Reader } from '../../wire/protocol/reader.js';
import { Writer } from '../../wire/protocol/writer.js';
import { decodeConsumerProtocolSubscription } from '../../wire/generated/consumer-protocol-subscription.js';
import { decodeConsumerProtocolAssignment, encodeConsumerProtocolAssignment } from '../../wire/generated/consumer-protocol-assignment.js';
import { ClassicGroup, type Member } from './classic-group.js';
import { MemberState, type Assignment, type ConsumerGroup, type ConsumerMember, type SubscribedTopic } from './consumer-group.js';
import { downgradeEnabled, upgradeEnabled, type ConsumerGroupConfig } from './consumer-group-config.js';
import type { ConsumerGroupRecord } from './consumer-group-records.js';
import type { GroupTopics } from './group-topics.js';
import type { OwnedPartitions } from './current-assignment.js';

/** The highest ConsumerProtocol version this broker reads; newer payloads are read as it (their extra fields are appended). */
const MAX_VERSION = 3;
const versionOf = (buf: Buffer): number => Math.min(buf.readInt16BE(0), MAX_VERSION);

export interface ClassicSubscription {
  topics: string[];
  /** What the member says it owns (v1+), by topic name; [] for v0 (an eager member owns nothing when it rejoins). */
  ownedPartitions: { topic: string; partitions: number[] }[];
  rackId: string | null;
}

/** A ConsumerProtocol subscription; throws (the caller's error) when the bytes do not parse. */
export function readSubscription(buf: Buffer): ClassicSubscription {
  if (buf.length < 2) throw new Error('subscription too short');
  const s = decodeConsumerProtocolSubscription(new Reader(buf, 2), versionOf(buf));
  return { topics: s.topics, ownedPartitions: s.ownedPartitions ?? [], rackId: s.rackId ?? null };
}

/** Partitions by topic id from partitions by topic name (topics that no longer exist are dropped). */
export function byTopicId(parts: readonly { topic: string; partitions: readonly number[] }[], topics: GroupTopics): Assignment {
  const out: Assignment = new Map();
  for (const t of parts) {
    const id = topics.topic(t.topic)?.id;
    if (id === undefined || t.partitions.length === 0) continue;
    const set = out.get(id) ?? new Set<number>();
    for (const p of t.partitions) set.add(p);
    out.set(id, set);
  }
  return out;
}

export const ownedByTopicId = (parts: readonly { topic: string; partitions: readonly number[] }[], topics: GroupTopics): OwnedPartitions[] =>
  [...byTopicId(parts, topics)].map(([topicId, p]) => ({ topicId, partitions: [...p] }));

/**
 * A ConsumerProtocol assignment of `a`, by topic name, in the version of
 * `subscription` (the member reads back what it speaks).
 */
export function writeAssignment(a: Assignment, topics: GroupTopics, subscription: Buffer | undefined): Buffer {
  const version = subscription && subscription.length >= 2 ? Math.max(0, versionOf(subscription)) : 0;
  const assignedPartitions = [...a]
    .map(([id, parts]) => ({ topic: topics.topicById(id)?.name, partitions: [...parts].sort((x, y) => x - y) }))
    .filter((t): t is { topic: string; partitions: number[] } => t.topic !== undefined && t.partitions.length > 0)
    .sort((x, y) => (x.topic < y.topic ? -1 : x.topic > y.topic ? 1 : 0));
  const w = new Writer(64);
  w.int16(version);
  encodeConsumerProtocolAssignment(w, { assignedPartitions, userData: null }, version);
  return w.toBuffer();
}

function readAssignment(buf: Buffer): { topic: string; partitions: number[] }[] {
  if (buf.length === 0) return []; // a member that joined but was never given an assignment
  if (buf.length < 2) throw new Error('assignment too short');
  return decodeConsumerProtocolAssignment(new Reader(buf, 2), versionOf(buf)).assignedPartitions;
}

/**
 * Kafka's validateOnlineUpgrade: why a classic group with members cannot
 * become a consumer group now (null when it can). Kafka logs the reason and
 * answers GROUP_ID_NOT_FOUND "Group <id> is not a consumer group."
 */
export function upgradeRefusal(g: ClassicGroup, config: ConsumerGroupConfig): string | null {
  if (!upgradeEnabled(config.migrationPolicy)) return `Cannot upgrade classic group ${g.groupId} to consumer group because the online upgrade is disabled.`;
  if (g.protocolType !== 'consumer') return `Cannot upgrade classic group ${g.groupId} to consumer group because the group does not use the consumer embedded protocol.`;
  if (g.members.size > config.maxSize) return `Cannot upgrade classic group ${g.groupId} to consumer group because the group size exceeds the consumer group maximum size.`;
  return null;
}

/**
 * The records that turn the classic group into a consumer group with the
 * same members (Kafka's createGroupTombstoneRecords of the classic group,
 * then ConsumerGroup.createConsumerGroupRecords): the classic metadata
 * tombstone, each member's metadata, the group epoch (the generation), the
 * subscription metadata, each member's target (what it owns), the
 * assignment epoch, each member's current assignment.
 */
export function upgradeRecords(g: ClassicGroup, topics: GroupTopics, subscriptionOf: (names: ReadonlyMap<string, number>) => Map<string, SubscribedTopic>): ConsumerGroupRecord[] {
  const groupId = g.groupId;
  const epoch = g.generationId;
  const members: ConsumerMember[] = [];
  for (const m of g.members.values()) {
    const chosen = m.protocols.find((p) => p.name === g.protocolName) ?? m.protocols[0];
    let subscription: ClassicSubscription;
    let assigned: Assignment;
    try {
      subscription = readSubscription(chosen?.metadata ?? Buffer.alloc(0));
      assigned = byTopicId(readAssignment(m.assignment), topics);
    } catch {
      throw new KafkaError(ErrorCode.GROUP_ID_NOT_FOUND, `Cannot upgrade the classic group ${groupId} to consumer group because the embedded consumer protocol is malformed.`);
    }
    members.push({
      memberId: m.memberId, memberEpoch: epoch, previousMemberEpoch: epoch, state: MemberState.STABLE, instanceId: m.groupInstanceId,
      rackId: subscription.rackId, rebalanceTimeoutMs: m.rebalanceTimeoutMs, clientId: m.clientId, clientHost: m.clientHost,
      subscribedTopicNames: [...new Set(subscription.topics)].sort(), subscribedTopicRegex: '', serverAssignor: null,
      assigned, pendingRevocation: new Map(), classic: { sessionTimeoutMs: m.sessionTimeoutMs, protocols: m.protocols.map((p) => ({ name: p.name, metadata: p.metadata })) },
    });
  }
  const names = new Map<string, number>();
  for (const m of members) for (const t of m.subscribedTopicNames) names.set(t, (names.get(t) ?? 0) + 1);
  const records: ConsumerGroupRecord[] = [{ type: 'ClassicGroupTombstone', groupId }];
  for (const m of members) {
    records.push({ type: 'MemberMetadata', groupId, memberId: m.memberId, value: {
      instanceId: m.instanceId, rackId: m.rackId, clientId: m.clientId, clientHost: m.clientHost, subscribedTopicNames: [...m.subscribedTopicNames],
      subscribedTopicRegex: null, rebalanceTimeoutMs: m.rebalanceTimeoutMs, serverAssignor: null, classicMemberMetadata: m.classic,
    } });
  }
  records.push({ type: 'GroupEpoch', groupId, value: { epoch } });
  records.push({ type: 'SubscriptionMetadata', groupId, value: { topics: [...subscriptionOf(names).values()] } });
  for (const m of members) records.push({ type: 'TargetAssignmentMember', groupId, memberId: m.memberId, value: { partitions: m.assigned } });
  records.push({ type: 'TargetAssignmentEpoch', groupId, value: { assignmentEpoch: epoch } });
  for (const m of members) {
    records.push({ type: 'CurrentAssignment', groupId, memberId: m.memberId, value: { memberEpoch: epoch, previousMemberEpoch: epoch, state: MemberState.STABLE, assigned: m.assigned, pendingRevocation: new Map() } });
  }
  return records;
}

/**
 * Kafka's validateOnlineDowngradeWithFencedMember: whether removing
 * `leaving` should turn the group back into a classic one.
 */
export function shouldDowngrade(g: ConsumerGroup, leavingMemberId: string, config: ConsumerGroupConfig, classicMaxSize: number): boolean {
  if (![...g.members.values()].every((m) => m.memberId === leavingMemberId || m.classic !== null)) return false;
  if (g.members.size <= 1) return false; // nobody would be left: it just empties
  if (!downgradeEnabled(config.migrationPolicy)) return false;
  return g.members.size - 1 <= classicMaxSize;
}

/**
 * The classic group the consumer group becomes without `leavingMemberId`
 * (Kafka's ClassicGroup.fromConsumerGroup): Stable at generation = group
 * epoch, protocol chosen by the members' vote, each member's target
 * assignment as its classic assignment. The caller starts a rebalance.
 */
export function classicGroupFrom(g: ConsumerGroup, leavingMemberId: string, topics: GroupTopics): ClassicGroup {
  const c = new ClassicGroup(g.groupId, g.offsets, g.pendingTxnOffsets);
  c.state = 'Stable';
  c.generationId = g.groupEpoch;
  c.protocolType = 'consumer';
  c.stateTimestamp = Date.now();
  for (const m of g.members.values()) {
    if (m.memberId === leavingMemberId || m.classic === null) continue;
    const member: Member = {
      memberId: m.memberId, groupInstanceId: m.instanceId, clientId: m.clientId, clientHost: m.clientHost,
      sessionTimeoutMs: m.classic.sessionTimeoutMs, rebalanceTimeoutMs: m.rebalanceTimeoutMs, protocolType: 'consumer',
      protocols: m.classic.protocols.map((p) => ({ name: p.name, metadata: p.metadata })), assignment: Buffer.alloc(0),
    };
    c.members.set(m.memberId, member);
  }
  c.protocolName = c.selectProtocol();
  for (const member of c.members.values()) {
    const subscription = member.protocols.find((p) => p.name === c.protocolName)?.metadata;
    member.assignment = writeAssignment(g.targetAssignment.get(member.memberId) ?? new Map(), topics, subscription);
  }
  return c;
}
