/**
 * A Samsa cluster of broker PROCESSES with its metadata in a real etcd, for
 * the multi-process compat and chaos tests. Each broker i runs
 * `samsa start --metadata etcd://...` (dist/src/cli/main.js;
 * CHAOS_BROKER_MAIN overrides) and lives on its own loopback address 127.0.0.(11+i), from
 * which it also makes its connections to the other brokers. In front of it:
 *  - a client-facing proxy on 127.0.0.(11+i):Q, Q fixed for the cluster's
 *    life: the broker advertises it and keeps it across restarts, and the
 *    proxy forwards to the broker's real port P of the moment (from its ready
 *    line). Clients and the other brokers reach broker i only through it;
 *  - a proxy 127.0.0.1:E_i in front of etcd, which is broker i's --metadata
 *    endpoint, so one broker can be cut from etcd alone.
 * isolate(i, 'brokers' | 'etcd' | 'clients' | 'all') blackholes those paths
 * (tcp-proxy.ts: stalled, not reset); heal() lifts it. status() asks the
 * brokers over the Kafka protocol (Metadata v12), never etcd's keys.
 * Everything started is stopped and removed in the test's teardown.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEtcd, type TestEtcd } from './etcd.js';
import { startProxy, type TcpProxy } from '../chaos/tcp-proxy.js';
import { WireClient } from './wire-client.js';
import { ApiKey } from '../../src/wire/generated/api-keys.js';
import { encodeMetadataRequest, decodeMetadataResponse, type MetadataResponse } from '../../src/wire/generated/metadata.js';

interface Teardown { teardown(fn: () => unknown): void }

/** Failure detection in a few seconds (the session timeout is the etcd lease TTL; etcd's minimum is about 1.5 s). */
export const PROCESS_FAST_FAILOVER: Record<string, string> = {
  'broker.session.timeout.ms': '2000',
  'broker.heartbeat.interval.ms': '500',
  'replica.lag.time.max.ms': '2000',
  'replica.fetch.backoff.ms': '100',
  'replica.fetch.wait.max.ms': '200',
  'group.initial.rebalance.delay.ms': '0',
};

export type IsolateFrom = 'brokers' | 'etcd' | 'clients' | 'all';

export interface ProcessPartitionStatus { partition: number; leader: number; leaderEpoch: number; replicas: number[]; isr: number[] }
export interface ProcessTopicStatus { name: string; internal: boolean; partitions: ProcessPartitionStatus[] }
export interface ProcessClusterStatus {
  controllerId: number;
  /** Every broker of the cluster; fenced when the answering broker's metadata does not list it as live. */
  brokers: { id: number; fenced?: boolean }[];
  topics: ProcessTopicStatus[];
  /** The broker whose view this is. */
  from: number;
}

export interface ProcessClusterOptions {
  brokers?: number;
  /** Broker settings (--set key=value), over PROCESS_FAST_FAILOVER. */
  flags?: Record<string, string>;
  /** The cluster's name: its etcd prefix is /samsa/<name>. */
  name?: string;
  /** How long to wait for the brokers' ready lines, ms (default 30 s). */
  readyTimeoutMs?: number;
  /** --log-level of the brokers (default warn; SAMSA_TEST_LOG=1 gives info). */
  logLevel?: string;
}

export interface ProcessCluster {
  /** The client-facing proxies, host:port,... */
  readonly bootstrap: string;
  readonly size: number;
  readonly etcd: TestEtcd;
  readonly name: string;
  readonly dataDir: string;
  /** Broker id's advertised address (its proxy), host:port. */
  address(id: number): string;
  /** Broker id's loopback host, 127.0.0.(11+id). */
  host(id: number): string;
  /** Kills broker id (SIGKILL by default; SIGTERM is a clean stop) and waits for its exit. */
  stopBroker(id: number, signal?: NodeJS.Signals): Promise<void>;
  /** Starts broker id again on its data dir, once it prints its ready line. */
  startBroker(id: number): Promise<void>;
  pauseBroker(id: number): void;
  resumeBroker(id: number): void;
  /** Whether the process is up and not paused. */
  running(id: number): boolean;
  paused(id: number): boolean;
  isolate(id: number, from: IsolateFrom): void;
  /** Lifts the isolation of one broker, or of all. */
  heal(id?: number): void;
  /** The cluster's metadata as a broker serves it (the freshest-looking answer of the running brokers, or `via`'s). */
  status(opts?: { via?: number; timeoutMs?: number }): Promise<ProcessClusterStatus>;
  /** The last lines broker id wrote (stdout and stderr, every run). */
  logs(id: number): string;
  /** Every broker's logs (the last `lines` of each, default all that are kept), for failure messages. */
  allLogs(lines?: number): string;
  close(): Promise<void>;
}

const MAX_LOG_LINES = 500;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && basename(dir) !== 'dist') return dir;
    dir = dirname(dir);
  }
  return process.cwd();
}

export const SAMSA_MAIN = process.env.CHAOS_BROKER_MAIN ?? join(repoRoot(), 'dist/src/cli/main.js');

interface BrokerSlot {
  id: number;
  host: string;
  proxy: TcpProxy;
  etcdProxy: TcpProxy;
  dataDir: string;
  proc?: ChildProcess;
  exited?: Promise<void>;
  port?: number;
  paused: boolean;
  lines: string[];
  runs: number;
}

const withTimeout = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    p.then((v) => { clearTimeout(timer); resolve(v); }, (e) => { clearTimeout(timer); reject(e); });
  });

/** Metadata v12 (all topics) from host:port. */
async function metadata(host: string, port: number, timeoutMs: number): Promise<MetadataResponse> {
  let client: WireClient | undefined;
  const ask = (async () => {
    client = await WireClient.connect(host, port);
    return client.request(ApiKey.Metadata, 12, (w) => encodeMetadataRequest(w, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false }, 12), (r) => decodeMetadataResponse(r, 12));
  })();
  try {
    return await withTimeout(ask, timeoutMs, `Metadata from ${host}:${port}`);
  } finally {
    client?.close();
    ask.catch(() => undefined).then(() => client?.close());
  }
}

export async function startProcessCluster(t: Teardown, opts: ProcessClusterOptions = {}): Promise<ProcessCluster> {
  const size = opts.brokers ?? 3;
  const name = opts.name ?? `test-${process.pid}-${Date.now().toString(36)}`;
  const flags = { ...PROCESS_FAST_FAILOVER, ...(opts.flags ?? {}) };
  const readyMs = opts.readyTimeoutMs ?? 30_000;
  const logLevel = opts.logLevel ?? (process.env.SAMSA_TEST_LOG === '1' ? 'info' : 'warn');
  if (!existsSync(SAMSA_MAIN)) throw new Error(`${SAMSA_MAIN} is missing: build first (node_modules/.bin/tsc -p tsconfig.json, or make build)`);
  const dataDir = mkdtempSync(join(tmpdir(), 'samsa-pcluster-'));
  const slots: BrokerSlot[] = [];
  let etcd: TestEtcd | undefined;
  let closed = false;

  // Children are killed even when the test process exits without its teardown (best effort).
  const killAll = () => { for (const s of slots) { try { s.proc?.kill('SIGKILL'); } catch { /* gone */ } } };
  process.once('exit', killAll);

  const close = async () => {
    if (closed) return;
    closed = true;
    process.off('exit', killAll);
    await Promise.all(slots.map(async (s) => {
      const p = s.proc;
      if (p && p.exitCode === null && p.signalCode === null) {
        p.kill('SIGKILL');
        if (s.paused) p.kill('SIGCONT');
        await withTimeout(s.exited!, 10_000, `broker ${s.id} exit`).catch(() => undefined);
      }
      await s.proxy.close().catch(() => undefined);
      await s.etcdProxy.close().catch(() => undefined);
    }));
    await etcd?.close();
    if (process.env.CHAOS_KEEP_CLUSTER_DIR !== '1') rmSync(dataDir, { recursive: true, force: true });
  };
  t.teardown(close);

  etcd = await startEtcd(t);
  const etcdTarget = { host: '127.0.0.1', port: etcd.clientPort };
  for (let id = 0; id < size; id++) {
    const host = `127.0.0.${11 + id}`;
    const proxy = await startProxy({ host, port: 0, target: undefined });
    const etcdProxy = await startProxy({ host: '127.0.0.1', port: 0, target: etcdTarget });
    const dir = join(dataDir, `broker-${id}`);
    mkdirSync(dir, { recursive: true });
    slots.push({ id, host, proxy, etcdProxy, dataDir: dir, paused: false, lines: [], runs: 0 });
  }

  const slot = (id: number) => {
    const s = slots[id];
    if (!s) throw new Error(`no broker ${id} (the cluster has ${size})`);
    return s;
  };
  const keep = (s: BrokerSlot, text: string) => {
    s.lines.push(...text.split('\n').filter((l) => l !== ''));
    if (s.lines.length > MAX_LOG_LINES) s.lines = s.lines.slice(-MAX_LOG_LINES);
  };
  const logs = (id: number) => slot(id).lines.join('\n');
  const allLogs = (n = MAX_LOG_LINES) => slots.map((s) => `--- broker ${s.id} (${s.host}, ${s.runs} runs) ---\n${s.lines.slice(-n).join('\n')}`).join('\n');
  const alive = (s: BrokerSlot) => s.proc !== undefined && s.proc.exitCode === null && s.proc.signalCode === null;

  const startBroker = async (id: number): Promise<void> => {
    const s = slot(id);
    if (closed) throw new Error('the cluster is closed');
    if (alive(s)) throw new Error(`broker ${id} is already running`);
    s.runs++;
    keep(s, `=== run ${s.runs} of broker ${id} ===`);
    const args = [
      SAMSA_MAIN, 'start',
      '--node-id', String(id),
      '--listen', `${s.host}:0`,
      '--advertised-host', s.host,
      '--advertised-port', String(s.proxy.port),
      '--data-dir', s.dataDir,
      '--metadata', `etcd://127.0.0.1:${s.etcdProxy.port}/samsa/${name}`,
      '--log-level', logLevel,
      ...Object.entries(flags).flatMap(([k, v]) => ['--set', `${k}=${v}`]),
    ];
    // SAMSA_* variables are broker settings to `samsa start`: none of the test's own reach the brokers.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SAMSA_')));
    const p = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    s.proc = p;
    s.paused = false;
    s.port = undefined;
    let ready: ((port: number) => void) | undefined;
    let failed: ((e: Error) => void) | undefined;
    const readyP = new Promise<number>((res, rej) => { ready = res; failed = rej; });
    let out = '';
    p.stdout!.on('data', (d: Buffer) => {
      const text = d.toString();
      keep(s, text);
      if (ready) {
        out += text;
        const m = /samsa listening on (\S+):(\d+)/.exec(out);
        if (m) { ready(Number(m[2])); ready = undefined; }
      }
    });
    p.stderr!.on('data', (d: Buffer) => keep(s, d.toString()));
    s.exited = new Promise<void>((res) => p.once('exit', (code, sig) => {
      keep(s, `=== broker ${id} exited (${code ?? sig}) ===`);
      if (s.proc === p) { s.proxy.setTarget(undefined); s.port = undefined; }
      failed?.(new Error(`broker ${id} exited (${code ?? sig}) before it was ready`));
      res();
    }));
    p.once('error', (e) => failed?.(e));
    let port: number;
    try {
      port = await withTimeout(readyP, readyMs, `broker ${id}'s ready line`);
    } catch (e) {
      p.kill('SIGKILL');
      throw new Error(`${(e as Error).message}; its output:\n${logs(id)}`);
    } finally {
      failed = undefined;
    }
    s.port = port;
    s.proxy.setTarget({ host: s.host, port });
  };

  const stopBroker = async (id: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> => {
    const s = slot(id);
    const p = s.proc;
    if (!p || !alive(s)) return;
    p.kill(signal);
    if (s.paused) { p.kill('SIGCONT'); s.paused = false; }
    const timer = setTimeout(() => p.kill('SIGKILL'), signal === 'SIGKILL' ? 1000 : 15_000);
    await s.exited;
    clearTimeout(timer);
    s.proxy.setTarget(undefined);
    s.proxy.closeAll();
  };

  const isolations = new Map<number, Set<IsolateFrom>>();
  const isolate = (id: number, from: IsolateFrom) => {
    const s = slot(id);
    (isolations.get(id) ?? isolations.set(id, new Set()).get(id)!).add(from);
    if (from === 'brokers' || from === 'all') {
      s.proxy.block(slots.filter((o) => o.id !== id).map((o) => o.host));
      for (const o of slots) if (o.id !== id) o.proxy.block([s.host]);
    }
    if (from === 'etcd' || from === 'all') s.etcdProxy.block('all');
    if (from === 'clients' || from === 'all') s.proxy.block(['127.0.0.1']);
  };
  const heal = (id?: number) => {
    const ids = id === undefined ? slots.map((s) => s.id) : [id];
    for (const i of ids) {
      const s = slot(i);
      isolations.delete(i);
      s.proxy.unblock();
      s.etcdProxy.unblock();
      for (const o of slots) if (o.id !== i) o.proxy.unblock([s.host]);
    }
  };

  const status = async (o: { via?: number; timeoutMs?: number } = {}): Promise<ProcessClusterStatus> => {
    const timeoutMs = o.timeoutMs ?? 2000;
    const ask = o.via !== undefined ? [slot(o.via)] : slots.filter((s) => alive(s) && !s.paused && s.port !== undefined);
    const answers = await Promise.all(ask.map(async (s) => {
      try {
        if (s.port === undefined) throw new Error(`broker ${s.id} is not running`);
        return { from: s.id, md: await metadata(s.host, s.port, timeoutMs) };
      } catch (e) {
        return { from: s.id, error: e as Error };
      }
    }));
    const ok = answers.filter((a): a is { from: number; md: MetadataResponse } => 'md' in a && a.md !== undefined);
    if (ok.length === 0) throw new Error(`no broker answered Metadata: ${answers.map((a) => `${a.from}: ${'error' in a ? a.error?.message : '?'}`).join('; ') || 'none running'}`);
    // The freshest-looking view: leader epochs only grow, so the largest sum of them; then a view with a controller.
    const score = (md: MetadataResponse) => md.topics.reduce((n, tp) => n + tp.partitions.reduce((m, p) => m + Math.max(0, p.leaderEpoch ?? 0), 0), 0);
    ok.sort((a, b) => score(b.md) - score(a.md) || Number((b.md.controllerId ?? -1) >= 0) - Number((a.md.controllerId ?? -1) >= 0));
    const { from, md } = ok[0]!;
    const live = new Set(md.brokers.map((b) => b.nodeId));
    return {
      from,
      controllerId: md.controllerId ?? -1,
      brokers: slots.map((s) => ({ id: s.id, fenced: !live.has(s.id) })),
      topics: md.topics.filter((tp) => tp.errorCode === 0).map((tp) => ({
        name: tp.name ?? '',
        internal: tp.isInternal ?? false,
        partitions: tp.partitions.map((p) => ({ partition: p.partitionIndex, leader: p.leaderId, leaderEpoch: p.leaderEpoch ?? -1, replicas: p.replicaNodes, isr: p.isrNodes }))
          .sort((a, b) => a.partition - b.partition),
      })).sort((a, b) => a.name.localeCompare(b.name)),
    };
  };

  try {
    await Promise.all(slots.map((s) => startBroker(s.id)));
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${allLogs()}\n--- etcd ---\n${etcd.logs()}`);
  }

  return {
    bootstrap: slots.map((s) => `${s.host}:${s.proxy.port}`).join(','),
    size,
    etcd,
    name,
    dataDir,
    address: (id) => `${slot(id).host}:${slot(id).proxy.port}`,
    host: (id) => slot(id).host,
    stopBroker,
    startBroker,
    pauseBroker: (id) => { const s = slot(id); if (alive(s) && !s.paused) { s.proc!.kill('SIGSTOP'); s.paused = true; } },
    resumeBroker: (id) => { const s = slot(id); if (alive(s) && s.paused) { s.proc!.kill('SIGCONT'); s.paused = false; } },
    running: (id) => alive(slot(id)) && !slot(id).paused,
    paused: (id) => slot(id).paused && alive(slot(id)),
    isolate,
    heal,
    status,
    logs,
    allLogs,
    close,
  };
}

/** Until every partition of the topics (all non-internal topics by default) has a leader and a full ISR; bounded. */
export async function waitForFullIsrP(c: ProcessCluster, topics?: string[], ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  let last = '';
  while (Date.now() < end) {
    try {
      const st = await c.status();
      const want = st.topics.filter((tp) => (topics ? topics.includes(tp.name) : !tp.internal));
      const missing = topics ? topics.filter((n) => !want.some((tp) => tp.name === n)) : [];
      const bad = want.flatMap((tp) => tp.partitions.filter((p) => p.leader < 0 || p.isr.length !== p.replicas.length).map((p) => `${tp.name}-${p.partition} leader ${p.leader} isr ${p.isr} replicas ${p.replicas}`));
      if (missing.length === 0 && bad.length === 0) return;
      last = [...missing.map((n) => `${n} missing`), ...bad].join('; ');
    } catch (e) {
      last = (e as Error).message;
    }
    await sleep(200);
  }
  throw new Error(`full ISR not reached in ${ms} ms: ${last}`);
}
