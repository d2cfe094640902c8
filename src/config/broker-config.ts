/**
 * Broker settings with Kafka's key names. Sources, highest first: CLI flags,
 * SAMSA_* environment variables (SAMSA_AUTO_CREATE_TOPICS_ENABLE=false sets
 * auto.create.topics.enable), a properties file (--config), defaults. An
 * unknown key or a bad value stops start-up with a message naming it (and a
 * "did you mean" suggestion).
 */
import { readFileSync } from 'node:fs';
import { didYouMean } from './did-you-mean.js';

interface BrokerSettingDef { default: string; validate?: (v: string) => string | undefined; doc: string }

const int = (min: number) => (v: string) => (/^-?\d+$/.test(v) && Number(v) >= min ? undefined : `must be an integer >= ${min}`);
const bool = (v: string) => (v === 'true' || v === 'false' ? undefined : 'must be true or false');
const hostPort = (v: string) => (/^[^:\s]*:\d{1,5}$/.test(v) ? undefined : 'must be host:port');

export const BROKER_SETTINGS: Record<string, BrokerSettingDef> = {
  'listeners': { default: '127.0.0.1:9092', validate: hostPort, doc: 'address to listen on (host:port; port 0 picks a free one)' },
  'advertised.host': { default: '', doc: 'host clients are told to connect to (default: the listen host)' },
  'advertised.port': { default: '', validate: (v) => (v === '' ? undefined : int(1)(v)), doc: 'port clients are told to connect to (default: the listen port)' },
  'log.dirs': { default: './data', doc: 'data directory' },
  'node.id': { default: '0', validate: int(0), doc: 'this broker\'s id' },
  'auto.create.topics.enable': { default: 'true', validate: bool, doc: 'create unknown topics on metadata/produce' },
  'num.partitions': { default: '1', validate: int(1), doc: 'partitions of auto-created topics' },
  'default.replication.factor': { default: '1', validate: int(1), doc: 'replication factor of auto-created topics' },
  'delete.topic.enable': { default: 'true', validate: bool, doc: 'allow DeleteTopics' },
  'log.retention.hours': { default: '168', validate: int(-1), doc: 'retention.ms default, in hours' },
  'log.retention.ms': { default: '', validate: (v) => (v === '' ? undefined : int(-1)(v)), doc: 'retention.ms default (overrides hours)' },
  'log.retention.bytes': { default: '-1', validate: int(-1), doc: 'retention.bytes default' },
  'log.segment.bytes': { default: '1073741824', validate: int(14), doc: 'segment.bytes default' },
  'log.roll.ms': { default: '', validate: (v) => (v === '' ? undefined : int(1)(v)), doc: 'segment.ms default' },
  'log.cleanup.policy': { default: 'delete', doc: 'cleanup.policy default' },
  'log.flush.interval.messages': { default: '9223372036854775807', validate: int(1), doc: 'fsync after this many messages (1 = every append)' },
  'log.flush.interval.ms': { default: '', validate: (v) => (v === '' ? undefined : int(0)(v)), doc: 'fsync after this much time' },
  'log.retention.check.interval.ms': { default: '300000', validate: int(1), doc: 'how often retention runs' },
  'message.max.bytes': { default: '1048588', validate: int(0), doc: 'max.message.bytes default' },
  'compression.type': { default: 'producer', doc: 'compression.type default' },
  'min.insync.replicas': { default: '1', validate: int(1), doc: 'min.insync.replicas default' },
  'socket.request.max.bytes': { default: '104857600', validate: int(1), doc: 'largest request frame accepted' },
  'offsets.topic.num.partitions': { default: '50', validate: int(1), doc: 'partitions of __consumer_offsets' },
  'offsets.retention.minutes': { default: '10080', validate: int(1), doc: 'how long offsets of empty groups are kept' },
  'group.initial.rebalance.delay.ms': { default: '0', validate: int(0), doc: 'wait for more members before the first rebalance (Kafka: 3000; Samsa: 0 for fast dev loops)' },
  'group.min.session.timeout.ms': { default: '6000', validate: int(0), doc: 'smallest session timeout a member may ask for' },
  'group.max.session.timeout.ms': { default: '1800000', validate: int(0), doc: 'largest session timeout a member may ask for' },
  'group.max.size': { default: '2147483647', validate: int(1), doc: 'members per group' },
  'transaction.max.timeout.ms': { default: '900000', validate: int(1), doc: 'largest transaction timeout' },
};

export const BROKER_SETTING_NAMES = Object.keys(BROKER_SETTINGS);

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

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
  private constructor(private readonly values: Map<string, { value: string; source: 'default' | 'file' | 'env' | 'flag' }>) {}

  static load(sources: ConfigSources = {}): BrokerConfig {
    const values = new Map<string, { value: string; source: 'default' | 'file' | 'env' | 'flag' }>();
    for (const [k, d] of Object.entries(BROKER_SETTINGS)) values.set(k, { value: d.default, source: 'default' });
    const apply = (entries: Record<string, string>, source: 'file' | 'env' | 'flag', where: string) => {
      for (const [key, value] of Object.entries(entries)) {
        const def = BROKER_SETTINGS[key];
        if (!def) throw new ConfigError(`unknown broker setting '${key}' in ${where}${didYouMean(key, BROKER_SETTING_NAMES)}`);
        const err = def.validate?.(value);
        if (err) throw new ConfigError(`invalid value '${value}' for ${key} in ${where}: ${err}`);
        values.set(key, { value, source });
      }
    };
    if (sources.file) apply(parseProperties(readFileSync(sources.file, 'utf8')), 'file', sources.file);
    const fromEnv: Record<string, string> = {};
    for (const [k, v] of Object.entries(sources.env ?? {})) {
      if (!k.startsWith('SAMSA_') || v === undefined) continue;
      const key = k.slice(6).toLowerCase().replace(/_/g, '.');
      if (['log.level'].includes(key)) continue;
      fromEnv[key] = v;
    }
    apply(fromEnv, 'env', 'the environment (SAMSA_*)');
    apply(sources.flags ?? {}, 'flag', 'the command line');
    return new BrokerConfig(values);
  }

  get(key: string): string {
    const v = this.values.get(key);
    if (!v) throw new Error(`unknown broker setting ${key}`);
    return v.value;
  }
  source(key: string): 'default' | 'file' | 'env' | 'flag' { return this.values.get(key)?.source ?? 'default'; }
  int(key: string): number { return Number(this.get(key)); }
  bool(key: string): boolean { return this.get(key) === 'true'; }
  entries(): [string, string][] { return [...this.values].map(([k, v]) => [k, v.value]); }

  get listenHost(): string { return this.get('listeners').split(':')[0] || '0.0.0.0'; }
  get listenPort(): number { return Number(this.get('listeners').split(':')[1]); }
  get nodeId(): number { return this.int('node.id'); }
  get dataDir(): string { return this.get('log.dirs'); }

  /** The broker-level value behind a topic config's synonym (Kafka's fallback chain), or undefined. */
  topicDefault(brokerKey: string): string | undefined {
    switch (brokerKey) {
      case 'log.retention.ms': {
        const ms = this.get('log.retention.ms');
        return ms !== '' ? ms : String(this.int('log.retention.hours') * 3_600_000);
      }
      case 'log.roll.ms': return this.get('log.roll.ms') || undefined;
      case 'log.flush.interval.ms': return this.get('log.flush.interval.ms') || undefined;
      default: return this.values.has(brokerKey) ? this.get(brokerKey) : undefined;
    }
  }
}
