/**
 * The package's API (src/index.ts) from source, driven over real sockets with
 * kcat: the defaults a test suite relies on (free port, temporary data removed
 * at close), a kept data directory, start-up failures that leave nothing
 * behind, and a cluster with its console. npm-package.test.ts runs the same
 * API from the installed tarball.
 */
import t from 'tap';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker, startCluster } from '../src/index.js';
import { kcatConsumeAll, kcatProduce } from './helpers/kcat.js';

/** kcat's first request waits up to 10 s for an answer; a broker loads its request path then, slow on a loaded machine (and from source, under tap's TypeScript loader). */
const PATIENT = ['-X', 'api.version.request.timeout.ms=60000'];

t.test('startBroker(): a free port on 127.0.0.1, temporary data removed at close', async (t) => {
  const b = await startBroker({ logLevel: 'silent' });
  t.teardown(() => b.close());
  t.equal(b.host, '127.0.0.1');
  t.not(b.port, 0);
  t.equal(b.bootstrap, `127.0.0.1:${b.port}`);
  t.same(b.brokers, [b.bootstrap]);
  t.equal(b.httpUrl, undefined, 'no HTTP side unless asked');
  t.ok(existsSync(b.dataDir), 'its data directory exists while it runs');
  await kcatProduce(b.bootstrap, 'api', ['k:v'], ['-K:', ...PATIENT]);
  t.same((await kcatConsumeAll(b.bootstrap, 'api')).map((m) => [m.key, m.payload]), [['k', 'v']]);
  await b.close();
  t.notOk(existsSync(b.dataDir), 'removed at close');
  await b.close();
  t.pass('a second close is harmless');
});

t.test('dataDir is kept; config takes Kafka settings as numbers and booleans too', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-api-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const b = await startBroker({ dataDir: dir, logLevel: 'silent', config: { 'num.partitions': 3, 'auto.create.topics.enable': true } });
  t.equal(b.dataDir, dir);
  await kcatProduce(b.bootstrap, 'three', ['x'], PATIENT);
  await b.close();
  t.ok(existsSync(dir), 'a given data directory stays');
  t.same(readdirSync(dir).filter((f) => f.startsWith('three-')).sort(), ['three-0', 'three-1', 'three-2'], 'num.partitions=3 applied');
});

t.test('a failed start rejects and leaves no temporary directory', async (t) => {
  // os.tmpdir() follows TMPDIR: the temporary directories of these starts land where the test can see them.
  const scratch = mkdtempSync(join(tmpdir(), 'samsa-api-tmp-'));
  const saved = process.env.TMPDIR;
  process.env.TMPDIR = scratch;
  const taken = createServer();
  await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
  t.teardown(() => {
    taken.close();
    if (saved === undefined) delete process.env.TMPDIR; else process.env.TMPDIR = saved;
    rmSync(scratch, { recursive: true, force: true });
  });
  const port = (taken.address() as { port: number }).port;
  await t.rejects(startBroker({ port, logLevel: 'silent' }), /EADDRINUSE/, 'its port is taken');
  await t.rejects(startBroker({ logLevel: 'silent', config: { 'num.partition': 3 } }), /unknown broker setting 'num.partition'.*did you mean num.partitions/, 'a misspelt setting');
  await t.rejects(startCluster({ brokers: 2, logLevel: 'silent', http: { port } }), /address already in use/, 'the HTTP port is taken');
  t.same(readdirSync(scratch), [], 'nothing left behind');
});

t.test('startCluster(): bootstrap list, restarts on the same port, the console', async (t) => {
  const c = await startCluster({ brokers: 2, logLevel: 'silent', http: true });
  t.teardown(() => c.close());
  t.equal(c.size, 2);
  t.equal(c.brokers.length, 2);
  t.equal(c.bootstrap, c.brokers.join(','));
  t.match(c.httpUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
  const res = await fetch(`${c.httpUrl}/`);
  await res.arrayBuffer();
  t.equal(res.status, 200, 'the console page');
  const before = c.broker(1)!;
  t.equal(before.bootstrap, c.brokers[1]);
  await c.stopBroker(1);
  t.equal(c.broker(1), undefined, 'stopped');
  t.equal(c.status().brokers[1]!.state, 'stopped');
  const again = await c.startBroker(1);
  t.equal(again.port, before.port, 'back on its port');
  await kcatProduce(c.bootstrap, 'cluster-api', ['k:v'], ['-K:', '-X', 'acks=all', ...PATIENT]);
  t.same((await kcatConsumeAll(c.bootstrap, 'cluster-api')).map((m) => [m.key, m.payload]), [['k', 'v']]);
  await c.close();
  t.notOk(existsSync(c.dataDir), 'temporary data removed at close');
});
