/** Parsing `samsa start` and `samsa cluster` arguments, cluster flags and their refusals included. */
import t from 'tap';
import { parseHttpAddress, parseStartArgs } from '../../src/cli/start-args.js';
import { parseClusterArgs } from '../../src/cli/cluster.js';
import { BrokerConfig, parseMetadataUrl } from '../../src/config/broker-config.js';

t.test('a lone broker parses as before: no cluster fields', async (t) => {
  const r = parseStartArgs(['--listen', '127.0.0.1:9092', '--data-dir', 'd', '--set', 'num.partitions=3']);
  t.same(r.flags, { listeners: '127.0.0.1:9092', 'log.dirs': 'd', 'num.partitions': '3' });
  t.equal(r.brokers, undefined);
  t.equal(r.portStep, undefined);
  t.equal(r.http, undefined);
});

t.test('--brokers, --port-step and --http', async (t) => {
  const r = parseStartArgs(['--listen', '127.0.0.1:9092', '--brokers', '3', '--port-step=3', '--http', '127.0.0.1:9644', '--advertised-host', 'kafka']);
  t.equal(r.brokers, 3);
  t.equal(r.portStep, 3);
  t.same(r.http, { host: '127.0.0.1', port: 9644 });
  t.equal(r.flags['advertised.host'], 'kafka', 'the advertised host goes to every broker');
  t.same(parseStartArgs(['--brokers', '1', '--http', '[::1]:0']).http, { host: '::1', port: 0 });
  t.same(parseHttpAddress('localhost:80'), { host: 'localhost', port: 80 });
});

t.test('refusals', async (t) => {
  t.throws(() => parseStartArgs(['--brokers', '0']), /--brokers must be a whole number >= 1, got 0/);
  t.throws(() => parseStartArgs(['--brokers', 'three']), /--brokers must be a whole number >= 1/);
  t.throws(() => parseStartArgs(['--brokers', '-1']), /--brokers must be a whole number >= 1/);
  t.throws(() => parseStartArgs(['--brokers']), /--brokers needs a value/);
  t.throws(() => parseStartArgs(['--port-step', '2']), /--port-step needs --brokers/);
  t.throws(() => parseStartArgs(['--brokers', '3', '--port-step', '0']), /--port-step must be a whole number >= 1/);
  t.same(parseStartArgs(['--http', '127.0.0.1:9644', '--http-allow-writes']).http, { host: '127.0.0.1', port: 9644 }, 'a lone broker serves --http too');
  t.throws(() => parseStartArgs(['--http-allow-writes']), /--http-allow-writes needs --http host:port/);
  t.throws(() => parseStartArgs(['--brokers', '2', '--http', '9644']), /--http expects host:port/);
  t.throws(() => parseStartArgs(['--brokers', '2', '--http', '127.0.0.1:99999']), /--http expects host:port/);
  t.throws(() => parseStartArgs(['--brokers', '2', '--node-id', '4']), /node.id cannot be set with --brokers/);
  t.throws(() => parseStartArgs(['--brokers', '2', '--advertised-port', '9000']), /advertised.port cannot be set with --brokers/);
  let message = '';
  try { parseStartArgs(['--broker', '3']); } catch (err) { message = (err as Error).message; }
  t.match(message, /unknown option --broker \(options: /);
  for (const f of ['--listen', '--data-dir', '--ephemeral', '--set', '--brokers', '--port-step', '--http']) t.match(message, f, `lists ${f}`);
});

t.test('samsa cluster arguments become API requests', async (t) => {
  t.same(parseClusterArgs(['status', '--http', '127.0.0.1:9700']), { http: 'http://127.0.0.1:9700', json: false, method: 'GET', path: '/api/cluster' });
  t.same(parseClusterArgs(['status']).http, 'http://127.0.0.1:9644', 'default address');
  for (const [cmd, action] of [['stop-broker', 'stop'], ['start-broker', 'start'], ['pause-broker', 'pause'], ['resume-broker', 'resume']]) {
    t.same(parseClusterArgs([cmd!, '2', '--json']), { http: 'http://127.0.0.1:9644', json: true, method: 'POST', path: `/api/brokers/2/${action}` });
  }
  t.same(parseClusterArgs(['move-leader', 'my topic', '1', '2']), { http: 'http://127.0.0.1:9644', json: false, method: 'POST', path: '/api/partitions/my%20topic/1/leader', body: { broker: 2 } });
  t.throws(() => parseClusterArgs(['stop-broker']), /stop-broker takes 1 argument/);
  t.throws(() => parseClusterArgs([]), /^usage: samsa cluster/);
  t.throws(() => parseClusterArgs(['stop-broker', 'x']), /needs a broker id as a whole number, got x/);
  t.throws(() => parseClusterArgs(['move-leader', 't', '0']), /takes 3 arguments/);
  t.throws(() => parseClusterArgs(['reboot']), /unknown cluster command reboot/);
  t.throws(() => parseClusterArgs(['status', '--bootstrap', 'x']), /unknown option --bootstrap/);
});

t.test('--metadata names the etcd store; malformed URLs and --brokers with it are refused', async (t) => {
  t.same(parseStartArgs(['--node-id', '1', '--metadata', 'etcd://127.0.0.1:2379,10.0.0.2:2379/samsa/dev']).flags, { 'node.id': '1', 'metadata.url': 'etcd://127.0.0.1:2379,10.0.0.2:2379/samsa/dev' });
  t.same(parseMetadataUrl('etcd://127.0.0.1:2379,10.0.0.2:2379/samsa/dev'), { endpoints: ['127.0.0.1:2379', '10.0.0.2:2379'], prefix: '/samsa/dev' });
  t.same(parseMetadataUrl('etcd://h:2379'), { endpoints: ['h:2379'], prefix: '/samsa' }, 'default prefix');
  t.same(parseMetadataUrl('etcd://h:2379/x/'), { endpoints: ['h:2379'], prefix: '/x' }, 'no trailing slash');
  for (const bad of ['http://h:2379', 'etcd://h', 'etcd://h:2379,', 'etcd:///p']) t.equal(parseMetadataUrl(bad), undefined, bad);
  t.throws(() => BrokerConfig.load({ flags: { 'metadata.url': 'etcd://nohost' } }), /invalid value 'etcd:\/\/nohost' for metadata.url.*expected etcd:\/\/host:port/);
  t.throws(() => BrokerConfig.load({ flags: { 'metadata.uri': 'etcd://h:1' } }), /did you mean.*metadata.url/);
  t.throws(() => parseStartArgs(['--brokers', '3', '--metadata', 'etcd://h:2379']), /--metadata cannot be used with --brokers/);
});
