/**
 * Applies consumer group records to the groups in memory (Kafka's
 * GroupMetadataManager.replay for records 3..8). The same function serves
 * the load of a __consumer_offsets partition and every change made live:
 * a heartbeat computes its records against the current state, then they are
 * replayed here, so memory never holds what the log would not rebuild.
 *
 * A consumer group record for a group id held by a classic group without
 * members (a commit-only group, or one whose metadata was just tombstoned
 * by the conversion) turns it into a consumer group with its offsets; the
 * group epoch tombstone (deletion, or conversion back to classic) leaves a
 * commit-only classic group holding the offsets, or nothing.
 */
import { ClassicGroup } from './classic-group.js';
import { ConsumerGroup, LEAVE_GROUP_MEMBER_EPOCH, newMember, type ConsumerMember } from './consumer-group.js';
import type { ConsumerGroupRecord } from './consumer-group-records.js';
import type { Group } from './group.js';

/** The consumer group of that id, created (from an empty classic group, offsets kept) when `create`. */
function persisted(groups: Map<string, Group>, groupId: string, create: boolean): ConsumerGroup | undefined {
  const g = groups.get(groupId);
  if (g?.type === 'consumer') return g;
  if (!create) return undefined;
  if (g && g.members.size > 0) return undefined; // a live classic group: the record does not belong to it
  const cg = g ? new ConsumerGroup(groupId, g.offsets, g.pendingTxnOffsets) : new ConsumerGroup(groupId);
  groups.set(groupId, cg);
  return cg;
}

export function replayConsumerRecord(groups: Map<string, Group>, r: ConsumerGroupRecord): void {
  switch (r.type) {
    case 'ClassicGroupTombstone': {
      const g = groups.get(r.groupId);
      if (g?.type !== 'classic') return;
      Object.assign(g, { state: 'Empty', generationId: 0, protocolType: null, protocolName: null, leaderId: null });
      // An online upgrade: the members move into the consumer group the records that follow build (their timers were stopped by the coordinator).
      g.members.clear();
      g.pendingMembers.clear();
      return;
    }
    case 'GroupEpoch': {
      if (r.value) { persisted(groups, r.groupId, true)?.setGroupEpoch(r.value.epoch); return; }
      const g = persisted(groups, r.groupId, false);
      if (!g) return;
      g.state = 'Dead';
      // Offsets outlive the group's metadata (a conversion to classic, or a deletion whose offset tombstones follow).
      if (g.offsets.size > 0 || g.pendingTxnOffsets.size > 0) groups.set(r.groupId, new ClassicGroup(r.groupId, g.offsets, g.pendingTxnOffsets));
      else groups.delete(r.groupId);
      return;
    }
    case 'SubscriptionMetadata': {
      const g = persisted(groups, r.groupId, r.value !== null);
      if (g) g.subscriptionMetadata = new Map((r.value?.topics ?? []).map((t) => [t.name, { ...t }]));
      return;
    }
    case 'TargetAssignmentEpoch': {
      persisted(groups, r.groupId, r.value !== null)?.setAssignmentEpoch(r.value ? r.value.assignmentEpoch : -1);
      return;
    }
    case 'TargetAssignmentMember': {
      const g = persisted(groups, r.groupId, r.value !== null);
      if (!g) return;
      if (r.value) g.targetAssignment.set(r.memberId, r.value.partitions);
      else g.targetAssignment.delete(r.memberId);
      g.updateState();
      return;
    }
    case 'MemberMetadata': {
      const g = persisted(groups, r.groupId, r.value !== null);
      if (!g) return;
      if (!r.value) { g.removeMember(r.memberId); return; }
      const v = r.value;
      const old = g.members.get(r.memberId) ?? newMember(r.memberId);
      g.updateMember({
        ...old, instanceId: v.instanceId, rackId: v.rackId, clientId: v.clientId, clientHost: v.clientHost,
        subscribedTopicNames: [...new Set(v.subscribedTopicNames)].sort(), subscribedTopicRegex: v.subscribedTopicRegex ?? '',
        rebalanceTimeoutMs: v.rebalanceTimeoutMs, serverAssignor: v.serverAssignor, classic: v.classicMemberMetadata ?? null,
      });
      return;
    }
    case 'CurrentAssignment': {
      const g = persisted(groups, r.groupId, r.value !== null);
      if (!g) return;
      const old = g.members.get(r.memberId);
      let m: ConsumerMember;
      if (r.value) {
        const v = r.value;
        m = { ...(old ?? newMember(r.memberId)), memberEpoch: v.memberEpoch, previousMemberEpoch: v.previousMemberEpoch, state: v.state, assigned: v.assigned, pendingRevocation: v.pendingRevocation };
      } else {
        // The member is leaving: it owns nothing from here; its metadata tombstone follows.
        if (!old) return;
        m = { ...old, memberEpoch: LEAVE_GROUP_MEMBER_EPOCH, previousMemberEpoch: LEAVE_GROUP_MEMBER_EPOCH, assigned: new Map(), pendingRevocation: new Map() };
      }
      g.updateMember(m);
      return;
    }
  }
}
