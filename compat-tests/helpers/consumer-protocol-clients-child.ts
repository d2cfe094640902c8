/**
 * A consumer-protocol member (node-rdkafka or @platformatic/kafka) in a
 * process of its own, for the tests that kill a member with SIGKILL: no leave
 * heartbeat, no commit, its sockets dropped by the kernel. Kept apart from
 * consumer-protocol-clients.ts so the child does not load the broker.
 */
import { spawn } from 'node:child_process';
import { TS_LOADER_ARGS } from '../../test/loader/ts-loader-args.js';

const CHILD = new URL('./consumer-protocol-member-child.ts', import.meta.url).pathname;

export interface ChildMember {
  /** The child's latest reported assignment, sorted. */
  assigned(): string[];
  /** What it printed on stderr (librdkafka's own logs), for a failure's message. */
  stderr(): string;
  /** SIGKILL: no leave heartbeat, no commit, sockets dropped by the kernel. Resolves when it has exited. */
  kill(): Promise<void>;
}

/**
 * A member of `client` in a child process (consumer-protocol-member-child.ts),
 * which prints a JSON line {"assigned": [...]} whenever its assignment
 * changes. Killed in teardown if still running.
 */
export function spawnMemberChild(t: { teardown(fn: () => unknown): void }, client: 'rdkafka' | 'platformatic', bootstrap: string, groupId: string, topics: string[]): ChildMember {
  const p = spawn(process.execPath, [...TS_LOADER_ARGS, CHILD, client, bootstrap, groupId, topics.join(',')], { stdio: ['ignore', 'pipe', 'pipe'] });
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
