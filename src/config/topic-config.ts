/**
 * Topic configs: the names Kafka knows for topics, their types, defaults,
 * validation, and the broker setting each falls back to (its synonym), so
 * DescribeConfigs can report sources the way Kafka does. A name Kafka does not
 * know is INVALID_CONFIG with a "did you mean" suggestion.
 */
import { didYouMean } from './did-you-mean.js';

export type ConfigType = 'BOOLEAN' | 'STRING' | 'INT' | 'SHORT' | 'LONG' | 'DOUBLE' | 'LIST' | 'CLASS' | 'PASSWORD';

export interface TopicConfigDef {
  name: string;
  type: ConfigType;
  /** Kafka's default as Kafka prints it. */
  default: string;
  /**
   * The broker settings this falls back to when the topic has no override
   * (Kafka 3.9's ServerTopicConfigSynonyms), highest precedence first:
   * retention.ms <- log.retention.ms <- log.retention.minutes <-
   * log.retention.hours. Only the last has a broker default. Empty for
   * configs Kafka gives no broker synonym (throttled replicas, remote.*).
   */
  synonyms: readonly string[];
  /** Returns an error message, or undefined when `value` is acceptable. */
  validate?(value: string): string | undefined;
  doc: string;
  /** A deprecated config Kafka 3.9 still accepts: what setting it does (logged as a warning). */
  deprecated?: string;
}

const LONG_MAX = '9223372036854775807';
const INT_MAX = 2147483647n;

function range(min: bigint, max: bigint) {
  return (v: string) => {
    if (!/^[+-]?\d+$/.test(v.trim())) return 'must be an integer';
    const n = BigInt(v.trim());
    if (n < min) return `must be at least ${min}`;
    return n > max ? `must be at most ${max}` : undefined;
  };
}
/** An INT config: a Java int at least `min`. */
const int = (min: number, max = INT_MAX) => range(BigInt(min), max);
/** A LONG config: a Java long at least `min`. */
const long = (min: number) => range(BigInt(min), BigInt(LONG_MAX));
function oneOf(...values: string[]) {
  return (v: string) => (values.includes(v.trim()) ? undefined : `must be one of ${values.join(', ')}`);
}
function listOf(...values: string[]) {
  return (v: string) => {
    const items = v.split(',').map((s) => s.trim()).filter(Boolean);
    if (items.length === 0) return `must be a non-empty list of ${values.join(', ')}`;
    const bad = items.find((i) => !values.includes(i));
    return bad ? `'${bad}' is not one of ${values.join(', ')}` : undefined;
  };
}
function ratio(v: string) {
  const n = Number(v);
  return v.trim() === '' || Number.isNaN(n) || n < 0 || n > 1 ? 'must be a number between 0 and 1' : undefined;
}
/** Kafka's throttled-replicas syntax: empty, `*`, or partition:broker pairs. */
function throttledReplicas(v: string) {
  const s = v.trim();
  return s === '' || s === '*' || /^\d+:\d+(\s*,\s*\d+:\d+)*$/.test(s) ? undefined : 'must be *, or a list of partitionId:brokerId';
}
/** Java's Boolean parse, as ConfigDef's: true or false in any case (normalized before validation). */
const bool = oneOf('true', 'false');
/**
 * Kafka's message format / inter-broker protocol versions as
 * MetadataVersion.fromVersionString reads them: a release (0.8.0-0.11.0,
 * 1.0-3.9), optionally with an -IVn suffix, further segments ignored.
 */
export function kafkaVersionError(v: string): string | undefined {
  const m = /^(0\.(?:8\.[0-2]|9\.0|10\.[0-2]|11\.0)|1\.[01]|2\.[0-8]|3\.[0-9])(?:-IV\d+|(?:\.\d+)*)$/.exec(v.trim());
  return m ? undefined : `Version ${v.trim()} is not a valid version`;
}
const IGNORED = 'accepted for compatibility; Samsa has no ';

export const TOPIC_CONFIGS: readonly TopicConfigDef[] = [
  { name: 'cleanup.policy', type: 'LIST', default: 'delete', synonyms: ['log.cleanup.policy'], validate: listOf('delete', 'compact'), doc: 'delete old segments, compact by key, or both' },
  { name: 'compression.gzip.level', type: 'INT', default: '-1', synonyms: ['compression.gzip.level'], validate: (v) => (v.trim() === '-1' ? undefined : int(1, 9n)(v)), doc: 'gzip level when compression.type is gzip (-1: the codec default)' },
  { name: 'compression.lz4.level', type: 'INT', default: '9', synonyms: ['compression.lz4.level'], validate: int(1, 17n), doc: 'lz4 level when compression.type is lz4' },
  { name: 'compression.type', type: 'STRING', default: 'producer', synonyms: ['compression.type'], validate: oneOf('uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'), doc: 'codec batches are stored with; producer keeps what the producer sent' },
  { name: 'compression.zstd.level', type: 'INT', default: '3', synonyms: ['compression.zstd.level'], validate: int(-131072, 22n), doc: 'zstd level when compression.type is zstd' },
  { name: 'delete.retention.ms', type: 'LONG', default: '86400000', synonyms: ['log.cleaner.delete.retention.ms'], validate: long(0), doc: 'how long tombstones survive compaction' },
  { name: 'file.delete.delay.ms', type: 'LONG', default: '60000', synonyms: ['log.segment.delete.delay.ms'], validate: long(0), doc: 'delay before a deleted segment file is removed' },
  { name: 'flush.messages', type: 'LONG', default: LONG_MAX, synonyms: ['log.flush.interval.messages'], validate: long(1), doc: 'fsync after this many messages' },
  { name: 'flush.ms', type: 'LONG', default: LONG_MAX, synonyms: ['log.flush.interval.ms', 'log.flush.scheduler.interval.ms'], validate: long(0), doc: 'fsync after this much time' },
  { name: 'follower.replication.throttled.replicas', type: 'LIST', default: '', synonyms: [], validate: throttledReplicas, doc: IGNORED + 'replication throttling' },
  { name: 'index.interval.bytes', type: 'INT', default: '4096', synonyms: ['log.index.interval.bytes'], validate: int(0), doc: 'bytes between offset index entries' },
  { name: 'leader.replication.throttled.replicas', type: 'LIST', default: '', synonyms: [], validate: throttledReplicas, doc: IGNORED + 'replication throttling' },
  { name: 'local.retention.bytes', type: 'LONG', default: '-2', synonyms: ['log.local.retention.bytes'], validate: long(-2), doc: IGNORED + 'tiered storage' },
  { name: 'local.retention.ms', type: 'LONG', default: '-2', synonyms: ['log.local.retention.ms'], validate: long(-2), doc: IGNORED + 'tiered storage' },
  { name: 'max.compaction.lag.ms', type: 'LONG', default: LONG_MAX, synonyms: ['log.cleaner.max.compaction.lag.ms'], validate: long(1), doc: 'longest time a record stays uncompacted' },
  { name: 'max.message.bytes', type: 'INT', default: '1048588', synonyms: ['message.max.bytes'], validate: int(0), doc: 'largest record batch the topic accepts' },
  { name: 'message.downconversion.enable', type: 'BOOLEAN', default: 'true', synonyms: ['log.message.downconversion.enable'], validate: bool, doc: 'accepted for compatibility; Samsa never down-converts' },
  {
    name: 'message.format.version', type: 'STRING', default: '3.0-IV1', synonyms: ['log.message.format.version'], validate: kafkaVersionError,
    doc: '[DEPRECATED] accepted and ignored, as Kafka 3.x does with inter.broker.protocol.version 3.0 or later: Samsa stores record batches v2',
    deprecated: 'is ignored: Samsa stores record batch format v2, as Kafka 3.x does with inter.broker.protocol.version 3.0 or later. This configuration is deprecated and was removed in Apache Kafka 4.0.',
  },
  { name: 'message.timestamp.after.max.ms', type: 'LONG', default: LONG_MAX, synonyms: ['log.message.timestamp.after.max.ms'], validate: long(0), doc: 'how far in the future a CreateTime may be' },
  { name: 'message.timestamp.before.max.ms', type: 'LONG', default: LONG_MAX, synonyms: ['log.message.timestamp.before.max.ms'], validate: long(0), doc: 'how far in the past a CreateTime may be' },
  {
    name: 'message.timestamp.difference.max.ms', type: 'LONG', default: LONG_MAX, synonyms: ['log.message.timestamp.difference.max.ms'], validate: long(0),
    doc: '[DEPRECATED] how far a CreateTime may be from the broker time, either way; used for message.timestamp.before.max.ms and message.timestamp.after.max.ms while they are left at their default',
    deprecated: 'is deprecated (Kafka 3.6, removed in 4.0): it applies as message.timestamp.before.max.ms and message.timestamp.after.max.ms where those are left at their default.',
  },
  { name: 'message.timestamp.type', type: 'STRING', default: 'CreateTime', synonyms: ['log.message.timestamp.type'], validate: oneOf('CreateTime', 'LogAppendTime'), doc: 'producer time or broker append time' },
  { name: 'min.cleanable.dirty.ratio', type: 'DOUBLE', default: '0.5', synonyms: ['log.cleaner.min.cleanable.ratio'], validate: ratio, doc: 'dirty share of the log that triggers compaction' },
  { name: 'min.compaction.lag.ms', type: 'LONG', default: '0', synonyms: ['log.cleaner.min.compaction.lag.ms'], validate: long(0), doc: 'youngest record compaction may touch' },
  { name: 'min.insync.replicas', type: 'INT', default: '1', synonyms: ['min.insync.replicas'], validate: int(1), doc: 'replicas that must acknowledge an acks=all write' },
  { name: 'preallocate', type: 'BOOLEAN', default: 'false', synonyms: ['log.preallocate'], validate: bool, doc: 'preallocate segment files' },
  { name: 'remote.log.copy.disable', type: 'BOOLEAN', default: 'false', synonyms: [], validate: bool, doc: IGNORED + 'tiered storage' },
  { name: 'remote.log.delete.on.disable', type: 'BOOLEAN', default: 'false', synonyms: [], validate: bool, doc: IGNORED + 'tiered storage' },
  { name: 'remote.storage.enable', type: 'BOOLEAN', default: 'false', synonyms: [], validate: bool, doc: IGNORED + 'tiered storage' },
  { name: 'retention.bytes', type: 'LONG', default: '-1', synonyms: ['log.retention.bytes'], validate: long(-1), doc: 'size a partition may reach before old segments go; -1 unlimited' },
  { name: 'retention.ms', type: 'LONG', default: '604800000', synonyms: ['log.retention.ms', 'log.retention.minutes', 'log.retention.hours'], validate: long(-1), doc: 'age after which segments are deleted; -1 forever' },
  { name: 'segment.bytes', type: 'INT', default: '1073741824', synonyms: ['log.segment.bytes'], validate: int(14), doc: 'segment file size' },
  { name: 'segment.index.bytes', type: 'INT', default: '10485760', synonyms: ['log.index.size.max.bytes'], validate: int(4), doc: 'offset index file size' },
  { name: 'segment.jitter.ms', type: 'LONG', default: '0', synonyms: ['log.roll.jitter.ms', 'log.roll.jitter.hours'], validate: long(0), doc: 'random jitter on time-based rolls' },
  { name: 'segment.ms', type: 'LONG', default: '604800000', synonyms: ['log.roll.ms', 'log.roll.hours'], validate: long(1), doc: 'age after which a segment rolls' },
  { name: 'unclean.leader.election.enable', type: 'BOOLEAN', default: 'false', synonyms: ['unclean.leader.election.enable'], validate: bool, doc: 'allow out-of-sync replicas to lead' },
];

/** Broker settings kept in other units than the topic config they default (hours, minutes -> ms). */
const SYNONYM_SCALE: Record<string, number> = {
  'log.retention.hours': 3_600_000, 'log.retention.minutes': 60_000, 'log.roll.hours': 3_600_000, 'log.roll.jitter.hours': 3_600_000,
};

/** A broker synonym's value in its topic config's units. */
export function synonymToTopicValue(synonym: string, value: string): string {
  const scale = SYNONYM_SCALE[synonym];
  if (scale === undefined) return value;
  const n = BigInt(value);
  return n < 0n ? '-1' : String(n * BigInt(scale));
}

const BY_NAME = new Map(TOPIC_CONFIGS.map((d) => [d.name, d]));
export const TOPIC_CONFIG_NAMES = TOPIC_CONFIGS.map((d) => d.name);

export function topicConfigDef(name: string): TopicConfigDef | undefined {
  return BY_NAME.get(name);
}

/** A double as Java's Double.toString prints it (0.5, 1.0, 1.0E-5). */
function javaDouble(n: number): string {
  if (n !== 0 && (Math.abs(n) < 1e-3 || Math.abs(n) >= 1e7)) {
    const [m, e] = n.toExponential().split('e') as [string, string];
    return `${m.includes('.') ? m : `${m}.0`}E${Number(e)}`;
  }
  return Number.isInteger(n) ? n.toFixed(1) : String(n);
}

/**
 * A topic config value as Kafka stores and describes it once parsed
 * (ConfigDef.parseType, then convertToString): trimmed; booleans in lower
 * case (TRUE is true); integers without sign or leading zeros (+0100 is 100);
 * doubles as Java prints them (.50 is 0.5); lists without the blanks around
 * commas. A value that does not parse is returned trimmed, for validation to refuse.
 */
export function normalizeTopicConfig(name: string, value: string): string {
  const v = value.trim();
  switch (BY_NAME.get(name)?.type) {
    case 'BOOLEAN': return /^(true|false)$/i.test(v) ? v.toLowerCase() : v;
    case 'INT': case 'LONG': case 'SHORT': return /^[+-]?\d+$/.test(v) ? BigInt(v).toString() : v;
    case 'DOUBLE': return v !== '' && Number.isFinite(Number(v)) ? javaDouble(Number(v)) : v;
    case 'LIST': return v === '' ? '' : v.split(/\s*,\s*/).join(',');
    default: return v;
  }
}

/** Undefined when the setting is valid, else a message for INVALID_CONFIG. */
export function validateTopicConfig(name: string, value: string | null): string | undefined {
  const def = BY_NAME.get(name);
  if (!def) return `Unknown topic config name: ${name}${didYouMean(name, TOPIC_CONFIG_NAMES)}`;
  if (value === null) return `Null value not supported for topic configs: ${name}`;
  const err = def.validate?.(normalizeTopicConfig(name, value));
  return err ? `Invalid value ${value} for configuration ${name}: ${err}` : undefined;
}
