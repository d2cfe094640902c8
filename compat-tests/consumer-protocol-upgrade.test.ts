/**
 * The online upgrade of a classic group with real clients (Kafka 4.0's
 * default group.consumer.migration.policy, bidirectional): two kafkajs
 * (classic protocol) consumers share a six-partition topic; a node-rdkafka
 * consumer with `group.protocol: consumer` joins, which turns the group into
 * a consumer group where the kafkajs members stay as classic members; the
 * three share the partitions and every record produced meanwhile is read.
 * The kafkajs members leave: a plain consumer group. A kafkajs consumer joins
 * it (a classic member again) and the rdkafka member leaves: a classic group
 * again, kafkajs takes every partition and keeps consuming.
 */
import t from 'tap';
import { RdMember } from './helpers/rdkafka-member.js';
import { createTopic, describedWhen, readThrough, settled, setup } from './helpers/consumer-protocol-clients.js';
import { classicConsumer } from './helpers/consumer-protocol-clients-scenarios.js';
import { startAckedWriter } from './helpers/writers.js';
import { until } from './helpers/until.js';

const ALL = Array.from({ length: 6 }, (_, p) => `up-${p}`).sort();

t.test('kafkajs members upgraded into a consumer group by a node-rdkafka member, then a downgrade', async (t) => {
  const { b, kafka, admin, producer, g } = await setup(t);
  await createTopic(admin, 'up', 6);
  const k1 = await classicConsumer(t, kafka, 'up-g', 'up');
  const k2 = await classicConsumer(t, kafka, 'up-g', 'up');
  const writer = startAckedWriter(producer, 'up', 6);
  t.teardown(() => writer.stop());
  await until(() => k1.assigned().length === 3 && k2.assigned().length === 3 && k1.values.length + k2.values.length >= 30, 60_000, 'two kafkajs members sharing the six partitions, consuming');
  t.same((await g.listGroups(['classic'])).filter((x) => x.groupId === 'up-g').map((x) => x.groupType), ['classic'], 'a classic group');

  const m = await RdMember.start(t, b.bootstrap, 'up-g', ['up'], 'rdkafka');
  const d = await describedWhen(g, 'up-g', (x) => settled(3)(x) && m.assigned.size === 2 && k1.assigned().length === 2 && k2.assigned().length === 2, 60_000, 'the three members sharing the partitions');
  t.same([...k1.assigned(), ...k2.assigned(), ...m.partitions()].sort(), ALL, 'every partition owned once: two each');
  t.same(d.members.map((x) => x.clientId).sort(), ['cp-test', 'cp-test', 'rdkafka'], 'ConsumerGroupDescribe: one consumer group of the three');
  t.same((await g.listGroups(['consumer'])).filter((x) => x.groupId === 'up-g').map((x) => x.groupType), ['consumer'], 'ListGroups v5: upgraded to a consumer group');
  const [r1, r2, rm] = [k1.values.length, k2.values.length, m.values().length];
  await until(() => k1.values.length >= r1 + 10 && k2.values.length >= r2 + 10 && m.values().length >= rm + 10, 30_000, 'all three consuming');

  // The classic members leave: a plain consumer group of the rdkafka member.
  await k1.consumer.disconnect();
  await k2.consumer.disconnect();
  const alone = await describedWhen(g, 'up-g', (x) => settled(1)(x) && m.assigned.size === 6, 60_000, 'the rdkafka member alone with every partition');
  t.same(alone.members.map((x) => x.clientId), ['rdkafka'], 'a consumer group of the consumer-protocol member');
  const rm2 = m.values().length;
  await until(() => m.values().length >= rm2 + 10, 30_000, 'rdkafka consuming alone');

  // A kafkajs consumer joins the consumer group, then the rdkafka member leaves: a classic group again.
  const k3 = await classicConsumer(t, kafka, 'up-g', 'up');
  await describedWhen(g, 'up-g', (x) => settled(2)(x) && m.assigned.size === 3 && k3.assigned().length === 3, 60_000, 'kafkajs joining the consumer group as a classic member');
  await m.close();
  await until(() => k3.assigned().length === 6, 60_000, 'kafkajs getting all six partitions');
  t.same((await g.listGroups(['classic'])).filter((x) => x.groupId === 'up-g').map((x) => x.groupType), ['classic'], 'ListGroups v5: a classic group again');
  const r3 = k3.values.length;
  await until(() => k3.values.length >= r3 + 10, 30_000, 'kafkajs consuming in the downgraded group');

  await writer.stop();
  t.same(writer.errors, [], 'every send acknowledged');
  const read = await readThrough(producer, 'up', 6, () => [...k1.values, ...k2.values, ...m.values(), ...k3.values], 30_000, 'kafkajs reading the rest of the feed');
  const seen = new Set(read);
  const missing = writer.acked.map((x) => x.value).filter((v) => !seen.has(v));
  t.same(missing.slice(0, 10), [], `every one of ${writer.acked.length} records read (${missing.length} missing)`);
  t.comment(`${read.length - seen.size} records read twice across the protocol switches`);
  t.same(m.errors, [], 'no rdkafka errors');
});
