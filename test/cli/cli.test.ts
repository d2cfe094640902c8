/**
 * The `samsa` command as a user runs it: one ready line, topics commands over
 * the protocol, graceful SIGTERM (clean-shutdown marker, ephemeral dir
 * removed), and a start-up refusal with a suggestion for a misspelt setting.
 * Runs src/cli/main.ts through tap's TypeScript loader, so no build is needed.
 */
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TS_LOADER_ARGS as TS_LOADER } from '../loader/ts-loader-args.js';

const MAIN = new URL('../../src/cli/main.ts', import.meta.url).pathname;

function samsa(args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  return spawn(process.execPath, [...TS_LOADER, MAIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

function output(p: ChildProcess): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = '', stderr = '';
  p.stdout!.on('data', (d) => { stdout += d; });
  p.stderr!.on('data', (d) => { stderr += d; });
  return new Promise((resolve) => p.on('close', (code) => resolve({ code, stdout, stderr })));
}

function firstLine(p: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error('no ready line')), 30_000);
    p.stdout!.on('data', (d) => {
      buf += d;
      if (buf.includes('\n')) { clearTimeout(timer); resolve(buf.slice(0, buf.indexOf('\n'))); }
    });
  });
}

t.test('start prints one line, serves, and shuts down cleanly on SIGTERM', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const broker = samsa(['start', '--listen', '127.0.0.1:0', '--data-dir', dir, '--log-level', 'warn']);
  t.teardown(() => { if (broker.exitCode === null) broker.kill('SIGKILL'); });
  const done = output(broker);
  const line = await firstLine(broker);
  const m = /^samsa listening on 127\.0\.0\.1:(\d+) \(data: (.+)\)$/.exec(line);
  t.ok(m, `ready line: ${line}`);
  const bootstrap = `127.0.0.1:${m![1]}`;

  const create = await output(samsa(['topics', 'create', 'cli-topic', '--partitions', '2', '--bootstrap', bootstrap]));
  t.equal(create.code, 0, 'topics create');
  const list = await output(samsa(['topics', 'list', '--bootstrap', bootstrap]));
  t.match(list.stdout, /^cli-topic\s+2\s+1$/m, 'topics list shows it (NAME PARTITIONS REPLICAS)');
  const describe = await output(samsa(['topics', 'describe', 'cli-topic', '--bootstrap', bootstrap]));
  t.match(describe.stdout, /^NAME\s+cli-topic$/m, 'topics describe');
  t.match(describe.stdout, /^PARTITIONS\s+2$/m);
  const del = await output(samsa(['topics', 'delete', 'cli-topic', '--bootstrap', bootstrap]));
  t.equal(del.code, 0, 'topics delete');

  broker.kill('SIGTERM');
  const exit = await done;
  t.equal(exit.code, 0, 'exit code 0 after SIGTERM');
  t.equal(exit.stdout.trim().split('\n').length, 1, 'exactly one line on stdout');
  t.ok(existsSync(join(dir, '.samsa-clean-shutdown')), 'clean-shutdown marker written');
});

t.test('--ephemeral removes its data dir at exit', async (t) => {
  const broker = samsa(['start', '--listen', '127.0.0.1:0', '--ephemeral', '--log-level', 'warn']);
  t.teardown(() => { if (broker.exitCode === null) broker.kill('SIGKILL'); });
  const done = output(broker);
  const line = await firstLine(broker);
  const m = /\(data: (.+), removed at exit\)$/.exec(line);
  t.ok(m, `ready line names the temporary dir: ${line}`);
  t.ok(existsSync(m![1]!), 'it exists while running');
  broker.kill('SIGINT');
  t.equal((await done).code, 0);
  t.notOk(existsSync(m![1]!), 'and is gone after exit');
});

t.test('a misspelt setting stops start-up with a suggestion', async (t) => {
  const r = await output(samsa(['start', '--listen', '127.0.0.1:0', '--ephemeral'], { SAMSA_NUM_PARTITION: '3' }));
  t.equal(r.code, 2, 'exit code 2');
  t.match(r.stderr, /unknown broker setting 'num.partition'.*did you mean num.partitions\?/);
  t.equal(r.stdout, '', 'no ready line');
});
