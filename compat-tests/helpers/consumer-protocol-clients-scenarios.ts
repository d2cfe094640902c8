/**
 * The consumer-protocol scenarios every client under test goes through
 * (node-rdkafka in consumer-protocol-clients*.test.ts, @platformatic/kafka in
 * consumer-protocol-platformatic*.test.ts), written once against the small
 * member shape both helpers (rdkafka-member.ts, platformatic-member.ts) have.
 * What only one client can do (regex subscriptions, how it meets a classic
 * group with members) stays in that client's test file.
 */
import type { Test } from 'tap';
import type { Consumer, Kafka } from 'kafkajs';
import { checkExactlyOnce, committedOffsets, createTopic, describedWhen, names, readThrough, SESSION_TIMEOUT_MS, sendValues, settled, setup, type Setup } from './consumer-protocol-clients.js';
import type { ChildMember } from './consumer-protocol-clients-child.js';
import { GroupWire } from './consumer-group-wire.js';
import { startAckedWriter } from './writers.js';
import { until } from './until.js';

export interface GroupMember {
  readonly name: string;
  /** Partitions assigned now ("topic-partition"). */
  readonly assigned: Set<string>;
  /** Assignments and revocations in order: "+t-p" / "-t-p". */
  readonly changes: string[];
  readonly errors: string[];
  values(topic?: string): string[];
  partitions(): string[];
  /** The client's own view of the group's committed offsets, where it has one. */
  committed?(topic: string, partitions: number[]): Promise<Record<string, number>>;
  /** Commits what it has seen and leaves. */
  close(): Promise<void>;
}

interface Teardown { teardown(fn: () => unknown): void }

export type StartMember = (t: Teardown, bootstrap: string, groupId: string, topics: string[], name: string) => Promise<GroupMember>;
export type SpawnMember = (t: Teardown, bootstrap: string, groupId: string, topics: string[]) => ChildMember;

const all = (topic: string, n: number): string[] => Array.from({ length: n }, (_, p) => `${topic}-${p}`).sort();

/**
 * Two members share six partitions three each by the uniform assignor (and
 * ConsumerGroupDescribe and ListGroups agree); then one leaves while a feed
 * runs: the other is given only the leaver's partitions, none of its own
 * revoked, and every record of the feed is read exactly once by the two.
 */
export async function shareThenLeave(t: Test, start: StartMember): Promise<void> {
  const { b: broker, admin, producer, g } = await setup(t);
  await createTopic(admin, 'share', 6);
  const a = await start(t, broker.bootstrap, 'share-g', ['share'], 'member-a');
  const b = await start(t, broker.bootstrap, 'share-g', ['share'], 'member-b');

  const d = await describedWhen(g, 'share-g', (x) => settled(2)(x) && a.assigned.size + b.assigned.size === 6, 30_000, 'both members with their assignment');
  t.equal(a.assigned.size, 3, 'member a has 3 partitions');
  t.equal(b.assigned.size, 3, 'member b has 3 partitions');
  t.same([...a.partitions(), ...b.partitions()].sort(), all('share', 6), 'every partition assigned exactly once');
  t.equal(d.assignorName, 'uniform', 'the uniform assignor by default');
  t.equal(d.assignmentEpoch, d.groupEpoch, 'the target assignment is of the current group epoch');
  const byClient = Object.fromEntries(d.members.map((m) => [m.clientId, m]));
  t.same(Object.keys(byClient).sort(), ['member-a', 'member-b'], 'ConsumerGroupDescribe lists both members by client id');
  t.same(GroupWire.describedPartitions(byClient['member-a']!.assignment), a.partitions(), 'described assignment of a is what the client was given');
  t.same(GroupWire.describedPartitions(byClient['member-b']!.assignment), b.partitions(), 'described assignment of b is what the client was given');
  t.same(byClient['member-a']!.subscribedTopicNames, ['share'], 'subscribed by name');

  const listed = await admin.listGroups();
  t.same(listed.groups.find((x) => x.groupId === 'share-g'), { groupId: 'share-g', protocolType: 'consumer' }, 'kafkajs ListGroups: protocol type consumer');
  t.same((await g.listGroups(['consumer'])).filter((x) => x.groupId === 'share-g').map((x) => x.groupType), ['consumer'], 'ListGroups v5: type consumer');
  t.same((await g.listGroups(['classic'])).filter((x) => x.groupId === 'share-g'), [], 'ListGroups v5: not among the classic groups');

  // A feed across all six partitions while a leaves: b's consumption must go on throughout.
  const writer = startAckedWriter(producer, 'share', 6);
  t.teardown(() => writer.stop());
  await until(() => a.values().length >= 20 && b.values().length >= 20, 30_000, 'both members consuming the feed');
  const bChangesBefore = b.changes.length;
  const aHad = a.partitions();
  await a.close();
  await until(() => b.assigned.size === 6, 30_000, 'b taking over all six partitions');
  const bReadAtTakeover = b.values().length;
  await until(() => b.values().length >= bReadAtTakeover + 30, 30_000, 'b consuming after the takeover');
  await writer.stop();
  t.same(writer.errors, [], 'every send acknowledged');
  const acked = writer.acked.map((x) => x.value);
  const read = await readThrough(producer, 'share', 6, () => [...a.values(), ...b.values()], 30_000, 'b reading the rest of the feed');

  t.same(b.changes.slice(bChangesBefore).sort(), aHad.map((x) => `+${x}`).sort(), "b was only given a's three partitions: none of its own revoked (no stop-the-world)");
  checkExactlyOnce(t, acked, read, 'feed across the leave');
  const after = await describedWhen(g, 'share-g', settled(1), 20_000, 'one member left');
  t.same(GroupWire.describedPartitions(after.members[0]!.assignment), all('share', 6), 'ConsumerGroupDescribe: the remaining member owns all six');
  t.same([...a.errors, ...b.errors], [], 'no client errors');
}

/** A member in a child process killed with SIGKILL: the survivor gets its partitions once the session times out, keeping its own. */
export async function killedMember(t: Test, start: StartMember, spawnChild: SpawnMember): Promise<void> {
  const { b: broker, admin, producer, g } = await setup(t);
  await createTopic(admin, 'kill', 6);
  const child = spawnChild(t, broker.bootstrap, 'kill-g', ['kill']);
  const s = await start(t, broker.bootstrap, 'kill-g', ['kill'], 'survivor');
  await until(() => child.assigned().length === 3 && s.assigned.size === 3, 60_000, 'child and survivor with 3 partitions each').catch((e: Error) => {
    throw new Error(`${e.message}; child has ${JSON.stringify(child.assigned())}, stderr: ${child.stderr()}`);
  });
  await describedWhen(g, 'kill-g', settled(2), 20_000, 'a stable group of two');
  t.same([...child.assigned(), ...s.partitions()].sort(), all('kill', 6), 'the two share the six partitions');

  // The survivor may have started with all six and handed three to the child: only what happens after the kill counts.
  const changesBefore = s.changes.length;
  const killedAt = Date.now();
  await child.kill();
  // A bound on the wait, not a timing assertion: the session timeout plus room for a loaded machine.
  await until(() => s.assigned.size === 6, SESSION_TIMEOUT_MS + 20_000, "the survivor taking over the killed member's partitions");
  t.comment(`partitions moved ${Date.now() - killedAt} ms after SIGKILL (session timeout ${SESSION_TIMEOUT_MS} ms)`);
  t.same(s.changes.slice(changesBefore).filter((c) => c.startsWith('-')), [], 'the survivor kept its own partitions throughout');
  const d = await describedWhen(g, 'kill-g', settled(1), 20_000, 'the killed member gone from the group');
  t.same(d.members.map((m) => m.clientId), ['survivor'], 'ConsumerGroupDescribe: only the survivor is left');

  const values = names('after-kill-', 12);
  await sendValues(producer, 'kill', 6, values);
  await until(() => values.every((v) => s.values().includes(v)), 30_000, 'the survivor reading from all six partitions');
  t.pass('the survivor reads records sent to every partition');
  t.same(s.errors, [], 'no client errors');
}

/** Committed offsets carry over from member to member of a group, and over a broker restart on the same data dir. */
export async function resumeAfterRestart(t: Test, start: StartMember): Promise<void> {
  const { b, kafka, admin, producer, g } = await setup(t);
  await createTopic(admin, 'resume', 3);
  const first = names('first-', 30);
  await sendValues(producer, 'resume', 3, first);
  const c1 = await start(t, b.bootstrap, 'resume-g', ['resume'], 'c1');
  checkExactlyOnce(t, first, await readThrough(producer, 'resume', 3, () => c1.values(), 30_000, 'c1'), 'c1 reads the first batch');
  await c1.close();
  t.same(c1.errors, [], 'c1 committed and closed without errors');
  // The markers were read too: 10 records and one marker per partition.
  t.same(await committedOffsets(g, 'resume-g', 'resume', 3), { 'resume-0': 11, 'resume-1': 11, 'resume-2': 11 }, "the group has c1's commits");

  const second = names('second-', 30);
  await sendValues(producer, 'resume', 3, second);
  const c2 = await start(t, b.bootstrap, 'resume-g', ['resume'], 'c2');
  if (c2.committed) {
    await until(() => c2.assigned.size === 3, 30_000, 'c2 assigned');
    t.same(await c2.committed('resume', [0, 1, 2]), { 'resume-0': 11, 'resume-1': 11, 'resume-2': 11 }, "the client's own committed(): the same offsets");
  }
  checkExactlyOnce(t, second, await readThrough(producer, 'resume', 3, () => c2.values(), 30_000, 'c2'), "c2 resumes after c1's commits");
  await c2.close();
  t.same(c2.errors, [], 'c2 committed and closed without errors');

  await b.restart();
  // The restart dropped every connection: the group API connection is opened again, the producer too.
  const g2 = await GroupWire.connect(t, b.host, b.port);
  t.same(await committedOffsets(g2, 'resume-g', 'resume', 3), { 'resume-0': 22, 'resume-1': 22, 'resume-2': 22 }, "c2's commits are there after the restart");
  const p2 = kafka.producer({ allowAutoTopicCreation: false });
  await p2.connect();
  t.teardown(() => p2.disconnect());
  const third = names('third-', 30);
  await sendValues(p2, 'resume', 3, third);
  const c3 = await start(t, b.bootstrap, 'resume-g', ['resume'], 'c3');
  checkExactlyOnce(t, third, await readThrough(p2, 'resume', 3, () => c3.values(), 30_000, 'c3'), "c3 resumes after the restart from c2's commits");
  const d = await describedWhen(g2, 'resume-g', settled(1), 20_000, 'the group after the restart');
  t.equal(d.members[0]!.clientId, 'c3', 'the group after the restart has c3 only');
  t.same(c3.errors, [], 'no client errors');
}

/** A kafkajs (classic protocol) consumer reading `topic` from the group's committed offsets, or the beginning; disconnected in teardown. */
export async function classicConsumer(t: Test, kafka: Kafka, groupId: string, topic: string): Promise<{ consumer: Consumer; values: string[]; joins: () => number; assigned: () => string[] }> {
  const consumer = kafka.consumer({ groupId, sessionTimeout: 6000, heartbeatInterval: 500, retry: { retries: 10 } });
  const values: string[] = [];
  let joins = 0;
  let assigned: string[] = [];
  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    joins++;
    assigned = Object.entries(e.payload.memberAssignment).flatMap(([tp, ps]) => ps.map((p) => `${tp}-${p}`)).sort();
  });
  await consumer.connect();
  t.teardown(() => consumer.disconnect());
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => { values.push(message.value!.toString()); } });
  return { consumer, values, joins: () => joins, assigned: () => assigned };
}

/** Waits until every partition of `topic` has `offset` committed in the group (kafkajs commits after its batches); returns the last answer. */
export async function committedWhen(g: GroupWire, groupId: string, topic: string, partitions: number, offset: number): Promise<Record<string, number>> {
  let last: Record<string, number> = {};
  const end = Date.now() + 30_000;
  while (Date.now() < end) {
    last = await committedOffsets(g, groupId, topic, partitions);
    if (Object.values(last).every((o) => o === offset)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return last;
}

/**
 * An empty classic (kafkajs) group becomes a consumer group when a member
 * of the client under test joins, and a classic group again when kafkajs
 * joins after it left; each resumes from the other's commits.
 */
export async function classicConversion(t: Test, start: StartMember): Promise<void> {
  const { b, kafka, admin, producer, g } = await setup(t);
  await createTopic(admin, 'conv', 3);
  const first = names('classic-', 30);
  await sendValues(producer, 'conv', 3, first);
  const k1 = await classicConsumer(t, kafka, 'conv-g', 'conv');
  checkExactlyOnce(t, first, await readThrough(producer, 'conv', 3, () => k1.values, 30_000, 'kafkajs'), 'kafkajs reads the first batch');
  t.same(await committedWhen(g, 'conv-g', 'conv', 3, 11), { 'conv-0': 11, 'conv-1': 11, 'conv-2': 11 }, 'kafkajs committed what it read');
  await k1.consumer.disconnect();
  t.same((await g.listGroups(['classic'])).filter((x) => x.groupId === 'conv-g').map((x) => x.groupState), ['Empty'], 'ListGroups v5: an empty classic group');

  const second = names('consumer-', 30);
  await sendValues(producer, 'conv', 3, second);
  const m = await start(t, b.bootstrap, 'conv-g', ['conv'], 'member');
  checkExactlyOnce(t, second, await readThrough(producer, 'conv', 3, () => m.values(), 30_000, 'the member'), "the consumer-protocol member resumes from kafkajs's commits");
  t.same((await g.listGroups(['consumer'])).filter((x) => x.groupId === 'conv-g').map((x) => x.groupType), ['consumer'], 'the group is now a consumer group');
  await m.close();
  t.same(m.errors, [], 'the member committed and closed without errors');

  const third = names('classic-again-', 30);
  await sendValues(producer, 'conv', 3, third);
  const k2 = await classicConsumer(t, kafka, 'conv-g', 'conv');
  checkExactlyOnce(t, third, await readThrough(producer, 'conv', 3, () => k2.values, 30_000, 'kafkajs again'), "kafkajs resumes from the consumer-protocol member's commits");
  t.same((await g.listGroups(['classic'])).filter((x) => x.groupId === 'conv-g').map((x) => x.groupType), ['classic'], 'the group is a classic group again');
}

/**
 * Kafka 4.0's online migration (group.consumer.migration.policy=bidirectional,
 * the default): a consumer-protocol member joining a classic group that has a
 * kafkajs member turns it into a consumer group in which kafkajs stays, as a
 * classic member, and the two share the partitions; when the
 * consumer-protocol member leaves, the group is a classic group again and
 * kafkajs gets everything back. A feed runs throughout: nothing is lost
 * (kafkajs, eager, may read again what it had read but not yet committed when
 * it was made to rejoin, so duplicates are counted, not failed).
 */
export async function onlineUpgradeAndDowngrade(t: Test, start: StartMember): Promise<void> {
  const { b, kafka, admin, producer, g } = await setup(t);
  await createTopic(admin, 'mig', 4);
  const k = await classicConsumer(t, kafka, 'mig-g', 'mig');
  const writer = startAckedWriter(producer, 'mig', 4);
  t.teardown(() => writer.stop());
  await until(() => k.assigned().length === 4 && k.values.length >= 20, 30_000, 'kafkajs alone with all four partitions, consuming');

  const m = await start(t, b.bootstrap, 'mig-g', ['mig'], 'member');
  const d = await describedWhen(g, 'mig-g', (x) => settled(2)(x) && m.assigned.size === 2 && k.assigned().length === 2, 60_000, 'kafkajs and the member sharing the four partitions');
  t.same([...k.assigned(), ...m.partitions()].sort(), all('mig', 4), 'kafkajs (classic member) and the consumer-protocol member share the partitions, two each');
  t.same(d.members.map((x) => x.clientId).sort(), ['cp-test', 'member'], 'ConsumerGroupDescribe: both members of one consumer group');
  t.same((await g.listGroups(['consumer'])).filter((x) => x.groupId === 'mig-g').map((x) => x.groupType), ['consumer'], 'ListGroups v5: upgraded to a consumer group');
  const kRead = k.values.length;
  const mRead = m.values().length;
  await until(() => k.values.length >= kRead + 10 && m.values().length >= mRead + 10, 30_000, 'both consuming in the upgraded group');

  await m.close();
  await until(() => k.assigned().length === 4, 60_000, 'kafkajs getting all four partitions back');
  t.same((await g.listGroups(['classic'])).filter((x) => x.groupId === 'mig-g').map((x) => x.groupType), ['classic'], 'ListGroups v5: a classic group again once the consumer-protocol member left');
  const kRead2 = k.values.length;
  await until(() => k.values.length >= kRead2 + 10, 30_000, 'kafkajs consuming in the downgraded group');
  await writer.stop();
  t.same(writer.errors, [], 'every send acknowledged');
  const acked = writer.acked.map((x) => x.value);
  const read = await readThrough(producer, 'mig', 4, () => [...k.values, ...m.values()], 30_000, 'kafkajs reading the rest of the feed');
  const missing = acked.filter((v) => !read.includes(v));
  t.same(missing.slice(0, 10), [], `every one of ${acked.length} records read (${missing.length} missing)`);
  t.comment(`${read.length - new Set(read).size} records read twice across the two protocol switches`);
  t.same(m.errors, [], 'no client errors');
}

/**
 * group.consumer.migration.policy=disabled: a consumer-protocol member may
 * not join a classic group while it has a (kafkajs) member, which keeps
 * consuming undisturbed, and joins once the group is empty, resuming from the
 * classic member's commits. `refuse` shows the refusal the client's way and
 * returns how the client then joins (`joinWaitMs`: how long that may take).
 */
export async function refusedWhileClassic(t: Test, client: string, joinWaitMs: number,
  refuse: (s: Setup) => Promise<() => Promise<GroupMember>>): Promise<GroupMember> {
  const s = await setup(t, { 'group.consumer.migration.policy': 'disabled' });
  const { kafka, admin, producer, g } = s;
  await createTopic(admin, 'mix', 2);
  const first = names('mix-classic-', 10);
  await sendValues(producer, 'mix', 2, first);
  const k = await classicConsumer(t, kafka, 'mix-g', 'mix');
  checkExactlyOnce(t, first, await readThrough(producer, 'mix', 2, () => k.values, 30_000, 'kafkajs'), 'kafkajs reads the first batch');

  const join = await refuse(s);
  const classic = await g.describeGroup('mix-g');
  t.same({ state: classic.groupState, members: classic.members.length }, { state: 'Stable', members: 1 }, 'DescribeGroups: still the classic group with its one member');
  t.equal(k.joins(), 1, 'kafkajs was not made to rebalance');
  const second = names('mix-while-', 10);
  await sendValues(producer, 'mix', 2, second);
  checkExactlyOnce(t, [...first, ...second], await readThrough(producer, 'mix', 2, () => k.values, 30_000, 'kafkajs'), 'kafkajs keeps consuming');
  // 5 records and a marker per partition per round, two rounds.
  t.same(await committedWhen(g, 'mix-g', 'mix', 2, 12), { 'mix-0': 12, 'mix-1': 12 }, 'kafkajs committed what it read');
  await k.consumer.disconnect();

  const third = names('mix-after-', 10);
  await sendValues(producer, 'mix', 2, third);
  const m = await join();
  await until(() => m.assigned.size === 2, joinWaitMs, `${client} joining the emptied group`);
  checkExactlyOnce(t, third, await readThrough(producer, 'mix', 2, () => m.values(), 30_000, client), `${client} resumes from kafkajs's commits`);
  t.same((await g.listGroups(['consumer'])).filter((x) => x.groupId === 'mix-g').map((x) => x.groupType), ['consumer'], 'the group is now a consumer group');
  return m;
}
