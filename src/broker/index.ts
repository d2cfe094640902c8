/**
 * The broker: wires config, cluster metadata, logs, the replica manager and
 * the dispatcher to a TCP listener. `startBroker` is also how tests start one
 * (port 0 for a free port).
 */
import { createServer, isIP, type Server, type Socket } from 'node:net';
import { BrokerConfig, parseMetadataUrl, type ConfigSources } from '../config/broker-config.js';
import { MetadataStore } from '../controller/metadata-store.js';
import { LocalController } from '../controller/controller.js';
import type { ClusterStore, MetadataChange, MetadataImage } from '../controller/cluster-metadata.js';
import type { EtcdStore } from '../controller/etcd-store.js';
import { ReplicaFetchers } from './replica-fetcher.js';
import { BrokerMembership } from './broker-membership.js';
import type { MarkerSender } from './marker-sender.js';
import { applyMetadataChange, applyStartupStates } from './metadata-listener.js';
import { LogManager } from '../log/log-manager.js';
import { Connection, type ConnectionOptions, type FrameResult } from './connection.js';
import { MemoryBudget } from './memory-budget.js';
import { FramePool, type FrameLease } from './frame-pool.js';
import type { Dispatcher } from './dispatcher.js';
import { Logger, type LogFormat, type LogLevel } from './logger.js';
import { TopicManager } from './topic-manager.js';
import type { GroupCoordinator } from '../coordinator/group/group-coordinator.js';
import type { TransactionCoordinator } from '../coordinator/txn/transaction-coordinator.js';
import type { InternalTopicHost } from '../coordinator/internal-topic.js';
import type { Coordinators } from './broker-coordinators.js';
import { ErrorCode, errorName } from '../wire/errors.js';
import type { ApiKey } from '../wire/generated/api-keys.js';
import { ReplicaManager } from './replica-manager.js';
import { FetchSessionCache } from './fetch-session-cache.js';
import { ProducerIdManager } from './producer-id-manager.js';
import type { SharedContext } from './broker-context.js';
import { BrokerSecurity } from './broker-security.js';
import { ClientSession } from './client-session.js';
import { endpointFor } from '../controller/cluster-metadata.js';
import { isTls, type Listener } from '../config/listeners.js';
import { interBrokerClientSecurity } from './inter-broker-security.js';
import { samsaVersion } from './samsa-version.js';
import { BrokerStats } from './broker-stats.js';
import { rateLimited } from './rate-limited.js';

// Two API keys the connections treat apart, checked against the generated table at compile time
// but not imported from it: api-keys.ts (every API's name and header versions) loads with the
// request path, after the socket listens.
const FETCH: typeof ApiKey.Fetch = 1;
const PRODUCE: typeof ApiKey.Produce = 0;

/** How long shutdown waits for in-flight requests before dropping connections. */
const SHUTDOWN_GRACE_MS = 2000;

/**
 * The smallest request frame: request header v1 is api key (int16), version
 * (int16), correlation id (int32) and a client id (int16 length, -1 for
 * null), 10 bytes; v2 adds tagged fields. Header v0 (8 bytes) is only
 * ControlledShutdown v0's, which Samsa does not serve.
 */
const MIN_REQUEST_BYTES = 10;
/** Idle Produce frame buffers the broker keeps for reuse (frame-pool.ts): a few producers' requests in flight. */
const FRAME_POOL_IDLE_BYTES = 16 * 1024 * 1024;
/** Idle Fetch read buffers kept for reuse (response-buffers.ts): a consumer's read of 1 MiB takes a 2 MiB buffer. */
const READ_POOL_IDLE_BYTES = 16 * 1024 * 1024;

export interface StartOptions extends ConfigSources {
  logLevel?: LogLevel;
  /** pretty (the default) or json lines on stderr. */
  logFormat?: LogFormat;
  /** Its data directory is removed when the process ends (samsa start --ephemeral): metadata is written without fsync. */
  ephemeral?: boolean;
  /** The cluster metadata and controller shared by the brokers of one process (startCluster); a lone broker makes its own. */
  cluster?: { store: MetadataStore; controller: LocalController };
}

export interface RunningBroker {
  host: string;
  port: number;
  dataDir: string;
  context: SharedContext;
  /** Bytes held for all connections (requests read and unanswered, responses unsent): what queued.max.request.bytes limits. */
  queuedBytes(): number;
  /** Counters of this broker's work since it started (requests, bytes per topic, ISR changes, connections), for /metrics and the console. */
  stats: BrokerStats;
  nodeId: number;
  /** Its listeners, with the ports they are bound to. */
  listeners: readonly Listener[];
  /** Stops accepting, lets in-flight requests finish, flushes logs and writes the clean-shutdown marker. */
  close(): Promise<void>;
  /**
   * Stops as a crash would: sockets closed at once, no request answered,
   * nothing flushed, no clean-shutdown marker, no goodbye to the controller
   * (it fences this broker when its heartbeats stop).
   */
  crash(): Promise<void>;
  /** Freezes the broker (no reads, no heartbeats, no fetching) as SIGSTOP would; resume() thaws it. */
  pause(): void;
  resume(): void;
}

/** A controller for a lone broker, or the one the brokers of a process share. */
export function localController(store: ClusterStore, config: BrokerConfig, log: Logger): LocalController {
  return new LocalController(store, {
    sessionTimeoutMs: config.int('broker.session.timeout.ms'),
    uncleanAllowed: (t) => (t.configs['unclean.leader.election.enable'] ?? config.get('unclean.leader.election.enable')) === 'true',
    autoLeaderRebalance: config.bool('auto.leader.rebalance.enable'),
    leaderImbalanceCheckMs: config.int('leader.imbalance.check.interval.seconds') * 1000,
    log,
  });
}

export async function startBroker(opts: StartOptions = {}): Promise<RunningBroker> {
  const config = BrokerConfig.load(opts);
  // Every line names its broker (several brokers may share one process's stderr).
  const log = new Logger(opts.logLevel ?? 'info', opts.logFormat).child({ broker: config.nodeId });
  if (config.ignored.length) log.warn(`ignoring Kafka settings Samsa does not use: ${config.ignored.join(', ')}`);
  for (const w of config.warnings()) log.warn(w);
  const dataDir = config.dataDir;
  // With etcd (brokers in separate processes) the store is loaded only then: a lone broker never loads the client.
  const etcdAt = opts.cluster ? undefined : parseMetadataUrl(config.get('metadata.url'));
  let etcd: EtcdStore | undefined;
  if (etcdAt) {
    const { EtcdStore } = await import('../controller/etcd-store.js');
    etcd = await EtcdStore.open({ ...etcdAt, nodeId: config.nodeId, leaseTtlMs: config.int('broker.session.timeout.ms'), log });
  }
  const store: ClusterStore = opts.cluster?.store ?? etcd ?? MetadataStore.open(dataDir, config.nodeId, !opts.ephemeral);
  const clustered = opts.cluster !== undefined || etcd !== undefined;
  const controller = opts.cluster?.controller ?? localController(store, config, log);
  // Connections to other brokers come from this broker's own address when it listens on one, so that the
  // other end (or a fault-injecting proxy in the chaos tests) can tell the brokers of one host apart.
  const interBroker = config.plan.interBroker;
  const interBrokerSecurity = clustered ? await interBrokerClientSecurity(config) : {};
  const localAddress = clustered && isIP(interBroker.host) && !['0.0.0.0', '::'].includes(interBroker.host) ? interBroker.host : undefined;
  const metadata: MetadataImage = store;
  const logs = LogManager.open(dataDir, {
    retentionCheckIntervalMs: config.int('log.retention.check.interval.ms'),
    checkpointIntervalMs: config.int('log.flush.offset.checkpoint.interval.ms'),
    maxOpenFiles: config.int('log.max.open.files'),
    report: (m) => log.error(m),
  });
  const topics = new TopicManager(metadata, controller, logs, config);
  // After a clean stop logs open on first use (or in the background): each takes its topic's configs then.
  logs.configure((name) => {
    const t = metadata.topic(name);
    return t ? topics.logConfig(t) : {};
  });
  const membership = new BrokerMembership(controller, config, log, etcd ? () => etcd.registrationLost() : undefined);
  // A refused ISR change is asked again at the next fetch (a follower not yet registered again is refused until it is): one line a second per partition.
  const isrRefusals = rateLimited(log, 1000);
  // eslint-disable-next-line prefer-const
  let fetchers: ReplicaFetchers;
  const replicaManager = new ReplicaManager(topics.lookup, Date.now, log, {
    nodeId: config.nodeId,
    replicaLagTimeMaxMs: config.int('replica.lag.time.max.ms'),
    clusterState: (t, p) => metadata.partition(t, p),
    alterIsr: async (topic, partition, based, isr) => {
      const r = await controller.alterPartition({ brokerId: config.nodeId, brokerEpoch: membership.epoch, topic, partition, leaderEpoch: based.leaderEpoch, partitionEpoch: based.partitionEpoch, isr });
      if (r.errorCode !== ErrorCode.NONE) isrRefusals(`${topic}-${partition}`, `the controller refused the ISR change to [${isr}] (${errorName(r.errorCode)})`);
    },
    onLeadership: (topic, partition, leader, epoch) => leadership.onChange(topic, partition, leader, epoch),
    follow: (topic, partition, leader) => fetchers.follow(topic, partition, leader),
    canLead: etcd ? () => etcd.leaseHolds() : undefined,
  });
  fetchers = new ReplicaFetchers(replicaManager, {
    nodeId: config.nodeId,
    localAddress,
    security: interBrokerSecurity,
    endpoint: (id) => metadata.broker(id),
    waitMaxMs: config.int('replica.fetch.wait.max.ms'),
    maxBytes: config.int('replica.fetch.response.max.bytes'),
    partitionMaxBytes: config.int('replica.fetch.max.bytes'),
    backoffMs: config.int('replica.fetch.backoff.ms'),
    log,
  });
  topics.onPartitionRemoved = (t, p) => replicaManager.removePartition(t, p);
  topics.warn = (m) => log.warn(m);
  topics.info = (m, fields) => log.info(m, fields);
  // The coordinators write through the replica manager (acks=all, replicated) and get the configured
  // replication factor: handed the TopicManager itself they appended to the local log only, with RF 1.
  const internalTopics: InternalTopicHost = {
    partitionCount: (topic) => topics.partitionCount(topic),
    createTopic: async (name, partitions, replicationFactor, configs) => {
      const live = metadata.brokers().filter((b) => !b.fenced).length;
      return topics.createTopic(name, partitions, Math.max(1, Math.min(replicationFactor, live)), configs);
    },
    append: (topic, partition, batch) => replicaManager.appendInternal(topic, partition, batch),
    lookup: (topic, partition) => topics.lookup(topic, partition),
  };
  // The brokers of a cluster reserve producer ids in the shared metadata, so no two hand out the same one.
  const producerIds = clustered ? await ProducerIdManager.shared((n) => store.reserveProducerIds(n)) : new ProducerIdManager(dataDir);
  // Loaded with the first marker for another broker's partition: a lone broker never sends one.
  let markers: Promise<MarkerSender> | undefined;
  const markerSender = () => (markers ??= import('./marker-sender.js').then(({ MarkerSender }) => new MarkerSender((id) => metadata.broker(id), `samsa-broker-${config.nodeId}`, localAddress, interBrokerSecurity)));
  const stats = new BrokerStats();
  replicaManager.stats = stats;
  // The group and transaction coordinators are built once the socket listens (broker-coordinators.ts
  // says why), before this broker applies any partition's leadership and before the first request.
  let coordinators: Coordinators | undefined;
  const startCoordinators = async (): Promise<Coordinators> => {
    const { startCoordinators } = await import('./broker-coordinators.js');
    const c = startCoordinators({ config, log, metadata, internalTopics, producerIds, replicaManager, markerSender });
    const { groups, txns } = c;
    // A transactional batch is checked against its transaction when this broker coordinates it. In a cluster
    // the coordinator may be another broker: Kafka 3.6+ asks it (AddPartitionsToTxn verify-only); Samsa lets
    // the batch in, as Kafka before 3.6 did.
    replicaManager.txnVerifier = (pid, epoch, topic, partition) => (!clustered || txns.knowsProducer(pid) ? txns.verify(pid, epoch, topic, partition) : ErrorCode.NONE);
    // A broker whose etcd lease may have lapsed answers as no coordinator: its partitions may have moved unseen.
    if (etcd) groups.canServe = txns.canServe = () => etcd.leaseHolds();
    shared.groups = groups;
    shared.txns = txns;
    return (coordinators = c);
  };
  // The coordinators follow leadership of their internal topics' partitions.
  const leadership = {
    /** While starting: the loads begun, so that start-up can wait for the partitions led from the start. */
    startupLoads: undefined as Promise<void>[] | undefined,
    onChange(topic: string, partition: number, leader: boolean, leaderEpoch: number): void {
      const load = coordinators!.onLeadership(topic, partition, leader, leaderEpoch);
      if (load) this.startupLoads?.push(load);
    },
  };
  const security = new BrokerSecurity(config, metadata, async (records) => { await store.writeSecurity(records); }, log);
  const shared: SharedContext = {
    config, metadata, topics, log, nodeId: config.nodeId,
    advertised: { host: '', port: 0 },
    replicaManager,
    fetchSessions: new FetchSessionCache(),
    producerIds,
    topicId: (name) => metadata.topic(name)?.id,
    topicName: (id) => metadata.topicById(id)?.name,
    brokerEndpoint: (id) => metadata.broker(id),
    // Set by startCoordinators, before the dispatcher exists.
    groups: undefined as unknown as GroupCoordinator,
    txns: undefined as unknown as TransactionCoordinator,
    partitionLeader: (topic, partition, listener) => {
      // Cut off from etcd, this broker's picture of who leads may be stale: no answer (COORDINATOR_NOT_AVAILABLE, which clients retry after a backoff).
      if (etcd && !etcd.leaseHolds()) return undefined;
      const leader = metadata.partition(topic, partition)?.leader ?? -1;
      const b = metadata.broker(leader);
      if (leader === config.nodeId || (leader >= 0 && metadata.brokers().length === 0)) {
        const own = config.plan.listeners.find((l) => l.name === listener);
        return own && { nodeId: shared.nodeId, host: own.advertisedHost, port: own.advertisedPort };
      }
      const at = b && !b.fenced ? endpointFor(b, listener) : undefined;
      return at && { nodeId: leader, host: at.host, port: at.port };
    },
    security,
    controller,
    stats,
  };
  // The request path (dispatcher, codec index, every handler: about a fifth of
  // the broker's modules) is imported once the socket listens, not before:
  // everything it acts on (metadata, logs, groups) is open by now, and a frame
  // that arrives first waits for the import. An import failure is fatal
  // (unhandled rejection below), as a static import's would be.
  let listening!: () => void;
  const listened = new Promise<void>((resolve) => { listening = resolve; });
  const coordinatorsReady = listened.then(startCoordinators);
  const dispatcherReady: Promise<Dispatcher> = listened
    .then(() => Promise.all([import('./dispatcher.js'), import('./handlers/index.js'), coordinatorsReady]))
    .then(([{ Dispatcher }, { HANDLERS }]) => new Dispatcher(shared, HANDLERS, new FramePool(READ_POOL_IDLE_BYTES)));
  let handleFrame = (frame: Buffer, conn: Connection, lease?: FrameLease): FrameResult | Promise<FrameResult> => dispatcherReady.then((d) => d.handleFrame(frame, conn, lease));
  void dispatcherReady.then((d) => { handleFrame = d.handleFrame; });
  const connections = new Set<Connection>();
  const budget = new MemoryBudget(config.int('queued.max.request.bytes'));
  const connectionOptions: ConnectionOptions = {
    maxRequestBytes: config.int('socket.request.max.bytes'),
    maxUnauthenticatedBytes: config.int('sasl.server.max.receive.size'),
    minRequestBytes: MIN_REQUEST_BYTES,
    maxQueuedBytes: config.int('queued.max.request.bytes.per.connection'),
    budget,
    oneAtATime: (key) => key === FETCH, // the large responses: one at a time per connection
    // Large Produce frames (from 16 KiB) come from the frame pool (frame-pool.ts). It was off for a
    // while on suspicion after CI's short chaos run saw a follower stop converging, but that run's
    // requests are a few hundred bytes and never lease a frame; compat-tests/produce-frame-reuse.test.ts
    // runs the pool with released buffers overwritten at once, under followers and a consumer.
    pooled: (key) => key === PRODUCE,
    framePool: new FramePool(FRAME_POOL_IDLE_BYTES),
    requestReceiveTimeoutMs: config.int('socket.request.receive.timeout.ms'),
    idleTimeoutMs: config.int('connections.max.idle.ms'),
  };
  let nextId = 1;
  let paused = false;
  const accept = (socket: Socket, listener: Listener, principal?: string) => {
    const conn = new Connection(nextId++, socket, connectionOptions, log, (frame, c, lease) => handleFrame(frame, c, lease));
    conn.session = new ClientSession(listener, socket.remoteAddress ?? '', principal);
    if (paused) conn.freeze();
    connections.add(conn);
    stats.connectionOpened(listener.name);
    void conn.done.then(() => { connections.delete(conn); stats.connectionClosed(listener.name); });
  };
  // TLS is loaded only when a listener needs it: a plaintext broker starts without it.
  const tlsListeners = config.plan.listeners.filter((l) => isTls(l.protocol));
  const tlsServer = tlsListeners.length ? await import('./tls-listener.js') : undefined;
  const servers: Server[] = [];
  const sockets = new Set<Socket>();
  try {
    for (const l of config.plan.listeners) {
      const server = isTls(l.protocol)
        ? tlsServer!.createTlsServer(config, l, log, (socket, principal) => accept(socket, l, principal))
        : createServer((socket) => accept(socket, l));
      servers.push(server);
      // Every socket, also those still in a TLS handshake (not yet a Connection): a stop must not wait for them.
      server.on('connection', (socket: Socket) => { sockets.add(socket); socket.once('close', () => sockets.delete(socket)); });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(l.port, l.host || '0.0.0.0', () => { server.off('error', reject); resolve(); });
      });
      const bound = (server.address() as { port: number }).port;
      if (l.advertisedPort === 0) l.advertisedPort = bound;
      l.port = bound;
    }
  } catch (e) {
    for (const server of servers) server.close();
    throw e;
  }
  const port = config.plan.listeners[0]!.port;
  // One timer for every connection's timeouts; a timeout is noticed up to a quarter of it (at most 1 s) late.
  const timeouts = [connectionOptions.requestReceiveTimeoutMs!, connectionOptions.idleTimeoutMs!].filter((ms) => ms >= 0);
  const sweep = timeouts.length === 0 ? undefined : setInterval(() => {
    const now = Date.now();
    for (const c of connections) c.checkTimeouts(now);
    security.quotas.expire(now);
  }, Math.min(1000, Math.max(10, Math.min(...timeouts) / 4)));
  sweep?.unref();
  listening();
  await coordinatorsReady;
  const host = config.listenHost;
  // Other brokers reach this one on the inter-broker listener; clients on their own (Metadata answers per listener).
  shared.advertised.host = interBroker.advertisedHost;
  shared.advertised.port = interBroker.advertisedPort;

  // Join the cluster: register (the controller may elect this broker), then act on the partition states.
  // Metadata changes that arrive while paused wait, as they would for a stopped process.
  const held: MetadataChange[] = [];
  let gone = false;
  const apply = (c: MetadataChange) => {
    if (gone) return;
    if (paused) { held.push(c); return; }
    if (c.kind === 'deleted') stats.forgetTopic(c.topic.name);
    // A failure here (a log that cannot be opened) is this broker's: the other brokers of the process get the change all the same.
    try {
      applyMetadataChange(c, { nodeId: config.nodeId, topics, replicaManager, fetchers });
    } catch (e) {
      log.error(`broker ${config.nodeId}: applying a metadata change (${c.kind}) failed: ${(e as Error)?.stack ?? e}`);
    }
  };
  const unsubscribe = store.onChange(apply);
  await membership.register(shared.advertised.host, shared.advertised.port, config.plan.listeners.map((l) => ({ name: l.name, host: l.advertisedHost, port: l.advertisedPort })));
  // The coordinators' partitions this broker leads are loaded before it reports ready.
  leadership.startupLoads = [];
  applyStartupStates(metadata, { nodeId: config.nodeId, topics, replicaManager, fetchers });
  const loads = leadership.startupLoads;
  leadership.startupLoads = undefined;
  await Promise.all(loads);
  log.info('broker started', { listeners: config.plan.listeners.map(listenerUrl), dataDir, version: samsaVersion(), clusterId: metadata.clusterId });
  const shutdownCoordinators = () => {
    gone = true;
    unsubscribe();
    membership.stop();
    fetchers.close();
    void markers?.then((m) => m.close());
    replicaManager.close();
    shared.groups.close();
    shared.txns.close();
  };

  let closing: Promise<void> | undefined;
  return {
    host, port, dataDir, context: shared, nodeId: config.nodeId, listeners: config.plan.listeners,
    queuedBytes: () => budget.used,
    stats,
    pause: () => {
      if (paused || gone) return;
      paused = true;
      for (const c of connections) c.freeze();
      membership.setPaused(true);
      fetchers.setPaused(true);
    },
    resume: () => {
      if (!paused || gone) return;
      paused = false;
      for (const c of held.splice(0)) apply(c);
      for (const c of connections) c.thaw();
      membership.setPaused(false);
      fetchers.setPaused(false);
    },
    crash: () => (closing ??= (async () => {
      clearInterval(sweep);
      shutdownCoordinators();
      for (const server of servers) server.close();
      for (const s of sockets) s.destroy();
      replicaManager.purgatory.completeAll();
      logs.abandon();
      if (!opts.cluster) controller.close();
      etcd?.abandon();
      log.info('broker stopped', { clean: false });
    })()),
    close: () => (closing ??= (async () => {
      // A member of a cluster hands its leadership over first (controlled shutdown); a lone broker has no one to hand it to.
      if (clustered) await membership.unregister().catch((e: unknown) => log.warn(`controlled shutdown: ${(e as Error)?.message ?? e}`));
      // Stop accepting; answer what was already read (waiting fetches finish now), then close.
      clearInterval(sweep);
      const stopped = Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
      for (const c of connections) c.shutdown();
      replicaManager.purgatory.completeAll();
      const grace = setTimeout(() => { for (const s of sockets) s.destroy(); }, SHUTDOWN_GRACE_MS);
      await stopped;
      clearTimeout(grace);
      shutdownCoordinators();
      if (!opts.cluster) controller.close();
      await logs.close();
      await etcd?.close();
      log.info('broker stopped', { clean: true });
    })()),
  };
}

/** NAME://host:port, as Kafka writes listeners (the port the listener is bound to). */
function listenerUrl(l: Listener): string {
  const host = l.host || '0.0.0.0';
  return `${l.name}://${host.includes(':') ? `[${host}]` : host}:${l.port}`;
}
