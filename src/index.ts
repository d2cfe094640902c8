/**
 * The package's public entry (`import { startBroker, startCluster } from
 * 'samsa'`): brokers for test suites. Defaults suit a test: a free port on
 * 127.0.0.1, a temporary data directory removed at close, warnings only.
 * The promise a start returns is the ready signal: it resolves once every
 * broker accepts connections and has loaded its coordinators' state, and
 * rejects (leaving nothing behind) when start-up fails.
 *
 * The types below are written out here rather than re-exported from the
 * broker's modules, so the package's declarations are this one file: the
 * broker's internals can change without changing what users compile against.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker as startRunningBroker, type RunningBroker } from './broker/index.js';
import { startCluster as startRunningCluster, type RunningCluster } from './broker/cluster.js';
import type { HttpTarget } from './http/route.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
/** pretty: `time LEVEL message key=value` lines; json: pino's JSON lines, for a log collector. */
export type LogFormat = 'pretty' | 'json';

/** The HTTP side: web console, /metrics, the console's JSON API (and a cluster's control API). */
export interface HttpOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: a free port (see `httpUrl`). */
  port?: number;
  /** Let the HTTP side produce, delete topics and groups, reset offsets and change configs (default false, as `--http-allow-writes`). */
  allowWrites?: boolean;
}

export interface BrokerOptions {
  /** Address to listen on. Default 127.0.0.1. */
  host?: string;
  /** Default 0: a free port, read it from the result. */
  port?: number;
  /**
   * Data directory, kept at close. Default: a new temporary directory,
   * removed at close.
   */
  dataDir?: string;
  /**
   * Broker settings with Kafka's names, as `samsa start --set key=value`
   * takes them: `{ 'num.partitions': 3, 'auto.create.topics.enable': false }`.
   * `listeners` here overrides host and port. SAMSA_* environment variables
   * are not read: a test's broker is the same on every machine.
   */
  config?: Record<string, string | number | boolean>;
  /** Broker log lines written to stderr at this level and above. Default 'warn'. */
  logLevel?: LogLevel;
  /** Default 'pretty'. */
  logFormat?: LogFormat;
  /** Serve the HTTP side too: `true` for 127.0.0.1 on a free port. Off by default. */
  http?: boolean | HttpOptions;
}

export interface ClusterOptions extends BrokerOptions {
  /** Brokers in the cluster (node ids 0..n-1). Default 3. */
  brokers?: number;
  /** With a fixed `port`, broker n listens on port + n x portStep. Default 1. */
  portStep?: number;
}

/** A broker of this process, as a client sees it. */
export interface BrokerAddress {
  nodeId: number;
  host: string;
  port: number;
  /** "host:port". */
  bootstrap: string;
}

export interface SamsaBroker extends BrokerAddress {
  /** [bootstrap]: kafkajs's `brokers`. */
  brokers: string[];
  /** Its data directory (removed at close when it is a temporary one). */
  dataDir: string;
  /** The web console's address, when `http` was given. */
  httpUrl?: string;
  /** Stops it cleanly (in-flight requests finish, logs are flushed); safe to call twice. */
  close(): Promise<void>;
}

export type BrokerRunState = 'running' | 'stopped' | 'paused';

export interface ClusterStatus {
  clusterId: string;
  controllerId: number;
  brokers: { id: number; host: string; port: number; state: BrokerRunState; fenced: boolean; dataDir: string }[];
  topics: { name: string; internal: boolean; partitions: { partition: number; leader: number; leaderEpoch: number; replicas: number[]; isr: number[] }[] }[];
}

export interface SamsaCluster {
  host: string;
  /** "host:port,host:port,...": librdkafka's bootstrap.servers, kcat's -b. */
  bootstrap: string;
  /** ["host:port", ...]: kafkajs's `brokers`. */
  brokers: string[];
  /** The cluster metadata's directory; broker n keeps its logs in `<dataDir>/broker-<n>`. */
  dataDir: string;
  /** The web console and the cluster control API, when `http` was given. */
  httpUrl?: string;
  readonly size: number;
  /** A running (or paused) broker's address; undefined while it is stopped. */
  broker(nodeId: number): BrokerAddress | undefined;
  /** Stops a broker as a crash would: sockets closed at once, nothing flushed. Its partitions' leadership moves. */
  stopBroker(nodeId: number): Promise<void>;
  /** Starts a stopped broker again, on the same port and data. */
  startBroker(nodeId: number): Promise<BrokerAddress>;
  /** Freezes a broker as SIGSTOP would (no reads, no heartbeats); resumeBroker thaws it. */
  pauseBroker(nodeId: number): void;
  resumeBroker(nodeId: number): void;
  /** Makes `nodeId` (an in-sync replica) the leader of a partition. */
  moveLeader(topic: string, partition: number, nodeId: number): Promise<void>;
  status(): ClusterStatus;
  /** Stops every broker cleanly; safe to call twice. */
  close(): Promise<void>;
}

/** Starts one broker; the promise resolves when it is ready. */
export async function startBroker(options: BrokerOptions = {}): Promise<SamsaBroker> {
  const setup = prepare(options);
  let broker: RunningBroker | undefined;
  let http: { url: string; close(): Promise<void> } | undefined;
  try {
    broker = await startRunningBroker({ flags: setup.flags, logLevel: setup.logLevel, logFormat: options.logFormat });
    if (options.http) {
      const { brokerTarget } = await import('./http/server.js');
      http = await serveHttp(brokerTarget(broker, httpOptions(options.http).allowWrites), options.http);
    }
  } catch (err) {
    await broker?.close();
    setup.removeTemp();
    throw err;
  }
  const b = broker;
  const bootstrap = hostPort(b.host, b.port);
  let closing: Promise<void> | undefined;
  return {
    nodeId: b.nodeId, host: b.host, port: b.port, bootstrap, brokers: [bootstrap], dataDir: b.dataDir, httpUrl: http?.url,
    close: () => (closing ??= (async () => {
      await http?.close();
      await b.close();
      setup.removeTemp();
    })()),
  };
}

/** Starts a cluster of brokers in this process (3 by default); the promise resolves when all are ready. */
export async function startCluster(options: ClusterOptions = {}): Promise<SamsaCluster> {
  const setup = prepare(options);
  let cluster: RunningCluster | undefined;
  let http: { url: string; close(): Promise<void> } | undefined;
  try {
    cluster = await startRunningCluster({ brokers: options.brokers ?? 3, portStep: options.portStep, flags: setup.flags, logLevel: setup.logLevel, logFormat: options.logFormat });
    if (options.http) {
      const { clusterTarget } = await import('./http/server.js');
      http = await serveHttp(clusterTarget(cluster, httpOptions(options.http).allowWrites), options.http);
    }
  } catch (err) {
    await cluster?.close();
    setup.removeTemp();
    throw err;
  }
  const c = cluster;
  const address = (b: RunningBroker): BrokerAddress => ({ nodeId: b.nodeId, host: b.host, port: b.port, bootstrap: hostPort(b.host, b.port) });
  // Ports stay the same across a broker's restarts, so the lists are fixed once all have started.
  const brokers = c.status().brokers.map((b) => hostPort(b.host, b.port));
  let closing: Promise<void> | undefined;
  return {
    host: c.status().brokers[0]!.host,
    bootstrap: brokers.join(','),
    brokers,
    dataDir: c.dataDir,
    httpUrl: http?.url,
    size: c.size,
    broker: (id) => { const b = c.broker(id); return b && address(b); },
    stopBroker: (id) => c.stopBroker(id),
    startBroker: async (id) => address(await c.startBroker(id)),
    pauseBroker: (id) => c.pauseBroker(id),
    resumeBroker: (id) => c.resumeBroker(id),
    moveLeader: (topic, partition, id) => c.moveLeader(topic, partition, id),
    status: () => c.status(),
    close: () => (closing ??= (async () => {
      await http?.close();
      await c.close();
      setup.removeTemp();
    })()),
  };
}

/** The broker settings an options object stands for, and the temporary data directory made for it (if any). */
function prepare(options: BrokerOptions): { flags: Record<string, string>; logLevel: LogLevel; removeTemp(): void } {
  const flags: Record<string, string> = {};
  for (const [k, v] of Object.entries(options.config ?? {})) flags[k] = String(v);
  flags.listeners ??= hostPort(options.host ?? '127.0.0.1', options.port ?? 0);
  let temp: string | undefined;
  if (options.dataDir !== undefined) flags['log.dirs'] = options.dataDir;
  else flags['log.dirs'] ??= temp = mkdtempSync(join(tmpdir(), 'samsa-'));
  return {
    flags,
    logLevel: options.logLevel ?? 'warn',
    removeTemp: () => { if (temp) rmSync(temp, { recursive: true, force: true }); },
  };
}

function httpOptions(http: true | HttpOptions): HttpOptions {
  return http === true ? {} : http;
}

async function serveHttp(target: HttpTarget, http: true | HttpOptions): Promise<{ url: string; close(): Promise<void> }> {
  const { host = '127.0.0.1', port = 0 } = httpOptions(http);
  const { startHttp, isLoopback } = await import('./http/server.js');
  const { httpRoutes } = await import('./http/routes.js');
  if (!isLoopback(host)) process.emitWarning(`samsa: the HTTP side on ${host} is reachable from other machines`);
  return startHttp(target, host, port, await httpRoutes(target));
}

/** "host:port", with an IPv6 address in brackets. */
function hostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}
