/**
 * The target assignment of a group at a new group epoch (Kafka's
 * TargetAssignmentBuilder): the assignor gets every member (with the member
 * being updated in its new shape, a replaced static member's place taken by
 * its successor) and its current target, and the subscribed topics; the
 * result is written as one TargetAssignmentMember record per member whose
 * target changed, then the TargetAssignmentEpoch record.
 */
import type { AssignableTopic, AssignorMember, ServerAssignor } from './assignors/assignor.js';
import type { Uuid } from '../../wire/protocol/uuid.js';
import { sameAssignment, type Assignment, type ConsumerGroup, type ConsumerMember, type SubscribedTopic } from './consumer-group.js';
import type { ConsumerGroupRecord } from './consumer-group-records.js';

export interface TargetAssignmentInput {
  group: ConsumerGroup;
  groupEpoch: number;
  assignor: ServerAssignor;
  /** The member as the heartbeat leaves it (new, or with a changed subscription). */
  updated: ConsumerMember;
  /** The subscribed topics at `groupEpoch`, by name. */
  subscription: ReadonlyMap<string, SubscribedTopic>;
  /** Regexes resolved to topic names, as they are at `groupEpoch`. */
  resolvedRegexes: ReadonlyMap<string, ReadonlySet<string>>;
}

/** The new target of every member and the records that persist the change. */
export function computeTargetAssignment(input: TargetAssignmentInput): { targets: Map<string, Assignment>; records: ConsumerGroupRecord[] } {
  const { group, groupEpoch, assignor, updated, subscription, resolvedRegexes } = input;
  const byName = new Map([...subscription.values()].map((t) => [t.name, t]));
  const members = new Map<string, { member: ConsumerMember; current: Assignment }>();
  for (const m of group.members.values()) members.set(m.memberId, { member: m, current: group.targetAssignment.get(m.memberId) ?? new Map() });
  // A static member back under a new id takes over its predecessor's target (and place).
  let current = group.targetAssignment.get(updated.memberId) ?? new Map<Uuid, Set<number>>();
  const previousId = group.staticMemberId(updated.instanceId);
  if (previousId !== undefined && previousId !== updated.memberId) {
    current = group.targetAssignment.get(previousId) ?? new Map();
    members.delete(previousId);
  }
  members.set(updated.memberId, { member: updated, current });

  const topics = new Map<Uuid, AssignableTopic>([...subscription.values()].map((t) => [t.id, { id: t.id, name: t.name, partitions: t.partitions }]));
  const specs: AssignorMember[] = [...members.values()].map(({ member, current }) => {
    const names = new Set(member.subscribedTopicNames);
    if (member.subscribedTopicRegex !== '') for (const t of resolvedRegexes.get(member.subscribedTopicRegex) ?? []) names.add(t);
    const ids = new Set<Uuid>();
    for (const n of names) { const t = byName.get(n); if (t) ids.add(t.id); }
    return { memberId: member.memberId, instanceId: member.instanceId, rackId: member.rackId, subscribedTopicIds: ids, current };
  });
  const result = assignor.assign(specs, topics);
  const targets = new Map<string, Assignment>();
  const records: ConsumerGroupRecord[] = [];
  for (const spec of specs) {
    const next = normalize(result.get(spec.memberId));
    targets.set(spec.memberId, next);
    const old = group.targetAssignment.get(spec.memberId);
    if (!old || !sameAssignment(old, next)) records.push({ type: 'TargetAssignmentMember', groupId: group.groupId, memberId: spec.memberId, value: { partitions: next } });
  }
  records.push({ type: 'TargetAssignmentEpoch', groupId: group.groupId, value: { assignmentEpoch: groupEpoch } });
  return { targets, records };
}

function normalize(a: ReadonlyMap<Uuid, ReadonlySet<number>> | undefined): Assignment {
  const out: Assignment = new Map();
  for (const [t, parts] of a ?? []) if (parts.size > 0) out.set(t, new Set(parts));
  return out;
}
