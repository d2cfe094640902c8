/**
 * Topics as the broker sees them: cluster metadata (src/controller) plus the
 * partition logs (src/log) plus effective configs. Creating, deleting, growing
 * and reconfiguring topics go through here so metadata and logs never
 * disagree. Protocol outcomes are thrown as KafkaError.
 */
import { existsSync, rmSync, statfsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ErrorCode, KafkaError } from '../wire/errors.js';
import type { BrokerConfig } from '../config/broker-config.js';
import { TOPIC_CONFIGS, topicConfigDef, validateTopicConfig, normalizeTopicConfig, synonymToTopicValue, type TopicConfigDef } from '../config/topic-config.js';
import { BROKER_SETTINGS } from '../config/broker-config.js';
import { collisionKey, topicNameError } from '../controller/metadata-store.js';
import type { ControllerApi, MetadataImage, TopicMetadata } from '../controller/cluster-metadata.js';
import { placeReplicas } from '../controller/placement.js';
import type { LogManager } from '../log/log-manager.js';
import type { LogConfig } from '../log/log-config.js';
import type { DataPathTopicConfig, PartitionHandle } from './replica-manager.js';
import { checkBrokerPartitions, checkPartitionsPerRequest } from './partition-limits.js';

export type ConfigSource = 'DYNAMIC_TOPIC_CONFIG' | 'STATIC_BROKER_CONFIG' | 'DEFAULT_CONFIG';
export interface EffectiveConfig { name: string; value: string; source: ConfigSource; synonyms: { name: string; value: string; source: ConfigSource }[] }

const LONG_MAX = 9223372036854775807;
const asNumber = (v: string) => (Number(v) >= LONG_MAX ? Infinity : Number(v));

export const INTERNAL_TOPICS = new Set(['__consumer_offsets', '__transaction_state']);

/** A topic to create: partitions -1 means num.partitions, replication factor -1 the default; or explicit replica assignments per partition. */
export interface NewTopic { name: string; partitions: number; replicationFactor: number; configs: Record<string, string | null>; assignments?: number[][] }

export class TopicManager {
  /** Notified when a topic's partitions go away (the replica manager forgets their state). */
  onPartitionRemoved: (topic: string, partition: number) => void = () => {};
  /** Warnings for the broker log (deprecated topic configs). */
  warn: (message: string) => void = () => {};
  /** Events for the broker log: topics created (explicitly or automatically) and deleted. */
  info: (message: string, fields: Record<string, unknown>) => void = () => {};

  constructor(readonly metadata: MetadataImage, readonly controller: ControllerApi, readonly logs: LogManager, readonly config: BrokerConfig, readonly nodeId = config.nodeId) {}

  /** Unfenced brokers, for placing replicas. */
  private liveBrokers(): { id: number; rack: string | null }[] {
    const live = this.metadata.brokers().filter((b) => !b.fenced);
    return live.length ? live : [{ id: this.nodeId, rack: this.config.get('broker.rack') || null }];
  }

  /**
   * Applies a metadata change to this broker's logs: a deleted topic's logs
   * go, a reconfigured topic's logs take the new configs. (Logs of new
   * partitions are made on first use, by lookup.)
   */
  applyChange(kind: 'deleted' | 'configs', t: TopicMetadata): void {
    if (kind === 'deleted') {
      for (let p = 0; p < t.partitions; p++) {
        this.logs.delete(t.name, p);
        this.onPartitionRemoved(t.name, p);
      }
      return;
    }
    for (let p = 0; p < t.partitions; p++) this.logs.get(t.name, p)?.setConfig(this.logConfig(t));
  }

  /** Whether this broker holds a replica of the partition. */
  hosts(t: TopicMetadata, partition: number): boolean {
    return t.states[partition]?.replicas.includes(this.nodeId) ?? false;
  }

  /**
   * Every topic config with its value and where it comes from, as Kafka 3.9
   * reports them (ConfigHelper.createTopicConfigEntry). The value: the
   * topic's override, else the first of its broker synonyms that was set
   * (flag, SAMSA_* or file), else the first with a default (in its own units:
   * log.retention.hours=168 is 604800000 ms), else the topic default. The
   * synonym list: the override (DYNAMIC_TOPIC_CONFIG), then the broker
   * synonyms that were set (STATIC_BROKER_CONFIG), then those with a default
   * (DEFAULT_CONFIG: only the last of a chain has one, as in Kafka), with
   * everything before the first synonym of the chain dropped, as Kafka does:
   * retention.ms with only log.retention.hours set lists no synonym and says
   * DEFAULT_CONFIG. The source is the first synonym's, else DEFAULT_CONFIG.
   */
  effectiveConfigs(t: TopicMetadata): EffectiveConfig[] {
    return TOPIC_CONFIGS.map((def) => this.resolve(t, def));
  }

  private resolve(t: TopicMetadata, def: TopicConfigDef): EffectiveConfig {
    type Synonym = EffectiveConfig['synonyms'][number];
    const raw = t.configs[def.name];
    const override = raw === undefined ? undefined : normalizeTopicConfig(def.name, raw);
    const set = def.synonyms.filter((k) => this.config.isSet(k)).map((k): Synonym => ({ name: k, value: this.config.get(k), source: 'STATIC_BROKER_CONFIG' }));
    const last = def.synonyms[def.synonyms.length - 1];
    // Kafka's broker default of the chain's last synonym: Samsa's setting's default, else (a setting Samsa does not have) the topic default.
    const lastDefault = last === undefined ? undefined : BROKER_SETTINGS[last] ? BROKER_SETTINGS[last]!.default || undefined : def.default;
    const found: Synonym[] = lastDefault === undefined ? set : [...set, { name: last!, value: lastDefault, source: 'DEFAULT_CONFIG' }];
    const from = found.findIndex((s) => s.name === def.synonyms[0]);
    const chain = from === -1 ? [] : found.slice(from);
    const synonyms = override !== undefined ? [{ name: def.name, value: override, source: 'DYNAMIC_TOPIC_CONFIG' } as Synonym, ...chain] : chain;
    const value = override ?? this.brokerValue(def, found[0]);
    return { name: def.name, value, source: synonyms[0]?.source ?? 'DEFAULT_CONFIG', synonyms };
  }

  /**
   * A topic config's value without an override, as KafkaConfig 3.9's
   * extractLogConfigMap gives it: the first broker synonym with a value, in
   * the topic config's units; message.format.version always its default
   * (ignored from inter.broker.protocol.version 3.0 on); a
   * log.message.timestamp.before/after.max.ms left at Long.MAX_VALUE gives
   * log.message.timestamp.difference.max.ms instead.
   */
  private brokerValue(def: TopicConfigDef, first: { name: string; value: string } | undefined): string {
    if (def.name === 'message.format.version') return def.default;
    const value = first ? synonymToTopicValue(first.name, first.value) : def.default;
    if ((def.name === 'message.timestamp.before.max.ms' || def.name === 'message.timestamp.after.max.ms') && asNumber(value) === Infinity) {
      const difference = topicConfigDef('message.timestamp.difference.max.ms')!;
      return this.brokerValue(difference, this.config.isSet(difference.synonyms[0]!) ? { name: difference.synonyms[0]!, value: this.config.get(difference.synonyms[0]!) } : undefined);
    }
    return value;
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
      timestampBeforeMaxMs: this.timestampBound(t, 'message.timestamp.before.max.ms'),
      timestampAfterMaxMs: this.timestampBound(t, 'message.timestamp.after.max.ms'),
    };
  }

  /**
   * message.timestamp.before/after.max.ms, or the deprecated
   * message.timestamp.difference.max.ms where the bound is left at its
   * default (Long.MAX_VALUE), as Kafka 3.6-3.9's LogConfig does. The bound's
   * broker value already took log.message.timestamp.difference.max.ms
   * (brokerValue), so a broker-level difference beats a topic-level one, as
   * in Kafka.
   */
  private timestampBound(t: TopicMetadata, name: string): number {
    const bound = asNumber(this.value(t, name));
    return bound === Infinity ? asNumber(this.value(t, 'message.timestamp.difference.max.ms')) : bound;
  }

  /** Logs a warning for each deprecated config (message.format.version, ...) a topic was given. */
  private warnDeprecated(topic: string, configs: Record<string, string | null>): void {
    for (const [name, value] of Object.entries(configs)) {
      const deprecated = topicConfigDef(name)?.deprecated;
      if (deprecated) this.warn(`Topic configuration ${name} with value \`${value}\` for \`${topic}\` ${deprecated}`);
    }
  }

  /** A topic's partition count; undefined when it does not exist (the coordinators' InternalTopicHost). */
  partitionCount(topic: string): number | undefined { return this.metadata.topic(topic)?.partitions; }

  /** Bytes of a partition's log on disk; undefined when the partition does not exist here. */
  partitionSize(topic: string, partition: number): number | undefined {
    const t = this.metadata.topic(topic);
    if (!t || partition < 0 || partition >= t.partitions || !this.hosts(t, partition)) return undefined;
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
    if (!t || partition < 0 || partition >= t.partitions || !this.hosts(t, partition)) return undefined;
    // Checked against the topic's id: a log left by an earlier topic of the same name is not this one's.
    const configs = this.configsOf(t);
    const log = this.logs.forTopicId(topic, partition, t.id, configs.log);
    return { log, config: configs.dataPath, state: t.states[partition]! };
  };

  /**
   * The topic's log and data-path configs, worked out once per configs
   * object: every Produce and Fetch looks its partitions up, and resolving
   * each setting through its synonyms for every partition of every request
   * was a tenth of the broker's CPU with 10,000 partitions (make bench-scale).
   * A config change replaces the topic's configs object (both stores do), so
   * the next lookup works them out again. Frozen: callers share them.
   */
  private readonly resolvedConfigs = new WeakMap<Record<string, string>, { log: Partial<LogConfig>; dataPath: DataPathTopicConfig }>();

  private configsOf(t: TopicMetadata): { log: Partial<LogConfig>; dataPath: DataPathTopicConfig } {
    let c = this.resolvedConfigs.get(t.configs);
    if (c === undefined) {
      c = { log: Object.freeze(this.logConfig(t)), dataPath: Object.freeze(this.dataPathConfig(t)) };
      this.resolvedConfigs.set(t.configs, c);
    }
    return c;
  }

  validateConfigs(configs: Record<string, string | null>): void {
    for (const [name, value] of Object.entries(configs)) {
      const err = validateTopicConfig(name, value);
      if (err) throw new KafkaError(ErrorCode.INVALID_CONFIG, err);
    }
  }

  /** Validates and (unless validateOnly) creates one topic with its partition logs; throws what createTopics reports. */
  async createTopic(name: string, partitions: number, replicationFactor: number, configs: Record<string, string | null>, validateOnly = false): Promise<TopicMetadata> {
    const result = (await this.createTopics([{ name, partitions, replicationFactor, configs }], validateOnly))[0]!;
    if (result instanceof Error) throw result;
    return result;
  }

  /**
   * Validates and (unless validateOnly) creates topics, each with its result
   * in order: the topic, or the error (a KafkaError, or anything else for a
   * bug). The partition limits are checked before anything is written; each
   * topic counts against max.broker.partitions with those before it in the
   * call (validate_only too). Each topic's logs are made before its metadata:
   * a topic whose logs cannot all be created is left out whole (see
   * createLogs). Then the metadata of all of them is written at once: one
   * write (and fsync) per topic made a request of 2,000 topics hold the event
   * loop for 20 s.
   */
  async createTopics(topics: readonly NewTopic[], validateOnly = false): Promise<(TopicMetadata | Error)[]> {
    let hosted = this.metadata.partitionTotal();
    const planned = new Map<string, TopicMetadata>();
    const results = topics.map((nt): TopicMetadata | Error => {
      try {
        const t = this.plan(nt, hosted, planned);
        hosted += t.partitions;
        planned.set(collisionKey(t.name), t);
        return t;
      } catch (err) {
        return err as Error;
      }
    });
    if (validateOnly) return results;
    const made = new Map<string, number[]>();
    for (let i = 0; i < results.length; i++) {
      const t = results[i]!;
      if (t instanceof Error) continue;
      try { made.set(t.name, this.createLogs(t, 0, t.partitions)); } catch (err) { results[i] = err as Error; }
    }
    const ready = results.filter((r): r is TopicMetadata => !(r instanceof Error));
    if (ready.length === 0) return results;
    let created: TopicMetadata[];
    try {
      created = await this.controller.createTopics(ready.map((t) => ({ name: t.name, configs: t.configs, internal: t.internal, assignments: t.states.map((s) => s.replicas) })));
    } catch (err) {
      // A topic another broker created meanwhile (etcd) may already use these logs: they stay.
      for (const [name, partitions] of made) if (!this.metadata.topic(name)) this.removeLogs(name, partitions);
      return results.map((r) => (r instanceof Error ? r : err as Error));
    }
    for (const t of created) this.warnDeprecated(t.name, t.configs);
    for (const t of created) this.info('topic created', { topic: t.name, topicId: t.id, partitions: t.partitions, replicationFactor: t.states[0]?.replicas.length, internal: t.internal || undefined, configs: Object.keys(t.configs).length ? t.configs : undefined });
    const byName = new Map(created.map((t) => [t.name, t]));
    return results.map((r) => (r instanceof Error ? r : byName.get(r.name)!));
  }

  /** Checks one new topic in Kafka's order and returns it as it would be created (no id yet). */
  private plan(nt: NewTopic, hosted: number, planned: ReadonlyMap<string, TopicMetadata>): TopicMetadata {
    const { name, replicationFactor, configs } = nt;
    const count = nt.partitions === -1 ? this.config.int('num.partitions') : nt.partitions;
    checkPartitionsPerRequest(this.config, count);
    const nameErr = topicNameError(name);
    if (nameErr) throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, nameErr);
    const earlier = planned.get(collisionKey(name));
    if (this.metadata.topic(name) || earlier?.name === name) throw new KafkaError(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${name}' already exists.`);
    const collision = this.metadata.collidingTopic(name) ?? earlier;
    if (collision) throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, `Topic '${name}' collides with existing topic: ${collision.name}`);
    if (count < 1) throw new KafkaError(ErrorCode.INVALID_PARTITIONS, 'Number of partitions was set to an invalid non-positive value.');
    if (replicationFactor === 0 || replicationFactor < -1) {
      throw new KafkaError(ErrorCode.INVALID_REPLICATION_FACTOR, 'Replication factor must be larger than 0, or -1 to use the default value.');
    }
    const assignments = nt.assignments ?? placeReplicas(this.liveBrokers(), count, replicationFactor === -1 ? this.config.int('default.replication.factor') : replicationFactor);
    this.validateConfigs(configs);
    checkBrokerPartitions(this.config, hosted, count);
    const clean = Object.fromEntries(Object.entries(configs).map(([k, v]) => [k, normalizeTopicConfig(k, v!)]));
    const states = assignments.map((replicas) => ({ replicas, isr: replicas, leader: replicas[0]!, leaderEpoch: 0, partitionEpoch: 0, addingReplicas: [], removingReplicas: [] }));
    return { name, id: '', partitions: count, configs: clean, internal: INTERNAL_TOPICS.has(name), states };
  }

  /** Auto-creation (Metadata, Produce) with num.partitions; undefined when not allowed or the name is bad. */
  async autoCreate(name: string): Promise<TopicMetadata | undefined> {
    if (!this.config.bool('auto.create.topics.enable') || topicNameError(name) || INTERNAL_TOPICS.has(name)) return undefined;
    try {
      return await this.createTopic(name, this.config.int('num.partitions'), -1, {});
    } catch {
      return this.metadata.topic(name);
    }
  }

  /** Deletes a topic; every broker deletes its logs of it when the change reaches it (applyChange). */
  async deleteTopic(name: string): Promise<TopicMetadata> {
    if (!this.config.bool('delete.topic.enable')) throw new KafkaError(ErrorCode.TOPIC_DELETION_DISABLED, 'Topic deletion is disabled.');
    const t = this.metadata.topic(name);
    if (!t) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${name}' does not exist.`);
    await this.controller.deleteTopic(name);
    this.info('topic deleted', { topic: name, topicId: t.id, partitions: t.partitions });
    return t;
  }

  /** Grows a topic to `count` partitions, all or nothing, after the partition limits allow it. */
  async createPartitions(name: string, count: number, validateOnly: boolean, assignments?: number[][]): Promise<void> {
    const t = this.metadata.topic(name);
    if (!t) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${name}' does not exist.`);
    if (count < t.partitions) throw new KafkaError(ErrorCode.INVALID_PARTITIONS, `Topic currently has ${t.partitions} partitions, which is higher than the requested ${count}.`);
    if (count === t.partitions) throw new KafkaError(ErrorCode.INVALID_PARTITIONS, `Topic already has ${t.partitions} partitions.`);
    const before = t.partitions;
    checkPartitionsPerRequest(this.config, count - before);
    checkBrokerPartitions(this.config, this.metadata.partitionTotal(), count - before);
    const placed = assignments ?? placeReplicas(this.liveBrokers(), count - before, t.states[0]?.replicas.length ?? 1, before);
    if (validateOnly) return;
    const planned: TopicMetadata = { ...t, partitions: count, states: [...t.states, ...placed.map((replicas) => ({ replicas, isr: replicas, leader: replicas[0]!, leaderEpoch: 0, partitionEpoch: 0, addingReplicas: [], removingReplicas: [] }))] };
    const made = this.createLogs(planned, before, count);
    try {
      await this.controller.createPartitions(name, placed);
    } catch (err) {
      this.removeLogs(name, made);
      throw err;
    }
  }

  /**
   * Creates the logs of partitions [from, to), all or none, and returns the
   * partitions whose logs it made (not those already there). When one cannot
   * be created (EMFILE, ENOSPC, EACCES, a file where its directory goes), the
   * logs it made are removed with the directory the failed one made, and
   * KAFKA_STORAGE_ERROR is thrown with the message Kafka's LogManager gives a
   * log it cannot create. Anything else is a bug and is rethrown as it is
   * (UNKNOWN_SERVER_ERROR, logged) after the same clean-up.
   */
  private createLogs(t: TopicMetadata, from: number, to: number): number[] {
    const config = this.logConfig(t);
    const made: number[] = [];
    for (let p = from; p < to; p++) {
      if (!this.hosts(t, p)) continue;
      const dir = join(this.logs.dataDir, `${t.name}-${p}`);
      // What was there before (a file in the way, a log left by a crash) is not ours to remove.
      const existed = this.logs.get(t.name, p) !== undefined || existsSync(dir);
      try {
        this.logs.create(t.name, p, config);
      } catch (err) {
        // Closing the logs made so far first gives back the descriptors that removing a directory needs after EMFILE.
        this.removeLogs(t.name, made);
        // LogManager.delete removes only logs it holds: an open that failed midway leaves its directory behind.
        if (!existed) try { rmSync(dir, { recursive: true, force: true }); } catch { /* the original error is the one to report */ }
        const code = (err as NodeJS.ErrnoException)?.code;
        if (typeof code !== 'string') throw err;
        throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `Error while creating log for ${t.name}-${p} in dir ${resolve(this.logs.dataDir)}: ${(err as Error).message}`);
      }
      if (!existed) made.push(p);
    }
    return made;
  }

  private removeLogs(name: string, partitions: readonly number[]): void {
    for (const p of partitions) {
      try { this.logs.delete(name, p); } catch { /* best effort: the caller reports the failure that brought us here */ }
    }
  }

  /** Replaces the topic's overrides (AlterConfigs) after validating every one. */
  async setConfigs(name: string, configs: Record<string, string>, validateOnly: boolean): Promise<void> {
    const t = this.metadata.topic(name);
    if (!t) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${name}' does not exist.`);
    this.validateConfigs(configs);
    if (validateOnly) return;
    configs = Object.fromEntries(Object.entries(configs).map(([k, v]) => [k, normalizeTopicConfig(k, v)]));
    await this.controller.setTopicConfigs(name, configs);
    this.warnDeprecated(name, configs);
  }
}
