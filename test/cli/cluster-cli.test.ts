/**
 * `samsa start --brokers 3 --http ...` and `samsa cluster ...` as a user runs
 * them: one ready line per broker on the stepped ports, the control API's
 * line, status and stop-broker from the CLI client, a clean SIGTERM that
 * removes the ephemeral dir. Runs src/cli/main.ts through tap's TypeScript
 * loader, as cli.test.ts does, so no build is needed.
 */
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { TS_LOADER_ARGS as TS_LOADER } from '../loader/ts-loader-args.js';

// Every spawn loads src/cli/main.ts's module graph through the TypeScript loader
// (compiled once, then cached by test/loader/transpile-cache.mjs): seconds each on a busy machine.
t.setTimeout(300_000);

const MAIN = new URL('../../src/cli/main.ts', import.meta.url).pathname;

function samsa(args: string[]): ChildProcess {
  return spawn(process.execPath, [...TS_LOADER, MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}

function output(p: ChildProcess): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = '', stderr = '';
  p.stdout!.on('data', (d) => { stdout += d; });
  p.stderr!.on('data', (d) => { stderr += d; });
  return new Promise((resolve) => p.on('close', (code) => resolve({ code, stdout, stderr })));
}

function lines(p: ChildProcess, n: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`fewer than ${n} lines: ${buf}`)), 60_000);
    p.stdout!.on('data', (d) => {
      buf += d;
      const got = buf.split('\n');
      if (got.length > n) { clearTimeout(timer); resolve(got.slice(0, n)); }
    });
  });
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** A free port p with p + step, p + 2 * step, ... free too (nothing holds them afterwards: a race, unlikely in a test run). */
async function freePorts(count: number, step: number): Promise<number> {
  for (;;) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    const all = await Promise.all(Array.from({ length: count }, (_, i) => portFree(base + i * step)));
    if (all.every(Boolean)) return base;
  }
}

t.test('start --brokers 3 with --http, then samsa cluster status and stop-broker', async (t) => {
  const base = await freePorts(3, 2);
  const httpPort = await freePorts(1, 1);
  const http = `127.0.0.1:${httpPort}`;
  const proc = samsa(['start', '--brokers', '3', '--listen', `127.0.0.1:${base}`, '--port-step', '2', '--ephemeral', '--http', http, '--log-level', 'warn']);
  t.teardown(() => { if (proc.exitCode === null) proc.kill('SIGKILL'); });
  const done = output(proc);
  const ready = await lines(proc, 4);
  let dataDir = '';
  for (let id = 0; id < 3; id++) {
    const m = new RegExp(`^samsa broker ${id} listening on 127\\.0\\.0\\.1:${base + id * 2} \\(data: (.+)/broker-${id}, removed at exit\\)$`).exec(ready[id]!);
    t.ok(m, `ready line of broker ${id}: ${ready[id]}`);
    dataDir = m?.[1] ?? dataDir;
  }
  t.equal(ready[3], `samsa console and control API on http://${http}`);
  t.ok(existsSync(`${dataDir}/broker-0`), 'each broker has its own data dir under the data dir');

  const status = await output(samsa(['cluster', 'status', '--http', http]));
  t.equal(status.code, 0, `cluster status: ${status.stderr}`);
  for (let id = 0; id < 3; id++) t.match(status.stdout, new RegExp(`^broker ${id}\\t127\\.0\\.0\\.1:${base + id * 2}\\trunning`, 'm'), `broker ${id} running`);

  const stop = await output(samsa(['cluster', 'stop-broker', '2', '--http', http]));
  t.equal(stop.code, 0, `stop-broker: ${stop.stderr}`);
  t.match(stop.stdout, `broker 2 stopped (127.0.0.1:${base + 4})`);
  t.ok(await portFree(base + 4), 'its port is released at once');

  const json = await output(samsa(['cluster', 'status', '--json', '--http', http]));
  t.same(JSON.parse(json.stdout).brokers.map((b: { state: string }) => b.state), ['running', 'running', 'stopped']);

  const bad = await output(samsa(['cluster', 'stop-broker', '7', '--http', http]));
  t.equal(bad.code, 1, 'an unknown broker fails');
  t.match(bad.stderr, /no broker 7 in this cluster \(0-2\) \(HTTP 404 UNKNOWN_BROKER\)/);

  proc.kill('SIGTERM');
  const exit = await done;
  t.equal(exit.code, 0, 'exit code 0 after SIGTERM');
  t.equal(exit.stdout.trim().split('\n').length, 4, 'nothing on stdout but the ready lines');
  t.notOk(existsSync(dataDir), 'the ephemeral data dir is removed');
});

t.test('--http-allow-writes without --http is refused', async (t) => {
  const r = await output(samsa(['start', '--listen', '127.0.0.1:0', '--ephemeral', '--http-allow-writes']));
  t.equal(r.code, 2);
  t.match(r.stderr, /--http-allow-writes needs --http host:port/);
  t.equal(r.stdout, '');
});

t.test('--http with a lone broker: no control API, the console line printed', async (t) => {
  const proc = samsa(['start', '--listen', '127.0.0.1:0', '--ephemeral', '--http', '127.0.0.1:0', '--log-level', 'warn']);
  t.teardown(() => { if (proc.exitCode === null) proc.kill('SIGKILL'); });
  const done = output(proc);
  const ready = await lines(proc, 2);
  t.match(ready[0], /^samsa listening on 127\.0\.0\.1:\d+ /);
  const url = /^samsa console on (http:\/\/127\.0\.0\.1:\d+)$/.exec(ready[1]!)?.[1];
  t.ok(url, ready[1]);
  const res = await fetch(`${url}/api/brokers/0/stop`, { method: 'POST' });
  t.equal(res.status, 404, 'a lone broker has no control API');
  t.equal(((await res.json()) as { code: string }).code, 'NOT_FOUND');
  proc.kill('SIGINT');
  t.equal((await done).code, 0);
});

t.test('a non-loopback --http address gets a warning', async (t) => {
  const proc = samsa(['start', '--brokers', '1', '--listen', '127.0.0.1:0', '--ephemeral', '--http', '0.0.0.0:0', '--log-level', 'warn']);
  t.teardown(() => { if (proc.exitCode === null) proc.kill('SIGKILL'); });
  const done = output(proc);
  const ready = await lines(proc, 2);
  t.match(ready[0], /^samsa broker 0 listening on 127\.0\.0\.1:\d+ /);
  t.match(ready[1], /^samsa console and control API on http:\/\/0\.0\.0\.0:\d+$/);
  proc.kill('SIGINT');
  const exit = await done;
  t.equal(exit.code, 0);
  t.match(exit.stderr, /warning: --http 0\.0\.0\.0 is reachable from other machines/);
});
