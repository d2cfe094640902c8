/**
 * The cluster control API (src/http) over real HTTP against a 3-broker
 * cluster in this process: every route, a stopped broker's port refusing
 * connections, leadership moved on a topic a real client (kafkajs) created,
 * and the errors for bad routes, ids and bodies.
 */
import t from 'tap';
import { connect } from 'node:net';
import { Kafka, logLevel } from 'kafkajs';
import type { ClusterStatus } from '../src/broker/cluster.js';
import { startHttp } from '../src/http/server.js';
import { testCluster } from './helpers/cluster.js';
import { until } from './helpers/until.js';

function reachable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

t.test('the control API drives a 3-broker cluster', async (t) => {
  const c = await testCluster(t);
  const http = await startHttp(c, '127.0.0.1', 0);
  t.teardown(() => http.close());
  const call = async (method: string, path: string, body?: string) => {
    const res = await fetch(http.url + path, { method, body, headers: body === undefined ? undefined : { 'content-type': 'application/json' } });
    t.match(res.headers.get('content-type'), /application\/json/, `${method} ${path} answers JSON`);
    return { status: res.status, body: (await res.json()) as any };
  };
  const status = async () => (await call('GET', '/api/cluster')).body as ClusterStatus;

  const s0 = await status();
  t.equal(s0.brokers.length, 3, 'status shows 3 brokers');
  t.same(s0.brokers.map((b) => b.state), ['running', 'running', 'running']);
  t.same(s0.brokers.map((b) => b.id), [0, 1, 2]);

  // Leadership moves on a topic a real client created with replication factor 3.
  const admin = new Kafka({ brokers: c.bootstrap.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  await admin.createTopics({ topics: [{ topic: 'moved', numPartitions: 1, replicationFactor: 3 }] });
  const part = () => c.status().topics.find((x) => x.name === 'moved')?.partitions[0];
  await until(() => part()?.isr.length === 3, 20_000, 'full ISR of moved-0');
  const target = [0, 1, 2].find((b) => b !== part()!.leader)!;
  const moved = await call('POST', '/api/partitions/moved/0/leader', JSON.stringify({ broker: target }));
  t.equal(moved.status, 200, 'move-leader answers 200');
  t.equal(moved.body.leader, target, 'the answer names the new leader');
  t.equal(part()!.leader, target, 'and the cluster agrees');
  t.equal((await call('POST', '/api/partitions/moved/0/leader', JSON.stringify({ broker: target }))).status, 200, 'moving to the leader is a no-op');
  const md = await admin.fetchTopicMetadata({ topics: ['moved'] });
  t.equal(md.topics[0]!.partitions[0]!.leader, target, 'clients see the new leader');

  // Stop is a crash: the port refuses connections at once.
  const port1 = s0.brokers[1]!.port;
  t.ok(await reachable(port1), 'broker 1 accepts connections while running');
  const stopped = await call('POST', '/api/brokers/1/stop');
  t.equal(stopped.status, 200);
  t.equal(stopped.body.state, 'stopped', 'the answer is the broker afterwards');
  t.equal((await status()).brokers[1]!.state, 'stopped', 'status shows it stopped');
  t.notOk(await reachable(port1), 'its port refuses connections');
  const pauseStopped = await call('POST', '/api/brokers/1/pause');
  t.equal(pauseStopped.status, 409, 'a stopped broker cannot be paused');
  t.equal(pauseStopped.body.code, 'BROKER_STOPPED');

  // A broker out of the ISR cannot take leadership: the cluster's refusal is a 409 with its message.
  await until(() => !part()!.isr.includes(1), 20_000, 'broker 1 out of the ISR');
  const refused = await call('POST', '/api/partitions/moved/0/leader', JSON.stringify({ broker: 1 }));
  t.equal(refused.status, 409, 'move-leader to a replica out of the ISR is refused');
  t.equal(refused.body.code, 'PREFERRED_LEADER_NOT_AVAILABLE');
  t.match(refused.body.error, /not an in-sync replica/);

  const started = await call('POST', '/api/brokers/1/start');
  t.equal(started.status, 200);
  t.equal(started.body.state, 'running');
  t.equal(started.body.port, port1, 'it comes back on the same port');
  t.ok(await reachable(port1), 'and accepts connections again');
  t.equal((await call('POST', '/api/brokers/1/start')).body.state, 'running', 'starting a running broker is a no-op');

  t.equal((await call('POST', '/api/brokers/2/pause')).body.state, 'paused', 'pause');
  t.equal((await status()).brokers[2]!.state, 'paused');
  t.equal((await call('POST', '/api/brokers/2/resume')).body.state, 'running', 'resume');
  t.equal((await status()).brokers[2]!.state, 'running');

  const errors: [string, string, string | undefined, number, string][] = [
    ['GET', '/nope', undefined, 404, 'NOT_FOUND'],
    ['GET', '/api/brokers/1/reboot', undefined, 404, 'NOT_FOUND'],
    ['POST', '/api/cluster', undefined, 405, 'METHOD_NOT_ALLOWED'],
    ['GET', '/api/brokers/1/stop', undefined, 405, 'METHOD_NOT_ALLOWED'],
    ['POST', '/api/brokers/3/stop', undefined, 404, 'UNKNOWN_BROKER'],
    ['POST', '/api/brokers/x/stop', undefined, 400, 'BAD_BROKER_ID'],
    ['POST', '/api/brokers/-1/pause', undefined, 400, 'BAD_BROKER_ID'],
    ['POST', '/api/partitions/moved/0/leader', '{"broker":', 400, 'BAD_JSON'],
    ['POST', '/api/partitions/moved/0/leader', '{}', 400, 'BAD_REQUEST'],
    ['POST', '/api/partitions/moved/0/leader', '{"broker":"1"}', 400, 'BAD_REQUEST'],
    ['POST', '/api/partitions/moved/x/leader', '{"broker":1}', 400, 'BAD_PARTITION'],
    ['POST', '/api/partitions/moved/0/leader', '{"broker":9}', 404, 'UNKNOWN_BROKER'],
    ['POST', '/api/partitions/nosuch/0/leader', '{"broker":1}', 404, 'UNKNOWN_TOPIC_OR_PARTITION'],
  ];
  for (const [method, path, body, code, name] of errors) {
    const r = await call(method, path, body);
    t.equal(r.status, code, `${method} ${path} ${body ?? ''} -> ${code}`);
    t.equal(r.body.code, name);
    t.type(r.body.error, 'string', 'with a message');
  }
  t.same((await status()).brokers.map((b) => b.state), ['running', 'running', 'running'], 'bad requests changed nothing');
});
