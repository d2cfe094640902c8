/**
 * Consumer group operations against an in-process broker, with kafkajs
 * consumers making the groups: described with their members and decoded
 * assignments, lag computed from what kafkajs committed, resets refused while
 * kafkajs is in the group and seen by the next kafkajs consumer once it left.
 */
import t from 'tap';
import kafkajs from 'kafkajs';
import { testBroker } from '../../compat-tests/helpers/broker.js';
import { until } from '../../compat-tests/helpers/until.js';
import { KafkaClient } from '../../src/client/kafka-client.js';
import { createTopic, KafkaClientError } from '../../src/client/topics.js';
import { produceRecords } from '../../src/client/records.js';
import {
  committedOffsets, deleteGroup, deleteGroupOffsets, describeGroup, describeGroups, groupOffsets, listGroups, resetGroupOffsets, totalLag,
} from '../../src/client/groups.js';

const { Kafka, logLevel } = kafkajs;

t.test('groups: list, describe, offsets and lag, reset, delete', async (t) => {
  const b = await testBroker(t, { 'group.initial.rebalance.delay.ms': '0' });
  const client = await KafkaClient.open({ bootstrap: [b.bootstrap] });
  t.teardown(() => client.close());
  const kafka = new Kafka({ brokers: [b.bootstrap], clientId: 'lag-test', logLevel: logLevel.NOTHING });
  await createTopic(client, { name: 'events', partitions: 3 });
  await createTopic(client, { name: 'other', partitions: 1 });
  const produce = (n: number, from: number) => produceRecords(client, 'events', Array.from({ length: n }, (_, i) => ({ partition: i % 3, value: `e${from + i}` })));
  await produce(30, 0);

  const seen: string[] = [];
  const consumer = kafka.consumer({ groupId: 'g1', heartbeatInterval: 500 });
  await consumer.connect();
  await consumer.subscribe({ topic: 'events', fromBeginning: true });
  await consumer.run({ autoCommitInterval: 100, eachMessage: async ({ message }) => { seen.push(message.value!.toString()); } });
  await until(() => seen.length >= 30, 20_000, 'kafkajs to read 30 records');

  const listed = await listGroups(client);
  t.match(listed.find((g) => g.groupId === 'g1'), { state: 'Stable', protocolType: 'consumer', coordinator: 0 }, 'listed Stable, protocol type consumer');
  t.same((await listGroups(client, { states: ['Empty'] })).map((g) => g.groupId), [], 'the state filter leaves it out');

  const d = await describeGroup(client, 'g1');
  t.equal(d.state, 'Stable', 'Stable');
  t.equal(d.protocol, 'RoundRobinAssigner', 'kafkajs\'s assignor');
  t.equal(d.members.length, 1, 'one member');
  t.match(d.members[0], { clientId: 'lag-test', groupInstanceId: null, subscription: ['events'] }, 'client id and subscription');
  t.match(d.members[0]!.clientHost, /127\.0\.0\.1/, 'client host');
  t.same(d.members[0]!.assignment, [{ topic: 'events', partitions: [0, 1, 2] }], 'the assignment decoded');
  const dead = await describeGroup(client, 'nobody').catch((e: unknown) => e);
  t.equal((dead as KafkaClientError).errorName, 'GROUP_ID_NOT_FOUND', 'an unknown group is GROUP_ID_NOT_FOUND');
  t.equal((await describeGroups(client, ['nobody']))[0]!.state, 'Dead', 'describeGroups shows it Dead, as Kafka');

  // Lag: everything read and committed, then 6 more records (2 per partition).
  const committedAll = async () => (await committedOffsets(client, 'g1')).reduce((n, c) => n + c.offset, 0) === 30;
  for (let i = 0; i < 100 && !(await committedAll()); i++) await new Promise((r) => setTimeout(r, 100));
  let offsets = await groupOffsets(client, 'g1');
  t.same(offsets.map((o) => [o.partition, o.committed, o.endOffset, o.lag]), [[0, 10, 10, 0], [1, 10, 10, 0], [2, 10, 10, 0]], 'no lag once kafkajs committed');
  t.ok(offsets.every((o) => o.memberId === d.members[0]!.memberId), 'each partition\'s member');

  const busy = await resetGroupOffsets(client, 'g1', { topic: 'events' }, { to: 'earliest' }).catch((e: unknown) => e);
  t.equal((busy as KafkaClientError).errorName, 'NON_EMPTY_GROUP', 'a reset while kafkajs is in the group is NON_EMPTY_GROUP');
  t.match((busy as Error).message, /stop its consumers/, 'with what to do');
  const busyDelete = await deleteGroup(client, 'g1').catch((e: unknown) => e);
  t.equal((busyDelete as KafkaClientError).errorName, 'NON_EMPTY_GROUP', 'so is a delete');

  await consumer.disconnect();
  await produce(6, 30);
  offsets = await groupOffsets(client, 'g1');
  t.same(offsets.map((o) => o.lag), [2, 2, 2], 'lag 2 per partition');
  t.equal(totalLag(offsets), 6, 'total lag');
  t.ok(offsets.every((o) => o.memberId === null), 'no members now');
  t.equal((await describeGroup(client, 'g1')).state, 'Empty', 'Empty after kafkajs left');

  // Resets: a dry run commits nothing; exact offsets are held inside the log; a timestamp finds its offset.
  const dry = await resetGroupOffsets(client, 'g1', { topic: 'events', partitions: [1] }, { to: 'offset', offset: 3 }, { dryRun: true });
  t.same(dry, [{ topic: 'events', partition: 1, offset: 3, previous: 10 }], 'dry run');
  t.equal((await committedOffsets(client, 'g1')).find((c) => c.partition === 1)!.offset, 10, 'nothing committed by the dry run');
  const clamped = await resetGroupOffsets(client, 'g1', { topic: 'events', partitions: [1] }, { to: 'offset', offset: 999 });
  t.equal(clamped[0]!.offset, 12, 'an offset past the end is the end');
  const ts = await resetGroupOffsets(client, 'g1', { topic: 'events' }, { to: 'timestamp', timestamp: Date.now() + 60_000 });
  t.same(ts.map((x) => x.offset), [12, 12, 12], 'a timestamp after every record: the end');
  const badPartition = await resetGroupOffsets(client, 'g1', { topic: 'events', partitions: [7] }, { to: 'earliest' }).catch((e: unknown) => e);
  t.equal((badPartition as KafkaClientError).errorName, 'UNKNOWN_TOPIC_OR_PARTITION', 'a partition the topic lacks');

  const reset = await resetGroupOffsets(client, 'g1', {}, { to: 'earliest' });
  t.same(reset.map((x) => [x.partition, x.offset]), [[0, 0], [1, 0], [2, 0]], 'every committed partition to the earliest offset');
  t.same((await groupOffsets(client, 'g1')).map((o) => o.lag), [12, 12, 12], 'the lag is the whole log');

  // The next kafkajs consumer of the group starts from the reset offsets.
  const again: string[] = [];
  const c2 = kafka.consumer({ groupId: 'g1', heartbeatInterval: 500 });
  await c2.connect();
  await c2.subscribe({ topic: 'events' });
  await c2.run({ eachMessage: async ({ message }) => { again.push(message.value!.toString()); } });
  await until(() => again.length >= 36, 20_000, 'kafkajs to read the 36 records again');
  t.equal(new Set(again).size, 36, 'kafkajs reads every record again after the reset');
  await c2.disconnect();

  // Offsets of a topic the group does not consume can be deleted; then the whole group.
  await resetGroupOffsets(client, 'g1', { topic: 'other' }, { to: 'latest' });
  t.ok((await committedOffsets(client, 'g1')).some((c) => c.topic === 'other'), 'a reset can start a topic');
  await deleteGroupOffsets(client, 'g1', 'other');
  t.notOk((await committedOffsets(client, 'g1')).some((c) => c.topic === 'other' && c.offset >= 0), 'its offsets deleted');
  await deleteGroup(client, 'g1');
  t.notOk((await listGroups(client)).some((g) => g.groupId === 'g1'), 'deleted');
  const gone = await deleteGroup(client, 'g1').catch((e: unknown) => e);
  t.equal((gone as KafkaClientError).errorName, 'GROUP_ID_NOT_FOUND', 'deleting it again');
});
