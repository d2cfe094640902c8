/**
 * The console's API on a 3-broker cluster in this process: the overview lists
 * every broker and the controller, a replicated topic's partitions are led by
 * several brokers and the message browser and produce reach each leader; with
 * broker 0 (the console's first bootstrap) stopped through the control API,
 * the console reconnects through another broker and reports the
 * under-replicated partitions.
 */
import t from 'tap';
import { testCluster } from './helpers/cluster.js';
import { consoleHttp } from './helpers/console-http.js';
import { kcat, kcatConsumeAll } from './helpers/kcat.js';
import type { MessagePage, Overview, TopicDetail } from '../src/http/console-api-types.js';

t.test('3 brokers: overview, a replicated topic, messages from every leader, a stopped broker', async (t) => {
  const cluster = await testCluster(t, 3);
  const c = await consoleHttp(t, cluster, true);

  const created = await c.api<TopicDetail>('POST', '/api/topics', { name: 'spread', partitions: 6, replicationFactor: 3 });
  t.equal(created.status, 201, 'created');
  t.ok(created.body.partitions.every((p) => p.replicas.length === 3), 'each partition has 3 replicas');
  const leaders = new Set(created.body.partitions.map((p) => p.leader));
  t.ok(leaders.size > 1, `partitions led by several brokers (${[...leaders].join(', ')})`);

  const ov = await c.api<Overview>('GET', '/api/overview');
  t.same(ov.body.brokers.map((x) => x.nodeId), [0, 1, 2], 'three brokers');
  t.equal(ov.body.brokers.filter((x) => x.isController).length, 1, 'one of them the controller');
  t.equal(ov.body.brokers.reduce((n, x) => n + x.leaderCount, 0) >= 6, true, 'leader counts cover the partitions');
  t.equal(ov.body.partitionCount, 6);

  const lines = Array.from({ length: 6 }, (_, p) => p);
  for (const p of lines) await kcat(['-P', '-b', cluster.bootstrap, '-t', 'spread', '-p', String(p)], `m${p}\n`);
  const page = await c.api<MessagePage>('GET', '/api/topics/spread/messages?start=oldest');
  t.same(page.body.messages.map((m) => m.value?.text).sort(), lines.map((p) => `m${p}`), 'the browser reads every partition from its leader');
  for (const p of lines) {
    const r = await c.api('POST', '/api/topics/spread/messages', { value: `api-${p}`, partition: p });
    t.equal(r.status, 200, `produced to partition ${p}`);
  }
  const read = await kcatConsumeAll(cluster.bootstrap, 'spread');
  t.same(read.filter((m) => m.payload?.startsWith('api-')).map((m) => `${m.partition}:${m.payload}`).sort(), lines.map((p) => `${p}:api-${p}`), 'kcat reads what the API produced, in the partitions asked for');

  t.equal((await c.api('POST', '/api/brokers/0/stop')).status, 200, 'broker 0 stopped');
  // The console's client was connected to broker 0: its next requests fail (502) until it reconnects through another broker.
  let after: Overview | undefined;
  for (let i = 0; i < 100 && (after?.underReplicatedPartitions ?? 0) === 0; i++) {
    const r = await c.api<Overview>('GET', '/api/overview');
    if (r.status === 200) after = r.body; else await new Promise((res) => setTimeout(res, 200));
    if ((after?.underReplicatedPartitions ?? 0) === 0) await new Promise((res) => setTimeout(res, 200));
  }
  t.ok(after, 'the overview answers again without broker 0');
  t.ok((after?.underReplicatedPartitions ?? 0) > 0, `and counts the under-replicated partitions (${after?.underReplicatedPartitions})`);
  t.notOk(after?.brokers.some((x) => x.nodeId === 0), 'broker 0 is not listed');
  const still = await c.api<MessagePage>('GET', '/api/topics/spread/messages?start=oldest');
  t.equal(still.status, 200, 'the browser still reads');
  t.equal(still.body.messages.length, 12, 'every message, from the new leaders');
});
