/**
 * Partition assignment for a classic consumer group, computed by the member
 * the coordinator makes leader: range (the Java client's default, per topic
 * in contiguous runs) and round robin (every subscribed partition dealt to
 * the members in turn). Round robin is offered under Java's name
 * "roundrobin" and kafkajs's "RoundRobinAssigner", the only protocol a
 * kafkajs consumer offers, so both can share a group with this client.
 */
import type { TopicPartitions } from './consumer-protocol.js';

export interface Subscriber { memberId: string; topics: string[] }

export type Assignor = (members: Subscriber[], partitionCounts: Map<string, number>) => Map<string, TopicPartitions[]>;

const byId = (a: Subscriber, b: Subscriber) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0);

function add(out: Map<string, TopicPartitions[]>, memberId: string, topic: string, partition: number): void {
  const list = out.get(memberId)!;
  let entry = list.find((x) => x.topic === topic);
  if (!entry) list.push((entry = { topic, partitions: [] }));
  entry.partitions.push(partition);
}

/** Java's RangeAssignor: for each topic, its subscribers by member id take n/m partitions each, the first n%m one more. */
export const rangeAssignor: Assignor = (members, counts) => {
  const out = new Map(members.map((m) => [m.memberId, [] as TopicPartitions[]]));
  const topics = [...new Set(members.flatMap((m) => m.topics))].sort();
  for (const topic of topics) {
    const n = counts.get(topic) ?? 0;
    const subs = members.filter((m) => m.topics.includes(topic)).sort(byId);
    if (n === 0 || subs.length === 0) continue;
    const each = Math.floor(n / subs.length);
    const extra = n % subs.length;
    subs.forEach((m, i) => {
      const start = each * i + Math.min(i, extra);
      const len = each + (i < extra ? 1 : 0);
      for (let p = start; p < start + len; p++) add(out, m.memberId, topic, p);
    });
  }
  return out;
};

/** Java's RoundRobinAssignor: all partitions sorted by topic and number, dealt to the members in id order, skipping a member not subscribed to the topic. */
export const roundRobinAssignor: Assignor = (members, counts) => {
  const out = new Map(members.map((m) => [m.memberId, [] as TopicPartitions[]]));
  const sorted = [...members].sort(byId);
  const topics = [...new Set(members.flatMap((m) => m.topics))].sort();
  let next = 0;
  for (const topic of topics) {
    for (let p = 0; p < (counts.get(topic) ?? 0); p++) {
      for (let tries = 0; tries < sorted.length; tries++) {
        const m = sorted[next++ % sorted.length]!;
        if (m.topics.includes(topic)) { add(out, m.memberId, topic, p); break; }
      }
    }
  }
  return out;
};

/** The protocols this client offers in JoinGroup, most preferred first. */
export const ASSIGNORS: { name: string; assign: Assignor }[] = [
  { name: 'range', assign: rangeAssignor },
  { name: 'roundrobin', assign: roundRobinAssignor },
  { name: 'RoundRobinAssigner', assign: roundRobinAssignor },
];
