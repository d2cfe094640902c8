/**
 * Per-member reconciliation (Kafka's CurrentAssignmentBuilder): moves a
 * member's current assignment towards its target one step at a time, so
 * that a partition is never owned by two members at once.
 *
 * - A member first gives up what it must lose (UNREVOKED_PARTITIONS, epoch
 *   unchanged) and its epoch moves on only once its heartbeat no longer
 *   reports those partitions as owned.
 * - It then gets the target's partitions that nobody owns any more; those
 *   still owned by another member wait (UNRELEASED_PARTITIONS) and are
 *   handed over on a later heartbeat, once released.
 * - STABLE: the member has its whole target at the target's epoch.
 */
import { KafkaError, ErrorCode } from '../../wire/errors.js';
import type { Uuid } from '../../wire/protocol/uuid.js';
import { MemberState, type Assignment, type ConsumerMember } from './consumer-group.js';

export interface OwnedPartitions { topicId: Uuid; partitions: number[] }

export interface Reconciliation {
  targetEpoch: number;
  target: Assignment;
  /** -1 when no member owns the partition. */
  partitionEpoch(topicId: Uuid, partition: number): number;
  /** What the heartbeat reported as owned; null when it did not say (not a full request). */
  owned: readonly OwnedPartitions[] | null;
}

/** The member's next state, or the same object when it cannot move on yet. */
export function reconcile(member: ConsumerMember, r: Reconciliation): ConsumerMember {
  switch (member.state) {
    case MemberState.STABLE:
      return member.memberEpoch !== r.targetEpoch ? next(member, r, member.memberEpoch) : member;
    case MemberState.UNREVOKED_PARTITIONS:
      // Not until the member stopped reporting every partition it was asked to give up.
      if (ownsAny(r.owned, member.pendingRevocation)) return member;
      return next(member, r, member.memberEpoch + 1);
    case MemberState.UNRELEASED_PARTITIONS:
      return next(member, r, member.memberEpoch);
    default:
      // A state this broker does not know (written by a newer one): the member starts over with nothing.
      if (r.owned === null || r.owned.length > 0) {
        throw new KafkaError(ErrorCode.FENCED_MEMBER_EPOCH, 'The consumer group member is in a unknown state. The member must abandon all its partitions and rejoin.');
      }
      return next(member, r, r.targetEpoch);
  }
}

/** Whether the reported owned partitions include any of `a` (unknown ownership counts as owning). */
function ownsAny(owned: readonly OwnedPartitions[] | null, a: Assignment): boolean {
  if (owned === null) return true;
  for (const t of owned) {
    const pending = a.get(t.topicId);
    if (pending && t.partitions.some((p) => pending.has(p))) return true;
  }
  return false;
}

function next(member: ConsumerMember, r: Reconciliation, memberEpoch: number): ConsumerMember {
  let unreleased = false;
  const assigned: Assignment = new Map();
  const revoke: Assignment = new Map();
  const toAssign: Assignment = new Map();
  const topics = new Set([...r.target.keys(), ...member.assigned.keys()]);
  for (const topicId of topics) {
    const target = r.target.get(topicId) ?? new Set<number>();
    const current = member.assigned.get(topicId) ?? new Set<number>();
    const keep = new Set([...current].filter((p) => target.has(p)));
    const lose = new Set([...current].filter((p) => !keep.has(p)));
    const gain = new Set<number>();
    for (const p of target) {
      if (keep.has(p)) continue;
      // Still owned by another member: it waits until that member releases it.
      if (r.partitionEpoch(topicId, p) !== -1) unreleased = true;
      else gain.add(p);
    }
    if (keep.size > 0) assigned.set(topicId, keep);
    if (lose.size > 0) revoke.set(topicId, lose);
    if (gain.size > 0) toAssign.set(topicId, gain);
  }
  const bump = (epoch: number) => ({ memberEpoch: epoch, previousMemberEpoch: member.memberEpoch });
  if (revoke.size > 0 && ownsAny(r.owned, revoke)) {
    // Revocation first: same epoch, the member is asked to give the partitions up.
    return { ...member, ...bump(memberEpoch), state: MemberState.UNREVOKED_PARTITIONS, assigned, pendingRevocation: revoke };
  }
  for (const [topicId, parts] of toAssign) {
    const set = assigned.get(topicId) ?? new Set<number>();
    for (const p of parts) set.add(p);
    assigned.set(topicId, set);
  }
  const state = unreleased ? MemberState.UNRELEASED_PARTITIONS : MemberState.STABLE;
  return { ...member, ...bump(r.targetEpoch), state, assigned, pendingRevocation: new Map() };
}
