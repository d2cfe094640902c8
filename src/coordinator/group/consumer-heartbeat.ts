/**
 * ConsumerGroupHeartbeat (KIP-848) as Kafka's GroupMetadataManager serves it:
 *
 * 1. The member joins (epoch 0) or is checked (fencing: an epoch the
 *    coordinator does not know is FENCED_MEMBER_EPOCH, except the previous
 *    epoch from a member whose owned partitions are within its assignment:
 *    the answer that bumped it may have been lost). Its new subscription is
 *    written (MemberMetadata); a changed subscription, regex, or metadata of
 *    the subscribed topics bumps the group epoch (SubscriptionMetadata,
 *    GroupEpoch).
 * 2. When the group epoch passed the assignment epoch, the assignor computes
 *    a new target assignment (TargetAssignmentMember..., TargetAssignmentEpoch).
 * 3. The member's current assignment moves towards its target
 *    (current-assignment.ts; CurrentAssignment).
 *
 * The records are computed against the state as it is, then replayed into
 * memory and written; the answer goes once they are written. Each heartbeat
 * restarts the member's session timer (group.consumer.session.timeout.ms);
 * a member asked to revoke partitions has its rebalance timeout to do so,
 * else it is fenced. Leaving: epoch -1 (the member goes, its partitions are
 * reassigned), -2 for a static member that comes back (it keeps its
 * assignment until its session times out).
 *
 * Regular expressions (v1) are RE2 patterns as in Kafka (topic-regex.ts turns
 * them into RegExp), and must match a whole topic name; they are resolved on the broker
 * against the existing topics (internal ones excluded, and those the
 * heartbeating member may not DESCRIBE) when a member brings a new one and
 * again whenever topics are created or deleted.
 */
import { ErrorCode, KafkaError } from '../../wire/errors.js';
import { translateRe2 } from './topic-regex.js';
import { randomUuid, type Uuid } from '../../wire/protocol/uuid.js';
import { assignorFor } from './assignors/index.js';
import {
  ConsumerGroup, LEAVE_GROUP_MEMBER_EPOCH, LEAVE_GROUP_STATIC_MEMBER_EPOCH, MemberState, isReconciledTo, newMember, sameAssignment, sameMember,
  type Assignment, type ConsumerMember, type SubscribedTopic,
} from './consumer-group.js';
import type { ConsumerGroupConfig } from './consumer-group-config.js';
import type { ConsumerGroupRecord } from './consumer-group-records.js';
import { reconcile, type OwnedPartitions } from './current-assignment.js';
import { computeTargetAssignment } from './target-assignment.js';
import type { Group } from './group.js';
import type { ClassicGroup } from './classic-group.js';
import { replayConsumerRecord } from './consumer-group-replay.js';
import { shouldDowngrade, upgradeRecords, upgradeRefusal } from './consumer-group-migration.js';
import type { GroupTopics } from './group-topics.js';
import type { ConsumerGroupHeartbeatRequest } from '../../wire/generated/consumer-group-heartbeat.js';

/** The request's fields as decoded (the regex made required: null before v1), plus who sent it. */
export interface ConsumerHeartbeatRequest extends Omit<ConsumerGroupHeartbeatRequest, 'subscribedTopicRegex' | 'topicPartitions' | 'unknownTaggedFields'> {
  subscribedTopicRegex: string | null;
  topicPartitions: OwnedPartitions[] | null;
  clientId: string;
  clientHost: string;
  /** v1+ (KIP-1082): the client chose the member id, which must be sent. */
  apiVersion: number;
  /**
   * Whether the member's principal may DESCRIBE a topic: regexes resolve only
   * to those (Kafka 4.0 resolves them with the heartbeating member's rights).
   */
  mayDescribeTopic?: (topic: string) => boolean;
}

export interface ConsumerHeartbeatResult {
  errorCode: number;
  errorMessage: string | null;
  memberId: string | null;
  memberEpoch: number;
  heartbeatIntervalMs: number;
  /** Sent when it changed, or to a full request; null otherwise. */
  assignment: { topicId: Uuid; partitions: number[] }[] | null;
}

/** What the coordinator lends the consumer protocol. */
export interface ConsumerGroupHost {
  readonly groups: Map<string, Group>;
  readonly config: ConsumerGroupConfig;
  readonly topics: GroupTopics;
  /** NONE when the group's partition is served here. */
  status(groupId: string): number;
  /** Replays the records into memory now; resolves once they are in __consumer_offsets. */
  commit(groupId: string, records: ConsumerGroupRecord[]): Promise<void>;
  /** Told of each new group epoch (the broker logs it). */
  onRebalance(g: ConsumerGroup, reason: string): void;
  /** An online upgrade takes the classic group's members: their classic timers stop, waiting joins and syncs get REBALANCE_IN_PROGRESS. */
  retireClassicGroup(g: ClassicGroup): void;
  /** An online downgrade: the group becomes a classic group without `leavingMemberId` and rebalances; resolves once written. */
  downgrade(g: ConsumerGroup, leavingMemberId: string, reason: string): Promise<void>;
  /** group.max.size (a downgrade must fit in a classic group). */
  readonly classicMaxSize: number;
}

const invalid = (message: string) => new KafkaError(ErrorCode.INVALID_REQUEST, message);
const isBlank = (v: string | null) => v !== null && v.trim() === '';

/** Kafka's throwIfConsumerGroupHeartbeatRequestIsInvalid (GroupCoordinatorService, 4.0). */
export function validateHeartbeat(req: ConsumerHeartbeatRequest, assignors: readonly string[]): void {
  if ((req.apiVersion >= 1 || req.memberEpoch > 0 || req.memberEpoch === LEAVE_GROUP_MEMBER_EPOCH) && isBlank(req.memberId)) throw invalid("MemberId can't be empty.");
  if (isBlank(req.groupId)) throw invalid("GroupId can't be empty.");
  if (isBlank(req.instanceId)) throw invalid("InstanceId can't be empty.");
  if (isBlank(req.rackId)) throw invalid("RackId can't be empty.");
  if (req.memberEpoch === 0) {
    if (req.rebalanceTimeoutMs === -1) throw invalid('RebalanceTimeoutMs must be provided in first request.');
    if (req.topicPartitions === null || req.topicPartitions.length > 0) throw invalid('TopicPartitions must be empty when (re-)joining.');
    if (req.subscribedTopicNames === null && req.subscribedTopicRegex === null) throw invalid('Either SubscribedTopicNames or SubscribedTopicRegex must be non-null when (re-)joining.');
  } else if (req.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
    if (req.instanceId === null) throw invalid("InstanceId can't be null.");
  } else if (req.memberEpoch < LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
    throw invalid('MemberEpoch is invalid.');
  }
  if (req.serverAssignor !== null && !assignors.includes(req.serverAssignor)) {
    throw new KafkaError(ErrorCode.UNSUPPORTED_ASSIGNOR, `ServerAssignor ${req.serverAssignor} is not supported. Supported assignors: ${assignors.join(', ')}.`);
  }
}

/** A RegExp matching whole topic names (RE2 syntax, topic-regex.ts); INVALID_REGULAR_EXPRESSION when RE2 or RegExp refuses it. */
export function compileTopicRegex(regex: string): RegExp {
  try {
    const { source, flags } = translateRe2(regex);
    return new RegExp(`^(?:${source})$`, `u${flags}`);
  } catch (e) {
    throw new KafkaError(ErrorCode.INVALID_REGULAR_EXPRESSION, `SubscribedTopicRegex \`${regex}\` is not a valid regular expression: ${(e as Error).message}.`);
  }
}

const errorResult = (e: KafkaError): ConsumerHeartbeatResult => ({ errorCode: e.code, errorMessage: e.message, memberId: null, memberEpoch: 0, heartbeatIntervalMs: 0, assignment: null });

const toWire = (a: Assignment) => [...a].map(([topicId, parts]) => ({ topicId, partitions: [...parts].sort((x, y) => x - y) }));

/** Owned partitions a member reports, within the assignment it should have. */
function isSubset(owned: readonly OwnedPartitions[] | null, target: Assignment): boolean {
  if (owned === null) return false;
  return owned.every((t) => { const parts = target.get(t.topicId); return parts !== undefined && t.partitions.every((p) => parts.has(p)); });
}

function sameSubscription(a: ReadonlyMap<string, SubscribedTopic>, b: ReadonlyMap<string, SubscribedTopic>): boolean {
  if (a.size !== b.size) return false;
  for (const [name, t] of a) { const o = b.get(name); if (!o || o.id !== t.id || o.partitions !== t.partitions) return false; }
  return true;
}

export class ConsumerHeartbeats {
  private readonly sessionTimers = new Map<string, NodeJS.Timeout>();
  private readonly rebalanceTimers = new Map<string, NodeJS.Timeout>();
  /** Classic members told to rejoin (REBALANCE_IN_PROGRESS) have their rebalance timeout to send JoinGroup. */
  private readonly joinTimers = new Map<string, NodeJS.Timeout>();
  /** Classic members that joined have their rebalance timeout to send SyncGroup. */
  private readonly syncTimers = new Map<string, NodeJS.Timeout>();

  constructor(private readonly host: ConsumerGroupHost, private readonly onError: (e: unknown) => void = () => {}) {}

  async heartbeat(req: ConsumerHeartbeatRequest): Promise<ConsumerHeartbeatResult> {
    let done: { result: ConsumerHeartbeatResult; written: Promise<void> };
    try {
      validateHeartbeat(req, this.host.config.assignors);
      const status = this.host.status(req.groupId);
      if (status !== ErrorCode.NONE) return errorResult(new KafkaError(status));
      done = req.memberEpoch === LEAVE_GROUP_MEMBER_EPOCH || req.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH ? this.leave(req) : this.memberHeartbeat(req);
    } catch (e) {
      if (e instanceof KafkaError) return errorResult(e);
      throw e;
    }
    try {
      await done.written;
    } catch (e) {
      if (e instanceof KafkaError) return errorResult(e);
      throw e;
    }
    return done.result;
  }

  private memberHeartbeat(req: ConsumerHeartbeatRequest): { result: ConsumerHeartbeatResult; written: Promise<void> } {
    const records: ConsumerGroupRecord[] = [];
    const joining = req.memberEpoch === 0;
    const { group, upgraded } = this.groupForHeartbeat(req.groupId, joining, records);
    const config = this.host.config;
    if (group.members.size >= config.maxSize && (req.memberId === '' || !group.members.has(req.memberId))) {
      throw new KafkaError(ErrorCode.GROUP_MAX_SIZE_REACHED, `The consumer group has reached its maximum capacity of ${config.maxSize} members.`);
    }
    // v0: a joining member without an id gets one, a Kafka UUID as Kafka's coordinator makes it.
    const memberId = req.memberId === '' ? randomUuid() : req.memberId;
    const member = req.instanceId === null
      ? this.dynamicMember(group, memberId, req, joining)
      : this.staticMember(group, memberId, req, joining, records);

    // 1. The member's subscription.
    const names = req.subscribedTopicNames !== null ? [...new Set(req.subscribedTopicNames)].sort() : member.subscribedTopicNames;
    const updated: ConsumerMember = {
      ...member,
      instanceId: req.instanceId ?? member.instanceId,
      rackId: req.rackId ?? member.rackId,
      rebalanceTimeoutMs: req.rebalanceTimeoutMs !== -1 ? req.rebalanceTimeoutMs : member.rebalanceTimeoutMs,
      serverAssignor: req.serverAssignor ?? member.serverAssignor,
      subscribedTopicNames: names,
      subscribedTopicRegex: req.subscribedTopicRegex ?? member.subscribedTopicRegex,
      clientId: req.clientId,
      clientHost: req.clientHost,
    };
    const { reconciled, written } = this.advance(group, member, updated, req.topicPartitions, req.mayDescribeTopic ?? (() => true), records, upgraded);
    this.scheduleSessionTimeout(group.groupId, memberId);
    const full = joining || (req.rebalanceTimeoutMs !== -1 && (req.subscribedTopicNames !== null || req.subscribedTopicRegex !== null) && req.topicPartitions !== null);
    return {
      written,
      result: {
        errorCode: ErrorCode.NONE, errorMessage: null, memberId, memberEpoch: reconciled.memberEpoch, heartbeatIntervalMs: config.heartbeatIntervalMs,
        assignment: full || !sameAssignment(member.assigned, reconciled.assigned) ? toWire(reconciled.assigned) : null,
      },
    };
  }

  /**
   * Steps 1 to 3 for a member whose new state is `updated` (a heartbeat, or
   * a classic member's JoinGroup): the group epoch bumped when its
   * subscription changed, a new target assignment when the epoch moved, its
   * reconciliation against `owned`. The records are replayed and written;
   * `upgraded` is the classic group the records convert, retired first.
   */
  advance(group: ConsumerGroup, member: ConsumerMember, updated: ConsumerMember, owned: readonly OwnedPartitions[] | null,
    visible: (topic: string) => boolean, records: ConsumerGroupRecord[], upgraded?: ClassicGroup): { reconciled: ConsumerMember; written: Promise<void> } {
    const config = this.host.config;
    const memberId = updated.memberId;
    let bump = false;
    if (!sameMember(member, updated)) {
      records.push(memberMetadataRecord(group.groupId, updated));
      if (updated.subscribedTopicNames.join('\0') !== member.subscribedTopicNames.join('\0')) bump = true;
    }
    // Regexes: a new one is checked and resolved now; all are resolved again after topic changes.
    const refresh = group.metadataRefreshNeeded;
    let resolved: Map<string, Set<string>> = refresh ? this.resolveAll(group, visible, updated) : new Map(group.resolvedRegexes);
    if (updated.subscribedTopicRegex !== member.subscribedTopicRegex) {
      const regex = updated.subscribedTopicRegex;
      if (regex !== '' && !resolved.has(regex)) resolved.set(regex, this.resolve(compileTopicRegex(regex), visible));
      // As Kafka once a regex is resolved: a rebalance when it changes what the member subscribes to.
      if ((resolved.get(regex)?.size ?? 0) > 0 || (resolved.get(member.subscribedTopicRegex)?.size ?? 0) > 0) bump = true;
    }

    let groupEpoch = group.groupEpoch;
    let subscription: ReadonlyMap<string, SubscribedTopic> = group.subscriptionMetadata;
    // The group's members as the heartbeat leaves them: this one updated, a static member it replaces gone.
    const replaced = group.staticMemberId(updated.instanceId);
    const others = group.membersWith(member.memberId, updated).filter((m) => m.memberId === memberId || m.memberId !== replaced);
    const isNew = !group.members.has(memberId);
    if (bump || refresh) {
      resolved = pruneRegexes(resolved, others);
      subscription = this.subscriptionOf(group.subscribedTopicNames(others, resolved));
      if (!sameSubscription(subscription, group.subscriptionMetadata)) {
        bump = true;
        records.push({ type: 'SubscriptionMetadata', groupId: group.groupId, value: { topics: [...subscription.values()] } });
      }
      if (bump) {
        groupEpoch += 1;
        records.push({ type: 'GroupEpoch', groupId: group.groupId, value: { epoch: groupEpoch } });
      }
    }

    // 2. A new target assignment when the group epoch moved past it.
    let targetEpoch = group.assignmentEpoch;
    let target = group.targetOf(updated.memberId, updated.instanceId);
    if (groupEpoch > group.assignmentEpoch) {
      const name = group.preferredAssignor(group.assignorCountsWith(member, updated)) ?? config.assignors[0]!;
      const assignor = assignorFor(name);
      if (!assignor) throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `Failed to compute a new target assignment for epoch ${groupEpoch}: unknown assignor ${name}`);
      const t = computeTargetAssignment({ group, groupEpoch, assignor, updated, subscription, resolvedRegexes: resolved });
      records.push(...t.records);
      targetEpoch = groupEpoch;
      target = t.targets.get(updated.memberId) ?? new Map();
    }

    // 3. Reconciliation.
    let reconciled = updated;
    if (!isReconciledTo(updated, targetEpoch)) {
      reconciled = reconcile(updated, { targetEpoch, target, partitionEpoch: (t, p) => group.partitionEpoch(t, p), owned });
      if (!sameMember(reconciled, updated)) records.push(currentAssignmentRecord(group.groupId, reconciled));
    }

    // Into memory, then to the log.
    const epochBefore = upgraded ? -1 : group.groupEpoch;
    if (upgraded) this.host.retireClassicGroup(upgraded);
    const written = this.host.commit(group.groupId, records);
    const live = this.host.groups.get(group.groupId);
    if (live?.type === 'consumer') {
      if (upgraded) this.onUpgraded(live, memberId);
      if (bump || refresh) { live.resolvedRegexes.clear(); for (const [r, t] of resolved) live.resolvedRegexes.set(r, t); live.metadataRefreshNeeded = false; }
      if (groupEpoch > epochBefore) this.host.onRebalance(live, isNew ? `member ${memberId} joined` : refresh ? 'the subscribed topics changed' : `member ${memberId} changed its subscription`);
      if (!sameMember(reconciled, updated)) {
        if (reconciled.state === MemberState.UNREVOKED_PARTITIONS) this.scheduleRebalanceTimeout(live.groupId, memberId, reconciled.memberEpoch, reconciled.rebalanceTimeoutMs);
        else this.cancel(this.rebalanceTimers, live.groupId, memberId);
      }
    }
    return { reconciled, written };
  }

  /** The members a classic group brought along get session timers of their own timeouts. */
  private onUpgraded(g: ConsumerGroup, joiningMemberId: string): void {
    for (const m of g.members.values()) if (m.memberId !== joiningMemberId) this.scheduleSessionTimeout(g.groupId, m.memberId);
  }

  /**
   * The consumer group a heartbeat goes to (Kafka's getOrMaybeCreateConsumerGroup):
   * a join creates it, turns an empty classic group into one (its metadata
   * tombstoned, its offsets kept), and upgrades a classic group with members
   * when the migration policy allows (consumer-group-migration.ts): the
   * group returned is then built from the conversion records, which are
   * written ahead of the heartbeat's own; otherwise GROUP_ID_NOT_FOUND.
   */
  private groupForHeartbeat(groupId: string, create: boolean, records: ConsumerGroupRecord[]): { group: ConsumerGroup; upgraded?: ClassicGroup } {
    const g = this.host.groups.get(groupId);
    if (!g) {
      if (!create) throw new KafkaError(ErrorCode.GROUP_ID_NOT_FOUND, `Consumer group ${groupId} not found.`);
      return { group: new ConsumerGroup(groupId) };
    }
    if (g.type === 'consumer') return { group: g };
    if (create && g.members.size === 0 && g.state === 'Empty') {
      records.push({ type: 'ClassicGroupTombstone', groupId });
      return { group: new ConsumerGroup(groupId, g.offsets, g.pendingTxnOffsets) };
    }
    const refusal = create && g.members.size > 0 ? upgradeRefusal(g, this.host.config) : 'not joining';
    if (refusal !== null) throw new KafkaError(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${groupId} is not a consumer group.`);
    const conversion = upgradeRecords(g, this.host.topics, (names) => this.subscriptionOf(names));
    // What the conversion makes, built aside: the live classic group stays until the records are committed.
    const group = new ConsumerGroup(groupId, g.offsets, g.pendingTxnOffsets);
    const scratch = new Map<string, Group>([[groupId, group]]);
    for (const r of conversion) if (r.type !== 'ClassicGroupTombstone') replayConsumerRecord(scratch, r);
    records.push(...conversion);
    return { group, upgraded: g };
  }

  private dynamicMember(group: ConsumerGroup, memberId: string, req: ConsumerHeartbeatRequest, create: boolean): ConsumerMember {
    const m = group.members.get(memberId) ?? (create ? newMember(memberId) : undefined);
    if (!m) throw unknownMember(group, memberId);
    checkEpoch(m, req.memberEpoch, req.topicPartitions);
    return m;
  }

  /**
   * A static member (instance id). Joining: a new instance, or one that left
   * with epoch -2 coming back under a new member id, which takes the old
   * member's place and assignment (UNRELEASED_INSTANCE_ID while the old one
   * has not left). Otherwise the member id must be the instance's.
   */
  private staticMember(group: ConsumerGroup, memberId: string, req: ConsumerHeartbeatRequest, create: boolean, records: ConsumerGroupRecord[]): ConsumerMember {
    const existing = group.staticMember(req.instanceId);
    if (create) {
      if (!existing) return group.members.get(memberId) ?? newMember(memberId);
      if (existing.memberEpoch !== LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
        throw new KafkaError(ErrorCode.UNRELEASED_INSTANCE_ID, `Static member ${memberId} with instance id ${req.instanceId} cannot join the group because the instance id is owned by ${existing.memberId} member.`);
      }
      const successor: ConsumerMember = { ...existing, memberId, memberEpoch: 0, previousMemberEpoch: 0 };
      // The old member's records go; the successor's take their place (Kafka's replaceMember).
      records.push(...removeMemberRecords(group.groupId, existing.memberId));
      records.push(memberMetadataRecord(group.groupId, successor));
      records.push({ type: 'TargetAssignmentMember', groupId: group.groupId, memberId, value: { partitions: group.targetAssignment.get(existing.memberId) ?? new Map() } });
      records.push(currentAssignmentRecord(group.groupId, successor));
      this.forget(group.groupId, existing.memberId);
      return successor;
    }
    if (!existing) throw new KafkaError(ErrorCode.UNKNOWN_MEMBER_ID, `Instance id ${req.instanceId} is unknown.`);
    if (existing.memberId !== memberId) throw fencedInstance(memberId, req.instanceId!, existing.memberId);
    checkEpoch(existing, req.memberEpoch, req.topicPartitions);
    return existing;
  }

  /** Epoch -1 (leave) or -2 (a static member leaving for a while). */
  private leave(req: ConsumerHeartbeatRequest): { result: ConsumerHeartbeatResult; written: Promise<void> } {
    const group = this.consumerGroup(req.groupId);
    const result: ConsumerHeartbeatResult = { errorCode: ErrorCode.NONE, errorMessage: null, memberId: req.memberId, memberEpoch: req.memberEpoch, heartbeatIntervalMs: 0, assignment: null };
    if (req.instanceId === null) {
      const m = group.members.get(req.memberId);
      if (!m) throw unknownMember(group, req.memberId);
      return { result, written: this.fence(group, m, `member ${m.memberId} left`) };
    }
    const m = group.staticMember(req.instanceId);
    if (!m) throw new KafkaError(ErrorCode.UNKNOWN_MEMBER_ID, `Instance id ${req.instanceId} is unknown.`);
    if (m.memberId !== req.memberId) throw fencedInstance(req.memberId, req.instanceId, m.memberId);
    if (req.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
      // Kept, with its assignment, until it comes back or its session times out.
      const leaving: ConsumerMember = { ...m, memberEpoch: LEAVE_GROUP_STATIC_MEMBER_EPOCH, pendingRevocation: new Map() };
      return { result: { ...result, memberId: m.memberId }, written: this.host.commit(group.groupId, [currentAssignmentRecord(group.groupId, leaving)]) };
    }
    return { result, written: this.fence(group, m, `static member ${m.memberId} left`) };
  }

  /**
   * Removes a member: its records tombstoned, the subscription recomputed
   * without it, the group epoch bumped. When it was the last consumer-protocol
   * member among classic ones (and the policy allows), the group goes back to
   * the classic protocol instead (Kafka's consumerGroupFenceMember).
   */
  fence(group: ConsumerGroup, m: ConsumerMember, reason: string, mayDowngrade = true): Promise<void> {
    if (mayDowngrade && shouldDowngrade(group, m.memberId, this.host.config, this.host.classicMaxSize)) {
      this.forgetGroup(group.groupId);
      return this.host.downgrade(group, m.memberId, reason);
    }
    const records = removeMemberRecords(group.groupId, m.memberId);
    const others = [...group.members.values()].filter((x) => x.memberId !== m.memberId);
    const subscription = this.subscriptionOf(group.subscribedTopicNames(others));
    if (!sameSubscription(subscription, group.subscriptionMetadata)) records.push({ type: 'SubscriptionMetadata', groupId: group.groupId, value: { topics: [...subscription.values()] } });
    records.push({ type: 'GroupEpoch', groupId: group.groupId, value: { epoch: group.groupEpoch + 1 } });
    this.forget(group.groupId, m.memberId);
    const written = this.host.commit(group.groupId, records);
    const live = this.host.groups.get(group.groupId);
    if (live?.type === 'consumer') {
      for (const regex of [...live.resolvedRegexes.keys()]) if (!others.some((x) => x.subscribedTopicRegex === regex)) live.resolvedRegexes.delete(regex);
      this.host.onRebalance(live, reason);
    }
    return written;
  }

  consumerGroup(groupId: string): ConsumerGroup {
    const g = this.host.groups.get(groupId);
    if (!g) throw new KafkaError(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${groupId} not found.`);
    if (g.type !== 'consumer') throw new KafkaError(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${groupId} is not a consumer group.`);
    return g;
  }

  /** The subscribed topics that exist, by name. */
  subscriptionOf(names: ReadonlyMap<string, number>): Map<string, SubscribedTopic> {
    const out = new Map<string, SubscribedTopic>();
    for (const name of [...names.keys()].sort()) {
      const t = this.host.topics.topic(name);
      if (t) out.set(name, { id: t.id, name: t.name, partitions: t.partitions });
    }
    return out;
  }

  private resolve(re: RegExp, visible: (topic: string) => boolean): Set<string> {
    return new Set(this.host.topics.all().filter((t) => !t.internal && re.test(t.name) && visible(t.name)).map((t) => t.name));
  }

  /** Every regex of the group (and of the member being updated) resolved against the topics as they are now. */
  private resolveAll(group: ConsumerGroup, visible: (topic: string) => boolean = () => true, updated?: ConsumerMember): Map<string, Set<string>> {
    const regexes = new Set([...group.members.values()].map((m) => m.subscribedTopicRegex));
    if (updated) regexes.add(updated.subscribedTopicRegex);
    regexes.delete('');
    const out = new Map<string, Set<string>>();
    for (const r of regexes) {
      let re: RegExp;
      try { re = compileTopicRegex(r); } catch { continue; } // a regex stored by a broker with another syntax: matches nothing here
      out.set(r, this.resolve(re, visible));
    }
    return out;
  }

  // Timers -------------------------------------------------------------------

  /** (Re)starts a member's session timer: group.consumer.session.timeout.ms, or a classic member's own session timeout. */
  scheduleSessionTimeout(groupId: string, memberId: string): void {
    const g = this.host.groups.get(groupId);
    const classic = g?.type === 'consumer' ? g.members.get(memberId)?.classic : undefined;
    this.schedule(this.sessionTimers, groupId, memberId, classic?.sessionTimeoutMs ?? this.host.config.sessionTimeoutMs, () => this.fenceOperation(groupId, memberId, 'its session expired'));
  }

  /** Kafka's scheduleConsumerGroupJoinTimeoutIfAbsent (classic members). */
  scheduleJoinTimeoutIfAbsent(groupId: string, memberId: string, rebalanceTimeoutMs: number): void {
    if (this.joinTimers.has(`${groupId}\0${memberId}`)) return;
    this.schedule(this.joinTimers, groupId, memberId, Math.max(0, rebalanceTimeoutMs), () => this.fenceOperation(groupId, memberId, 'the classic member failed to join within the rebalance timeout'));
  }

  cancelJoinTimeout(groupId: string, memberId: string): void { this.cancel(this.joinTimers, groupId, memberId); }

  /** Kafka's scheduleConsumerGroupSyncTimeout (classic members). */
  scheduleSyncTimeout(groupId: string, memberId: string, rebalanceTimeoutMs: number): void {
    this.schedule(this.syncTimers, groupId, memberId, Math.max(0, rebalanceTimeoutMs), () => this.fenceOperation(groupId, memberId, 'the member failed to sync within timeout'));
  }

  cancelSyncTimeout(groupId: string, memberId: string): void { this.cancel(this.syncTimers, groupId, memberId); }

  private scheduleRebalanceTimeout(groupId: string, memberId: string, memberEpoch: number, rebalanceTimeoutMs: number): void {
    this.schedule(this.rebalanceTimers, groupId, memberId, Math.max(0, rebalanceTimeoutMs), () => {
      const g = this.host.groups.get(groupId);
      const m = g?.type === 'consumer' ? g.members.get(memberId) : undefined;
      // Only if it is still at the epoch it had to revoke from.
      if (m && m.memberEpoch === memberEpoch) this.fenceOperation(groupId, memberId, `it did not revoke its partitions within ${rebalanceTimeoutMs} ms`);
    });
  }

  private fenceOperation(groupId: string, memberId: string, reason: string): void {
    if (this.host.status(groupId) !== ErrorCode.NONE) return;
    const g = this.host.groups.get(groupId);
    const m = g?.type === 'consumer' ? g.members.get(memberId) : undefined;
    if (!g || g.type !== 'consumer' || !m) return;
    this.fence(g, m, `member ${memberId} was removed: ${reason}`).catch((e: unknown) => this.onError(e));
  }

  private schedule(timers: Map<string, NodeJS.Timeout>, groupId: string, memberId: string, ms: number, fn: () => void): void {
    const key = `${groupId}\0${memberId}`;
    clearTimeout(timers.get(key));
    const t = setTimeout(() => { timers.delete(key); fn(); }, ms);
    t.unref();
    timers.set(key, t);
  }

  private cancel(timers: Map<string, NodeJS.Timeout>, groupId: string, memberId: string): void {
    const key = `${groupId}\0${memberId}`;
    clearTimeout(timers.get(key));
    timers.delete(key);
  }

  /** Drops a member's timers. */
  forget(groupId: string, memberId: string): void {
    for (const timers of [this.sessionTimers, this.rebalanceTimers, this.joinTimers, this.syncTimers]) this.cancel(timers, groupId, memberId);
  }

  /** Drops the timers of every member of the group (unloaded, deleted, converted). */
  forgetGroup(groupId: string): void {
    const prefix = `${groupId}\0`;
    for (const timers of [this.sessionTimers, this.rebalanceTimers, this.joinTimers, this.syncTimers]) {
      for (const [key, t] of timers) if (key.startsWith(prefix)) { clearTimeout(t); timers.delete(key); }
    }
  }

  /** A loaded group's members get fresh session timers (and rebalance timers where a revocation is pending); its regexes are resolved. */
  onLoaded(group: ConsumerGroup): void {
    for (const m of group.members.values()) {
      this.scheduleSessionTimeout(group.groupId, m.memberId);
      if (m.state === MemberState.UNREVOKED_PARTITIONS) this.scheduleRebalanceTimeout(group.groupId, m.memberId, m.memberEpoch, m.rebalanceTimeoutMs);
    }
    for (const [r, t] of this.resolveAll(group)) group.resolvedRegexes.set(r, t);
    group.metadataRefreshNeeded = true;
  }

  /** A topic appeared, went or grew: groups subscribed to it (or to any regex) recompute their subscription at the next heartbeat. */
  onTopicChange(topicName: string): void {
    for (const g of this.host.groups.values()) {
      if (g.type !== 'consumer') continue;
      if (g.isSubscribedToTopic(topicName) || g.subscriptionMetadata.has(topicName) || [...g.members.values()].some((m) => m.subscribedTopicRegex !== '')) g.metadataRefreshNeeded = true;
    }
  }

  close(): void {
    for (const timers of [this.sessionTimers, this.rebalanceTimers, this.joinTimers, this.syncTimers]) { for (const t of timers.values()) clearTimeout(t); timers.clear(); }
  }
}

/**
 * Kafka's throwIfConsumerGroupMemberEpochIsInvalid, with KAFKA-19233: a
 * member fenced with FENCED_MEMBER_EPOCH rejoins with epoch 0 and the member
 * id it had (KIP-1082), which is accepted (Kafka 4.0.0 fenced it again until
 * its session timed out).
 */
function checkEpoch(m: ConsumerMember, received: number, owned: readonly OwnedPartitions[] | null): void {
  if (received === 0) return;
  if (received > m.memberEpoch) {
    throw new KafkaError(ErrorCode.FENCED_MEMBER_EPOCH, `The consumer group member has a greater member epoch (${received}) than the one known by the group coordinator (${m.memberEpoch}). The member must abandon all its partitions and rejoin.`);
  }
  // The previous epoch passes when what the member owns is within its assignment: the answer that moved it on may have been lost.
  if (received < m.memberEpoch && (received !== m.previousMemberEpoch || !isSubset(owned, m.assigned))) {
    throw new KafkaError(ErrorCode.FENCED_MEMBER_EPOCH, `The consumer group member has a smaller member epoch (${received}) than the one known by the group coordinator (${m.memberEpoch}). The member must abandon all its partitions and rejoin.`);
  }
}

const unknownMember = (g: ConsumerGroup, memberId: string) => new KafkaError(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${memberId} is not a member of group ${g.groupId}.`);
const fencedInstance = (memberId: string, instanceId: string, owner: string) => new KafkaError(ErrorCode.FENCED_INSTANCE_ID, `Static member ${memberId} with instance id ${instanceId} was fenced by member ${owner}.`);

/** Regexes no member uses any more are dropped. */
function pruneRegexes(resolved: Map<string, Set<string>>, members: readonly ConsumerMember[]): Map<string, Set<string>> {
  const used = new Set(members.map((m) => m.subscribedTopicRegex));
  return new Map([...resolved].filter(([r]) => used.has(r)));
}

/** Kafka's removeMember: current assignment, target assignment, then member metadata tombstones (the order matters on replay). */
export function removeMemberRecords(groupId: string, memberId: string): ConsumerGroupRecord[] {
  return [
    { type: 'CurrentAssignment', groupId, memberId, value: null },
    { type: 'TargetAssignmentMember', groupId, memberId, value: null },
    { type: 'MemberMetadata', groupId, memberId, value: null },
  ];
}

export function currentAssignmentRecord(groupId: string, m: ConsumerMember): ConsumerGroupRecord {
  return { type: 'CurrentAssignment', groupId, memberId: m.memberId, value: { memberEpoch: m.memberEpoch, previousMemberEpoch: m.previousMemberEpoch, state: m.state, assigned: m.assigned, pendingRevocation: m.pendingRevocation } };
}

export function memberMetadataRecord(groupId: string, m: ConsumerMember): ConsumerGroupRecord {
  return { type: 'MemberMetadata', groupId, memberId: m.memberId, value: {
    instanceId: m.instanceId, rackId: m.rackId, clientId: m.clientId, clientHost: m.clientHost, subscribedTopicNames: [...m.subscribedTopicNames],
    subscribedTopicRegex: m.subscribedTopicRegex, rebalanceTimeoutMs: m.rebalanceTimeoutMs, serverAssignor: m.serverAssignor,
    classicMemberMetadata: m.classic,
  } };
}

/** Kafka's createGroupTombstoneRecords for a consumer group (deletion, conversion to classic). */
export function groupTombstoneRecords(g: ConsumerGroup): ConsumerGroupRecord[] {
  const ids = [...g.members.keys()];
  return [
    ...ids.map((memberId): ConsumerGroupRecord => ({ type: 'CurrentAssignment', groupId: g.groupId, memberId, value: null })),
    ...ids.map((memberId): ConsumerGroupRecord => ({ type: 'TargetAssignmentMember', groupId: g.groupId, memberId, value: null })),
    { type: 'TargetAssignmentEpoch', groupId: g.groupId, value: null },
    ...ids.map((memberId): ConsumerGroupRecord => ({ type: 'MemberMetadata', groupId: g.groupId, memberId, value: null })),
    { type: 'SubscriptionMetadata', groupId: g.groupId, value: null },
    { type: 'GroupEpoch', groupId: g.groupId, value: null },
  ];
}
