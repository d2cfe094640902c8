/**
 * Consumer groups through real clients: kafkajs 2.2.4 consumers and admin,
 * and kcat's balanced consumer (-G).
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import kafkajs from 'kafkajs';
import { testBroker } from './helpers/broker.js';
import { until } from './helpers/until.js';

const { Kafka, logLevel, PartitionAssigners } = kafkajs;
type PartitionAssigner = Parameters<InstanceType<typeof Kafka>['consumer']>[0]['partitionAssigners'] extends (infer A)[] | undefined ? A : never;
type Consumer = ReturnType<InstanceType<typeof Kafka>['consumer']>;

t.test('kafkajs: two members split the partitions, commits let a new member resume, admin sees the group', async (t) => {
  const b = await testBroker(t);
  const kafka = new Kafka({ brokers: [b.bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  await admin.createTopics({ topics: [{ topic: 'shared', numPartitions: 4 }] });
  const producer = kafka.producer();
  await producer.connect();
  t.teardown(() => producer.disconnect());
  for (let p = 0; p < 4; p++) await producer.send({ topic: 'shared', messages: Array.from({ length: 5 }, (_, i) => ({ partition: p, value: `p${p}-${i}` })) });

  const assigned = new Map<string, number[]>();
  const seen: string[] = [];
  const member = async (name: string): Promise<Consumer> => {
    const c = kafka.consumer({ groupId: 'g-split', sessionTimeout: 6000, heartbeatInterval: 300, maxWaitTimeInMs: 100 });
    c.on(c.events.GROUP_JOIN, (e) => assigned.set(name, (e.payload.memberAssignment['shared'] ?? []).slice().sort()));
    await c.connect();
    await c.subscribe({ topic: 'shared', fromBeginning: true });
    await c.run({ eachMessage: async ({ message }) => { seen.push(message.value!.toString()); } });
    return c;
  };
  const one = await member('one');
  await until(() => seen.length >= 20, 20_000, 'the first member to read everything');
  t.same(assigned.get('one'), [0, 1, 2, 3], 'a lone member gets all partitions');
  await one.commitOffsets([0, 1, 2, 3].map((p) => ({ topic: 'shared', partition: p, offset: '5' })));

  const two = await member('two');
  await until(() => (assigned.get('two')?.length ?? 0) > 0 && (assigned.get('one')?.length ?? 0) + (assigned.get('two')?.length ?? 0) === 4 && (assigned.get('one')?.length ?? 0) < 4, 20_000, 'a rebalance that splits the partitions');
  const all = [...assigned.get('one')!, ...assigned.get('two')!].sort();
  t.same(all, [0, 1, 2, 3], 'each partition assigned exactly once across the two members');

  const desc = await admin.describeGroups(['g-split']);
  t.equal(desc.groups[0]!.state, 'Stable', 'described as Stable');
  t.equal(desc.groups[0]!.members.length, 2, 'with two members');
  t.ok((await admin.listGroups()).groups.some((g) => g.groupId === 'g-split' && g.protocolType === 'consumer'), 'listed');
  await t.rejects(admin.deleteGroups(['g-split']), 'a group with members cannot be deleted');

  await two.disconnect();
  await one.disconnect();
  const offsets = await admin.fetchOffsets({ groupId: 'g-split', topics: ['shared'] });
  t.same(offsets[0]!.partitions.map((p) => p.offset).sort(), ['5', '5', '5', '5'], 'fetchOffsets returns the commits');

  // A new member of the same group resumes after the committed offsets: it sees only new messages.
  seen.length = 0;
  for (let p = 0; p < 4; p++) await producer.send({ topic: 'shared', messages: [{ partition: p, value: `late-${p}` }] });
  const three = await member('three');
  await until(() => seen.length >= 4, 20_000, 'the resumed member');
  await new Promise((r) => setTimeout(r, 300));
  t.same(seen.slice().sort(), ['late-0', 'late-1', 'late-2', 'late-3'], 'resumes from the committed offsets, nothing re-read');
  await three.disconnect();

  await admin.setOffsets({ groupId: 'g-split', topic: 'shared', partitions: [{ partition: 0, offset: '1' }] });
  await admin.resetOffsets({ groupId: 'g-split', topic: 'shared', earliest: true });
  const reset = await admin.fetchOffsets({ groupId: 'g-split', topics: ['shared'] });
  t.ok(reset[0]!.partitions.every((p) => p.offset === '0' || p.offset === '-2'), 'resetOffsets to earliest');
  await admin.deleteGroups(['g-split']);
  t.notOk((await admin.listGroups()).groups.some((g) => g.groupId === 'g-split'), 'deleted once empty');
});

t.test('a member that stops heartbeating is removed after its session timeout', async (t) => {
  const b = await testBroker(t);
  const kafka = new Kafka({ brokers: [b.bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  await admin.createTopics({ topics: [{ topic: 'silent', numPartitions: 2 }] });
  // kcat -G is the member; SIGKILL means no LeaveGroup.
  const child = spawn('kcat', ['-b', b.bootstrap, '-G', 'g-silent', 'silent', '-q', '-X', 'session.timeout.ms=6000', '-X', 'heartbeat.interval.ms=500'], { stdio: 'ignore' });
  t.teardown(() => { child.kill('SIGKILL'); });
  let members = 0;
  for (let i = 0; i < 200 && members !== 1; i++) {
    members = (await admin.describeGroups(['g-silent'])).groups[0]!.members.length;
    await new Promise((r) => setTimeout(r, 100));
  }
  t.equal(members, 1, 'kcat joined the group');
  child.kill('SIGKILL');
  const killed = Date.now();
  for (let i = 0; i < 150 && members !== 0; i++) {
    members = (await admin.describeGroups(['g-silent'])).groups[0]!.members.length;
    await new Promise((r) => setTimeout(r, 100));
  }
  t.equal(members, 0, `removed after the session timeout (${Date.now() - killed} ms after SIGKILL)`);
});

t.test('two kcat -G consumers share a topic', async (t) => {
  const b = await testBroker(t);
  const kafka = new Kafka({ brokers: [b.bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  await admin.createTopics({ topics: [{ topic: 'kc', numPartitions: 2 }] });
  const outputs: string[][] = [[], []];
  const children = [0, 1].map((i) => {
    const c = spawn('kcat', ['-b', b.bootstrap, '-G', 'g-kcat', 'kc', '-q', '-u', '-o', 'beginning', '-f', '%s\\n', '-X', 'session.timeout.ms=6000', '-X', 'heartbeat.interval.ms=500'], { stdio: ['ignore', 'pipe', 'ignore'] });
    c.stdout!.on('data', (d: Buffer) => outputs[i]!.push(...d.toString().split('\n').filter(Boolean)));
    return c;
  });
  t.teardown(() => { for (const c of children) c.kill('SIGKILL'); });
  let stable = false;
  for (let i = 0; i < 200 && !stable; i++) {
    const g = (await admin.describeGroups(['g-kcat'])).groups[0]!;
    stable = g.state === 'Stable' && g.members.length === 2 && g.members.every((m) => m.memberAssignment.length > 0);
    if (!stable) await new Promise((r) => setTimeout(r, 100));
  }
  t.ok(stable, 'both kcat members joined and got an assignment');
  const producer = kafka.producer();
  await producer.connect();
  t.teardown(() => producer.disconnect());
  await producer.send({ topic: 'kc', messages: Array.from({ length: 20 }, (_, i) => ({ partition: i % 2, value: `m${i}` })) });
  await until(() => outputs[0]!.length + outputs[1]!.length >= 20, 20_000, 'kcat consumers');
  t.equal(new Set([...outputs[0]!, ...outputs[1]!]).size, 20, 'every message consumed once');
  t.ok(outputs[0]!.length > 0 && outputs[1]!.length > 0, `both consumed (${outputs[0]!.length} and ${outputs[1]!.length})`);
});

t.test('a static member (kcat, group.instance.id) restarting within its session timeout keeps its partitions, no rebalance', async (t) => {
  const b = await testBroker(t);
  const kafka = new Kafka({ brokers: [b.bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  await admin.createTopics({ topics: [{ topic: 'static', numPartitions: 4 }] });
  const start = (id: string) => spawn('kcat', ['-b', b.bootstrap, '-G', 'g-static', 'static', '-q', '-X', `group.instance.id=${id}`, '-X', 'session.timeout.ms=20000', '-X', 'heartbeat.interval.ms=500'], { stdio: 'ignore' });
  const children = [start('a'), start('b')];
  t.teardown(() => { for (const c of children) c.kill('SIGKILL'); });
  const describe = async () => (await admin.describeGroups(['g-static'])).groups[0]!;
  let g = await describe();
  for (let i = 0; i < 200 && !(g.state === 'Stable' && g.members.length === 2 && g.members.every((m) => m.memberAssignment.length > 0)); i++) {
    await new Promise((r) => setTimeout(r, 100));
    g = await describe();
  }
  t.equal(g.members.length, 2, 'two static members, Stable');
  // Static members' ids start with their group.instance.id, as in Kafka.
  const before = g.members.find((m) => m.memberId.startsWith('a-'))!;
  const beforeB = g.members.find((m) => m !== before)!;
  children[0]!.kill('SIGKILL');
  await new Promise((r) => setTimeout(r, 500));
  children[0] = start('a');
  const states = new Set<string>();
  let after = g;
  for (let i = 0; i < 200; i++) {
    after = await describe();
    states.add(after.state);
    if (after.members.length === 2 && !after.members.some((m) => m.memberId === before.memberId) && after.members.every((m) => m.memberAssignment.length > 0)) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const newA = after.members.find((m) => m.memberId.startsWith('a-'))!;
  t.not(newA.memberId, before.memberId, 'the restarted member has a new member id');
  t.same(newA.memberAssignment, before.memberAssignment, 'and the same assignment');
  t.same(after.members.find((m) => m.memberId === beforeB.memberId)?.memberAssignment, beforeB.memberAssignment, 'the other member kept its assignment');
  t.same([...states], ['Stable'], 'the group never left Stable');
});

t.test('commit, restart the broker, and the group resumes from the committed offsets', async (t) => {
  const b = await testBroker(t);
  if (b.external) return t.plan(0, 'BROKER=host:port cannot be restarted from here');
  const kafka = new Kafka({ brokers: [b.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 } });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'resume', numPartitions: 2 }] });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: 'resume', messages: Array.from({ length: 10 }, (_, i) => ({ partition: i % 2, value: `old-${i}` })) });
  const seen: string[] = [];
  const consume = async () => {
    const c = kafka.consumer({ groupId: 'g-resume', sessionTimeout: 6000, heartbeatInterval: 300, maxWaitTimeInMs: 100 });
    await c.connect();
    await c.subscribe({ topic: 'resume', fromBeginning: true });
    await c.run({ eachMessage: async ({ message }) => { seen.push(message.value!.toString()); } });
    return c;
  };
  const first = await consume();
  await until(() => seen.length >= 10, 20_000, 'the first consumer');
  await first.disconnect(); // commits what it consumed
  await producer.disconnect();
  await admin.disconnect();
  await b.restart();
  const again = new Kafka({ brokers: [b.bootstrap], logLevel: logLevel.NOTHING });
  const p2 = again.producer();
  await p2.connect();
  await p2.send({ topic: 'resume', messages: [{ partition: 0, value: 'new-0' }, { partition: 1, value: 'new-1' }] });
  await p2.disconnect();
  seen.length = 0;
  const c = again.consumer({ groupId: 'g-resume', sessionTimeout: 6000, heartbeatInterval: 300, maxWaitTimeInMs: 100 });
  await c.connect();
  await c.subscribe({ topic: 'resume', fromBeginning: true });
  await c.run({ eachMessage: async ({ message }) => { seen.push(message.value!.toString()); } });
  await until(() => seen.length >= 2, 20_000, 'the consumer after the restart');
  await new Promise((r) => setTimeout(r, 300));
  await c.disconnect();
  t.same(seen.sort(), ['new-0', 'new-1'], 'after the restart only what came after the commits is consumed');
});

t.test('OffsetDelete: refused while subscribed, done once the group is empty', async (t) => {
  const b = await testBroker(t);
  const kafka = new Kafka({ brokers: [b.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  await admin.createTopics({ topics: [{ topic: 'od' }] });
  const c = kafka.consumer({ groupId: 'g-od', sessionTimeout: 6000, heartbeatInterval: 300 });
  await c.connect();
  await c.subscribe({ topic: 'od', fromBeginning: true });
  await c.run({ eachMessage: async () => {} });
  let stable = false;
  for (let i = 0; i < 100 && !stable; i++) { stable = (await admin.describeGroups(['g-od'])).groups[0]!.state === 'Stable'; if (!stable) await new Promise((r) => setTimeout(r, 100)); }
  await c.commitOffsets([{ topic: 'od', partition: 0, offset: '0' }]);
  // kafkajs 2.2.4 has no OffsetDelete call; use a bare client.
  const { WireClient } = await import('./helpers/wire-client.js');
  const { encodeOffsetDeleteRequest, decodeOffsetDeleteResponse } = await import('../src/wire/generated/offset-delete.js');
  const wire = await WireClient.connect(b.host, b.port);
  t.teardown(() => wire.close());
  const del = () => wire.request(47, 0, (w) => encodeOffsetDeleteRequest(w, { groupId: 'g-od', topics: [{ name: 'od', partitions: [{ partitionIndex: 0 }] }] }, 0), (r) => decodeOffsetDeleteResponse(r, 0));
  t.equal((await del()).topics[0]!.partitions[0]!.errorCode, 86, 'GROUP_SUBSCRIBED_TO_TOPIC while a member subscribes');
  await c.disconnect();
  t.equal((await del()).topics[0]!.partitions[0]!.errorCode, 0, 'deleted once the group is empty');
  const after = await admin.fetchOffsets({ groupId: 'g-od', topics: ['od'] });
  t.equal(after[0]!.partitions[0]!.offset, '-1', 'no committed offset left');
});

t.test("a killed member's partitions move after its session timeout; a graceful leave rebalances at once", async (t) => {
  const b = await testBroker(t);
  const kafka = new Kafka({ brokers: [b.bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  await admin.createTopics({ topics: [{ topic: 'handover', numPartitions: 2 }] });
  const assigned = new Map<string, number[]>();
  const consumers: Consumer[] = [];
  t.teardown(async () => { for (const c of consumers) await c.disconnect().catch(() => {}); });
  const member = async (name: string): Promise<Consumer> => {
    // kafkajs names its protocol RoundRobinAssigner; librdkafka's is "roundrobin". Same assignor, renamed, so kcat can share the group.
    const roundrobin: PartitionAssigner = (cfg) => ({ ...PartitionAssigners.roundRobin(cfg), name: 'roundrobin' });
    const c = kafka.consumer({ groupId: 'g-handover', sessionTimeout: 6000, heartbeatInterval: 300, maxWaitTimeInMs: 100, partitionAssigners: [roundrobin] });
    consumers.push(c);
    c.on(c.events.GROUP_JOIN, (e) => assigned.set(name, (e.payload.memberAssignment['handover'] ?? []).slice().sort()));
    await c.connect();
    await c.subscribe({ topic: 'handover', fromBeginning: true });
    await c.run({ eachMessage: async () => {} });
    return c;
  };
  const a = await member('a');
  await until(() => assigned.get('a')?.length === 2, 20_000, 'the first member to get both partitions');
  // kcat joins, then dies without a LeaveGroup.
  const child = spawn('kcat', ['-b', b.bootstrap, '-G', 'g-handover', 'handover', '-q', '-X', 'session.timeout.ms=6000', '-X', 'heartbeat.interval.ms=500'], { stdio: 'ignore' });
  t.teardown(() => { child.kill('SIGKILL'); });
  await until(() => assigned.get('a')?.length === 1, 20_000, 'a rebalance that gives kcat a partition');
  child.kill('SIGKILL');
  const killed = Date.now();
  await until(() => assigned.get('a')?.length === 2, 20_000, "the killed member's partition to move");
  const movedAfter = Date.now() - killed;
  t.ok(movedAfter >= 4000, `moved only once the session timeout passed (${movedAfter} ms)`);
  // A member that leaves gracefully: the other gets its partition back at once.
  const c = await member('c');
  await until(() => assigned.get('c')?.length === 1 && assigned.get('a')?.length === 1, 20_000, 'the split with the new member');
  const left = Date.now();
  await c.disconnect();
  await until(() => assigned.get('a')?.length === 2, 20_000, 'the rebalance after the leave');
  t.ok(Date.now() - left < 4000, `rebalanced well within the session timeout (${Date.now() - left} ms)`);
  await a.disconnect();
});
