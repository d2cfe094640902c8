/**
 * A topic deleted while one of its replicas' brokers was down and created
 * again under the same name: the returning broker's old log belongs to the
 * old topic id (its partition.metadata says so), so it is moved aside as a
 * stray and the broker replicates the new topic from scratch. Without the
 * check its old records sat at the new topic's offsets under the same leader
 * epoch, and the follower's divergence check could not see them.
 */
import t from 'tap';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { testCluster } from './helpers/cluster.js';
import { until } from './helpers/until.js';
import { kcatConsumeAll } from './helpers/kcat.js';
import { partitionStatus, replicaEnds, waitForFullIsr } from './helpers/failover.js';

t.test('a broker away while its topic was deleted and re-created keeps the old log aside and serves only the new topic', async (t) => {
  const c = await testCluster(t, 3);
  const kafka = new Kafka({ brokers: c.bootstrap.split(','), logLevel: logLevel.NOTHING, retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1000 } });
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  const topic = { topic: 'rc', replicaAssignment: [{ partition: 0, replicas: [0, 1, 2] }] };
  await admin.createTopics({ topics: [topic] });
  await waitForFullIsr(c, 'rc', [0]);
  const producer = kafka.producer();
  await producer.connect();
  t.teardown(() => producer.disconnect());
  for (let i = 0; i < 5; i++) await producer.send({ topic: 'rc', acks: -1, messages: [{ partition: 0, value: `old-${i}` }] });
  await until(() => [...replicaEnds(c, 'rc', 0).values()].every((r) => r.logEndOffset === 5), 10_000, 'every replica at 5');

  await c.stopBroker(2);
  await until(() => c.status().brokers.find((b) => b.id === 2)?.fenced === true, 10_000, 'broker 2 fenced');
  await admin.deleteTopics({ topics: ['rc'] });
  await until(() => !c.status().topics.some((x) => x.name === 'rc'), 10_000, 'rc deleted');
  await admin.createTopics({ topics: [topic] });
  await until(() => partitionStatus(c, 'rc', 0).leader >= 0, 10_000, 'the new rc has a leader');
  for (let i = 0; i < 2; i++) await producer.send({ topic: 'rc', acks: 1, messages: [{ partition: 0, value: `new-${i}` }] });

  await c.startBroker(2);
  await waitForFullIsr(c, 'rc', [0]);
  const dir = c.status().brokers.find((b) => b.id === 2)!.dataDir;
  t.ok(readdirSync(dir).some((n) => n.startsWith('rc-0.') && n.endsWith('-stray')), 'the old log moved aside as a stray');
  t.ok(existsSync(join(dir, 'rc-0', 'partition.metadata')), 'the new log records its topic id');
  await until(() => replicaEnds(c, 'rc', 0).get(2)?.logEndOffset === 2, 10_000, 'broker 2 at the new topic\'s end');
  await c.moveLeader('rc', 0, 2);
  const b2 = c.broker(2)!;
  const read = await kcatConsumeAll(`${b2.host}:${b2.port}`, 'rc');
  t.same(read.map((r) => r.payload), ['new-0', 'new-1'], 'broker 2 leading serves the new topic\'s records only');
});
