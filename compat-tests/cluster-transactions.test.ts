import t from 'tap';
import { Kafka, logLevel } from 'kafkajs';
import { testCluster } from './helpers/cluster.js';
import { until } from './helpers/until.js';

// Transactions across brokers: the transaction coordinator (leader of the id's __transaction_state
// partition) sends markers to partitions led by other brokers with WriteTxnMarkers.
t.test('kafkajs transactions on a 3-broker cluster: committed records are read, aborted ones are not', async (t) => {
  const c = await testCluster(t, 3, { 'auto.leader.rebalance.enable': 'false' });
  const kafka = new Kafka({ brokers: c.bootstrap.split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  await admin.createTopics({ topics: [{ topic: 'tx', numPartitions: 3, replicationFactor: 3 }] });
  const leaders = new Set(c.status().topics.find((x) => x.name === 'tx')!.partitions.map((p) => p.leader));
  t.equal(leaders.size, 3, 'the three partitions are led by three brokers, so markers cross brokers');

  const producer = kafka.producer({ transactionalId: 'tx-1', idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  t.teardown(() => producer.disconnect());
  const committed = await producer.transaction();
  for (let p = 0; p < 3; p++) await committed.send({ topic: 'tx', messages: [{ partition: p, value: `commit-${p}` }] });
  await committed.commit();
  const aborted = await producer.transaction();
  for (let p = 0; p < 3; p++) await aborted.send({ topic: 'tx', messages: [{ partition: p, value: `abort-${p}` }] });
  await aborted.abort();
  const last = await producer.transaction();
  await last.send({ topic: 'tx', messages: [{ partition: 0, value: 'after' }] });
  await last.commit();

  const consumer = kafka.consumer({ groupId: 'tx-reader' });
  await consumer.connect();
  t.teardown(() => consumer.disconnect());
  await consumer.subscribe({ topic: 'tx', fromBeginning: true });
  const seen: string[] = [];
  await consumer.run({ eachMessage: async ({ message }) => { seen.push(message.value!.toString()); } });
  await until(() => seen.length >= 4, 20_000, 'the committed records');
  await new Promise((r) => setTimeout(r, 500));
  t.same([...seen].sort(), ['after', 'commit-0', 'commit-1', 'commit-2'], 'read_committed sees the committed records and none of the aborted');
  const offsets = await admin.fetchTopicOffsets('tx');
  t.same(offsets.map((o) => Number(o.high)).sort(), [4, 4, 6], 'each partition: a record and a marker per transaction that touched it (partition 0 had three)');
});
