/**
 * The process cluster helper (compat-tests/helpers/process-cluster.ts): three
 * broker processes with etcd come up, serve a replicated topic through their
 * proxies, report status over Metadata, a killed leader is replaced and its
 * process restarted behind the same advertised address, and a leader isolated
 * from the other brokers loses its followers from the ISR until healed.
 */
import t from 'tap';
import { existsSync } from 'node:fs';
import { Kafka, logLevel } from 'kafkajs';
import { etcdAvailable, ETCD_MISSING } from '../../compat-tests/helpers/etcd.js';
import { SAMSA_MAIN, startProcessCluster, waitForFullIsrP } from '../../compat-tests/helpers/process-cluster.js';
import { until } from '../../compat-tests/helpers/until.js';

const skip = !etcdAvailable ? ETCD_MISSING : !existsSync(SAMSA_MAIN) ? `${SAMSA_MAIN} is missing (build first)` : false;

t.test('a 3-process cluster with etcd: topic, produce, consume, leader kill and restart, isolation from the other brokers', { skip, timeout: 120_000 }, async (t) => {
  const c = await startProcessCluster(t, { brokers: 3 });
  t.equal(c.size, 3);
  t.match(c.address(1), /^127\.0\.0\.12:\d+$/);
  const kafka = new Kafka({ brokers: c.bootstrap.split(','), logLevel: logLevel.NOTHING, connectionTimeout: 1000, retry: { retries: 20, initialRetryTime: 100, maxRetryTime: 1000 } });
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  await admin.createTopics({ topics: [{ topic: 'r3', numPartitions: 1, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }] });
  await waitForFullIsrP(c, ['r3']);
  const st = await c.status();
  t.ok(st.controllerId >= 0, `a controller (${st.controllerId})`);
  t.same(st.brokers.map((b) => b.fenced), [false, false, false], 'no broker fenced');
  const p0 = st.topics.find((x) => x.name === 'r3')!.partitions[0]!;
  t.same([...p0.replicas].sort(), [0, 1, 2]);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  t.teardown(() => producer.disconnect());
  await producer.send({ topic: 'r3', acks: -1, messages: [{ value: 'a' }] });

  await c.stopBroker(p0.leader);
  t.notOk(c.running(p0.leader));
  let leader = -1;
  for (const end = Date.now() + 20_000; Date.now() < end && (leader < 0 || leader === p0.leader);) {
    await new Promise((r) => setTimeout(r, 200));
    leader = (await c.status()).topics.find((x) => x.name === 'r3')!.partitions[0]!.leader;
  }
  t.not(leader, p0.leader, `a new leader (${leader}) after the kill of ${p0.leader}`);
  await producer.send({ topic: 'r3', acks: -1, messages: [{ value: 'b' }] });
  await c.startBroker(p0.leader);
  await waitForFullIsrP(c, ['r3']);
  const consumer = kafka.consumer({ groupId: 'g', maxWaitTimeInMs: 200 });
  await consumer.connect();
  t.teardown(() => consumer.disconnect());
  const seen: string[] = [];
  await consumer.subscribe({ topic: 'r3', fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => { seen.push(message.value!.toString()); } });
  await until(() => seen.length >= 2, 20_000, 'both records read');
  t.same(seen, ['a', 'b']);
  t.match(c.logs(p0.leader), /run 2 of broker/);

  // isolate(…, 'brokers') cuts the followers off the leader (their connections come from their own addresses): the ISR shrinks to the leader; heal fills it again.
  const lead = (await c.status()).topics.find((x) => x.name === 'r3')!.partitions[0]!.leader;
  c.isolate(lead, 'brokers');
  let isr: number[] = [];
  for (const end = Date.now() + 20_000; Date.now() < end && isr.join() !== String(lead);) {
    await new Promise((r) => setTimeout(r, 200));
    isr = (await c.status({ via: lead })).topics.find((x) => x.name === 'r3')!.partitions[0]!.isr;
  }
  t.same(isr, [lead], `the ISR shrinks to the isolated leader ${lead}`);
  c.heal();
  await waitForFullIsrP(c, ['r3']);
  t.pass('the ISR is full again after heal');
});
