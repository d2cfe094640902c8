/**
 * Consumer groups over a 3-broker cluster with kafkajs: a group keeps
 * consuming while partition leaders crash and come back, and the offsets it
 * committed survive the loss of the broker leading its __consumer_offsets
 * partition (the coordinator moves with that leadership).
 */
import t from 'tap';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { testCluster } from './helpers/cluster.js';
import { until } from './helpers/until.js';
import { partitionStatus, waitForFullIsr, waitForNewLeader } from './helpers/failover.js';
import { partitionFor } from '../src/coordinator/internal-topic.js';

const GROUP = 'g-failover';
const PARTITIONS = [0, 1, 2];

t.test('a group consumes through leader crashes and resumes from its commits after the coordinator moves', async (t) => {
  const c = await testCluster(t, 3);
  const kafka = new Kafka({ brokers: c.bootstrap.split(','), logLevel: logLevel.NOTHING, retry: { retries: 50, initialRetryTime: 100, maxRetryTime: 1000 } });
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  await admin.createTopics({ topics: [{ topic: 'gt', numPartitions: 3, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }] });
  await waitForFullIsr(c, 'gt', PARTITIONS);

  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  t.teardown(() => producer.disconnect());
  const acked: string[] = [];
  let next = 0;
  const send = async () => {
    const value = `m${next}`;
    await producer.send({ topic: 'gt', acks: -1, messages: [{ partition: next++ % 3, value }] });
    acked.push(value);
  };
  let stop = false;
  const writer = (async () => { while (!stop) await send(); })();

  const consumers: Consumer[] = [];
  t.teardown(async () => { for (const k of consumers) await k.disconnect(); });
  const newConsumer = async (seen: { partition: number; offset: number; value: string }[]) => {
    const k = kafka.consumer({ groupId: GROUP, sessionTimeout: 10_000, heartbeatInterval: 500, retry: { retries: 50, initialRetryTime: 100, maxRetryTime: 1000 } });
    consumers.push(k);
    await k.connect();
    await k.subscribe({ topic: 'gt', fromBeginning: true });
    await k.run({ eachMessage: async ({ partition, message }) => { seen.push({ partition, offset: Number(message.offset), value: message.value!.toString() }); } });
    return k;
  };
  const seen1: { partition: number; offset: number; value: string }[] = [];
  const first = await newConsumer(seen1);
  await until(() => seen1.length >= 30, 30_000, 'the group consuming');

  // Two rounds: the leader of a data partition crashes and comes back while both sides run.
  for (const p of [0, 1]) {
    const leader = partitionStatus(c, 'gt', p).leader;
    await c.stopBroker(leader);
    await waitForNewLeader(c, 'gt', p, leader);
    const before = seen1.length;
    await until(() => seen1.length >= before + 20, 30_000, `consumption while broker ${leader} is down`);
    await c.startBroker(leader);
    await waitForFullIsr(c, 'gt', PARTITIONS);
  }
  stop = true;
  await writer;
  const values1 = new Set(seen1.map((m) => m.value));
  await until(() => acked.every((v) => values1.has(v) || (seen1.some((m) => m.value === v) && values1.add(v) !== undefined)), 30_000, 'every acknowledged record consumed');
  t.pass(`the group consumed all ${acked.length} acknowledged records through two leader crashes`);
  await first.disconnect(); // leaving commits what was consumed
  consumers.splice(consumers.indexOf(first), 1);

  const committedOffsets = async () => {
    const [r] = await admin.fetchOffsets({ groupId: GROUP, topics: ['gt'] });
    return new Map(r!.partitions.map((p) => [p.partition, Number(p.offset)]));
  };
  const committed = await committedOffsets();
  for (const p of PARTITIONS) t.equal(committed.get(p), seen1.filter((m) => m.partition === p).reduce((a, m) => Math.max(a, m.offset + 1), 0), `partition ${p}: committed offset is after the last record consumed`);

  // Records for the next consumer, then the coordinator's broker goes.
  const tail = acked.length;
  for (let i = 0; i < 30; i++) await send();
  const offsetsPartition = partitionFor(GROUP, 50);
  const coordinator = partitionStatus(c, '__consumer_offsets', offsetsPartition).leader;
  t.equal(partitionStatus(c, '__consumer_offsets', offsetsPartition).replicas.length, 3, '__consumer_offsets is replicated on all three brokers');
  await c.stopBroker(coordinator);
  const successor = await waitForNewLeader(c, '__consumer_offsets', offsetsPartition, coordinator);
  t.not(successor, coordinator, `the coordinator moved from broker ${coordinator} to ${successor}`);

  const seen2: { partition: number; offset: number; value: string }[] = [];
  await newConsumer(seen2);
  const newValues = acked.slice(tail);
  await until(() => { const v = new Set(seen2.map((m) => m.value)); return newValues.every((x) => v.has(x)); }, 30_000, 'the new consumer reading the records produced after the commit');
  for (const p of PARTITIONS) {
    const offsets = seen2.filter((m) => m.partition === p).map((m) => m.offset);
    t.equal(Math.min(...offsets), committed.get(p), `partition ${p}: the new consumer starts at the committed offset ${committed.get(p)}`);
  }
  t.same(seen2.filter((m) => !newValues.includes(m.value)).map((m) => m.value), [], 'nothing before the committed offsets read again');
  await c.startBroker(coordinator);
});
