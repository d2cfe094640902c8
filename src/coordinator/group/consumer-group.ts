/**
 * One group of the KIP-848 consumer protocol, as Kafka's new coordinator
 * keeps it (ConsumerGroup, ConsumerGroupMember): the group epoch (bumped
 * when subscriptions or the subscribed topics' metadata change), the
 * assignment epoch (the group epoch the target assignment was computed for),
 * the members with their member epochs and reconciliation state, the target
 * assignment per member, and which member epoch currently owns each
 * partition (a partition is handed to its new owner only once the old one
 * released it).
 *
 * State changes only by replaying records (consumer-group-replay.ts), at
 * load and after each heartbeat, so what is in memory is what the log says.
 * Committed offsets are kept here as in a classic group; they outlive a
 * conversion between the two group types.
 */
import type { Uuid } from '../../wire/protocol/uuid.js';
import type { CommittedOffset } from './classic-group.js';

/** Partitions by topic id. */
export type Assignment = Map<Uuid, Set<number>>;

/** Kafka's MemberState values (the byte in ConsumerGroupCurrentMemberAssignmentValue). */
export const MemberState = { STABLE: 0, UNREVOKED_PARTITIONS: 1, UNRELEASED_PARTITIONS: 2, UNKNOWN: 127 } as const;
export type MemberState = (typeof MemberState)[keyof typeof MemberState];

export const memberStateName = (s: MemberState): string =>
  s === MemberState.STABLE ? 'stable' : s === MemberState.UNREVOKED_PARTITIONS ? 'unrevoked_partitions' : s === MemberState.UNRELEASED_PARTITIONS ? 'unreleased_partitions' : 'unknown';

/** The epochs a heartbeat may carry besides a member epoch. */
export const LEAVE_GROUP_MEMBER_EPOCH = -1;
export const LEAVE_GROUP_STATIC_MEMBER_EPOCH = -2;

/** ConsumerGroup.ConsumerGroupState as ListGroups and ConsumerGroupDescribe name it. */
export type ConsumerGroupState = 'Empty' | 'Assigning' | 'Reconciling' | 'Stable' | 'Dead';

/** A member; replaced as a whole on every change (never mutated in place). */
export interface ConsumerMember {
  readonly memberId: string;
  readonly memberEpoch: number;
  readonly previousMemberEpoch: number;
  readonly state: MemberState;
  readonly instanceId: string | null;
  readonly rackId: string | null;
  readonly rebalanceTimeoutMs: number;
  readonly clientId: string;
  readonly clientHost: string;
  /** Sorted, no duplicates. */
  readonly subscribedTopicNames: readonly string[];
  /** "" when the member has no regex subscription. */
  readonly subscribedTopicRegex: string;
  readonly serverAssignor: string | null;
  /** The partitions the member owns or is being given. */
  readonly assigned: Assignment;
  /** Partitions the member must give up before its epoch moves on. */
  readonly pendingRevocation: Assignment;
  /** Set for a member speaking the classic protocol (JoinGroup/SyncGroup) inside the group; null for a consumer-protocol member. */
  readonly classic: ClassicMemberMetadata | null;
}

/** Kafka's ClassicMemberMetadata (tagged field of the MemberMetadata record): what a classic member joined with. */
export interface ClassicMemberMetadata {
  readonly sessionTimeoutMs: number;
  /** The JoinGroup protocols in the member's order of preference (name, ConsumerProtocol subscription bytes). */
  readonly protocols: readonly { name: string; metadata: Buffer }[];
}

const sameClassic = (a: ClassicMemberMetadata | null, b: ClassicMemberMetadata | null): boolean =>
  a === b || (a !== null && b !== null && a.sessionTimeoutMs === b.sessionTimeoutMs && a.protocols.length === b.protocols.length
    && a.protocols.every((p, i) => p.name === b.protocols[i]!.name && p.metadata.equals(b.protocols[i]!.metadata)));

/** A topic the group subscribes to, as it was when the group epoch was last bumped. */
export interface SubscribedTopic { id: Uuid; name: string; partitions: number }

/** A member as Kafka's Builder(memberId) starts it. */
export function newMember(memberId: string): ConsumerMember {
  return {
    memberId, memberEpoch: 0, previousMemberEpoch: -1, state: MemberState.STABLE, instanceId: null, rackId: null,
    rebalanceTimeoutMs: -1, clientId: '', clientHost: '', subscribedTopicNames: [], subscribedTopicRegex: '', serverAssignor: null,
    assigned: new Map(), pendingRevocation: new Map(), classic: null,
  };
}

export function sameAssignment(a: Assignment, b: Assignment): boolean {
  let n = 0;
  for (const [topic, parts] of a) {
    if (parts.size === 0) continue;
    n++;
    const other = b.get(topic);
    if (!other || other.size !== parts.size) return false;
    for (const p of parts) if (!other.has(p)) return false;
  }
  let m = 0;
  for (const parts of b.values()) if (parts.size > 0) m++;
  return n === m;
}

const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** Kafka's ConsumerGroupMember.equals: whether a record is needed for the change. */
export function sameMember(a: ConsumerMember, b: ConsumerMember): boolean {
  return a.memberId === b.memberId && a.memberEpoch === b.memberEpoch && a.previousMemberEpoch === b.previousMemberEpoch
    && a.state === b.state && a.instanceId === b.instanceId && a.rackId === b.rackId && a.rebalanceTimeoutMs === b.rebalanceTimeoutMs
    && a.clientId === b.clientId && a.clientHost === b.clientHost && sameList(a.subscribedTopicNames, b.subscribedTopicNames)
    && a.subscribedTopicRegex === b.subscribedTopicRegex && a.serverAssignor === b.serverAssignor
    && sameAssignment(a.assigned, b.assigned) && sameAssignment(a.pendingRevocation, b.pendingRevocation) && sameClassic(a.classic, b.classic);
}

/** Whether the member's current assignment is the target of `assignmentEpoch`, with nothing in flight. */
export const isReconciledTo = (m: ConsumerMember, assignmentEpoch: number): boolean => m.state === MemberState.STABLE && m.memberEpoch === assignmentEpoch;

export function copyAssignment(a: Assignment): Assignment {
  return new Map([...a].filter(([, p]) => p.size > 0).map(([t, p]) => [t, new Set(p)]));
}

export class ConsumerGroup {
  readonly type = 'consumer' as const;
  /** What ListGroups and DescribeGroups show as the protocol type. */
  readonly protocolType = 'consumer';
  groupEpoch = 0;
  /** Kafka's target assignment epoch; -1 once its tombstone is replayed. */
  assignmentEpoch = 0;
  state: ConsumerGroupState = 'Empty';
  /** When the group entered its state (ListGroups / metrics only; consumer offsets expire per commit). */
  stateTimestamp = Date.now();
  readonly members = new Map<string, ConsumerMember>();
  /** Instance id to member id, for static members. */
  readonly staticMembers = new Map<string, string>();
  readonly targetAssignment = new Map<string, Assignment>();
  /** By topic name: what the group epoch was computed against. */
  subscriptionMetadata = new Map<string, SubscribedTopic>();
  /** Per partition, the epoch of the member that owns it now (assigned or pending revocation). */
  private readonly partitionEpochs = new Map<Uuid, Map<number, number>>();
  /** Members per server assignor name (the most used one is the group's). */
  private readonly assignorCounts = new Map<string, number>();
  /**
   * Regular expressions of the members, resolved against the topic names
   * (kept in memory and resolved again after a load or a topic change;
   * Kafka 4.0 also persists them, in a record type this broker does not write).
   */
  readonly resolvedRegexes = new Map<string, Set<string>>();
  /** Set when topics changed (or the group is new): the next heartbeat recomputes the subscription metadata. */
  metadataRefreshNeeded = true;

  constructor(
    readonly groupId: string,
    readonly offsets = new Map<string, Map<number, CommittedOffset>>(),
    readonly pendingTxnOffsets = new Map<number, { topic: string; partition: number; offset: CommittedOffset }[]>(),
  ) {}

  staticMemberId(instanceId: string | null): string | undefined {
    return instanceId === null ? undefined : this.staticMembers.get(instanceId);
  }

  staticMember(instanceId: string | null): ConsumerMember | undefined {
    const id = this.staticMemberId(instanceId);
    return id === undefined ? undefined : this.members.get(id);
  }

  /** The target of a member, or of the static member it replaces (Kafka's targetAssignment(memberId, instanceId)). */
  targetOf(memberId: string, instanceId: string | null): Assignment {
    if (instanceId === null) return this.targetAssignment.get(memberId) ?? new Map();
    const previous = this.staticMemberId(instanceId);
    return previous !== undefined ? this.targetAssignment.get(previous) ?? new Map() : new Map();
  }

  /** -1 when no member owns the partition. */
  partitionEpoch(topicId: Uuid, partition: number): number {
    return this.partitionEpochs.get(topicId)?.get(partition) ?? -1;
  }

  /** The assignor most members asked for; undefined when none asked (the default applies). */
  preferredAssignor(counts: ReadonlyMap<string, number> = this.assignorCounts): string | undefined {
    let best: string | undefined;
    let most = 0;
    for (const [name, n] of counts) if (n > most) { best = name; most = n; }
    return best;
  }

  /** The assignor counts as they would be with `oldMember` replaced by `newMember`. */
  assignorCountsWith(oldMember: ConsumerMember | undefined, newMember: ConsumerMember | undefined): Map<string, number> {
    const counts = new Map(this.assignorCounts);
    countAssignor(counts, oldMember, -1);
    countAssignor(counts, newMember, 1);
    return counts;
  }

  /** Whether any member subscribes to the topic, by name or through a regex (offset expiry, OffsetDelete). */
  isSubscribedToTopic(topic: string): boolean {
    return this.subscribedTopicNames().has(topic);
  }

  /** Every topic name the members subscribe to, regexes resolved, with the number of members subscribing. */
  subscribedTopicNames(members: Iterable<ConsumerMember> = this.members.values(), resolved: ReadonlyMap<string, ReadonlySet<string>> = this.resolvedRegexes): Map<string, number> {
    const names = new Map<string, number>();
    for (const m of members) {
      const own = new Set(m.subscribedTopicNames);
      if (m.subscribedTopicRegex !== '') for (const t of resolved.get(m.subscribedTopicRegex) ?? []) own.add(t);
      for (const t of own) names.set(t, (names.get(t) ?? 0) + 1);
    }
    return names;
  }

  /** The members with `oldMember` (if any) replaced by `newMember` (if any). */
  membersWith(oldMemberId: string | undefined, newMember: ConsumerMember | undefined): ConsumerMember[] {
    const out = [...this.members.values()].filter((m) => m.memberId !== oldMemberId && m.memberId !== newMember?.memberId);
    if (newMember) out.push(newMember);
    return out;
  }

  /** Adds or replaces a member (replay). */
  updateMember(m: ConsumerMember): void {
    const old = this.members.get(m.memberId);
    this.members.set(m.memberId, m);
    countAssignor(this.assignorCounts, old, -1);
    countAssignor(this.assignorCounts, m, 1);
    if (old) this.removePartitionEpochs(old);
    this.addPartitionEpochs(m.assigned, m.memberEpoch);
    this.addPartitionEpochs(m.pendingRevocation, m.memberEpoch);
    if (m.instanceId !== null) this.staticMembers.set(m.instanceId, m.memberId);
    this.updateState();
  }

  removeMember(memberId: string): void {
    const old = this.members.get(memberId);
    if (!old) return;
    this.members.delete(memberId);
    countAssignor(this.assignorCounts, old, -1);
    this.removePartitionEpochs(old);
    if (old.instanceId !== null && this.staticMembers.get(old.instanceId) === memberId) this.staticMembers.delete(old.instanceId);
    this.updateState();
  }

  setGroupEpoch(epoch: number): void { this.groupEpoch = epoch; this.updateState(); }
  setAssignmentEpoch(epoch: number): void { this.assignmentEpoch = epoch; this.updateState(); }

  /** Kafka's maybeUpdateGroupState. */
  updateState(): void {
    let next: ConsumerGroupState = 'Stable';
    if (this.members.size === 0) next = 'Empty';
    else if (this.groupEpoch > this.assignmentEpoch) next = 'Assigning';
    else if ([...this.members.values()].some((m) => !isReconciledTo(m, this.assignmentEpoch))) next = 'Reconciling';
    if (next !== this.state) { this.state = next; this.stateTimestamp = Date.now(); }
  }

  private addPartitionEpochs(a: Assignment, epoch: number): void {
    for (const [topic, parts] of a) {
      let epochs = this.partitionEpochs.get(topic);
      if (!epochs) this.partitionEpochs.set(topic, (epochs = new Map()));
      for (const p of parts) epochs.set(p, epoch);
    }
  }

  private removePartitionEpochs(m: ConsumerMember): void {
    for (const a of [m.assigned, m.pendingRevocation]) {
      for (const [topic, parts] of a) {
        const epochs = this.partitionEpochs.get(topic);
        if (!epochs) continue;
        // Only the member's own claim goes: a partition already claimed by another epoch stays with it.
        for (const p of parts) if (epochs.get(p) === m.memberEpoch) epochs.delete(p);
        if (epochs.size === 0) this.partitionEpochs.delete(topic);
      }
    }
  }
}

function countAssignor(counts: Map<string, number>, m: ConsumerMember | undefined, delta: number): void {
  if (!m || m.serverAssignor === null) return;
  const n = (counts.get(m.serverAssignor) ?? 0) + delta;
  if (n > 0) counts.set(m.serverAssignor, n); else counts.delete(m.serverAssignor);
}
