/**
 * librdkafka (kcat) through a leader crash and restart in a 3-broker cluster:
 * an idempotent acks=all producer fed while the leader goes and comes back,
 * then a consumer reading everything back.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { testCluster } from './helpers/cluster.js';
import { until } from './helpers/until.js';
import { KCAT, kcatConsumeAll } from './helpers/kcat.js';
import { partitionStatus, waitForFullIsr, waitForNewLeader } from './helpers/failover.js';
import { Kafka, logLevel } from 'kafkajs';

t.test('kcat produces with acks=all through a leader stop and restart; kcat reads it all back', async (t) => {
  const c = await testCluster(t, 3);
  const kafka = new Kafka({ brokers: c.bootstrap.split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  await admin.createTopics({ topics: [{ topic: 'lr', numPartitions: 1, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }] });
  await waitForFullIsr(c, 'lr', [0]);

  const p = spawn(KCAT, ['-P', '-b', c.bootstrap, '-t', 'lr', '-p', '0', '-X', 'acks=all', '-X', 'enable.idempotence=true',
    '-X', 'message.timeout.ms=60000', '-X', 'linger.ms=5', '-X', 'retry.backoff.ms=100', '-X', 'topic.metadata.refresh.interval.ms=500'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  p.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => p.on('close', resolve));
  t.teardown(() => { if (p.exitCode === null) p.kill('SIGKILL'); });
  const sent: string[] = [];
  let stop = false;
  const feeder = (async () => {
    while (!stop) {
      const lines = Array.from({ length: 10 }, () => `k${sent.length}`).map((v, i) => `${v}-${i}`);
      sent.push(...lines);
      p.stdin.write(lines.join('\n') + '\n');
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
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
  stop = true;
  await feeder;
  p.stdin.end();
  const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 90_000).unref())]);
  t.equal(code, 0, `kcat delivered everything and exited 0 (stderr: ${stderr.slice(-500)})`);

  const read = await kcatConsumeAll(c.bootstrap, 'lr');
  t.equal(read.length, sent.length, `${sent.length} records read back`);
  t.same(read.map((m) => m.payload), sent, 'the values sent, in order, once each (idempotent producer)');
  t.same(read.map((m) => m.offset), sent.map((_, i) => i), 'offsets dense from 0');
});
