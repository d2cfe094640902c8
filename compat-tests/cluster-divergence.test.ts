/**
 * Replica histories in a 3-broker cluster: a crashed leader's tail that no
 * follower fetched (acks=1) is cut away when it comes back and follows the
 * new leader, and a reassignment moves a partition to other brokers with its
 * records intact.
 */
import t from 'tap';
import { Kafka, logLevel } from 'kafkajs';
import { testCluster } from './helpers/cluster.js';
import { until } from './helpers/until.js';
import { kcatConsumeAll } from './helpers/kcat.js';
import { partitionStatus, replicaEnds, waitForFullIsr, waitForNewLeader } from './helpers/failover.js';

t.test('a crashed leader truncates the acks=1 tail no follower fetched', async (t) => {
  // A longer lag time: the ISR must still name the paused followers when the leader crashes, or no clean leader is left.
  const c = await testCluster(t, 3, { 'replica.lag.time.max.ms': '20000', 'broker.session.timeout.ms': '3000' });
  const kafka = new Kafka({ brokers: c.bootstrap.split(','), logLevel: logLevel.NOTHING, retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1000 } });
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  await admin.createTopics({ topics: [{ topic: 'dv', numPartitions: 1, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }] });
  await waitForFullIsr(c, 'dv', [0]);
  const producer = kafka.producer();
  await producer.connect();
  t.teardown(() => producer.disconnect());
  for (let i = 0; i < 10; i++) await producer.send({ topic: 'dv', acks: -1, messages: [{ partition: 0, value: `all-${i}` }] });
  await until(() => [...replicaEnds(c, 'dv', 0).values()].every((r) => r.logEndOffset === 10), 10_000, 'every replica at 10');

  const old = partitionStatus(c, 'dv', 0).leader;
  const followers = [0, 1, 2].filter((b) => b !== old);
  for (const f of followers) c.pauseBroker(f);
  // A fetch already waiting at the leader (replica.fetch.wait.max.ms) would still carry records to a paused follower.
  await new Promise((r) => setTimeout(r, 600));
  for (let i = 0; i < 5; i++) await producer.send({ topic: 'dv', acks: 1, messages: [{ partition: 0, value: `one-${i}` }] });
  t.equal(replicaEnds(c, 'dv', 0).get(old)?.logEndOffset, 15, 'the leader appended the five acks=1 records');
  for (const f of followers) t.equal(replicaEnds(c, 'dv', 0).get(f)?.logEndOffset, 10, `follower ${f} did not fetch them`);
  await c.stopBroker(old);
  for (const f of followers) c.resumeBroker(f);
  const successor = await waitForNewLeader(c, 'dv', 0, old);
  t.ok(followers.includes(successor), `follower ${successor} leads`);
  await until(() => partitionStatus(c, 'dv', 0).isr.length >= 2, 20_000, 'two in-sync replicas');
  for (let i = 0; i < 5; i++) await producer.send({ topic: 'dv', acks: -1, messages: [{ partition: 0, value: `new-${i}` }] });

  await c.startBroker(old);
  await waitForFullIsr(c, 'dv', [0]);
  await until(() => { const e = [...replicaEnds(c, 'dv', 0).values()]; return e.length === 3 && e.every((r) => r.logEndOffset === 15); }, 20_000, 'all replicas at the same log end offset');
  t.same([...replicaEnds(c, 'dv', 0).values()].map((r) => r.logEndOffset), [15, 15, 15], 'all replicas end at 15');

  // Each replica's records, read from it as the leader.
  const expected = [...Array.from({ length: 10 }, (_, i) => `all-${i}`), ...Array.from({ length: 5 }, (_, i) => `new-${i}`)];
  for (const b of [old, ...followers]) {
    await c.moveLeader('dv', 0, b);
    await until(() => partitionStatus(c, 'dv', 0).leader === b && c.broker(b)!.context.replicaManager.highWatermark('dv', 0) === 15, 20_000, `broker ${b} leading at high watermark 15`);
    const read = await kcatConsumeAll(c.bootstrap, 'dv');
    t.same(read.map((m) => m.payload), expected, `broker ${b}'s log: the acks=all records, none of the acks=1 tail`);
  }
});

t.test('a reassignment moves a partition to other brokers with its records', async (t) => {
  const c = await testCluster(t, 3);
  const kafka = new Kafka({ brokers: c.bootstrap.split(','), logLevel: logLevel.NOTHING, retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1000 } });
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  await admin.createTopics({ topics: [{ topic: 'ra', replicaAssignment: [{ partition: 0, replicas: [0] }] }] });
  const producer = kafka.producer();
  await producer.connect();
  t.teardown(() => producer.disconnect());
  const values = Array.from({ length: 50 }, (_, i) => `r${i}`);
  for (let i = 0; i < values.length; i += 10) await producer.send({ topic: 'ra', acks: -1, messages: values.slice(i, i + 10).map((value) => ({ partition: 0, value })) });

  await admin.alterPartitionReassignments({ topics: [{ topic: 'ra', partitionAssignment: [{ partition: 0, replicas: [1, 2] }] }] });
  await until(() => { const s = partitionStatus(c, 'ra', 0); return [...s.replicas].sort().join() === '1,2' && s.isr.length === 2 && s.leader !== 0; }, 30_000, 'ra-0 on brokers 1 and 2');
  await until(() => replicaEnds(c, 'ra', 0).get(0) === undefined, 10_000, 'broker 0 dropped its replica');
  // Broker 0 goes: the records must come from the new replicas.
  await c.stopBroker(0);
  const read = await kcatConsumeAll(c.bootstrap.split(',').slice(1).join(','), 'ra');
  t.same(read.map((m) => m.payload), values, 'all 50 records, in order, from the new replicas');
  t.same(read.map((m) => m.offset), values.map((_, i) => i), 'at their offsets');
  for (const b of [1, 2]) t.equal(replicaEnds(c, 'ra', 0).get(b)?.logEndOffset, 50, `broker ${b} holds all 50`);
});
