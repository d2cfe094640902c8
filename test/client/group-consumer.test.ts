/**
 * The client's group member against an in-process broker: two of ours share
 * a topic's partitions (range, as the leader computes it) and hand over on
 * close; one of ours and a kafkajs consumer share a group (round robin, the
 * protocol both offer); committed offsets are what was handed over; the
 * auto.offset.reset choice applies to a group without offsets.
 */
import t from 'tap';
import kafkajs from 'kafkajs';
import { testBroker } from '../../compat-tests/helpers/broker.js';
import { until } from '../../compat-tests/helpers/until.js';
import { KafkaClient } from '../../src/client/kafka-client.js';
import { createTopic } from '../../src/client/topics.js';
import { produceRecords } from '../../src/client/records.js';
import { describeGroup, groupOffsets } from '../../src/client/groups.js';
import { GroupConsumer, type GroupConsumerOptions } from '../../src/client/group-consumer.js';
import { rangeAssignor, roundRobinAssignor } from '../../src/client/assignors.js';

const { Kafka, logLevel } = kafkajs;

/** Polls in the background until stopped, collecting "partition:value" of each record. */
function pollLoop(c: GroupConsumer, seen: string[]): { stop(): Promise<void> } {
  let running = true;
  const done = (async () => {
    while (running) {
      for (const r of await c.poll({ maxWaitMs: 200 })) seen.push(`${r.partition}:${r.value!.toString()}`);
    }
  })();
  return { stop: async () => { running = false; await done; } };
}

const FAST: Partial<GroupConsumerOptions> = { heartbeatIntervalMs: 300, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000 };

t.test('assignors: range in runs per topic, round robin dealt in turn', async (t) => {
  const counts = new Map([['a', 5], ['b', 2]]);
  const members = [{ memberId: 'm2', topics: ['a'] }, { memberId: 'm1', topics: ['a', 'b'] }];
  t.same(Object.fromEntries(rangeAssignor(members, counts)), { m2: [{ topic: 'a', partitions: [3, 4] }], m1: [{ topic: 'a', partitions: [0, 1, 2] }, { topic: 'b', partitions: [0, 1] }] }, 'range');
  t.same(Object.fromEntries(roundRobinAssignor(members, counts)), { m2: [{ topic: 'a', partitions: [1, 3] }], m1: [{ topic: 'a', partitions: [0, 2, 4] }, { topic: 'b', partitions: [0, 1] }] }, 'round robin');
});

t.test('two members of ours share the partitions and hand over on close', async (t) => {
  const b = await testBroker(t, { 'group.initial.rebalance.delay.ms': '0' });
  const client = await KafkaClient.open({ bootstrap: [b.bootstrap] });
  t.teardown(() => client.close());
  await createTopic(client, { name: 'work', partitions: 4 });
  await produceRecords(client, 'work', Array.from({ length: 100 }, (_, i) => ({ partition: i % 4, value: `r${i}` })));

  const seenA: string[] = [], seenB: string[] = [];
  const a = await GroupConsumer.join(client, { groupId: 'pair', topics: ['work'], autoOffsetReset: 'earliest', ...FAST });
  t.teardown(() => a.close());
  t.same(a.assignment(), [{ topic: 'work', partitions: [0, 1, 2, 3] }], 'alone, the first member has every partition');
  const loopA = pollLoop(a, seenA);
  const clientB = await KafkaClient.open({ bootstrap: [b.bootstrap] });
  t.teardown(() => clientB.close());
  const bm = await GroupConsumer.join(clientB, { groupId: 'pair', topics: ['work'], autoOffsetReset: 'earliest', ...FAST });
  t.teardown(() => bm.close());
  const loopB = pollLoop(bm, seenB);
  await until(() => a.assignment()[0]?.partitions.length === 2, 15_000, 'the first member to take its half after the rebalance');
  const parts = [...a.assignment()[0]!.partitions, ...bm.assignment()[0]!.partitions].sort();
  t.same(parts, [0, 1, 2, 3], 'the two halves cover the topic once');
  const d = await describeGroup(client, 'pair');
  t.equal(d.protocol, 'range', 'range chosen');
  t.equal(d.members.length, 2, 'two members described');
  t.same(d.members.map((m) => m.assignment[0]!.partitions.length), [2, 2], 'two partitions each, as the broker shows the assignment');

  await until(() => new Set([...seenA, ...seenB]).size >= 100, 15_000, 'the 100 records to be read between them');
  await loopA.stop();
  await a.close();
  await until(() => bm.assignment()[0]?.partitions.length === 4, 15_000, 'the remaining member to take every partition');
  await produceRecords(client, 'work', Array.from({ length: 20 }, (_, i) => ({ partition: i % 4, value: `late${i}` })));
  await until(() => seenB.filter((s) => s.includes('late')).length >= 20, 15_000, 'the remaining member to read the new records');
  await loopB.stop();
  await bm.close();
  const all = new Set([...seenA, ...seenB]);
  t.equal(all.size, 120, 'every record read');
  const offsets = await groupOffsets(client, 'pair');
  t.same(offsets.map((o) => [o.committed, o.lag]), [[30, 0], [30, 0], [30, 0], [30, 0]], 'closing committed what was handed over: no lag');
  t.equal((await describeGroup(client, 'pair')).state, 'Empty', 'the group is Empty after both left');
});

t.test('a member of ours and a kafkajs consumer in one group', async (t) => {
  const b = await testBroker(t, { 'group.initial.rebalance.delay.ms': '0' });
  const client = await KafkaClient.open({ bootstrap: [b.bootstrap] });
  t.teardown(() => client.close());
  await createTopic(client, { name: 'shared', partitions: 4 });
  await produceRecords(client, 'shared', Array.from({ length: 40 }, (_, i) => ({ partition: i % 4, value: `s${i}` })));

  const kafka = new Kafka({ brokers: [b.bootstrap], logLevel: logLevel.NOTHING });
  const theirs: string[] = [];
  const kc = kafka.consumer({ groupId: 'mixed', heartbeatInterval: 300, sessionTimeout: 10_000, rebalanceTimeout: 10_000 });
  await kc.connect();
  t.teardown(() => kc.disconnect());
  await kc.subscribe({ topic: 'shared', fromBeginning: true });
  await kc.run({ eachMessage: async ({ partition, message }) => { theirs.push(`${partition}:${message.value!.toString()}`); } });
  await until(() => theirs.length >= 40, 15_000, 'kafkajs to read the first 40 records alone');

  const ours: string[] = [];
  const c = await GroupConsumer.join(client, { groupId: 'mixed', topics: ['shared'], autoOffsetReset: 'earliest', ...FAST });
  t.teardown(() => c.close());
  const loop = pollLoop(c, ours);
  t.equal(c.member.protocol, 'RoundRobinAssigner', 'the protocol both offer');
  t.equal(c.assignment()[0]?.partitions.length, 2, 'our member got half of the partitions');
  const d = await describeGroup(client, 'mixed');
  t.equal(d.members.length, 2, 'both members described');
  await produceRecords(client, 'shared', Array.from({ length: 40 }, (_, i) => ({ partition: i % 4, value: `n${i}` })));
  await until(() => new Set([...ours, ...theirs].filter((s) => s.includes(':n'))).size >= 40, 15_000, 'the new records read between the two');
  const mine = new Set(c.assignment()[0]!.partitions);
  t.ok(ours.filter((s) => s.includes(':n')).every((s) => mine.has(Number(s.split(':')[0]))), 'ours read only its own partitions');
  t.ok(ours.some((s) => s.includes(':n')), 'ours read some of the new records');
  t.ok(theirs.some((s) => s.includes(':n')), 'kafkajs read some of the new records');
  t.notOk(ours.some((s) => s.includes(':s')), 'ours started from kafkajs\'s committed offsets, not from the beginning');

  await loop.stop();
  await c.close();
  await produceRecords(client, 'shared', Array.from({ length: 8 }, (_, i) => ({ partition: i % 4, value: `z${i}` })));
  await until(() => theirs.filter((s) => s.includes(':z')).length >= 8, 15_000, 'kafkajs to take over every partition after ours left');
  t.pass('kafkajs reads every partition after ours left');
});

t.test('auto.offset.reset latest skips what was there before joining', async (t) => {
  const b = await testBroker(t, { 'group.initial.rebalance.delay.ms': '0' });
  const client = await KafkaClient.open({ bootstrap: [b.bootstrap] });
  t.teardown(() => client.close());
  await createTopic(client, { name: 'fresh', partitions: 1 });
  await produceRecords(client, 'fresh', [{ value: 'old' }]);
  const c = await GroupConsumer.join(client, { groupId: 'late', topics: ['fresh'], autoOffsetReset: 'latest', ...FAST });
  t.teardown(() => c.close());
  t.same(await c.poll({ maxWaitMs: 0 }), [], 'nothing old');
  await produceRecords(client, 'fresh', [{ value: 'new' }]);
  const got: string[] = [];
  for (let i = 0; i < 20 && got.length === 0; i++) for (const r of await c.poll({ maxWaitMs: 500 })) got.push(r.value!.toString());
  t.same(got, ['new'], 'only the record produced after joining');
  t.equal(got.length, 1, 'once');
});
