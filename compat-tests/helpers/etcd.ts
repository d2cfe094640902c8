/**
 * A real etcd for tests (Debian's etcd-server, /usr/bin/etcd 3.4; `make test`
 * installs it): a single-member cluster on free loopback ports (client and
 * peer) with a temporary data dir, started before the test and stopped and
 * removed in its teardown. stop() and start() kill and restart it on the same
 * ports and data (an etcd member restart, for the chaos tests).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface Teardown { teardown(fn: () => unknown): void }

export const ETCD_BIN = process.env.ETCD_BIN ?? '/usr/bin/etcd';
/** Whether etcd is installed here; tests skip with `ETCD_MISSING` as the reason when it is not. */
export const etcdAvailable = existsSync(ETCD_BIN);
export const ETCD_MISSING = `etcd is not installed (${ETCD_BIN}; Debian package etcd-server, which \`make test\` installs)`;

export interface EtcdOptions {
  /** How long to wait for etcd to answer /health, ms (default 20 s). */
  readyTimeoutMs?: number;
  /** Extra etcd flags. */
  args?: string[];
}

export interface TestEtcd {
  /** host:port of the client URL, for --metadata etcd://<endpoint>/... */
  readonly endpoint: string;
  readonly clientUrl: string;
  readonly clientPort: number;
  readonly peerPort: number;
  readonly dataDir: string;
  /** Kills etcd (SIGKILL by default) and waits for it to exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same ports and data dir, once it answers /health. */
  start(): Promise<void>;
  running(): boolean;
  /** The last lines etcd wrote (stdout and stderr). */
  logs(): string;
  /** Stops it and removes its data dir (also done in the teardown). */
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MAX_LOG_LINES = 200;

/** A port that was free a moment ago (bound on port 0 and released). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function healthy(clientUrl: string): Promise<boolean> {
  try {
    const r = await fetch(`${clientUrl}/health`, { signal: AbortSignal.timeout(1000) });
    const body = (await r.json()) as { health?: string };
    return body.health === 'true';
  } catch {
    return false;
  }
}

export async function startEtcd(t: Teardown, opts: EtcdOptions = {}): Promise<TestEtcd> {
  if (!etcdAvailable) throw new Error(ETCD_MISSING);
  const dataDir = mkdtempSync(join(tmpdir(), 'samsa-etcd-'));
  // A bound, not a timing: a restart on a busy disk (etcd reads its WAL back and fsyncs) once took over 20 s on a loaded machine.
  const readyMs = opts.readyTimeoutMs ?? 45_000;
  let proc: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let lines: string[] = [];
  let clientPort = 0;
  let peerPort = 0;
  let closed = false;

  const keep = (d: Buffer) => {
    lines.push(...d.toString().split('\n').filter((l) => l !== ''));
    if (lines.length > MAX_LOG_LINES) lines = lines.slice(-MAX_LOG_LINES);
  };
  const clientUrl = () => `http://127.0.0.1:${clientPort}`;
  // etcd is killed even when the test process exits without its teardown (best effort).
  const killOnExit = () => { try { proc?.kill('SIGKILL'); } catch { /* gone */ } };

  /** One attempt on the current ports: resolves once healthy, rejects if etcd exits first or does not answer in time. */
  const launch = async (): Promise<void> => {
    const peer = `http://127.0.0.1:${peerPort}`;
    const p = spawn(ETCD_BIN, [
      '--name', 'default',
      '--data-dir', join(dataDir, 'member-data'),
      '--listen-client-urls', clientUrl(),
      '--advertise-client-urls', clientUrl(),
      '--listen-peer-urls', peer,
      '--initial-advertise-peer-urls', peer,
      '--initial-cluster', `default=${peer}`,
      '--initial-cluster-state', 'new',
      '--initial-cluster-token', `samsa-test-${clientPort}`,
      '--listen-metrics-urls', '',
      '--logger', 'zap',
      '--log-level', 'warn',
      ...(opts.args ?? []),
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    proc = p;
    process.off('exit', killOnExit);
    process.once('exit', killOnExit);
    p.stdout!.on('data', keep);
    p.stderr!.on('data', keep);
    let gone = false;
    exited = new Promise((resolve) => p.once('exit', (code, sig) => { gone = true; keep(Buffer.from(`[etcd exited ${code ?? sig}]`)); resolve(); }));
    p.once('error', (e) => keep(Buffer.from(`[spawn error ${e.message}]`)));
    const deadline = Date.now() + readyMs;
    while (Date.now() < deadline) {
      if (gone) throw new Error(`etcd exited before it was ready:\n${lines.join('\n')}`);
      if (await healthy(clientUrl())) return;
      await sleep(100);
    }
    p.kill('SIGKILL');
    await exited;
    throw new Error(`etcd did not answer ${clientUrl()}/health within ${readyMs} ms:\n${lines.join('\n')}`);
  };

  const stop = async (signal: NodeJS.Signals = 'SIGKILL') => {
    const p = proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) { await exited; return; }
    p.kill(signal);
    const timer = setTimeout(() => p.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };

  // Free ports can be taken between our check and etcd's bind: retry with fresh ones.
  for (let attempt = 1; ; attempt++) {
    clientPort = await freePort();
    peerPort = await freePort();
    if (peerPort === clientPort) continue;
    try {
      await launch();
      break;
    } catch (e) {
      const clash = /address already in use/i.test(lines.join('\n'));
      await stop();
      rmSync(join(dataDir, 'member-data'), { recursive: true, force: true });
      if (!clash || attempt >= 5) { rmSync(dataDir, { recursive: true, force: true }); throw e; }
      lines = [];
    }
  }

  const etcd: TestEtcd = {
    endpoint: `127.0.0.1:${clientPort}`,
    clientUrl: clientUrl(),
    clientPort,
    peerPort,
    dataDir,
    stop,
    start: async () => {
      if (closed) throw new Error('etcd was closed');
      if (etcd.running()) return;
      await launch();
    },
    running: () => proc !== undefined && proc.exitCode === null && proc.signalCode === null,
    logs: () => lines.join('\n'),
    close: async () => {
      if (closed) return;
      closed = true;
      process.off('exit', killOnExit);
      await stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  t.teardown(() => etcd.close());
  return etcd;
}
