/**
 * librdkafka (kcat) through a leader crash and restart in a 3-broker cluster:
 * an idempotent acks=all producer fed while the leader goes and comes back,
 * then a consumer reading everything back.
 */
import t from 'tap';
import { testCluster } from './helpers/cluster.js';
import { until } from './helpers/until.js';
import { partitionStatus, waitForFullIsr, waitForNewLeader } from './helpers/failover.js';
import { startKcatFeeder, stopAndCheckKcatFeed } from './helpers/writers.js';
import { Kafka, logLevel } from 'kafkajs';

t.test('kcat produces with acks=all through a leader stop and restart; kcat reads it all back', async (t) => {
  const c = await testCluster(t, 3);
  const kafka = new Kafka({ brokers: c.bootstrap.split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  await admin.createTopics({ topics: [{ topic: 'lr', numPartitions: 1, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }] });
  await waitForFullIsr(c, 'lr', [0]);

  const feeder = startKcatFeeder(t, c.bootstrap, 'lr', 0, (start, i) => `k${start}-${i}`);
  const { sent } = feeder;
  await until(() => sent.length >= 200, 10_000, 'kcat producing');
  const leader = partitionStatus(c, 'lr', 0).leader;
  await c.stopBroker(leader);
  await waitForNewLeader(c, 'lr', 0, leader);
  const mark = sent.length;
  await until(() => sent.length >= mark + 200, 10_000, 'feeding while the leader is down');
  await c.startBroker(leader);
  await waitForFullIsr(c, 'lr', [0]);
  const mark2 = sent.length;
  await until(() => sent.length >= mark2 + 200, 10_000, 'feeding after the restart');
  await stopAndCheckKcatFeed(t, feeder, c.bootstrap, 'lr', 90_000);
});
