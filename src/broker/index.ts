/**
 * The broker: wires config, cluster metadata, logs, the replica manager and
 * the dispatcher to a TCP listener. `startBroker` is also how tests start one
 * (port 0 for a free port).
 */
import { createServer, type Server } from 'node:net';
import { BrokerConfig, type ConfigSources } from '../config/broker-config.js';
import { MetadataStore } from '../controller/metadata-store.js';
import { LogManager } from '../log/log-manager.js';
import { Connection, type ConnectionOptions, type FrameResult } from './connection.js';
import { MemoryBudget } from './memory-budget.js';
import type { Dispatcher } from './dispatcher.js';
import { Logger, type LogLevel } from './logger.js';
import { TopicManager } from './topic-manager.js';
import { GroupCoordinator } from '../coordinator/group/group-coordinator.js';
import { OffsetsTopicStore, OFFSETS_TOPIC } from '../coordinator/group/offsets-topic.js';
import { TransactionCoordinator } from '../coordinator/txn/transaction-coordinator.js';
import { TxnStateTopic } from '../coordinator/txn/txn-state-topic.js';
import { ErrorCode } from '../wire/errors.js';
import { ApiKey } from '../wire/generated/api-keys.js';
import { ReplicaManager } from './replica-manager.js';
import { FetchSessionCache } from './fetch-session-cache.js';
import { ProducerIdManager } from './producer-id-manager.js';
import type { SharedContext } from './broker-context.js';

/** How long shutdown waits for in-flight requests before dropping connections. */
const SHUTDOWN_GRACE_MS = 2000;

/**
 * The smallest request frame: request header v1 is api key (int16), version
 * (int16), correlation id (int32) and a client id (int16 length, -1 for
 * null), 10 bytes; v2 adds tagged fields. Header v0 (8 bytes) is only
 * ControlledShutdown v0's, which Samsa does not serve.
 */
const MIN_REQUEST_BYTES = 10;

export interface StartOptions extends ConfigSources {
  logLevel?: LogLevel;
}

export interface RunningBroker {
  host: string;
  port: number;
  dataDir: string;
  context: SharedContext;
  /** Bytes held for all connections (requests read and unanswered, responses unsent): what queued.max.request.bytes limits. */
  queuedBytes(): number;
  /** Stops accepting, lets in-flight requests finish, flushes logs and writes the clean-shutdown marker. */
  close(): Promise<void>;
}

export async function startBroker(opts: StartOptions = {}): Promise<RunningBroker> {
  const config = BrokerConfig.load(opts);
  const log = new Logger(opts.logLevel ?? 'info');
  if (config.ignored.length) log.warn(`ignoring Kafka settings Samsa does not use: ${config.ignored.join(', ')}`);
  for (const w of config.warnings()) log.warn(w);
  const dataDir = config.dataDir;
  const metadata = MetadataStore.open(dataDir);
  const logs = LogManager.open(dataDir, {
    retentionCheckIntervalMs: config.int('log.retention.check.interval.ms'),
    checkpointIntervalMs: config.int('log.flush.offset.checkpoint.interval.ms'),
    maxOpenFiles: config.int('log.max.open.files'),
    report: (m) => log.error(m),
  });
  const topics = new TopicManager(metadata, logs, config);
  // After a clean stop logs open on first use (or in the background): each takes its topic's configs then.
  logs.configure((name) => {
    const t = metadata.topic(name);
    return t ? topics.logConfig(t) : {};
  });
  const replicaManager = new ReplicaManager(topics.lookup);
  topics.onPartitionRemoved = (t, p) => replicaManager.removePartition(t, p);
  topics.warn = (m) => log.warn(m);
  const offsetsStore = new OffsetsTopicStore(topics, config.int('offsets.topic.num.partitions'), config.int('offsets.topic.segment.bytes'));
  const groups = new GroupCoordinator({
    minSessionTimeoutMs: config.int('group.min.session.timeout.ms'),
    maxSessionTimeoutMs: config.int('group.max.session.timeout.ms'),
    initialRebalanceDelayMs: config.int('group.initial.rebalance.delay.ms'),
    maxSize: config.int('group.max.size'),
    offsetsRetentionMs: config.int('offsets.retention.minutes') * 60_000,
  }, offsetsStore, (e) => log.error(`writing group state to __consumer_offsets failed: ${(e as Error)?.stack ?? String(e)}`));
  groups.replay((to) => offsetsStore.replay(to));
  groups.expireOffsets();
  const producerIds = new ProducerIdManager(dataDir);
  const txnState = new TxnStateTopic(topics, config.int('transaction.state.log.num.partitions'), config.int('transaction.state.log.segment.bytes'));
  const txns = new TransactionCoordinator({
    maxTimeoutMs: config.int('transaction.max.timeout.ms'),
    abortCheckIntervalMs: config.int('transaction.abort.timed.out.transaction.cleanup.interval.ms'),
    idExpirationMs: config.int('transactional.id.expiration.ms'),
    idExpirationCheckIntervalMs: config.int('transaction.remove.expired.transaction.cleanup.interval.ms'),
  }, {
    allocateProducerId: () => producerIds.allocate(),
    partitionExists: (t, p) => topics.lookup(t, p) !== undefined,
    writeMarker: async (topic, partition, producerId, producerEpoch, commit) => {
      const code = await replicaManager.writeTxnMarker(topic, partition, producerId, producerEpoch, commit, 0);
      // The marker in a group's __consumer_offsets partition settles the transaction's offsets.
      if (topic === OFFSETS_TOPIC && code === ErrorCode.NONE) groups.completeTxn(producerId, commit, (g) => offsetsStore.topic.partitionOf(g) === partition);
      return code;
    },
    store: (id, records) => txnState.write(id, records),
    onError: (e) => log.error(`transaction coordinator: ${(e as Error)?.stack ?? String(e)}`),
  });
  replicaManager.txnVerifier = (pid, epoch, topic, partition) => txns.verify(pid, epoch, topic, partition);
  await txns.replay(txnState.records());
  const shared: SharedContext = {
    config, metadata, topics, log, nodeId: config.nodeId,
    advertised: { host: '', port: 0 },
    replicaManager,
    fetchSessions: new FetchSessionCache(),
    producerIds,
    topicId: (name) => metadata.topic(name)?.id,
    topicName: (id) => metadata.topicById(id)?.name,
    groups,
    groupOffsetsPartition: (groupId) => offsetsStore.topic.partitionOf(groupId),
    txns,
    partitionLeader: () => ({ nodeId: shared.nodeId, host: shared.advertised.host, port: shared.advertised.port }),
  };
  // The request path (dispatcher, codec index, every handler: about a fifth of
  // the broker's modules) is imported once the socket listens, not before:
  // everything it acts on (metadata, logs, groups) is open by now, and a frame
  // that arrives first waits for the import. An import failure is fatal
  // (unhandled rejection below), as a static import's would be.
  let listening!: () => void;
  const dispatcherReady: Promise<Dispatcher> = new Promise<void>((resolve) => { listening = resolve; })
    .then(() => Promise.all([import('./dispatcher.js'), import('./handlers/index.js')]))
    .then(([{ Dispatcher }, { HANDLERS }]) => new Dispatcher(shared, HANDLERS));
  let handleFrame = (frame: Buffer, conn: Connection): FrameResult | Promise<FrameResult> => dispatcherReady.then((d) => d.handleFrame(frame, conn));
  void dispatcherReady.then((d) => { handleFrame = d.handleFrame; return d.preload(); });
  const connections = new Set<Connection>();
  const budget = new MemoryBudget(config.int('queued.max.request.bytes'));
  const connectionOptions: ConnectionOptions = {
    maxRequestBytes: config.int('socket.request.max.bytes'),
    minRequestBytes: MIN_REQUEST_BYTES,
    maxQueuedBytes: config.int('queued.max.request.bytes.per.connection'),
    budget,
    oneAtATime: (key) => key === ApiKey.Fetch, // the large responses: one at a time per connection
    requestReceiveTimeoutMs: config.int('socket.request.receive.timeout.ms'),
    idleTimeoutMs: config.int('connections.max.idle.ms'),
  };
  let nextId = 1;
  const server: Server = createServer((socket) => {
    const conn = new Connection(nextId++, socket, connectionOptions, log, (frame, c) => handleFrame(frame, c));
    connections.add(conn);
    void conn.done.then(() => connections.delete(conn));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.listenPort, config.listenHost, () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  // One timer for every connection's timeouts; a timeout is noticed up to a quarter of it (at most 1 s) late.
  const timeouts = [connectionOptions.requestReceiveTimeoutMs!, connectionOptions.idleTimeoutMs!].filter((ms) => ms >= 0);
  const sweep = timeouts.length === 0 ? undefined : setInterval(() => {
    const now = Date.now();
    for (const c of connections) c.checkTimeouts(now);
  }, Math.min(1000, Math.max(10, Math.min(...timeouts) / 4)));
  sweep?.unref();
  listening();
  const host = config.listenHost;
  shared.advertised.host = config.get('advertised.host') || (host === '0.0.0.0' ? '127.0.0.1' : host);
  shared.advertised.port = Number(config.get('advertised.port') || port);

  let closing: Promise<void> | undefined;
  return {
    host, port, dataDir, context: shared,
    queuedBytes: () => budget.used,
    close: () => (closing ??= (async () => {
      // Stop accepting; answer what was already read (waiting fetches finish now), then close.
      clearInterval(sweep);
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const c of connections) c.shutdown();
      replicaManager.purgatory.completeAll();
      const grace = setTimeout(() => { for (const c of connections) c.socket.destroy(); }, SHUTDOWN_GRACE_MS);
      await stopped;
      clearTimeout(grace);
      groups.close();
      txns.close();
      await logs.close();
    })()),
  };
}
