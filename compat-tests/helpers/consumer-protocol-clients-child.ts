/**
 * A consumer-protocol member (node-rdkafka or @platformatic/kafka) in a
 * process of its own, for the tests that kill a member with SIGKILL: no leave
 * heartbeat, no commit, its sockets dropped by the kernel. Kept apart from
 * consumer-protocol-clients.ts so the child does not load the broker.
 */
import { spawn } from 'node:child_process';

export interface ChildMember {
  /** The child's latest reported assignment, sorted. */
  assigned(): string[];
  /** What it printed on stderr (librdkafka's own logs), for a failure's message. */
  stderr(): string;
  /** SIGKILL: no leave heartbeat, no commit, sockets dropped by the kernel. Resolves when it has exited. */
  kill(): Promise<void>;
}

/**
 * A member in a child process: `file` (TypeScript, run with this process's
 * loader) prints a JSON line {"assigned": [...]} whenever its assignment
 * changes. Killed in teardown if still running.
 */
export function spawnMemberChild(t: { teardown(fn: () => unknown): void }, file: string, args: string[]): ChildMember {
  // execArgv carries the loader this process runs TypeScript with.
  const p = spawn(process.execPath, [...process.execArgv, file, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let assigned: string[] = [];
  let out = '';
  let err = '';
  p.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    let nl: number;
    while ((nl = out.indexOf('\n')) >= 0) {
      const line = out.slice(0, nl);
      out = out.slice(nl + 1);
      try { assigned = (JSON.parse(line) as { assigned: string[] }).assigned; } catch { err += `unparsed: ${line}\n`; }
    }
  });
  p.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  const exited = new Promise<void>((resolve) => p.on('close', () => resolve()));
  const kill = async (): Promise<void> => {
    if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    await exited;
  };
  t.teardown(kill);
  return { assigned: () => assigned, stderr: () => err, kill };
}
