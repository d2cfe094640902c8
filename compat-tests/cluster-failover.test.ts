/**
 * acks=all through leader crashes (DESIGN.md invariant: a record acknowledged
 * with acks=all survives the loss of any one broker with replication factor
 * 3 and min.insync.replicas 2), with kafkajs over TCP against a 3-broker
 * cluster in this process.
 */
import t from 'tap';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { testCluster } from './helpers/cluster.js';
import { until } from './helpers/until.js';
import { kcatConsumeAll } from './helpers/kcat.js';
import { partitionStatus, waitForFullIsr, waitForNewLeader } from './helpers/failover.js';
import { checkReadBack, startAckedWriter, type Acked } from './helpers/writers.js';

const R3 = { numPartitions: 2, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] };

t.test('acks=all records survive three rounds of leader crash and restart', async (t) => {
  const c = await testCluster(t, 3);
  const kafka = new Kafka({ brokers: c.bootstrap.split(','), logLevel: logLevel.NOTHING, retry: { retries: 50, initialRetryTime: 100, maxRetryTime: 1000 } });
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  await admin.createTopics({ topics: [{ topic: 'fo', ...R3 }] });
  await waitForFullIsr(c, 'fo', [0, 1]);

  const producer: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  t.teardown(() => producer.disconnect());
  const { acked, sent, errors, stop } = startAckedWriter(producer, 'fo', 2);

  for (let round = 0; round < 3; round++) {
    await until(() => acked.length >= (round + 1) * 30, 30_000, `progress before round ${round}`);
    const leader = partitionStatus(c, 'fo', 0).leader;
    await c.stopBroker(leader);
    await waitForNewLeader(c, 'fo', 0, leader);
    const before = acked.length;
    await until(() => acked.length >= before + 20, 30_000, `acks while broker ${leader} is down (round ${round})`);
    await c.startBroker(leader);
    await waitForFullIsr(c, 'fo', [0, 1]);
  }
  const last = acked.length;
  await until(() => acked.length >= last + 20, 30_000, 'acks after the last restart');
  await stop();
  t.same(errors, [], 'no send failed (retries ride over each failover)');

  const read = await kcatConsumeAll(c.bootstrap, 'fo');
  checkReadBack(t, read, acked, sent, 2);
});

t.test('acks=all with two brokers down is NOT_ENOUGH_REPLICAS; nothing acknowledged is lost', async (t) => {
  const c = await testCluster(t, 3);
  const kafka = new Kafka({ brokers: c.bootstrap.split(','), logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100, maxRetryTime: 1000 } });
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  await admin.createTopics({ topics: [{ topic: 'ner', ...R3 }] });
  await waitForFullIsr(c, 'ner', [0, 1]);
  const producer = kafka.producer({ retry: { retries: 0 } });
  await producer.connect();
  t.teardown(() => producer.disconnect());
  const acked: Acked[] = [];
  const sent = new Set<string>();
  const send = async (value: string, partition = 0) => {
    sent.add(value);
    const [r] = await producer.send({ topic: 'ner', acks: -1, messages: [{ partition, value }] });
    acked.push({ partition: r!.partition, offset: Number(r!.baseOffset), value });
  };
  for (let i = 0; i < 20; i++) await send(`a${i}`, i % 2);

  // The two followers of partition 0 go; its leader stays and is left alone in the ISR.
  const leader = partitionStatus(c, 'ner', 0).leader;
  const followers = [0, 1, 2].filter((b) => b !== leader);
  for (const f of followers) await c.stopBroker(f);
  await until(() => partitionStatus(c, 'ner', 0).isr.length === 1, 20_000, 'the ISR of ner-0 shrunk to its leader');
  t.equal(partitionStatus(c, 'ner', 0).leader, leader, 'the leader stays');
  const err = await send('refused').then(() => undefined, (e: Error) => e);
  t.ok(err, 'the acks=all send fails');
  const chain: string[] = [];
  type Chained = Error & { type?: string; originalError?: Chained; cause?: Chained };
  for (let e = err as Chained | undefined; e; e = e.originalError ?? e.cause) chain.push(e.type ?? e.name);
  t.ok(chain.includes('NOT_ENOUGH_REPLICAS'), `NOT_ENOUGH_REPLICAS (error chain: ${chain.join(' <- ')})`);
  sent.delete('refused'); // Kafka refuses before appending: the value must not appear

  for (const f of followers) await c.startBroker(f);
  await waitForFullIsr(c, 'ner', [0, 1]);
  for (let i = 0; i < 20; i++) await send(`b${i}`, i % 2);
  const read = await kcatConsumeAll(c.bootstrap, 'ner');
  checkReadBack(t, read, acked, sent, 2);
  t.equal(read.length, 40, 'the 40 acknowledged records and nothing else');
});

t.test('acks=all whose followers stop fetching answers REQUEST_TIMED_OUT after the request timeout', async (t) => {
  // Slow failure detection: the paused followers stay in the ISR, so the leader takes the write and waits for them.
  const c = await testCluster(t, 3, { 'replica.lag.time.max.ms': '30000', 'broker.session.timeout.ms': '30000' });
  const kafka = new Kafka({ brokers: c.bootstrap.split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  await admin.createTopics({ topics: [{ topic: 'to', numPartitions: 1, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }] });
  await waitForFullIsr(c, 'to', [0]);
  // The producer knows only the leader: a metadata refresh sent to a paused follower would wait out kafkajs's own 30 s timeout.
  const leader = partitionStatus(c, 'to', 0).leader;
  const lb = c.broker(leader)!;
  const producer = new Kafka({ brokers: [`${lb.host}:${lb.port}`], logLevel: logLevel.NOTHING }).producer({ retry: { retries: 0 } });
  await producer.connect();
  t.teardown(() => producer.disconnect());
  await producer.send({ topic: 'to', acks: -1, messages: [{ partition: 0, value: 'before' }] });
  for (const f of [0, 1, 2].filter((b) => b !== leader)) c.pauseBroker(f);
  const err = await producer.send({ topic: 'to', acks: -1, timeout: 1000, messages: [{ partition: 0, value: 'stuck' }] }).then(() => undefined, (e: Error) => e);
  type Chained = Error & { type?: string; originalError?: Chained; cause?: Chained };
  const chain: string[] = [];
  for (let e = err as Chained | undefined; e; e = e.originalError ?? e.cause) chain.push(e.type ?? e.name);
  t.ok(chain.includes('REQUEST_TIMED_OUT'), `REQUEST_TIMED_OUT (error chain: ${chain.join(' <- ')})`);
});
