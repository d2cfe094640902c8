/**
 * `samsa cluster ...`: a client of the control API that `samsa start
 * --brokers N --http host:port` serves, for fault injection from a shell.
 */
import type { ClusterStatus } from '../broker/cluster.js';

const USAGE = 'usage: samsa cluster status|stop-broker N|start-broker N|pause-broker N|resume-broker N|move-leader TOPIC PARTITION BROKER [--http host:port] [--json]\n       samsa cluster info [--bootstrap host:port] (over the Kafka protocol: cluster-info.ts)';

const BROKER_ACTIONS: Record<string, string> = { 'stop-broker': 'stop', 'start-broker': 'start', 'pause-broker': 'pause', 'resume-broker': 'resume' };

export interface ClusterArgs {
  http: string;
  json: boolean;
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
}

/** Thrown for what the user typed wrong (exit code 2, like `samsa start`). */
export class UsageError extends Error {}

export function parseClusterArgs(args: string[]): ClusterArgs {
  // No SAMSA_HTTP: `samsa start` reads every SAMSA_* variable as a broker setting.
  let http = '127.0.0.1:9644';
  let json = false;
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--http') {
      const v = args[++i];
      if (v === undefined) throw new UsageError('--http needs host:port');
      http = v;
    } else if (a.startsWith('--http=')) http = a.slice('--http='.length);
    else if (a === '--json') json = true;
    else if (a.startsWith('--')) throw new UsageError(`unknown option ${a} (options: --http, --json)\n${USAGE}`);
    else rest.push(a);
  }
  const [cmd, ...operands] = rest;
  const whole = (what: string, v: string | undefined) => {
    if (v === undefined || !/^\d+$/.test(v)) throw new UsageError(`${cmd} needs ${what} as a whole number, got ${v ?? 'nothing'}\n${USAGE}`);
    return Number(v);
  };
  const arity = (n: number) => { if (operands.length !== n) throw new UsageError(`${cmd} takes ${n} argument${n === 1 ? '' : 's'}\n${USAGE}`); };
  const base = { http: http.startsWith('http://') ? http.replace(/\/+$/, '') : `http://${http}`, json };
  if (cmd === 'status') {
    arity(0);
    return { ...base, method: 'GET', path: '/api/cluster' };
  }
  if (cmd && BROKER_ACTIONS[cmd]) {
    arity(1);
    return { ...base, method: 'POST', path: `/api/brokers/${whole('a broker id', operands[0])}/${BROKER_ACTIONS[cmd]}` };
  }
  if (cmd === 'move-leader') {
    arity(3);
    const partition = whole('a partition', operands[1]);
    const broker = whole('a broker id', operands[2]);
    return { ...base, method: 'POST', path: `/api/partitions/${encodeURIComponent(operands[0]!)}/${partition}/leader`, body: { broker } };
  }
  throw new UsageError(cmd ? `unknown cluster command ${cmd}\n${USAGE}` : USAGE);
}

export function formatStatus(s: ClusterStatus): string {
  const lines = [`cluster ${s.clusterId}, controller ${s.controllerId}`];
  for (const b of s.brokers) lines.push(`broker ${b.id}\t${b.host}:${b.port}\t${b.state}${b.fenced ? ', fenced' : ''}\t${b.dataDir}`);
  for (const t of s.topics) {
    if (t.internal) continue;
    for (const p of t.partitions) lines.push(`${t.name}-${p.partition}\tleader ${p.leader} (epoch ${p.leaderEpoch})\treplicas ${p.replicas.join(',')}\tisr ${p.isr.join(',')}`);
  }
  return lines.join('\n');
}

function formatResult(a: ClusterArgs, body: any): string {
  if (a.path === '/api/cluster') return formatStatus(body);
  if (a.path.startsWith('/api/brokers/')) return `broker ${body.id} ${body.state} (${body.host}:${body.port})`;
  return `${body.topic}-${body.partition}: leader ${body.leader} (epoch ${body.leaderEpoch}), isr ${body.isr?.join(',')}`;
}

export async function clusterCommand(args: string[]): Promise<void> {
  let a: ClusterArgs;
  try {
    a = parseClusterArgs(args);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`samsa: ${err.message}`);
    process.exitCode = 2;
    return;
  }
  let res: Response;
  try {
    res = await fetch(a.http + a.path, {
      method: a.method,
      headers: a.body === undefined ? undefined : { 'content-type': 'application/json' },
      body: a.body === undefined ? undefined : JSON.stringify(a.body),
    });
  } catch (err: any) {
    console.error(`samsa: cannot reach the control API at ${a.http} (${err?.cause?.code ?? err?.message}); is \`samsa start --brokers N --http ...\` running there?`);
    process.exitCode = 1;
    return;
  }
  const text = await res.text();
  let body: any;
  try { body = JSON.parse(text); } catch { body = undefined; }
  if (!res.ok) {
    console.error(`samsa: ${body?.error ?? text} (HTTP ${res.status}${body?.code ? ` ${body.code}` : ''})`);
    process.exitCode = 1;
    return;
  }
  console.log(a.json ? JSON.stringify(body, null, 2) : formatResult(a, body));
}
