/**
 * Topics as the broker sees them: cluster metadata (src/controller) plus the
 * partition logs (src/log) plus effective configs. Creating, deleting, growing
 * and reconfiguring topics go through here so metadata and logs never
 * disagree. Protocol outcomes are thrown as KafkaError.
 */
import { statfsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ErrorCode, KafkaError } from '../wire/errors.js';
import type { BrokerConfig } from '../config/broker-config.js';
import { TOPIC_CONFIGS, topicConfigDef, validateTopicConfig, synonymToTopicValue, type TopicConfigDef } from '../config/topic-config.js';
import { BROKER_SETTINGS } from '../config/broker-config.js';
import { topicNameError, type MetadataStore, type TopicMetadata } from '../controller/metadata-store.js';
import type { LogManager } from '../log/log-manager.js';
import type { LogConfig } from '../log/log-config.js';
import type { DataPathTopicConfig, PartitionHandle } from './replica-manager.js';

export type ConfigSource = 'DYNAMIC_TOPIC_CONFIG' | 'STATIC_BROKER_CONFIG' | 'DEFAULT_CONFIG';
export interface EffectiveConfig { name: string; value: string; source: ConfigSource; synonyms: { name: string; value: string; source: ConfigSource }[] }

const LONG_MAX = 9223372036854775807;
const asNumber = (v: string) => (Number(v) >= LONG_MAX ? Infinity : Number(v));

export const INTERNAL_TOPICS = new Set(['__consumer_offsets', '__transaction_state']);

export class TopicManager {
  /** Notified when a topic's partitions go away (the replica manager forgets their state). */
  onPartitionRemoved: (topic: string, partition: number) => void = () => {};

  constructor(readonly metadata: MetadataStore, readonly logs: LogManager, readonly config: BrokerConfig) {}

  /**
   * Every topic config with its value and where it comes from, as
   * DescribeConfigs reports them: the topic's override (DYNAMIC_TOPIC_CONFIG),
   * else the first broker synonym that was set (STATIC_BROKER_CONFIG, in its
   * own units, e.g. log.retention.hours), else the default (DEFAULT_CONFIG).
   * Synonyms are listed in that order.
   */
  effectiveConfigs(t: TopicMetadata): EffectiveConfig[] {
    return TOPIC_CONFIGS.map((def) => this.resolve(t, def));
  }

  private resolve(t: TopicMetadata, def: TopicConfigDef): EffectiveConfig {
    const synonyms: EffectiveConfig['synonyms'] = [];
    const override = t.configs[def.name];
    if (override !== undefined) synonyms.push({ name: def.name, value: override, source: 'DYNAMIC_TOPIC_CONFIG' });
    for (const key of def.synonyms) {
      if (this.config.isSet(key)) synonyms.push({ name: key, value: this.config.get(key), source: 'STATIC_BROKER_CONFIG' });
    }
    const last = def.synonyms[def.synonyms.length - 1];
    const brokerDefault = last !== undefined ? BROKER_SETTINGS[last]?.default : undefined;
    synonyms.push(last !== undefined && brokerDefault
      ? { name: last, value: brokerDefault, source: 'DEFAULT_CONFIG' }
      : { name: last ?? def.name, value: def.default, source: 'DEFAULT_CONFIG' });
    const top = synonyms[0]!;
    const value = top.source === 'DYNAMIC_TOPIC_CONFIG' ? top.value : synonymToTopicValue(top.name, top.value);
    return { name: def.name, value, source: top.source, synonyms };
  }

  /** A topic config's effective value. */
  value(t: TopicMetadata, name: string): string {
    const def = topicConfigDef(name);
    if (!def) throw new Error(`unknown topic config ${name}`);
    return this.resolve(t, def).value;
  }

  logConfig(t: TopicMetadata): Partial<LogConfig> {
    return {
      segmentBytes: asNumber(this.value(t, 'segment.bytes')),
      segmentMs: asNumber(this.value(t, 'segment.ms')),
      retentionMs: asNumber(this.value(t, 'retention.ms')),
      retentionBytes: asNumber(this.value(t, 'retention.bytes')),
      flushMessages: asNumber(this.value(t, 'flush.messages')),
      flushMs: asNumber(this.value(t, 'flush.ms')),
      indexIntervalBytes: asNumber(this.value(t, 'index.interval.bytes')),
      segmentIndexBytes: asNumber(this.value(t, 'segment.index.bytes')),
      deletePolicy: this.value(t, 'cleanup.policy').split(',').map((p) => p.trim()).includes('delete'),
      compactPolicy: this.value(t, 'cleanup.policy').split(',').map((p) => p.trim()).includes('compact'),
      deleteRetentionMs: asNumber(this.value(t, 'delete.retention.ms')),
      minCleanableDirtyRatio: Number(this.value(t, 'min.cleanable.dirty.ratio')),
      minCompactionLagMs: asNumber(this.value(t, 'min.compaction.lag.ms')),
    };
  }

  dataPathConfig(t: TopicMetadata): DataPathTopicConfig {
    const policy = this.value(t, 'cleanup.policy').split(',').map((s) => s.trim());
    return {
      maxMessageBytes: asNumber(this.value(t, 'max.message.bytes')),
      logAppendTime: this.value(t, 'message.timestamp.type') === 'LogAppendTime',
      compressionType: this.value(t, 'compression.type'),
      minInsyncReplicas: asNumber(this.value(t, 'min.insync.replicas')),
      compactOnly: policy.includes('compact') && !policy.includes('delete'),
      compacted: policy.includes('compact'),
      segmentBytes: asNumber(this.value(t, 'segment.bytes')),
      timestampBeforeMaxMs: asNumber(this.value(t, 'message.timestamp.before.max.ms')),
      timestampAfterMaxMs: asNumber(this.value(t, 'message.timestamp.after.max.ms')),
    };
  }

  /** Bytes of a partition's log on disk; undefined when the partition does not exist. */
  partitionSize(topic: string, partition: number): number | undefined {
    const t = this.metadata.topic(topic);
    if (!t || partition < 0 || partition >= t.partitions) return undefined;
    return this.logs.get(topic, partition)?.sizeInBytes() ?? 0;
  }

  /** The data directory (the one log dir) with its file system's total and usable bytes (-1 when unknown). */
  logDir(): { path: string; totalBytes: bigint; usableBytes: bigint } {
    const path = resolve(this.config.dataDir);
    try {
      const s = statfsSync(path);
      return { path, totalBytes: BigInt(s.blocks) * BigInt(s.bsize), usableBytes: BigInt(s.bavail) * BigInt(s.bsize) };
    } catch {
      return { path, totalBytes: -1n, usableBytes: -1n };
    }
  }

  /** The replica manager's view of a partition; undefined when the topic or partition does not exist. */
  lookup = (topic: string, partition: number): PartitionHandle | undefined => {
    const t = this.metadata.topic(topic);
    if (!t || partition < 0 || partition >= t.partitions) return undefined;
    const log = this.logs.get(topic, partition) ?? this.logs.create(topic, partition, this.logConfig(t));
    return { log, config: this.dataPathConfig(t), leaderEpoch: 0 };
  };

  validateConfigs(configs: Record<string, string | null>): void {
    for (const [name, value] of Object.entries(configs)) {
      const err = validateTopicConfig(name, value);
      if (err) throw new KafkaError(ErrorCode.INVALID_CONFIG, err);
    }
  }

  /** Validates and (unless validateOnly) creates a topic with its partition logs. */
  createTopic(name: string, partitions: number, replicationFactor: number, configs: Record<string, string | null>, validateOnly = false): TopicMetadata {
    const nameErr = topicNameError(name);
    if (nameErr) throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, nameErr);
    if (this.metadata.topic(name)) throw new KafkaError(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${name}' already exists.`);
    const collision = this.metadata.topics().find((t) => t.name.replace(/\./g, '_') === name.replace(/\./g, '_'));
    if (collision) throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, `Topic '${name}' collides with existing topic: ${collision.name}`);
    const count = partitions === -1 ? this.config.int('num.partitions') : partitions;
    if (count < 1) throw new KafkaError(ErrorCode.INVALID_PARTITIONS, 'Number of partitions was set to an invalid non-positive value.');
    if (replicationFactor === 0 || replicationFactor < -1) {
      throw new KafkaError(ErrorCode.INVALID_REPLICATION_FACTOR, 'Replication factor must be larger than 0, or -1 to use the default value.');
    }
    if (replicationFactor !== -1 && replicationFactor !== 1) {
      throw new KafkaError(ErrorCode.INVALID_REPLICATION_FACTOR, `Unable to replicate the partition ${replicationFactor} time(s): The target replication factor of ${replicationFactor} cannot be reached because only 1 broker(s) are registered.`);
    }
    this.validateConfigs(configs);
    const clean = Object.fromEntries(Object.entries(configs).map(([k, v]) => [k, v!.trim()]));
    if (validateOnly) return { name, id: '', partitions: count, configs: clean, internal: INTERNAL_TOPICS.has(name) };
    const t = this.metadata.createTopic(name, count, clean, INTERNAL_TOPICS.has(name));
    for (let p = 0; p < count; p++) this.logs.create(name, p, this.logConfig(t));
    return t;
  }

  /** Auto-creation (Metadata, Produce) with num.partitions; undefined when not allowed or the name is bad. */
  autoCreate(name: string): TopicMetadata | undefined {
    if (!this.config.bool('auto.create.topics.enable') || topicNameError(name) || INTERNAL_TOPICS.has(name)) return undefined;
    try {
      return this.createTopic(name, this.config.int('num.partitions'), 1, {});
    } catch {
      return this.metadata.topic(name);
    }
  }

  deleteTopic(name: string): TopicMetadata {
    if (!this.config.bool('delete.topic.enable')) throw new KafkaError(ErrorCode.TOPIC_DELETION_DISABLED, 'Topic deletion is disabled.');
    const t = this.metadata.topic(name);
    if (!t) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${name}' does not exist.`);
    this.metadata.deleteTopic(name);
    for (let p = 0; p < t.partitions; p++) {
      this.logs.delete(name, p);
      this.onPartitionRemoved(name, p);
    }
    return t;
  }

  createPartitions(name: string, count: number, validateOnly: boolean): void {
    const t = this.metadata.topic(name);
    if (!t) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${name}' does not exist.`);
    if (count < t.partitions) throw new KafkaError(ErrorCode.INVALID_PARTITIONS, `Topic currently has ${t.partitions} partitions, which is higher than the requested ${count}.`);
    if (count === t.partitions) throw new KafkaError(ErrorCode.INVALID_PARTITIONS, `Topic already has ${t.partitions} partitions.`);
    if (validateOnly) return;
    const before = t.partitions;
    this.metadata.setPartitionCount(name, count);
    for (let p = before; p < count; p++) this.logs.create(name, p, this.logConfig(t));
  }

  /** Replaces the topic's overrides (AlterConfigs) after validating every one. */
  setConfigs(name: string, configs: Record<string, string>, validateOnly: boolean): void {
    const t = this.metadata.topic(name);
    if (!t) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${name}' does not exist.`);
    this.validateConfigs(configs);
    if (validateOnly) return;
    this.metadata.setTopicConfigs(name, configs);
    for (let p = 0; p < t.partitions; p++) this.logs.get(name, p)?.setConfig(this.logConfig(t));
  }
}
