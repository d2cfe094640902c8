/**
 * Members of a consumer group that speak the classic protocol (Kafka 4.0's
 * classicGroupJoinToConsumerGroup, classicGroupSyncToConsumerGroup,
 * classicGroupHeartbeatToConsumerGroup, classicGroupLeaveToConsumerGroup):
 * classic members a group kept through an online upgrade, or classic
 * consumers that join a consumer group.
 *
 * - JoinGroup is the member's heartbeat with its subscription: the topics
 *   and owned partitions are read from the ConsumerProtocol subscription, the
 *   group epoch and target assignment move as for a consumer-protocol member,
 *   and the member reconciles against what it says it owns (an eager member
 *   rejoining owns nothing, so its revocations are done). The answer comes
 *   once the records are written, generation = member epoch, with no leader:
 *   the broker assigns, so nobody sends an assignment.
 * - SyncGroup hands the member its assigned partitions (those it may own
 *   now, without the ones still to be released by others), encoded as a
 *   ConsumerProtocol assignment.
 * - Heartbeat answers REBALANCE_IN_PROGRESS when the member must rejoin: the
 *   group epoch moved past it, it has partitions to revoke, or partitions it
 *   waited for are free now. It then has its rebalance timeout to rejoin.
 * - LeaveGroup removes the members named and bumps the group epoch.
 */
import { randomUUID } from 'node:crypto';
import { ErrorCode, KafkaError } from '../../wire/errors.js';
import type { JoinResult } from './classic-group.js';
import { MemberState, newMember, type ConsumerGroup, type ConsumerMember } from './consumer-group.js';
import type { ConsumerGroupRecord } from './consumer-group-records.js';
import { currentAssignmentRecord, memberMetadataRecord, removeMemberRecords, type ConsumerGroupHost, type ConsumerHeartbeats } from './consumer-heartbeat.js';
import { ownedByTopicId, readSubscription, writeAssignment, type ClassicSubscription } from './consumer-group-migration.js';

export interface ClassicJoin {
  groupId: string; memberId: string; groupInstanceId: string | null; clientId: string; clientHost: string;
  sessionTimeoutMs: number; rebalanceTimeoutMs: number; protocolType: string; protocols: { name: string; metadata: Buffer }[];
  requireKnownMemberId: boolean;
}

export interface ClassicSyncResult { errorCode: number; assignment: Buffer; protocolType: string | null; protocolName: string | null }

const joinError = (errorCode: number, memberId = ''): JoinResult => ({ errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', memberId, members: [] });
const codeOf = (e: unknown): number => { if (e instanceof KafkaError) return e.code; throw e; };

export class ClassicMembers {
  constructor(private readonly host: ConsumerGroupHost, private readonly heartbeats: ConsumerHeartbeats) {}

  async join(group: ConsumerGroup, req: ClassicJoin): Promise<JoinResult> {
    const unknown = req.memberId === '';
    const memberId = unknown ? randomUUID() : req.memberId;
    let member: ConsumerMember;
    let reconciled: ConsumerMember;
    let written: Promise<void>;
    try {
      if (group.members.size >= this.host.config.maxSize && !group.members.has(memberId)) {
        throw new KafkaError(ErrorCode.GROUP_MAX_SIZE_REACHED, `The consumer group has reached its maximum capacity of ${this.host.config.maxSize} members.`);
      }
      if (!supportsClassicProtocols(group, req.protocolType, req.protocols)) throw new KafkaError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, `Member ${memberId}'s protocols are not supported.`);
      // KIP-394: a dynamic member without an id is handed one to join with.
      if (unknown && req.requireKnownMemberId && req.groupInstanceId === null) return joinError(ErrorCode.MEMBER_ID_REQUIRED, memberId);
      let subscription: ClassicSubscription;
      try {
        subscription = readSubscription(req.protocols[0]!.metadata);
      } catch {
        throw new KafkaError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, `Member ${memberId}'s subscription could not be read.`);
      }
      const records: ConsumerGroupRecord[] = [];
      member = req.groupInstanceId === null ? this.dynamicMember(group, memberId) : this.staticMember(group, memberId, req.groupInstanceId, unknown, records);
      const updated: ConsumerMember = {
        ...member,
        instanceId: req.groupInstanceId ?? member.instanceId,
        rackId: subscription.rackId ?? member.rackId,
        rebalanceTimeoutMs: req.rebalanceTimeoutMs !== -1 ? req.rebalanceTimeoutMs : member.rebalanceTimeoutMs,
        subscribedTopicNames: [...new Set(subscription.topics)].sort(),
        clientId: req.clientId,
        clientHost: req.clientHost,
        classic: { sessionTimeoutMs: req.sessionTimeoutMs, protocols: req.protocols.map((p) => ({ name: p.name, metadata: p.metadata })) },
      };
      ({ reconciled, written } = this.heartbeats.advance(group, member, updated, ownedByTopicId(subscription.ownedPartitions, this.host.topics), () => true, records));
      await written;
    } catch (e) {
      return joinError(codeOf(e), req.memberId);
    }
    this.heartbeats.cancelJoinTimeout(group.groupId, memberId);
    this.heartbeats.scheduleSessionTimeout(group.groupId, memberId);
    this.heartbeats.scheduleSyncTimeout(group.groupId, memberId, req.rebalanceTimeoutMs);
    return {
      errorCode: ErrorCode.NONE, generationId: reconciled.memberEpoch, protocolType: 'consumer', protocolName: req.protocols[0]!.name,
      leader: '', memberId, members: [],
    };
  }

  sync(group: ConsumerGroup, memberId: string, groupInstanceId: string | null, generationId: number, protocolType: string | null, protocolName: string | null): ClassicSyncResult {
    const answer = (errorCode: number, assignment: Buffer = Buffer.alloc(0)): ClassicSyncResult => ({ errorCode, assignment, protocolType: errorCode === ErrorCode.NONE ? 'consumer' : null, protocolName: null });
    let m: ConsumerMember;
    try {
      m = this.classicMember(group, memberId, groupInstanceId);
      if (generationId !== m.memberEpoch) return answer(ErrorCode.ILLEGAL_GENERATION);
      const name = m.classic!.protocols[0]!.name;
      if ((protocolType !== null && protocolType !== 'consumer') || (protocolName !== null && protocolName !== name)) return answer(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
      this.throwIfRebalanceInProgress(group, m);
    } catch (e) {
      return answer(codeOf(e));
    }
    this.heartbeats.cancelSyncTimeout(group.groupId, m.memberId);
    this.heartbeats.scheduleSessionTimeout(group.groupId, m.memberId);
    const r = answer(ErrorCode.NONE, writeAssignment(m.assigned, this.host.topics, m.classic!.protocols[0]!.metadata));
    return { ...r, protocolName: m.classic!.protocols[0]!.name };
  }

  heartbeat(group: ConsumerGroup, memberId: string, groupInstanceId: string | null, generationId: number): number {
    let m: ConsumerMember;
    try {
      m = this.classicMember(group, memberId, groupInstanceId);
    } catch (e) {
      return codeOf(e);
    }
    if (generationId !== m.memberEpoch) return ErrorCode.ILLEGAL_GENERATION;
    this.heartbeats.scheduleSessionTimeout(group.groupId, m.memberId);
    // Rejoin when the group moved on, when partitions are to be revoked, or when partitions it waited for were released.
    if (m.memberEpoch < group.groupEpoch || m.state === MemberState.UNREVOKED_PARTITIONS
      || (m.state === MemberState.UNRELEASED_PARTITIONS && !waitingOnUnreleasedPartition(group, m))) {
      this.heartbeats.scheduleJoinTimeoutIfAbsent(group.groupId, m.memberId, m.rebalanceTimeoutMs);
      return ErrorCode.REBALANCE_IN_PROGRESS;
    }
    return ErrorCode.NONE;
  }

  /** LeaveGroup to a consumer group: each classic member named goes (an empty member id with an instance id: an admin's removal). */
  leave(group: ConsumerGroup, members: { memberId: string; groupInstanceId: string | null }[]): { memberId: string; groupInstanceId: string | null; errorCode: number }[] {
    return members.map((x) => {
      let m: ConsumerMember | undefined;
      try {
        if (x.groupInstanceId === null) {
          m = group.members.get(x.memberId);
          if (!m) throw new KafkaError(ErrorCode.UNKNOWN_MEMBER_ID);
        } else {
          m = group.staticMember(x.groupInstanceId);
          if (!m) throw new KafkaError(ErrorCode.UNKNOWN_MEMBER_ID);
          if (x.memberId !== '' && m.memberId !== x.memberId) throw new KafkaError(ErrorCode.FENCED_INSTANCE_ID);
        }
        if (m.classic === null) throw new KafkaError(ErrorCode.UNKNOWN_MEMBER_ID);
      } catch (e) {
        return { ...x, errorCode: codeOf(e) };
      }
      const live = this.host.groups.get(group.groupId);
      // Kafka's classic leave removes the member with no downgrade check.
      if (live?.type === 'consumer') this.heartbeats.fence(live, m, `member ${m.memberId} left`, false).catch(() => {});
      return { memberId: m.memberId, groupInstanceId: x.groupInstanceId, errorCode: ErrorCode.NONE };
    });
  }

  /** Kafka's validateConsumerGroupMember, then throwIfMemberDoesNotUseClassicProtocol. */
  private classicMember(group: ConsumerGroup, memberId: string, instanceId: string | null): ConsumerMember {
    let m: ConsumerMember | undefined;
    if (instanceId === null) {
      m = group.members.get(memberId);
      if (!m) throw new KafkaError(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${memberId} is not a member of group ${group.groupId}.`);
    } else {
      m = group.staticMember(instanceId);
      if (!m) throw new KafkaError(ErrorCode.UNKNOWN_MEMBER_ID, `Member with instance id ${instanceId} is not a member of group ${group.groupId}.`);
      if (m.memberId !== memberId) throw new KafkaError(ErrorCode.FENCED_INSTANCE_ID);
    }
    if (m.classic === null) throw new KafkaError(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${m.memberId} does not use the classic protocol.`);
    return m;
  }

  private throwIfRebalanceInProgress(group: ConsumerGroup, m: ConsumerMember): void {
    if (group.groupEpoch > m.memberEpoch && m.state !== MemberState.UNREVOKED_PARTITIONS) {
      this.heartbeats.scheduleJoinTimeoutIfAbsent(group.groupId, m.memberId, m.rebalanceTimeoutMs);
      throw new KafkaError(ErrorCode.REBALANCE_IN_PROGRESS, `A new rebalance is triggered in group ${group.groupId} and member ${m.memberId} should rejoin to catch up.`);
    }
  }

  /** A classic join creates the member when its id is unknown (Kafka does not fence classic joins by epoch); a consumer-protocol member's id is refused. */
  private dynamicMember(group: ConsumerGroup, memberId: string): ConsumerMember {
    const m = group.members.get(memberId);
    if (m && m.classic === null) throw new KafkaError(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${memberId} does not use the classic protocol.`);
    return m ?? newMember(memberId);
  }

  /**
   * A static classic member: its own member id, a new instance, or the
   * instance rejoining without a member id (a restart), which replaces the
   * old member and takes its assignment.
   */
  private staticMember(group: ConsumerGroup, memberId: string, instanceId: string, unknown: boolean, records: ConsumerGroupRecord[]): ConsumerMember {
    const existing = group.staticMember(instanceId);
    if (!existing) return newMember(memberId);
    if (existing.memberId === memberId) return existing;
    if (!unknown) throw new KafkaError(ErrorCode.FENCED_INSTANCE_ID, `Static member ${memberId} with instance id ${instanceId} was fenced by member ${existing.memberId}.`);
    const successor: ConsumerMember = { ...existing, memberId, memberEpoch: 0, previousMemberEpoch: 0 };
    records.push(...removeMemberRecords(group.groupId, existing.memberId));
    records.push(memberMetadataRecord(group.groupId, successor));
    records.push({ type: 'TargetAssignmentMember', groupId: group.groupId, memberId, value: { partitions: group.targetAssignment.get(existing.memberId) ?? new Map() } });
    records.push(currentAssignmentRecord(group.groupId, successor));
    this.heartbeats.forget(group.groupId, existing.memberId);
    return successor;
  }
}

/**
 * Kafka's ConsumerGroup.supportsClassicProtocols: type "consumer", and a
 * protocol every classic member of the group supports.
 */
function supportsClassicProtocols(group: ConsumerGroup, protocolType: string, protocols: readonly { name: string }[]): boolean {
  if (protocolType !== 'consumer' || protocols.length === 0) return false;
  const classic = [...group.members.values()].filter((m) => m.classic !== null);
  return protocols.some((p) => classic.every((m) => m.classic!.protocols.some((q) => q.name === p.name)));
}

/** Kafka's waitingOnUnreleasedPartition: a partition of its target is still owned by another member. */
function waitingOnUnreleasedPartition(group: ConsumerGroup, m: ConsumerMember): boolean {
  for (const [topicId, parts] of group.targetAssignment.get(m.memberId) ?? new Map<string, Set<number>>()) {
    const assigned = m.assigned.get(topicId);
    for (const p of parts) if (!assigned?.has(p) && group.partitionEpoch(topicId, p) !== -1) return true;
  }
  return false;
}
