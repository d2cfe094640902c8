/**
 * The `range` server-side assignor (Kafka's RangeAssignor for the consumer
 * protocol): topic by topic, the members subscribed to it, in a fixed order,
 * get consecutive ranges of its partitions, the first P % N of them one
 * partition more than the others. Since the order is the same for every topic,
 * members get the same partition numbers of topics with the same partition
 * count (co-partitioning, for joins).
 *
 * Stickiness, as Kafka has it for this assignor, comes from the order alone
 * and not from the current assignment: static members (group.instance.id)
 * first, by instance id, then dynamic members by member id. A static member
 * that rejoins under a new member id lands in the same place and gets the
 * same ranges as long as the members, their subscriptions and the partition
 * counts have not changed. The current assignment is not looked at.
 */
import type { Uuid } from '../../../wire/protocol/uuid.js';
import type { AssignorMember, ServerAssignor, TopicPartitions } from './assignor.js';

export const RANGE_ASSIGNOR_NAME = 'range';

/** Java's String.compareTo order (UTF-16 code units), which is JS's < too. */
const compareStrings = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function compareMembers(a: AssignorMember, b: AssignorMember): number {
  if (a.instanceId !== null && b.instanceId !== null) return compareStrings(a.instanceId, b.instanceId);
  if (a.instanceId !== null) return -1;
  if (b.instanceId !== null) return 1;
  return compareStrings(a.memberId, b.memberId);
}

export const rangeAssignor: ServerAssignor = {
  name: RANGE_ASSIGNOR_NAME,
  assign(members, topics) {
    const sorted = [...members].sort(compareMembers);
    const out = new Map<string, TopicPartitions>(sorted.map((m) => [m.memberId, new Map()]));

    const subscribers = new Map<Uuid, AssignorMember[]>();
    for (const m of sorted) {
      for (const id of m.subscribedTopicIds) {
        if (!topics.has(id)) continue;
        let list = subscribers.get(id);
        if (!list) subscribers.set(id, (list = []));
        list.push(m);
      }
    }

    // Topics in id order so that each member's map lists them the same way whatever the input's order.
    for (const id of [...subscribers.keys()].sort(compareStrings)) {
      const subs = subscribers.get(id)!;
      const partitions = Math.max(0, topics.get(id)!.partitions);
      const minQuota = Math.floor(partitions / subs.length);
      const extras = partitions % subs.length;
      let start = 0;
      subs.forEach((m, i) => {
        const end = start + minQuota + (i < extras ? 1 : 0);
        if (end > start) {
          const range = new Set<number>();
          for (let p = start; p < end; p++) range.add(p);
          out.get(m.memberId)!.set(id, range);
        }
        start = end;
      });
    }
    return out;
  },
};
