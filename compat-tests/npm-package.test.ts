/**
 * The npm package (issue 15, item 6): `npm pack` of the built dist/ (make
 * test builds it first), installed into an empty directory as a user installs
 * it, with no build step of ours; then, there:
 *  - `npx samsa start --ephemeral` (and the bin run directly): the ready line,
 *    a record produced and consumed with kcat, Ctrl-C, temporary data gone;
 *  - a TypeScript ESM program doing `import { startBroker, startCluster } from
 *    'samsa'`, type-checked against the package's declarations and compiled by
 *    the repo's tsc, run with node: kcat against the broker and the cluster
 *    it starts, the console over HTTP, then close() lets the program exit.
 * zstd-napi's install script gets its prebuilt addon from a local stand-in
 * for its GitHub releases (or compiles it: SAMSA_TEST_ZSTD_FROM_SOURCE=1).
 */
import t, { type Test as Tap } from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { createServer } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kcat, kcatConsumeAll, kcatProduce } from './helpers/kcat.js';

/** kcat's first request waits up to 10 s for an answer; a broker loads its request path then, slow on a loaded machine (and from source, under tap's TypeScript loader). */
const PATIENT = ['-X', 'api.version.request.timeout.ms=60000'];

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repoPackage = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string; license: string; dependencies: Record<string, string>; bin: Record<string, string>; engines: Record<string, string> };

interface Run { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

/** Runs a command to its end, asynchronously; rejects after `ms` (a bound, not an assertion), killing it. */
function run(cmd: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; ms: number }): Promise<Run> {
  return new Promise((res, rej) => {
    const p = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => { p.kill('SIGKILL'); rej(new Error(`${cmd} ${args.join(' ')} still running after ${opts.ms} ms\nstdout: ${stdout}\nstderr: ${stderr}`)); }, opts.ms);
    p.on('error', (e) => { clearTimeout(timer); rej(e); });
    p.on('close', (code, signal) => { clearTimeout(timer); res({ code, signal, stdout, stderr }); });
  });
}

/** A long-running child: its output so far, a wait for a line matching a pattern, and its end. */
function background(p: ChildProcess, what: string) {
  let stdout = '';
  let stderr = '';
  p.stdout!.on('data', (d) => (stdout += d));
  p.stderr!.on('data', (d) => (stderr += d));
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => p.on('close', (code, signal) => res({ code, signal })));
  return {
    ended,
    output: () => `stdout: ${stdout}\nstderr: ${stderr}`,
    /** The first stdout match of `re`; rejects if the child ends first or after `ms`. */
    async waitFor(re: RegExp, ms: number): Promise<RegExpExecArray> {
      const end = Date.now() + ms;
      let gone = false;
      void ended.then(() => { gone = true; });
      for (;;) {
        const m = re.exec(stdout);
        if (m) return m;
        if (gone || Date.now() > end) throw new Error(`${what}: no ${re} ${gone ? 'before it ended' : `after ${ms} ms`}\n${this.output()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}

/** Whether something accepts connections on host:port. */
function accepting(host: string, port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = connect(port, host, () => { s.destroy(); res(true); });
    s.on('error', () => res(false));
  });
}

/** The packages a built module loads by name: import/export ... from, import(), require(), createRequire(...)(), as tsc writes them. */
function bareImports(js: string): string[] {
  const names = new Set<string>();
  const patterns = [/^\s*(?:import|export)\b[^'"\n]*?\bfrom\s*['"]([^'"\n]+)['"]/gm, /^\s*import\s*['"]([^'"\n]+)['"]/gm, /\bimport\(\s*['"]([^'"\n]+)['"]\s*\)/g, /\brequire\(\s*['"]([^'"\n]+)['"]\s*\)/g, /\bcreateRequire\([^)]*\)\(\s*['"]([^'"\n]+)['"]\s*\)/g];
  for (const re of patterns) {
    for (const m of js.matchAll(re)) {
      const spec = m[1]!;
      // A package name (npm's rules, lower case), maybe with a path: not a relative path, node:, or words in a message.
      if (!/^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*(\/[^\s]*)?$/.test(spec)) continue;
      names.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
    }
  }
  return [...names];
}

/**
 * The user's project: the tarball as its one dependency, and a lockfile that
 * pins every package under it to the version the repo's package-lock.json
 * tested (with the registry address each tarball has, so npm needs no
 * registry metadata): npm ci put all of them in npm's cache, so the install
 * works offline, and runs against the same versions as the other tests.
 */
function writeProject(dir: string, tarball: string): void {
  const repoLock = JSON.parse(readFileSync(join(REPO, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean; version?: string; resolved?: string }> };
  const spec = `file:${tarball}`;
  const packages: Record<string, unknown> = {
    '': { name: 'samsa-user', dependencies: { samsa: spec } },
    'node_modules/samsa': { version: repoPackage.version, resolved: spec, license: repoPackage.license, dependencies: repoPackage.dependencies, bin: repoPackage.bin, engines: repoPackage.engines },
  };
  for (const [path, entry] of Object.entries(repoLock.packages)) {
    if (!path.startsWith('node_modules/') || entry.dev) continue;
    const name = path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
    packages[path] = { resolved: `https://registry.npmjs.org/${name}/-/${name.split('/').pop()}-${entry.version}.tgz`, ...entry };
  }
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'samsa-user', private: true, type: 'module', dependencies: { samsa: spec } }, null, 2));
  writeFileSync(join(dir, 'package-lock.json'), JSON.stringify({ name: 'samsa-user', lockfileVersion: 3, requires: true, packages }, null, 2));
}

/**
 * A stand-in for zstd-napi's release downloads on GitHub, where its install
 * script (prebuild-install) gets a prebuilt addon, as on a user's linux-x64
 * machine: the addon npm ci built for the repo, packed as a release asset.
 * Compiling it instead (node-gyp, what prebuild-install falls back to without
 * the download) takes over a minute of CPU: SAMSA_TEST_ZSTD_FROM_SOURCE=1.
 * prebuild-install keeps downloads in npm's cache under a name made from the
 * address: removed at the end.
 */
async function zstdReleaseServer(t: Tap, work: string): Promise<{ url: string; requests: string[] }> {
  const asset = join(work, 'zstd-napi-prebuilt.tar.gz');
  const tar = await run('tar', ['-czf', asset, '-C', join(REPO, 'node_modules/zstd-napi'), 'build/Release/binding.node'], { cwd: work, ms: 30_000 });
  if (tar.code !== 0) throw new Error(`tar: ${tar.stderr}`);
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(req.url ?? '');
    if (!req.url?.endsWith('.tar.gz')) { res.writeHead(404).end(); return; }
    res.writeHead(200, { 'content-type': 'application/gzip' }).end(readFileSync(asset));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const cache = (await run('npm', ['config', 'get', 'cache'], { cwd: work, ms: 30_000 })).stdout.trim();
  t.teardown(() => {
    server.close();
    for (const path of requests) {
      const address = url + path;
      const digest = createHash('sha512').update(address).digest('hex').slice(0, 6);
      rmSync(join(cache, '_prebuilds', `${digest}-${basename(address).replace(/[^a-zA-Z0-9.]+/g, '-')}`), { force: true });
    }
  });
  return { url, requests };
}

/** The test suite's program: typed use of the package, and lines that must not type-check. */
const APP = `
import { startBroker, startCluster, type SamsaBroker, type SamsaCluster, type BrokerAddress } from 'samsa';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';

const broker: SamsaBroker = await startBroker({ http: true, config: { 'compression.type': 'zstd' } });
const cluster: SamsaCluster = await startCluster({ brokers: 3, config: { 'default.replication.factor': 3 } });
const { bootstrap, brokers, port, dataDir, httpUrl } = broker;
console.log(JSON.stringify({ broker: { bootstrap, brokers, port, dataDir, httpUrl }, cluster: { bootstrap: cluster.bootstrap, brokers: cluster.brokers, dataDir: cluster.dataDir } }));

// "close" on stdin: restart broker 2, read the cluster's status, close everything; the program must then end by itself.
for await (const line of createInterface({ input: process.stdin })) {
  if (line !== 'close') continue;
  const before: number = cluster.broker(2)!.port;
  await cluster.stopBroker(2);
  const stopped = cluster.broker(2) === undefined;
  const again: BrokerAddress = await cluster.startBroker(2);
  const topics = cluster.status().topics.filter((t) => !t.internal).map((t) => ({ name: t.name, replicas: t.partitions[0]!.replicas.length }));
  await Promise.all([broker.close(), cluster.close()]);
  await broker.close();
  console.log(JSON.stringify({ stopped, samePort: again.port === before, topics, removed: !existsSync(broker.dataDir) && !existsSync(cluster.dataDir) }));
  break;
}

// Never called. Each line must be a type error: tsc reports an unused @ts-expect-error.
export function typeErrors(): void {
  // @ts-expect-error a port is a number
  void startBroker({ port: '9092' });
  // @ts-expect-error settings are strings, numbers or booleans
  void startBroker({ config: { 'num.partitions': [3] } });
  // @ts-expect-error a lone broker has no stopBroker
  void startBroker().then((b) => b.stopBroker(0));
  // @ts-expect-error log levels are named
  void startCluster({ logLevel: 'verbose' });
}
`;

// Compiling zstd-napi takes minutes on a loaded 2-core machine.
t.setTimeout(process.env.SAMSA_TEST_ZSTD_FROM_SOURCE === '1' ? 900_000 : 300_000);

const built = ['dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/cli/main.js', 'dist/bundle/samsa.cjs'].filter((f) => !existsSync(join(REPO, f)));
if (built.length) {
  t.fail(`dist/ is not built (${built.join(', ')} missing): make build`);
} else {
  const work = mkdtempSync(join(tmpdir(), 'samsa-npm-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));
  const app = join(work, 'app');
  mkdirSync(app);
  let tarball = '';

  await t.test('npm pack: what the package holds', async (t) => {
    // --ignore-scripts: prepack would rebuild dist/, which other test files are running from.
    const r = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: REPO, ms: 120_000 });
    if (r.code !== 0) { t.fail(`npm pack exited ${r.code}: ${r.stderr}`); return; }
    const [pack] = JSON.parse(r.stdout) as { filename: string; size: number; unpackedSize: number; entryCount: number; files: { path: string }[] }[];
    tarball = pack!.filename;
    t.comment(`${pack!.filename}: ${pack!.size} bytes packed, ${pack!.unpackedSize} unpacked, ${pack!.entryCount} files`);
    const files = pack!.files.map((f) => f.path);
    for (const f of ['package.json', 'README.md', 'LICENSE', 'NOTICE', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/cli/main.js', 'dist/bundle/samsa.cjs', 'dist/bundle/samsa-app.cjs', 'dist/bundle/samsa-app.cjs.v8cache', 'src/http/console/index.html']) t.ok(files.includes(f), `ships ${f}`);
    t.equal(repoPackage.bin.samsa, 'dist/bundle/samsa.cjs', 'the samsa command is the bundle (scripts/bundle.mjs)');
    t.same(files.filter((f) => f.endsWith('.map') || f.endsWith('.test.js') || (f.endsWith('.ts') && f !== 'dist/src/index.d.ts') || /^dist\/(?!src\/|bundle\/)|^dist\/src\/wire\/codegen\//.test(f)), [], 'no tests, sources, source maps or build tools');
    // Sources in the package are only the console's page, served as they are.
    t.same(files.filter((f) => f.startsWith('src/') && !f.startsWith('src/http/console/')), [], 'no other sources');
    // dist/bundle (the command, ~2 MB) and dist/src (the library entry) hold the same code twice.
    t.ok(pack!.unpackedSize < 6_000_000, `small: ${pack!.unpackedSize} bytes unpacked (a bound against shipping tests or maps)`);
    // The one declaration file is the whole public API: it names nothing else of ours.
    t.notMatch(readFileSync(join(REPO, 'dist/src/index.d.ts'), 'utf8'), /^\s*(import|export \* from|\/\/\/ <reference)/m, 'index.d.ts stands alone');
    // kafkajs, tap and playwright-core are devDependencies: not installed for a user.
    const allowed = new Set([...Object.keys(repoPackage.dependencies), ...builtinModules]);
    const stray: string[] = [];
    for (const f of files.filter((f) => (f.startsWith('dist/src/') || f.startsWith('dist/bundle/')) && f.endsWith('.js'))) {
      for (const name of bareImports(readFileSync(join(REPO, f), 'utf8'))) if (!allowed.has(name)) stray.push(`${f} imports ${name}`);
    }
    t.same(stray, [], 'every package the built modules import is a dependency');
  });
  if (tarball) await afterPack(app, tarball);
}

/** Installs the tarball in `app` and uses it there as a user would. */
async function afterPack(app: string, tarball: string): Promise<void> {
  let installed = false;
  await t.test('installs into an empty directory, offline from npm\'s cache', async (t) => {
    writeProject(app, `../${tarball}`);
    const fromSource = process.env.SAMSA_TEST_ZSTD_FROM_SOURCE === '1';
    const zstd = fromSource ? undefined : await zstdReleaseServer(t, dirname(app));
    const started = Date.now();
    // From source: prebuild-install is told to download nothing (no waiting on a network that may drop packets) and node-gyp compiles.
    const env = { ...process.env, JOBS: 'max', ...(zstd ? { npm_config_zstd_napi_binary_host: zstd.url } : { npm_config_build_from_source: 'true' }) };
    const r = await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', `../${tarball}`], { cwd: app, env, ms: 840_000 });
    t.comment(`npm install: ${((Date.now() - started) / 1000).toFixed(1)} s (zstd-napi ${zstd ? 'from its release server' : 'compiled by node-gyp'})`);
    t.equal(r.code, 0, `npm install succeeds\n${r.stderr.slice(-3000)}`);
    if (zstd) t.match(zstd.requests, [/\/v0\.0\.13\/zstd-napi-v0\.0\.13-napi-v8-linux-x64\.tar\.gz$/], 'zstd-napi\'s install script (prebuild-install) fetched its prebuilt addon');
    t.ok(existsSync(join(app, 'node_modules/zstd-napi/build/Release/binding.node')), 'zstd-napi\'s addon is in place');
    t.ok(existsSync(join(app, 'node_modules/.bin/samsa')), 'the samsa command is linked');
    for (const dev of ['kafkajs', 'tap', 'typescript', 'playwright-core']) t.notOk(existsSync(join(app, 'node_modules', dev)), `${dev} is not installed`);
    installed = r.code === 0 && existsSync(join(app, 'node_modules/samsa/package.json'));
  });
  if (!installed) return;

  const ready = /listening on (\S+):(\d+) \(data: ([^,]+), removed at exit\)/;

  await t.test('npx samsa start --ephemeral: kcat round trip, Ctrl-C', async (t) => {
    // Detached: its own process group, which gets the SIGINT as a terminal's Ctrl-C sends it (npx and the broker under it).
    const p = spawn('npx', ['--no', 'samsa', 'start', '--ephemeral', '--listen', '127.0.0.1:0', '--set', 'compression.type=zstd'], { cwd: app, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const child = background(p, 'npx samsa start');
    t.teardown(() => { if (p.exitCode === null && p.signalCode === null) process.kill(-p.pid!, 'SIGKILL'); });
    const [, host, port, dataDir] = await child.waitFor(ready, 60_000);
    const bootstrap = `${host}:${port}`;
    t.ok(existsSync(dataDir!), 'its temporary data directory exists while it runs');
    // compression.type=zstd: the broker recompresses the batch with the addon the install built.
    await kcatProduce(bootstrap, 'npx-check', ['k1:hello from npx'], ['-K:', ...PATIENT]);
    const got = await kcatConsumeAll(bootstrap, 'npx-check');
    t.same(got.map((m) => [m.key, m.payload]), [['k1', 'hello from npx']], 'kcat reads back what kcat wrote');
    process.kill(-p.pid!, 'SIGINT');
    const end = await child.ended;
    // npm exec ends itself with the signal it was sent, as a shell expects of a program stopped by Ctrl-C.
    t.ok(end.code === 0 || end.signal === 'SIGINT', `npx ended by Ctrl-C (${end.code ?? end.signal})\n${child.output()}`);
    t.notOk(existsSync(dataDir!), 'the temporary data directory is removed');
    t.notOk(await accepting(host!, Number(port)), 'nothing listens on its port any more');
  });

  await t.test('node_modules/.bin/samsa: SIGINT, exit 0', async (t) => {
    const p = spawn(join(app, 'node_modules/.bin/samsa'), ['start', '--ephemeral', '--listen', '127.0.0.1:0'], { cwd: app, stdio: ['ignore', 'pipe', 'pipe'] });
    const child = background(p, 'samsa start');
    t.teardown(() => { if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL'); });
    const [, host, port, dataDir] = await child.waitFor(ready, 60_000);
    await kcat(['-L', '-b', `${host}:${port}`, '-J', ...PATIENT]);
    p.kill('SIGINT');
    const end = await child.ended;
    t.equal(end.code, 0, `exit 0\n${child.output()}`);
    t.notOk(existsSync(dataDir!), 'the temporary data directory is removed');
    // The same Node that built the package runs it here: V8 takes the shipped code cache (bundle-launcher.ts).
    const status = await run(join(app, 'node_modules/.bin/samsa'), ['--code-cache-status'], { cwd: app, ms: 30_000 });
    t.equal(status.stdout.trim(), 'accepted', `the installed command starts from the code cache built with it\n${status.stderr}`);
  });

  await t.test('import { startBroker, startCluster } from \'samsa\' in TypeScript', async (t) => {
    writeFileSync(join(app, 'app.mts'), APP);
    // A strict user project (skipLibCheck as tsc --init sets it: checking all of @types/node triples the time).
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, skipLibCheck: true, typeRoots: [join(REPO, 'node_modules/@types')], types: ['node'] },
      files: ['app.mts'],
    }));
    const tsc = await run(process.execPath, [join(REPO, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: app, ms: 120_000 });
    t.equal(tsc.code, 0, `tsc type-checks and compiles the program against dist/src/index.d.ts\n${tsc.stdout}${tsc.stderr}`);
    if (tsc.code !== 0) return;

    const p = spawn(process.execPath, ['app.mjs'], { cwd: app, stdio: ['pipe', 'pipe', 'pipe'] });
    const child = background(p, 'node app.mjs');
    t.teardown(() => { if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL'); });
    const [line] = await child.waitFor(/^\{.*\}$/m, 60_000);
    const started = JSON.parse(line) as { broker: { bootstrap: string; brokers: string[]; port: number; dataDir: string; httpUrl: string }; cluster: { bootstrap: string; brokers: string[]; dataDir: string } };
    t.match(started.broker, { bootstrap: `127.0.0.1:${started.broker.port}`, brokers: [`127.0.0.1:${started.broker.port}`] }, 'a free port on 127.0.0.1');
    t.not(started.broker.port, 0);
    t.equal(started.cluster.brokers.length, 3);
    t.equal(started.cluster.bootstrap, started.cluster.brokers.join(','));
    t.ok(existsSync(started.broker.dataDir) && existsSync(started.cluster.dataDir), 'temporary data directories while running');

    await kcatProduce(started.broker.bootstrap, 'api-broker', ['k:one record'], ['-K:', ...PATIENT]);
    t.same((await kcatConsumeAll(started.broker.bootstrap, 'api-broker')).map((m) => [m.key, m.payload]), [['k', 'one record']], 'the broker: kcat round trip (stored with zstd)');
    await kcatProduce(started.cluster.bootstrap, 'api-cluster', ['k:replicated'], ['-K:', '-X', 'acks=all', ...PATIENT]);
    t.same((await kcatConsumeAll(started.cluster.bootstrap, 'api-cluster')).map((m) => [m.key, m.payload]), [['k', 'replicated']], 'the cluster: kcat round trip with acks=all');

    // The console's page and its vendored modules come from the installed packages; /metrics from prom-client.
    for (const path of ['/', '/vendor/preact.mjs', '/metrics']) {
      const res = await fetch(`${started.broker.httpUrl}${path}`);
      await res.arrayBuffer();
      t.equal(res.status, 200, `GET ${path}`);
    }

    p.stdin!.end('close\n');
    const [closedLine] = await child.waitFor(/^\{"stopped".*\}$/m, 60_000);
    const closed = JSON.parse(closedLine) as { stopped: boolean; samePort: boolean; topics: { name: string; replicas: number }[]; removed: boolean };
    t.same(closed, { stopped: true, samePort: true, topics: [{ name: 'api-cluster', replicas: 3 }], removed: true }, 'broker 2 stopped and back on its port; 3 replicas; data removed at close');
    // Nothing of the brokers (sockets, timers) keeps a test runner's process alive after close().
    const exit = await Promise.race([child.ended, new Promise<'running'>((r) => setTimeout(() => r('running'), 30_000).unref())]);
    t.same(exit, { code: 0, signal: null }, `the program ends by itself after close()\n${child.output()}`);
  });
}
