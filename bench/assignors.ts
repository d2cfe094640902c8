/**
 * How long the KIP-848 server-side assignors take to compute a target
 * assignment: pure computation, no broker. For 10, 100 and 1,000 members over
 * 1,000 partitions and 1,000 members over 10,000 partitions (topics of 100
 * partitions), it times a first assignment (nobody holds anything) and a
 * rebalance after one member joins a settled group, with every member on the
 * same topics (homogeneous) and with each member on a random half of them
 * (heterogeneous). Prints the median wall-clock time of several runs in ms,
 * and the mean CPU time (which a busy machine inflates less).
 *
 * Run: node dist/bench/assignors.js (after a build), or through a TypeScript loader.
 */
import type { AssignableTopic, AssignorMember, ServerAssignor, TopicPartitions } from '../src/coordinator/group/assignors/assignor.js';
import { rangeAssignor } from '../src/coordinator/group/assignors/range.js';
import { uniformAssignor } from '../src/coordinator/group/assignors/uniform.js';
import type { Uuid } from '../src/wire/protocol/uuid.js';

const PARTITIONS_PER_TOPIC = 100;
const SIZES: [members: number, partitions: number][] = [[10, 1_000], [100, 1_000], [1_000, 1_000], [1_000, 10_000]];

/** Seeded, so every run times the same groups. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

function group(memberCount: number, partitions: number, heterogeneous: boolean) {
  const random = prng(memberCount * 31 + partitions);
  const topicIds: Uuid[] = Array.from({ length: partitions / PARTITIONS_PER_TOPIC }, () =>
    Buffer.from(Array.from({ length: 16 }, () => Math.floor(random() * 256))).toString('base64url'));
  const topics = new Map<Uuid, AssignableTopic>(topicIds.map((id, i) => [id, { id, name: `topic-${i}`, partitions: PARTITIONS_PER_TOPIC }]));
  const subscription = () => {
    if (!heterogeneous) return new Set(topicIds);
    const some = topicIds.filter(() => random() < 0.5);
    return new Set(some.length > 0 ? some : topicIds.slice(0, 1));
  };
  const member = (memberId: string): AssignorMember => ({
    memberId, instanceId: null, rackId: null, subscribedTopicIds: subscription(), current: new Map(),
  });
  const members = Array.from({ length: memberCount }, (_, i) => member(`member-${i}`));
  return { topics, members, newcomer: member('member-new') };
}

function time(runs: number, f: () => void): string {
  const times: number[] = [];
  const cpu = process.cpuUsage();
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    f();
    times.push(performance.now() - start);
  }
  const { user, system } = process.cpuUsage(cpu);
  times.sort((a, b) => a - b);
  const ms = (n: number) => n.toFixed(1).padStart(6);
  return `${ms(times[Math.floor(times.length / 2)]!)} ms (cpu ${ms((user + system) / 1000 / runs)} ms)`;
}

const settled = (members: AssignorMember[], result: Map<string, TopicPartitions>): AssignorMember[] =>
  members.map((m) => ({ ...m, current: result.get(m.memberId)! }));

function bench(assignor: ServerAssignor, heterogeneous: boolean): void {
  for (const [memberCount, partitions] of SIZES) {
    const { topics, members, newcomer } = group(memberCount, partitions, heterogeneous);
    const runs = memberCount * partitions >= 10_000_000 ? 5 : 11;
    assignor.assign(members, topics); // warm-up
    const first = time(runs, () => assignor.assign(members, topics));
    const joined = [...settled(members, assignor.assign(members, topics)), newcomer];
    const rebalance = time(runs, () => assignor.assign(joined, topics));
    const label = `${assignor.name.padEnd(7)} ${(heterogeneous ? 'heterogeneous' : 'homogeneous').padEnd(13)} ` +
      `${String(memberCount).padStart(5)} members x ${String(partitions).padStart(6)} partitions`;
    console.log(`${label}: first assignment ${first}, one member joins ${rebalance}`);
  }
}

for (const heterogeneous of [false, true]) bench(uniformAssignor, heterogeneous);
for (const heterogeneous of [false, true]) bench(rangeAssignor, heterogeneous);
