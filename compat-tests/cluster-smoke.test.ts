import t from 'tap';
import { Kafka, logLevel } from 'kafkajs';
import { testCluster } from './helpers/cluster.js';
import { until } from './helpers/until.js';
import { WireClient } from './helpers/wire-client.js';
import { ApiKey } from '../src/wire/generated/api-keys.js';
import { encodeFetchRequest, decodeFetchResponse } from '../src/wire/generated/fetch.js';

t.test('a 3-broker cluster replicates a topic with replication factor 3', async (t) => {
  const c = await testCluster(t);
  const kafka = new Kafka({ brokers: c.bootstrap.split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  await admin.createTopics({ topics: [{ topic: 'r3', numPartitions: 3, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }] });
  const md = await admin.fetchTopicMetadata({ topics: ['r3'] });
  t.equal(md.topics[0]!.partitions.length, 3);
  for (const p of md.topics[0]!.partitions) t.same([...p.replicas].sort(), [0, 1, 2], `partition ${p.partitionId} on all brokers`);
  const producer = kafka.producer();
  await producer.connect();
  t.teardown(() => producer.disconnect());
  for (let i = 0; i < 30; i++) await producer.send({ topic: 'r3', acks: -1, messages: [{ key: `k${i}`, value: `v${i}` }] });
  const status = c.status();
  t.same(status.topics.find((x) => x.name === 'r3')!.partitions.map((p) => p.isr.length), [3, 3, 3], 'full ISR');
  const consumer = kafka.consumer({ groupId: 'g1' });
  await consumer.connect();
  t.teardown(() => consumer.disconnect());
  await consumer.subscribe({ topic: 'r3', fromBeginning: true });
  const seen: string[] = [];
  await consumer.run({ eachMessage: async ({ message }) => { seen.push(message.value!.toString()); } });
  await until(() => seen.length >= 30, 20_000, '30 messages');
  t.equal(new Set(seen).size, 30);
});

t.test('a paused broker neither reads nor answers, as a stopped process; resumed, it answers what it had', async (t) => {
  const c = await testCluster(t, 3);
  const admin = new Kafka({ brokers: c.bootstrap.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  await admin.createTopics({ topics: [{ topic: 'quiet', numPartitions: 1, replicationFactor: 1 }] });
  const leader = c.status().topics.find((x) => x.name === 'quiet')!.partitions[0]!.leader;
  const wire = await WireClient.connect('127.0.0.1', c.broker(leader)!.port);
  t.teardown(() => wire.close());
  // A fetch of an empty partition waits 600 ms at the broker: its answer falls due while the broker is paused.
  const pending = wire.request(ApiKey.Fetch, 12, (w) => encodeFetchRequest(w, {
    replicaId: -1, maxWaitMs: 600, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, rackId: '', forgottenTopicsData: [],
    topics: [{ topic: 'quiet', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, lastFetchedEpoch: -1, logStartOffset: -1n }] }],
  }, 12), (r) => decodeFetchResponse(r, 12));
  await until(() => c.broker(leader)!.context.replicaManager.purgatory.size > 0, 5000, 'the fetch to wait at the broker');
  c.pauseBroker(leader);
  const early = await Promise.race([pending.then(() => 'answered'), new Promise((r) => setTimeout(() => r('nothing'), 1500))]);
  t.equal(early, 'nothing', 'no answer while paused, though it fell due');
  c.resumeBroker(leader);
  t.equal((await pending).responses[0]!.partitions[0]!.errorCode, 0, 'the answer comes once resumed');
});
