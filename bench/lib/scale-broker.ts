import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readlinkSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { apiVersionsRoundTrip, freePort, tryConnect } from './broker-process.js';

/**
 * A broker on a data directory that outlives it, so the scale bench can stop
 * it (cleanly or with SIGKILL) and time the next start on the same data.
 * broker-process.ts starts only ephemeral brokers, hence this helper.
 */
export interface ScaleBroker {
  addr: string;
  port: number;
  pid: number;
  /** exec to the first complete ApiVersions response. */
  firstResponseMs: number;
  /** SIGTERM and wait for the exit (a clean shutdown). */
  stop(): Promise<void>;
  /** SIGKILL and wait for the exit (no shutdown at all). */
  kill(): Promise<void>;
}

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/** Starts `samsa start --data-dir dir` with `--set k=v` for each setting, on a free port (or `port`, to come back where clients expect it). */
export async function startScaleBroker(dataDir: string, settings: Record<string, string>, port?: number, nodeArgs: string[] = []): Promise<ScaleBroker> {
  port ??= await freePort();
  const sets = Object.entries(settings).flatMap(([k, v]) => ['--set', `${k}=${v}`]);
  const t0 = process.hrtime.bigint();
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, CLI, 'start', '--data-dir', dataDir, '--listen', `127.0.0.1:${port}`, '--log-level', 'warn', ...sets], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => { exited = true; resolve(); }));
  for (;;) {
    if (exited) throw new Error('samsa exited before answering ApiVersions');
    const sock = await tryConnect(port);
    if (sock && await apiVersionsRoundTrip(sock).then(() => true, () => false)) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  const firstResponseMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const signal = (sig: NodeJS.Signals) => async () => { if (!exited) child.kill(sig); await exit; };
  return { addr: `127.0.0.1:${port}`, port, pid: child.pid!, firstResponseMs, stop: signal('SIGTERM'), kill: signal('SIGKILL') };
}

/** Open file descriptors of a process (sockets, segment files, indexes, the listener). */
export function openFds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** Open descriptors by kind: how many are log segments/indexes, sockets, other. */
export function fdKinds(pid: number): Record<string, number> {
  const kinds: Record<string, number> = {};
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let target = '';
    try { target = readlinkSync(`/proc/${pid}/fd/${fd}`); } catch { continue; }
    const kind = target.startsWith('socket:') ? 'socket'
      : /\.log$/.test(target) ? 'segment .log'
      : /\.(index|timeindex|txnindex)$/.test(target) ? 'index'
      : target.startsWith('/') ? 'other file' : target.replace(/:.*/, '');
    kinds[kind] = (kinds[kind] ?? 0) + 1;
  }
  return kinds;
}
