import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { join } from 'node:path';

/** A broker the workloads drive: one we started, or BROKER=host:port. */
export interface BenchBroker {
  host: string;
  port: number;
  /** Our own broker's pid (for RSS sampling); undefined for an external broker. */
  pid?: number;
  stop(): Promise<void>;
}

const CLI = join(process.cwd(), 'dist/src/cli/main.js');

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

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    sock.once('connect', () => { sock.destroy(); resolve(true); });
    sock.once('error', () => resolve(false));
  });
}

/**
 * Starts `samsa start --ephemeral` on a free loopback port and resolves once
 * it accepts connections; `startupMs` is exec to first accepted connection.
 */
export async function startSamsa(opts: { profileDir?: string } = {}): Promise<BenchBroker & { startupMs: number }> {
  const port = await freePort();
  const nodeArgs = opts.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.profileDir}`] : [];
  const t0 = process.hrtime.bigint();
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, CLI, 'start', '--ephemeral', '--listen', `127.0.0.1:${port}`, '--log-level', 'warn'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  let exited = false;
  child.once('exit', () => { exited = true; });
  while (!(await canConnect(port))) {
    if (exited) throw new Error('samsa exited before accepting connections');
    await new Promise((r) => setTimeout(r, 2));
  }
  const startupMs = Number(process.hrtime.bigint() - t0) / 1e6;
  return {
    host: '127.0.0.1',
    port,
    pid: child.pid,
    startupMs,
    stop: () => new Promise<void>((resolve) => {
      if (exited) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}

export function externalBroker(spec: string): BenchBroker {
  const [host, port] = spec.split(':');
  if (!host || !port) throw new Error(`BROKER must be host:port, got ${spec}`);
  return { host, port: Number(port), stop: async () => {} };
}
