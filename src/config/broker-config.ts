/**
 * Broker settings with Kafka's key names. Sources, highest first: CLI flags,
 * SAMSA_* environment variables (SAMSA_AUTO_CREATE_TOPICS_ENABLE=false sets
 * auto.create.topics.enable), a properties file (--config), defaults. An
 * unknown key or a bad value stops start-up with a message naming it (and a
 * "did you mean" suggestion).
 */
import { readFileSync } from 'node:fs';
import { didYouMean } from './did-you-mean.js';
import { ConfigError } from './config-error.js';
import { kafkaVersionError } from './topic-config.js';
import { DEFAULT_PROTOCOL_MAP, endpointsError, planListeners, type ListenerPlan } from './listeners.js';
import { SECURITY_SETTINGS, parseListenerKey } from './security-settings.js';

export type BrokerSettingType = 'BOOLEAN' | 'STRING' | 'INT' | 'LONG' | 'LIST';

interface BrokerSettingDef {
  type: BrokerSettingType; default: string; validate?: (v: string) => string | undefined; doc: string;
  /** A deprecated Kafka 3.9 setting: what setting it does (start-up logs it as a warning). */
  deprecated?: string;
}

const int = (min: number) => (v: string) => (/^-?\d+$/.test(v) && Number(v) >= min ? undefined : `must be an integer >= ${min}`);
const optional = (check: (v: string) => string | undefined) => (v: string) => (v === '' ? undefined : check(v));
const bool = (v: string) => (v === 'true' || v === 'false' ? undefined : 'must be true or false');
/** A time in ms, or -1 for never. */
const timeout = (v: string) => (v === '-1' ? undefined : int(1)(v));
const oneOf = (...values: string[]) => (v: string) => (values.includes(v) ? undefined : `must be one of ${values.join(', ')}`);

export const BROKER_SETTINGS: Record<string, BrokerSettingDef> = {
  'listeners': { type: 'STRING', default: '127.0.0.1:9092', validate: endpointsError, doc: 'where to listen: NAME://host:port, comma-separated (PLAINTEXT://:9092,SASL_SSL://:9094); a bare host:port is PLAINTEXT; an empty host is every interface; port 0 picks a free one' },
  'advertised.host': { type: 'STRING', default: '', doc: 'host clients of the first listener are told to connect to (default: the listen host)' },
  'advertised.port': { type: 'INT', default: '', validate: optional(int(1)), doc: 'port clients of the first listener are told to connect to (default: the listen port)' },
  'advertised.listeners': { type: 'STRING', default: '', validate: optional(endpointsError), doc: 'NAME://host:port clients of each listener are told to connect to (default: the listen address)' },
  'listener.security.protocol.map': { type: 'STRING', default: DEFAULT_PROTOCOL_MAP, doc: 'security protocol of each listener name (NAME:PLAINTEXT|SSL|SASL_PLAINTEXT|SASL_SSL, comma-separated)' },
  'inter.broker.listener.name': { type: 'STRING', default: '', doc: 'the listener brokers connect to each other on (default: PLAINTEXT, else the first listener)' },
  'log.dirs': { type: 'STRING', default: './data', validate: (v) => (v.includes(',') ? 'Samsa uses one data directory' : undefined), doc: 'data directory (one)' },
  'node.id': { type: 'INT', default: '0', validate: int(0), doc: 'this broker\'s id (broker.id is the same setting)' },
  'auto.create.topics.enable': { type: 'BOOLEAN', default: 'true', validate: bool, doc: 'create unknown topics on metadata/produce' },
  'num.partitions': { type: 'INT', default: '1', validate: int(1), doc: 'partitions of auto-created topics' },
  'max.partitions.per.request': { type: 'INT', default: '10000', validate: int(1), doc: 'partitions one CreateTopics or CreatePartitions request may add (Samsa setting; Kafka\'s fixed limit is 10000)' },
  'max.broker.partitions': { type: 'INT', default: '4000', validate: int(1), doc: 'partitions this broker may host, internal topics included (Samsa setting, the name KIP-578 proposed)' },
  'default.replication.factor': { type: 'INT', default: '1', validate: int(1), doc: 'replication factor of topics created without one (auto-created, CreateTopics with -1)' },
  'metadata.url': { type: 'STRING', default: '', validate: metadataUrl, doc: 'where the cluster metadata lives: empty for this process (a lone broker, or --brokers N), or etcd://host:port[,host:port...][/prefix] for brokers in separate processes (prefix default /samsa)' },
  'broker.rack': { type: 'STRING', default: '', doc: 'rack of this broker: replicas of a partition are spread over racks' },
  'offsets.topic.replication.factor': { type: 'INT', default: '3', validate: int(1), doc: 'replication factor of __consumer_offsets (capped at the live brokers when it is created, as a dev cluster wants; Kafka refuses instead)' },
  'transaction.state.log.replication.factor': { type: 'INT', default: '3', validate: int(1), doc: 'replication factor of __transaction_state (capped at the live brokers, as above)' },
  'transaction.state.log.min.isr': { type: 'INT', default: '2', validate: int(1), doc: 'min.insync.replicas of __transaction_state (capped at its replication factor)' },
  'replica.lag.time.max.ms': { type: 'LONG', default: '30000', validate: int(1), doc: 'a follower not caught up for this long leaves the ISR' },
  'replica.fetch.wait.max.ms': { type: 'INT', default: '500', validate: int(0), doc: 'how long a follower\'s fetch waits at the leader for new data' },
  'replica.fetch.max.bytes': { type: 'INT', default: '1048576', validate: int(0), doc: 'bytes a follower asks for per partition' },
  'replica.fetch.response.max.bytes': { type: 'INT', default: '10485760', validate: int(0), doc: 'bytes a follower asks for per fetch' },
  'replica.fetch.backoff.ms': { type: 'INT', default: '1000', validate: int(0), doc: 'pause after a follower\'s fetch fails' },
  'unclean.leader.election.enable': { type: 'BOOLEAN', default: 'false', validate: bool, doc: 'let an out-of-sync replica lead when no ISR member is left (loses acknowledged records)' },
  'auto.leader.rebalance.enable': { type: 'BOOLEAN', default: 'true', validate: bool, doc: 'move leadership back to preferred replicas that are in sync' },
  'leader.imbalance.check.interval.seconds': { type: 'LONG', default: '300', validate: int(1), doc: 'how often the controller moves leadership back to preferred replicas' },
  'broker.session.timeout.ms': { type: 'INT', default: '9000', validate: int(1), doc: 'a broker not heard from for this long is fenced and its leadership moves' },
  'broker.heartbeat.interval.ms': { type: 'INT', default: '2000', validate: int(1), doc: 'how often a broker tells the controller it is alive' },
  'delete.topic.enable': { type: 'BOOLEAN', default: 'true', validate: bool, doc: 'allow DeleteTopics' },
  'log.retention.hours': { type: 'INT', default: '168', validate: int(-1), doc: 'retention.ms default, in hours' },
  'log.retention.minutes': { type: 'INT', default: '', validate: optional(int(-1)), doc: 'retention.ms default, in minutes (overrides hours)' },
  'log.retention.ms': { type: 'LONG', default: '', validate: optional(int(-1)), doc: 'retention.ms default (overrides minutes and hours)' },
  'log.retention.bytes': { type: 'LONG', default: '-1', validate: int(-1), doc: 'retention.bytes default' },
  'log.segment.bytes': { type: 'INT', default: '1073741824', validate: int(14), doc: 'segment.bytes default' },
  'log.max.open.files': { type: 'INT', default: '1024', validate: int(1), doc: 'segment files kept open at most, over all partitions; others are opened on use (Samsa setting)' },
  'log.roll.hours': { type: 'INT', default: '168', validate: int(1), doc: 'segment.ms default, in hours' },
  'log.roll.ms': { type: 'LONG', default: '', validate: optional(int(1)), doc: 'segment.ms default (overrides hours)' },
  'log.cleanup.policy': { type: 'LIST', default: 'delete', validate: (v) => (v.split(',').every((p) => ['delete', 'compact'].includes(p.trim())) ? undefined : 'must be delete, compact or both'), doc: 'cleanup.policy default' },
  'log.flush.interval.messages': { type: 'LONG', default: '9223372036854775807', validate: int(1), doc: 'fsync after this many messages (1 = every append)' },
  'log.flush.interval.ms': { type: 'LONG', default: '', validate: optional(int(0)), doc: 'fsync after this much time' },
  'log.flush.offset.checkpoint.interval.ms': { type: 'INT', default: '60000', validate: int(1), doc: 'how often the recovery point of every log is written (recovery after a crash verifies from there)' },
  'log.retention.check.interval.ms': { type: 'LONG', default: '300000', validate: int(1), doc: 'how often retention runs' },
  'log.message.timestamp.type': { type: 'STRING', default: 'CreateTime', validate: oneOf('CreateTime', 'LogAppendTime'), doc: 'message.timestamp.type default' },
  'log.message.timestamp.before.max.ms': { type: 'LONG', default: '9223372036854775807', validate: int(0), doc: 'message.timestamp.before.max.ms default' },
  'log.message.timestamp.after.max.ms': { type: 'LONG', default: '9223372036854775807', validate: int(0), doc: 'message.timestamp.after.max.ms default' },
  'log.message.timestamp.difference.max.ms': {
    type: 'LONG', default: '9223372036854775807', validate: int(0), doc: '[DEPRECATED] message.timestamp.difference.max.ms default',
    deprecated: 'is deprecated (Kafka 3.6, removed in 4.0): it applies as log.message.timestamp.before.max.ms and log.message.timestamp.after.max.ms where those are left at their default, unless a topic overrides it',
  },
  'log.message.format.version': {
    type: 'STRING', default: '3.0-IV1', validate: kafkaVersionError, doc: '[DEPRECATED] message.format.version default; ignored',
    deprecated: 'is ignored: Samsa stores record batch format v2, as Kafka 3.x does with inter.broker.protocol.version 3.0 or later. This configuration is deprecated and was removed in Apache Kafka 4.0',
  },
  'log.message.downconversion.enable': { type: 'BOOLEAN', default: 'true', validate: bool, doc: 'message.downconversion.enable default; accepted, no effect: Samsa always converts for Fetch v0-v3' },
  'message.max.bytes': { type: 'INT', default: '1048588', validate: int(0), doc: 'max.message.bytes default' },
  'compression.type': { type: 'STRING', default: 'producer', validate: oneOf('uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'), doc: 'compression.type default' },
  'min.insync.replicas': { type: 'INT', default: '1', validate: int(1), doc: 'min.insync.replicas default' },
  'socket.request.max.bytes': { type: 'INT', default: '104857600', validate: int(1), doc: 'largest request frame accepted' },
  'queued.max.request.bytes': { type: 'LONG', default: '104857600', validate: int(-1), doc: 'bytes of requests read and responses unsent, all connections, past which connections holding anything start no new request (-1: no limit; Kafka: -1, requests only)' },
  'queued.max.request.bytes.per.connection': { type: 'LONG', default: '16777216', validate: int(-1), doc: 'the same for one connection (Samsa setting; -1: no limit)' },
  'fetch.max.bytes': { type: 'INT', default: '57671680', validate: int(1024), doc: 'largest Fetch response built, whatever the request asks (one batch may exceed it)' },
  'connections.max.idle.ms': { type: 'LONG', default: '600000', validate: timeout, doc: 'close connections with nothing read, written or in flight for this long (-1: never)' },
  'socket.request.receive.timeout.ms': { type: 'LONG', default: '30000', validate: timeout, doc: 'close a connection whose request takes longer than this to arrive once begun (Samsa setting; -1: never)' },
  'offsets.topic.num.partitions': { type: 'INT', default: '50', validate: int(1), doc: 'partitions of __consumer_offsets' },
  'offsets.topic.segment.bytes': { type: 'INT', default: '104857600', validate: int(1), doc: 'segment size of __consumer_offsets' },
  'offsets.retention.minutes': { type: 'INT', default: '10080', validate: int(1), doc: 'how long offsets of empty groups are kept' },
  'group.initial.rebalance.delay.ms': { type: 'INT', default: '0', validate: int(0), doc: 'wait for more members before the first rebalance (Kafka: 3000; Samsa: 0 for fast dev loops)' },
  'group.min.session.timeout.ms': { type: 'INT', default: '6000', validate: int(0), doc: 'smallest session timeout a member may ask for' },
  'group.max.session.timeout.ms': { type: 'INT', default: '1800000', validate: int(0), doc: 'largest session timeout a member may ask for' },
  'group.max.size': { type: 'INT', default: '2147483647', validate: int(1), doc: 'members per group' },
  'group.consumer.session.timeout.ms': { type: 'INT', default: '45000', validate: int(1), doc: 'consumer-protocol (KIP-848) groups: a member not heard from for this long is removed (between the min and max below)' },
  'group.consumer.min.session.timeout.ms': { type: 'INT', default: '45000', validate: int(1), doc: 'lowest group.consumer.session.timeout.ms allowed' },
  'group.consumer.max.session.timeout.ms': { type: 'INT', default: '60000', validate: int(1), doc: 'highest group.consumer.session.timeout.ms allowed' },
  'group.consumer.heartbeat.interval.ms': { type: 'INT', default: '5000', validate: int(1), doc: 'consumer-protocol groups: how often members heartbeat (below the session timeout)' },
  'group.consumer.min.heartbeat.interval.ms': { type: 'INT', default: '5000', validate: int(1), doc: 'lowest group.consumer.heartbeat.interval.ms allowed' },
  'group.consumer.max.heartbeat.interval.ms': { type: 'INT', default: '15000', validate: int(1), doc: 'highest group.consumer.heartbeat.interval.ms allowed' },
  'group.consumer.max.size': { type: 'INT', default: '2147483647', validate: int(1), doc: 'members per consumer-protocol group' },
  'group.consumer.assignors': { type: 'LIST', default: 'uniform,range', validate: (v) => (v.split(',').every((a) => ['uniform', 'range'].includes(a.trim())) ? undefined : 'must list uniform and/or range (server assignors; the first is the default)'), doc: 'server assignors consumer-protocol members may ask for; the first is the default' },
  'group.consumer.migration.policy': { type: 'STRING', default: 'bidirectional', validate: (v) => oneOf('disabled', 'upgrade', 'downgrade', 'bidirectional')(v.toLowerCase()), doc: 'conversions between classic and consumer groups (Kafka\'s values); Samsa converts empty groups whatever it says and never converts groups with members online' },
  'transaction.max.timeout.ms': { type: 'INT', default: '900000', validate: int(1), doc: 'largest transaction timeout' },
  'transactional.id.expiration.ms': { type: 'INT', default: '604800000', validate: int(1), doc: 'how long an idle transactional id is kept' },
  'transaction.remove.expired.transaction.cleanup.interval.ms': { type: 'INT', default: '3600000', validate: int(1), doc: 'how often idle transactional ids are looked for' },
  'transaction.state.log.segment.bytes': { type: 'INT', default: '104857600', validate: int(1), doc: 'segment size of __transaction_state' },
  'transaction.state.log.num.partitions': { type: 'INT', default: '50', validate: int(1), doc: 'partitions of __transaction_state' },
  'transaction.abort.timed.out.transaction.cleanup.interval.ms': { type: 'INT', default: '10000', validate: int(1), doc: 'how often transactions past their timeout are looked for and aborted' },
  ...Object.fromEntries(Object.entries(SECURITY_SETTINGS).map(([k, d]) => [k, { type: 'STRING' as const, ...d }])),
};

/** Kafka's other names for a setting. */
const ALIASES: Record<string, string> = { 'broker.id': 'node.id', 'log.dir': 'log.dirs' };

/**
 * Kafka settings Samsa accepts and ignores (threads, buffers, ZooKeeper/KRaft
 * wiring, replication of internal topics), so a Kafka server.properties
 * starts Samsa unchanged. Start-up logs which were ignored.
 */
export const IGNORED_KAFKA_SETTINGS = new Set([
  'num.network.threads', 'num.io.threads', 'num.replica.fetchers', 'num.recovery.threads.per.data.dir', 'background.threads',
  'socket.send.buffer.bytes', 'socket.receive.buffer.bytes', 'queued.max.requests',
  'zookeeper.connect', 'zookeeper.connection.timeout.ms', 'process.roles', 'controller.quorum.voters',
  'controller.quorum.bootstrap.servers', 'controller.listener.names', 'log.segment.delete.delay.ms', 'log.cleaner.enable', 'log.cleaner.threads',
]);

export const BROKER_SETTING_NAMES = Object.keys(BROKER_SETTINGS);

/** SAMSA_* variables that are not broker settings (read by the CLI). */
const NOT_BROKER_SETTINGS = new Set(['log.level', 'log.format', 'bootstrap']);

export { ConfigError };

/** Parses `key=value` lines (# and ! comments, blank lines) as Java properties files do, without escapes. */
export function parseProperties(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith('!')) continue;
    const m = /^([^=:\s]+)\s*[=:\s]\s*(.*)$/.exec(line);
    if (!m) throw new ConfigError(`cannot parse properties line: ${raw}`);
    out[m[1]!] = m[2]!.trim();
  }
  return out;
}

export interface ConfigSources {
  /** Settings from CLI flags, Kafka key names. */
  flags?: Record<string, string>;
  env?: NodeJS.ProcessEnv;
  /** Path of a properties file. */
  file?: string;
}

export class BrokerConfig {
  private constructor(
    private readonly values: Map<string, { value: string; source: 'default' | 'file' | 'env' | 'flag' }>,
    /** Kafka settings that were given and are ignored (IGNORED_KAFKA_SETTINGS). */
    readonly ignored: readonly string[] = [],
    /** listener.name.<listener>.<key> settings, by listener (upper case) and key. */
    private readonly perListener = new Map<string, Map<string, string>>(),
  ) {
    this.plan = planListeners({
      listeners: this.get('listeners'),
      advertisedListeners: this.get('advertised.listeners'),
      protocolMap: this.get('listener.security.protocol.map'),
      interBrokerListenerName: this.get('inter.broker.listener.name'),
      advertisedHost: this.get('advertised.host'),
      advertisedPort: this.get('advertised.port'),
    });
  }

  /** The listeners, checked together (names, protocols, advertised addresses, the inter-broker one). */
  readonly plan: ListenerPlan;

  static load(sources: ConfigSources = {}): BrokerConfig {
    const values = new Map<string, { value: string; source: 'default' | 'file' | 'env' | 'flag' }>();
    for (const [k, d] of Object.entries(BROKER_SETTINGS)) values.set(k, { value: d.default, source: 'default' });
    const ignored = new Set<string>();
    const perListener = new Map<string, Map<string, string>>();
    const apply = (entries: Record<string, string>, source: 'file' | 'env' | 'flag', where: string) => {
      for (const [name, raw] of Object.entries(entries)) {
        const key = ALIASES[name] ?? name;
        const value = raw.trim();
        if (IGNORED_KAFKA_SETTINGS.has(key)) { ignored.add(key); continue; }
        const prefixed = parseListenerKey(key);
        const def = BROKER_SETTINGS[prefixed?.key ?? key] ?? (prefixed ? { validate: undefined } : undefined);
        if (!def) throw new ConfigError(`unknown broker setting '${name}' in ${where}${didYouMean(name, [...BROKER_SETTING_NAMES, ...Object.keys(ALIASES)])}`);
        const err = def.validate?.(value);
        if (err) throw new ConfigError(`invalid value '${value}' for ${key} in ${where}: ${err}`);
        if (prefixed) {
          if (!perListener.has(prefixed.listener)) perListener.set(prefixed.listener, new Map());
          perListener.get(prefixed.listener)!.set(prefixed.key, value);
        } else {
          values.set(key, { value, source });
        }
      }
    };
    if (sources.file) apply(parseProperties(readFileSync(sources.file, 'utf8')), 'file', sources.file);
    const fromEnv: Record<string, string> = {};
    for (const [k, v] of Object.entries(sources.env ?? {})) {
      if (!k.startsWith('SAMSA_') || v === undefined) continue;
      const key = k.slice(6).toLowerCase().replace(/_/g, '.');
      if (NOT_BROKER_SETTINGS.has(key)) continue;
      fromEnv[key] = v;
    }
    apply(fromEnv, 'env', 'the environment (SAMSA_*)');
    apply(sources.flags ?? {}, 'flag', 'the command line');
    checkConsumerGroupBounds((k) => Number(values.get(k)!.value));
    return new BrokerConfig(values, [...ignored], perListener);
  }

  get(key: string): string {
    const v = this.values.get(key);
    if (!v) throw new Error(`unknown broker setting ${key}`);
    return v.value;
  }
  /** A setting as it applies to one listener: listener.name.<listener>.<key> when given, else the plain setting. */
  listenerSetting(listener: string, key: string): string {
    const own = this.perListener.get(listener.toUpperCase())?.get(key);
    if (own !== undefined) return own;
    return this.values.has(key) ? this.get(key) : '';
  }
  source(key: string): 'default' | 'file' | 'env' | 'flag' { return this.values.get(key)?.source ?? 'default'; }
  /** True when the setting was given (flag, env or file) with a non-empty value, not left at its default. */
  isSet(key: string): boolean { const v = this.values.get(key); return v !== undefined && v.source !== 'default' && v.value !== ''; }
  int(key: string): number { return Number(this.get(key)); }
  bool(key: string): boolean { return this.get(key) === 'true'; }
  entries(): [string, string][] { return [...this.values].map(([k, v]) => [k, v.value]); }
  /** A warning for each deprecated setting that was given, for the start-up log. */
  warnings(): string[] {
    return Object.entries(BROKER_SETTINGS).filter(([k, d]) => d.deprecated && this.isSet(k)).map(([k, d]) => `Broker configuration ${k} with value ${this.get(k)} ${d.deprecated}`);
  }

  /** The first listener's address (every interface: 0.0.0.0). */
  get listenHost(): string { return this.plan.listeners[0]!.host || '0.0.0.0'; }
  get listenPort(): number { return this.plan.listeners[0]!.port; }
  get nodeId(): number { return this.int('node.id'); }
  get dataDir(): string { return this.get('log.dirs'); }
}

/** Kafka's GroupCoordinatorConfig checks of the consumer protocol's timeouts against their bounds. */
function checkConsumerGroupBounds(n: (key: string) => number): void {
  const rules: [string, '>=' | '<=' | '<', string][] = [
    ['group.consumer.max.heartbeat.interval.ms', '>=', 'group.consumer.min.heartbeat.interval.ms'],
    ['group.consumer.heartbeat.interval.ms', '>=', 'group.consumer.min.heartbeat.interval.ms'],
    ['group.consumer.heartbeat.interval.ms', '<=', 'group.consumer.max.heartbeat.interval.ms'],
    ['group.consumer.max.session.timeout.ms', '>=', 'group.consumer.min.session.timeout.ms'],
    ['group.consumer.session.timeout.ms', '>=', 'group.consumer.min.session.timeout.ms'],
    ['group.consumer.session.timeout.ms', '<=', 'group.consumer.max.session.timeout.ms'],
    ['group.consumer.heartbeat.interval.ms', '<', 'group.consumer.session.timeout.ms'],
  ];
  for (const [a, op, b] of rules) {
    const ok = op === '>=' ? n(a) >= n(b) : op === '<=' ? n(a) <= n(b) : n(a) < n(b);
    if (!ok) throw new ConfigError(`${a} must be ${op === '>=' ? 'greater than or equal to' : op === '<=' ? 'less than or equal to' : 'less than'} ${b}`);
  }
}

/** etcd://host:port[,host:port...][/prefix]: the endpoints and key prefix of an etcd metadata store. */
export function parseMetadataUrl(v: string): { endpoints: string[]; prefix: string } | undefined {
  const m = /^etcd:\/\/([^/]+)(\/.*)?$/.exec(v);
  if (!m) return undefined;
  const endpoints = m[1]!.split(',');
  if (endpoints.some((e) => !/^[^:,]+:\d{1,5}$/.test(e))) return undefined;
  const prefix = (m[2] ?? '/samsa').replace(/\/+$/, '');
  return { endpoints, prefix: prefix === '' ? '/samsa' : prefix };
}

function metadataUrl(v: string): string | undefined {
  if (v === '' || parseMetadataUrl(v)) return undefined;
  return `expected etcd://host:port[,host:port...][/prefix] (e.g. etcd://127.0.0.1:2379/samsa/dev), got ${v}`;
}
