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
  /** The broker config this falls back to (Kafka's synonym), if any. */
  brokerSynonym?: string;
  /** Returns an error message, or undefined when `value` is acceptable. */
  validate?(value: string): string | undefined;
  doc: string;
}

const LONG_MAX = '9223372036854775807';

function int(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (v: string) => {
    if (!/^-?\d+$/.test(v.trim())) return `must be an integer`;
    const n = Number(v);
    return n < min || n > max ? `must be between ${min} and ${max}` : undefined;
  };
}
function oneOf(...values: string[]) {
  return (v: string) => (values.includes(v) ? undefined : `must be one of ${values.join(', ')}`);
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
  return Number.isNaN(n) || n < 0 || n > 1 ? 'must be a number between 0 and 1' : undefined;
}
const bool = oneOf('true', 'false');

export const TOPIC_CONFIGS: readonly TopicConfigDef[] = [
  { name: 'cleanup.policy', type: 'LIST', default: 'delete', brokerSynonym: 'log.cleanup.policy', validate: listOf('delete', 'compact'), doc: 'delete old segments, compact by key, or both' },
  { name: 'compression.type', type: 'STRING', default: 'producer', brokerSynonym: 'compression.type', validate: oneOf('uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'), doc: 'codec batches are stored with; producer keeps what the producer sent' },
  { name: 'delete.retention.ms', type: 'LONG', default: '86400000', brokerSynonym: 'log.cleaner.delete.retention.ms', validate: int(0), doc: 'how long tombstones survive compaction' },
  { name: 'file.delete.delay.ms', type: 'LONG', default: '60000', brokerSynonym: 'log.segment.delete.delay.ms', validate: int(0), doc: 'delay before a deleted segment file is removed' },
  { name: 'flush.messages', type: 'LONG', default: LONG_MAX, brokerSynonym: 'log.flush.interval.messages', validate: int(1), doc: 'fsync after this many messages' },
  { name: 'flush.ms', type: 'LONG', default: LONG_MAX, brokerSynonym: 'log.flush.interval.ms', validate: int(0), doc: 'fsync after this much time' },
  { name: 'index.interval.bytes', type: 'INT', default: '4096', brokerSynonym: 'log.index.interval.bytes', validate: int(0, 2147483647), doc: 'bytes between offset index entries' },
  { name: 'max.compaction.lag.ms', type: 'LONG', default: LONG_MAX, brokerSynonym: 'log.cleaner.max.compaction.lag.ms', validate: int(1), doc: 'longest time a record stays uncompacted' },
  { name: 'max.message.bytes', type: 'INT', default: '1048588', brokerSynonym: 'message.max.bytes', validate: int(0, 2147483647), doc: 'largest record batch the topic accepts' },
  { name: 'message.timestamp.type', type: 'STRING', default: 'CreateTime', brokerSynonym: 'log.message.timestamp.type', validate: oneOf('CreateTime', 'LogAppendTime'), doc: 'producer time or broker append time' },
  { name: 'message.timestamp.before.max.ms', type: 'LONG', default: LONG_MAX, brokerSynonym: 'log.message.timestamp.before.max.ms', validate: int(0), doc: 'how far in the past a CreateTime may be' },
  { name: 'message.timestamp.after.max.ms', type: 'LONG', default: LONG_MAX, brokerSynonym: 'log.message.timestamp.after.max.ms', validate: int(0), doc: 'how far in the future a CreateTime may be' },
  { name: 'min.cleanable.dirty.ratio', type: 'DOUBLE', default: '0.5', brokerSynonym: 'log.cleaner.min.cleanable.ratio', validate: ratio, doc: 'dirty share of the log that triggers compaction' },
  { name: 'min.compaction.lag.ms', type: 'LONG', default: '0', brokerSynonym: 'log.cleaner.min.compaction.lag.ms', validate: int(0), doc: 'youngest record compaction may touch' },
  { name: 'min.insync.replicas', type: 'INT', default: '1', brokerSynonym: 'min.insync.replicas', validate: int(1, 2147483647), doc: 'replicas that must acknowledge an acks=all write' },
  { name: 'preallocate', type: 'BOOLEAN', default: 'false', brokerSynonym: 'log.preallocate', validate: bool, doc: 'preallocate segment files' },
  { name: 'retention.bytes', type: 'LONG', default: '-1', brokerSynonym: 'log.retention.bytes', validate: int(-1), doc: 'size a partition may reach before old segments go; -1 unlimited' },
  { name: 'retention.ms', type: 'LONG', default: '604800000', brokerSynonym: 'log.retention.ms', validate: int(-1), doc: 'age after which segments are deleted; -1 forever' },
  { name: 'segment.bytes', type: 'INT', default: '1073741824', brokerSynonym: 'log.segment.bytes', validate: int(14, 2147483647), doc: 'segment file size' },
  { name: 'segment.index.bytes', type: 'INT', default: '10485760', brokerSynonym: 'log.index.size.max.bytes', validate: int(4, 2147483647), doc: 'offset index file size' },
  { name: 'segment.jitter.ms', type: 'LONG', default: '0', brokerSynonym: 'log.roll.jitter.ms', validate: int(0), doc: 'random jitter on time-based rolls' },
  { name: 'segment.ms', type: 'LONG', default: '604800000', brokerSynonym: 'log.roll.ms', validate: int(1), doc: 'age after which a segment rolls' },
  { name: 'unclean.leader.election.enable', type: 'BOOLEAN', default: 'false', brokerSynonym: 'unclean.leader.election.enable', validate: bool, doc: 'allow out-of-sync replicas to lead' },
  { name: 'message.downconversion.enable', type: 'BOOLEAN', default: 'true', brokerSynonym: 'log.message.downconversion.enable', validate: bool, doc: 'accepted for compatibility; Samsa never down-converts' },
];

const BY_NAME = new Map(TOPIC_CONFIGS.map((d) => [d.name, d]));
export const TOPIC_CONFIG_NAMES = TOPIC_CONFIGS.map((d) => d.name);

export function topicConfigDef(name: string): TopicConfigDef | undefined {
  return BY_NAME.get(name);
}

/** Undefined when the setting is valid, else a message for INVALID_CONFIG. */
export function validateTopicConfig(name: string, value: string | null): string | undefined {
  const def = BY_NAME.get(name);
  if (!def) return `Unknown topic config name: ${name}${didYouMean(name, TOPIC_CONFIG_NAMES)}`;
  if (value === null) return `Null value not supported for topic configs: ${name}`;
  const err = def.validate?.(value.trim());
  return err ? `Invalid value ${value} for configuration ${name}: ${err}` : undefined;
}

/** Topic overrides as a full map: each known config's effective value with its source. */
export type TopicOverrides = Record<string, string>;
