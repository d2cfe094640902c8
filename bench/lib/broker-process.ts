import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect, type Socket } from 'node:net';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** A broker the workloads drive: one we started, or BROKER=host:port. */
export interface BenchBroker {
  host: string;
  port: number;
  /** Our own broker's pid (for RSS and CPU sampling); undefined for an external broker. */
  pid?: number;
  stop(): Promise<void>;
}

/**
 * The `samsa` command as users run it: the bundle (dist/bundle/samsa.cjs,
 * scripts/bundle.mjs) beside this file's outDir (<outDir>/bench/lib/ ->
 * <outDir>/bundle/), else tsc's output (<outDir>/src/cli/main.js), so the
 * bench runs from any outDir, not only dist/. BENCH_CLI names another (not SAMSA_*: those are broker settings).
 */
const CLI = process.env.BENCH_CLI ?? [new URL('../../bundle/samsa.cjs', import.meta.url), new URL('../../src/cli/main.js', import.meta.url)]
  .map((u) => fileURLToPath(u)).find((f) => existsSync(f))!;

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** A connected socket, or undefined while nothing listens on the port. */
export function tryConnect(port: number): Promise<Socket | undefined> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    sock.once('connect', () => resolve(sock));
    sock.once('error', () => resolve(undefined));
  });
}

/**
 * Polls `port` every 2 ms until a connection is accepted and returns it; the
 * same loop times Samsa's start-up and the bare Node baseline's
 * (bench/lib/startup.ts), so both pay the same polling cost.
 */
export async function waitUntilListening(port: number, exited: () => boolean, what: string): Promise<Socket> {
  let sock: Socket | undefined;
  while (!(sock = await tryConnect(port))) {
    if (exited()) throw new Error(`${what} exited before accepting connections`);
    await new Promise((r) => setTimeout(r, 2));
  }
  return sock;
}

/**
 * Sends ApiVersions v0 and resolves when the whole response is in: the broker
 * listens before its request path has loaded (src/broker/index.ts), so the
 * first answer, not only the accepted connection, is what a client waits for.
 */
export function apiVersionsRoundTrip(sock: Socket): Promise<void> {
  const req = Buffer.alloc(14);
  req.writeInt32BE(10, 0); // size: api key, version, correlation id, null client id
  req.writeInt16BE(18, 4); // ApiVersions
  req.writeInt16BE(0, 6);
  req.writeInt32BE(1, 8);
  req.writeInt16BE(-1, 12);
  return new Promise((resolve, reject) => {
    let got = Buffer.alloc(0);
    sock.on('data', (d) => {
      got = Buffer.concat([got, d]);
      if (got.length >= 4 && got.length >= 4 + got.readInt32BE(0)) { sock.destroy(); resolve(); }
    });
    sock.once('error', reject);
    sock.once('close', () => reject(new Error('connection closed before the ApiVersions response')));
    sock.write(req);
  });
}

/**
 * Starts `samsa start --ephemeral` (or `samsa start <args>`) on a free
 * loopback port and resolves once it accepts connections; `startupMs` is exec
 * to first accepted connection, `firstResponseMs` exec to the first
 * ApiVersions response on it.
 */
export async function startSamsa(opts: { profileDir?: string; args?: string[] } = {}): Promise<BenchBroker & { startupMs: number; firstResponseMs: number }> {
  const port = await freePort();
  const nodeArgs = opts.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.profileDir}`] : [];
  const t0 = process.hrtime.bigint();
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, CLI, 'start', ...(opts.args ?? ['--ephemeral']), '--listen', `127.0.0.1:${port}`, '--log-level', 'warn'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  let exited = false;
  child.once('exit', () => { exited = true; });
  const sock = await waitUntilListening(port, () => exited, 'samsa');
  const startupMs = Number(process.hrtime.bigint() - t0) / 1e6;
  await apiVersionsRoundTrip(sock);
  const firstResponseMs = Number(process.hrtime.bigint() - t0) / 1e6;
  return {
    host: '127.0.0.1',
    port,
    pid: child.pid,
    startupMs,
    firstResponseMs,
    stop: () => new Promise<void>((resolve) => {
      if (exited) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}

/** `samsa start --ephemeral --brokers n` on n consecutive free loopback ports; resolves once every broker accepts connections. */
export async function startSamsaCluster(brokers: number): Promise<BenchBroker & { ports: number[] }> {
  let base = 0;
  // Consecutive free ports: try a few random bases until n in a row are free.
  for (let tries = 0; tries < 50 && base === 0; tries++) {
    const candidate = 20000 + Math.floor(Math.random() * 30000);
    const free = await Promise.all(Array.from({ length: brokers }, (_, i) => portIsFree(candidate + i)));
    if (free.every(Boolean)) base = candidate;
  }
  if (base === 0) throw new Error(`no ${brokers} consecutive free ports`);
  const ports = Array.from({ length: brokers }, (_, i) => base + i);
  const child: ChildProcess = spawn(process.execPath, [CLI, 'start', '--ephemeral', '--brokers', String(brokers), '--listen', `127.0.0.1:${base}`, '--log-level', 'warn'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  let exited = false;
  child.once('exit', () => { exited = true; });
  for (const port of ports) {
    let sock: Socket | undefined;
    while (!(sock = await tryConnect(port))) {
      if (exited) throw new Error('samsa exited before accepting connections');
      await new Promise((r) => setTimeout(r, 10));
    }
    sock.destroy();
  }
  return {
    host: '127.0.0.1', port: base, ports, pid: child.pid,
    stop: () => new Promise<void>((resolve) => {
      if (exited) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

export function externalBroker(spec: string): BenchBroker {
  const [host, port] = spec.split(':');
  if (!host || !port) throw new Error(`BROKER must be host:port, got ${spec}`);
  return { host, port: Number(port), stop: async () => {} };
}
