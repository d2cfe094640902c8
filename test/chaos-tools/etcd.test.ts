/**
 * The tests' etcd (compat-tests/helpers/etcd.ts): a real etcd on free
 * loopback ports that the etcd3 client can use, directly and through the
 * chaos proxy; stop and start keep the ports and the data; close removes
 * the data dir.
 */
import t from 'tap';
import { existsSync } from 'node:fs';
import { Etcd3 } from 'etcd3';
import { etcdAvailable, ETCD_MISSING, startEtcd } from '../../compat-tests/helpers/etcd.js';
import { startProxy } from '../../compat-tests/chaos/tcp-proxy.js';

t.setTimeout(60_000);

t.test('etcd: start, use, stop, start again with the same data, close', { skip: etcdAvailable ? false : ETCD_MISSING }, async (t) => {
  const etcd = await startEtcd(t);
  t.match(etcd.endpoint, /^127\.0\.0\.1:\d+$/);
  t.ok(etcd.running());
  const client = new Etcd3({ hosts: etcd.clientUrl, dialTimeout: 2000 });
  t.teardown(() => client.close());
  await client.put('samsa/test/k').value('v1');
  t.equal(await client.get('samsa/test/k').string(), 'v1');

  // Through the proxy (gRPC over one TCP connection), then cut by a block.
  const proxy = await startProxy({ target: { host: '127.0.0.1', port: etcd.clientPort } });
  t.teardown(() => proxy.close());
  const viaProxy = new Etcd3({ hosts: `http://127.0.0.1:${proxy.port}`, dialTimeout: 1000 });
  t.teardown(() => viaProxy.close());
  t.equal(await viaProxy.get('samsa/test/k').string(), 'v1', 'etcd answers through the proxy');

  await etcd.stop();
  t.notOk(etcd.running());
  await t.rejects(Promise.race([client.get('samsa/test/k').string(), new Promise((_, j) => setTimeout(() => j(new Error('timeout')), 3000))]), 'a stopped etcd does not answer');
  await etcd.start();
  t.ok(etcd.running());
  const again = new Etcd3({ hosts: etcd.clientUrl, dialTimeout: 2000 });
  t.teardown(() => again.close());
  t.equal(await again.get('samsa/test/k').string(), 'v1', 'the data survives a restart on the same data dir');

  const dir = etcd.dataDir;
  await etcd.close();
  t.notOk(existsSync(dir), 'close removes the data dir');
});
