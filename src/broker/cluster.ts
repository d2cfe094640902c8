/**
 * A cluster of brokers in one process (`samsa start --brokers 3`,
 * `startCluster()` in test suites): node ids 0..n-1 on consecutive ports
 * (--port-step apart; port 0 gives each a free one, kept across restarts),
 * each with its own data directory `<data-dir>/broker-<id>`, all sharing the
 * cluster metadata in `<data-dir>` and one controller. Brokers talk to each
 * other over real sockets, as separate processes would. For fault injection
 * a broker can be stopped as a crash would stop it, started again, paused
 * and resumed.
 */
import { join } from 'node:path';
import { BrokerConfig, type ConfigSources } from '../config/broker-config.js';
import { MetadataStore } from '../controller/metadata-store.js';
import type { LocalController } from '../controller/controller.js';
import { ErrorCode, KafkaError } from '../wire/errors.js';
import { Logger, type LogFormat, type LogLevel } from './logger.js';
import { shiftedListeners } from '../config/listeners.js';
import { localController, startBroker, type RunningBroker } from './index.js';

export interface ClusterOptions extends ConfigSources {
  brokers: number;
  /** Ports between consecutive brokers (default 1). */
  portStep?: number;
  logLevel?: LogLevel;
  logFormat?: LogFormat;
}

export type BrokerRunState = 'running' | 'stopped' | 'paused';

export interface ClusterStatus {
  clusterId: string;
  controllerId: number;
  brokers: { id: number; host: string; port: number; state: BrokerRunState; fenced: boolean; dataDir: string }[];
  topics: { name: string; internal: boolean; partitions: { partition: number; leader: number; leaderEpoch: number; replicas: number[]; isr: number[] }[] }[];
}

export interface RunningCluster {
  dataDir: string;
  /** host:port of every broker, comma-separated (a client's bootstrap list). */
  bootstrap: string;
  /** Running (or paused) brokers by node id; undefined while stopped. */
  broker(id: number): RunningBroker | undefined;
  readonly size: number;
  /** Stops a broker as a crash would (sockets closed at once, nothing flushed). */
  stopBroker(id: number): Promise<void>;
  startBroker(id: number): Promise<RunningBroker>;
  pauseBroker(id: number): void;
  resumeBroker(id: number): void;
  /** Moves a partition's leadership to `brokerId` (it must be an in-sync replica): it becomes the preferred replica and is elected. */
  moveLeader(topic: string, partition: number, brokerId: number): Promise<void>;
  status(): ClusterStatus;
  close(): Promise<void>;
}

export async function startCluster(opts: ClusterOptions): Promise<RunningCluster> {
  if (!Number.isInteger(opts.brokers) || opts.brokers < 1) throw new Error(`--brokers must be a whole number >= 1, got ${opts.brokers}`);
  const base = BrokerConfig.load(opts);
  const dataDir = base.dataDir;
  const host = base.listenHost;
  const step = opts.portStep ?? 1;
  const log = new Logger(opts.logLevel ?? 'info', opts.logFormat);
  const store = MetadataStore.open(dataDir);
  const controller: LocalController = localController(store, base, log);
  const ports: number[] = Array.from({ length: opts.brokers }, (_, i) => (base.listenPort === 0 ? 0 : base.listenPort + i * step));
  const running = new Map<number, RunningBroker>();
  const bound = new Map<number, string>();
  const paused = new Set<number>();
  const start = async (id: number): Promise<RunningBroker> => {
    if (running.has(id)) return running.get(id)!;
    // Broker `id` listens on each base listener's port plus id x step (port 0: free ports, kept for its restarts).
    const listeners = bound.get(id) ?? shiftedListeners(base.plan.listeners, id * step);
    const flags = { ...opts.flags, 'node.id': String(id), listeners, 'log.dirs': join(dataDir, `broker-${id}`) };
    const b = await startBroker({ ...opts, flags, cluster: { store, controller } });
    bound.set(id, shiftedListeners(b.listeners, 0));
    ports[id] = b.port;
    running.set(id, b);
    return b;
  };
  const known = (id: number) => {
    if (!Number.isInteger(id) || id < 0 || id >= opts.brokers) throw new KafkaError(ErrorCode.BROKER_NOT_AVAILABLE, `no broker ${id} in this cluster (0-${opts.brokers - 1})`);
  };
  for (let id = 0; id < opts.brokers; id++) await start(id);
  return {
    dataDir,
    get bootstrap() { return ports.map((p) => `${host}:${p}`).join(','); },
    broker: (id) => running.get(id),
    size: opts.brokers,
    stopBroker: async (id) => {
      known(id);
      const b = running.get(id);
      if (!b) return;
      running.delete(id);
      paused.delete(id);
      await b.crash();
    },
    startBroker: async (id) => { known(id); return start(id); },
    pauseBroker: (id) => { known(id); running.get(id)?.pause(); if (running.has(id)) paused.add(id); },
    resumeBroker: (id) => { known(id); running.get(id)?.resume(); paused.delete(id); },
    moveLeader: async (topic, partition, brokerId) => {
      const s = store.partition(topic, partition);
      if (!s) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `no partition ${topic}-${partition}`);
      if (!s.isr.includes(brokerId)) throw new KafkaError(ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE, `broker ${brokerId} is not an in-sync replica of ${topic}-${partition} (ISR ${s.isr.join(',')})`);
      if (s.leader === brokerId) return;
      const code = await controller.reassignPartition(topic, partition, [brokerId, ...s.replicas.filter((r) => r !== brokerId)]);
      if (code !== ErrorCode.NONE) throw new KafkaError(code, `could not make ${brokerId} the preferred replica of ${topic}-${partition}`);
      const [r] = await controller.electLeaders('preferred', [{ topic, partition }]);
      if (r!.errorCode !== ErrorCode.NONE) throw new KafkaError(r!.errorCode, r!.message ?? 'election failed');
    },
    status: () => ({
      clusterId: store.clusterId,
      controllerId: store.controllerId(),
      brokers: Array.from({ length: opts.brokers }, (_, id) => ({
        id, host, port: ports[id]!, state: !running.has(id) ? 'stopped' : paused.has(id) ? 'paused' : 'running',
        fenced: store.broker(id)?.fenced ?? true, dataDir: join(dataDir, `broker-${id}`),
      })),
      topics: store.topics().map((t) => ({
        name: t.name, internal: t.internal,
        partitions: t.states.map((s, partition) => ({ partition, leader: s.leader, leaderEpoch: s.leaderEpoch, replicas: s.replicas, isr: s.isr })),
      })),
    }),
    close: async () => {
      for (const id of paused) running.get(id)?.resume();
      await Promise.all([...running.values()].map((b) => b.close()));
      running.clear();
      controller.close();
    },
  };
}
