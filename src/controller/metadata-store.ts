/**
 * The cluster metadata of one process (one broker, or the brokers of a
 * laptop cluster sharing it): the cluster id, the topics with their
 * partition states, and the registered brokers. It is the image every broker
 * of the process reads and what the controller writes (controller.ts); an
 * etcd store takes its place for brokers in separate processes.
 *
 * Topics and partition states persist in `<dir>/__samsa_metadata.json`,
 * written to a temporary file and renamed over the old one, so a crash leaves
 * either the old or the new state. A write that fails (disk full) undoes the
 * change in memory and throws KAFKA_STORAGE_ERROR, so memory is never ahead
 * of the file. Broker registrations live in memory: liveness is not state to
 * recover (a broker registers again when it starts). Broker epochs come from
 * the clock, so a restarted process never reuses one.
 *
 * Partition states change only by compare-and-set on their partition epoch
 * (`updatePartitions`), as an etcd transaction would check a mod revision.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync, openSync, fsyncSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { randomUuid, type Uuid } from '../wire/protocol/uuid.js';
import { ErrorCode, KafkaError } from '../wire/errors.js';
import { initialPartitionState } from './election.js';
import type { BrokerInfo, BrokerRegistration, ClusterStore, SecurityKind, SecurityRecord, MetadataChange, PartitionState, PartitionUpdate, TopicMetadata, TopicSpec } from './cluster-metadata.js';

export type { TopicMetadata, PartitionState, BrokerRegistration } from './cluster-metadata.js';

/** nextProducerId: the first producer id not yet reserved by a broker of the process (absent before clusters shared one). */
interface Persisted { clusterId: string; topics: TopicMetadata[]; nextProducerId?: number; security?: Partial<Record<SecurityKind, Record<string, string>>> }

const FILE = '__samsa_metadata.json';

export type { PartitionUpdate } from './cluster-metadata.js';

export class MetadataStore implements ClusterStore {
  readonly clusterId: string;
  private readonly byName = new Map<string, TopicMetadata>();
  private readonly byId = new Map<Uuid, TopicMetadata>();
  /** Topics by collisionKey(name): '.' and '_' collide in metric names, as Kafka refuses. */
  private readonly byCollisionKey = new Map<string, TopicMetadata>();
  private readonly registered = new Map<number, BrokerRegistration>();
  private brokerEpoch = 0;
  private controller = -1;
  private nextProducerId: number;
  readonly ownsLiveness = false;
  private readonly listeners = new Set<(change: MetadataChange) => void>();
  private readonly security: Record<SecurityKind, Map<string, string>> = { acl: new Map(), scram: new Map(), quota: new Map() };

  private constructor(private readonly dir: string, state: Persisted, private readonly durable: boolean) {
    this.clusterId = state.clusterId;
    this.nextProducerId = state.nextProducerId ?? 0;
    for (const kind of Object.keys(this.security) as SecurityKind[]) {
      for (const [k, v] of Object.entries(state.security?.[kind] ?? {})) this.security[kind].set(k, v);
    }
    for (const t of state.topics) this.index(t);
  }

  /**
   * Opens (or creates) the metadata in `dataDir`; partitions stored before
   * replication get `defaultReplica` as their only replica. Not `durable`: the
   * directory goes when the process ends (--ephemeral), so writes skip the
   * fsync (one at a new broker's start, one per topic created).
   */
  static open(dataDir: string, defaultReplica = 0, durable = true): MetadataStore {
    mkdirSync(dataDir, { recursive: true });
    const path = join(dataDir, FILE);
    const state: Persisted = existsSync(path) ? load(path, defaultReplica) : { clusterId: randomUuid(), topics: [] };
    const store = new MetadataStore(dataDir, state, durable);
    if (!existsSync(path)) store.persist();
    return store;
  }

  onChange(fn: (change: MetadataChange) => void): () => void {
    this.listeners.add(fn);
    return () => { this.listeners.delete(fn); };
  }

  topic(name: string): TopicMetadata | undefined { return this.byName.get(name); }
  topicById(id: Uuid): TopicMetadata | undefined { return this.byId.get(id); }
  topics(): TopicMetadata[] { return [...this.byName.values()].sort((a, b) => a.name.localeCompare(b.name)); }
  collidingTopic(name: string): TopicMetadata | undefined { return this.byCollisionKey.get(collisionKey(name)); }
  /** Checked on every topic creation: no sorting or copying. */
  partitionTotal(): number {
    let n = 0;
    for (const t of this.byName.values()) n += t.partitions;
    return n;
  }
  partition(topic: string, partition: number): PartitionState | undefined { return this.byName.get(topic)?.states[partition]; }
  brokers(): BrokerRegistration[] { return [...this.registered.values()].sort((a, b) => a.id - b.id); }
  broker(id: number): BrokerRegistration | undefined { return this.registered.get(id); }
  controllerId(): number { return this.controller; }
  /** One controller object serves every broker of the process. */
  isController(): boolean { return true; }

  // ---- changes: made by the controller only ----

  /** A topic with `partitions` partitions on replica `replica` (tests, single broker). */
  createTopic(name: string, partitions: number, configs: Record<string, string>, internal = false, replica = 0): TopicMetadata {
    return this.createTopics([{ name, configs, internal, assignments: Array.from({ length: partitions }, () => [replica]) }])[0]!;
  }

  /**
   * Creates several topics with one write of the file (a CreateTopics request
   * of thousands of topics is one write, not thousands). Each partition starts
   * led by its first unfenced replica with every unfenced replica in the ISR
   * (all of them when none is registered yet: a broker opening its own store).
   */
  createTopics(specs: readonly TopicSpec[]): TopicMetadata[] {
    const names = new Set<string>();
    for (const { name } of specs) {
      if (this.byName.has(name) || names.has(name)) throw new Error(`topic ${name} exists`);
      names.add(name);
    }
    const created = specs.map(({ name, configs, internal, assignments }): TopicMetadata => ({
      name, id: randomUuid(), partitions: assignments.length, configs: { ...configs }, internal, states: assignments.map((r) => this.initialState(r)),
    }));
    for (const t of created) this.index(t);
    this.commit(() => { for (const t of created) this.unindex(t); });
    for (const t of created) this.emit({ kind: 'created', topic: t });
    return created;
  }

  initialState(replicas: number[]): PartitionState { return initialPartitionState(replicas, this.registered); }

  deleteTopic(name: string): TopicMetadata | undefined {
    const t = this.byName.get(name);
    if (!t) return undefined;
    this.unindex(t);
    this.commit(() => this.index(t));
    this.emit({ kind: 'deleted', topic: t });
    return t;
  }

  /** Adds partitions with these replicas. */
  addPartitions(name: string, assignments: number[][]): void {
    const t = this.byName.get(name);
    if (!t) throw new Error(`no topic ${name}`);
    const before = t.states;
    t.states = [...before, ...assignments.map((r) => this.initialState(r))];
    t.partitions = t.states.length;
    this.commit(() => { t.states = before; t.partitions = before.length; });
    this.emit({ kind: 'partitions', topic: t });
  }

  /** Shrinks or grows the partition count on replica `replica` (tests of the single-node layout). */
  setPartitionCount(name: string, partitions: number, replica = 0): void {
    const t = this.byName.get(name);
    if (!t) throw new Error(`no topic ${name}`);
    this.addPartitions(name, Array.from({ length: partitions - t.partitions }, () => [replica]));
  }

  setTopicConfigs(name: string, configs: Record<string, string>): void {
    const t = this.byName.get(name);
    if (!t) throw new Error(`no topic ${name}`);
    const before = t.configs;
    t.configs = { ...configs };
    this.commit(() => { t.configs = before; });
    this.emit({ kind: 'configs', topic: t });
  }

  /**
   * Applies the updates whose partition epoch is still the expected one, in
   * one write, and returns the new states (undefined for an update that lost
   * the race or whose partition is gone).
   */
  updatePartitions(updates: readonly PartitionUpdate[]): (PartitionState | undefined)[] {
    const applied: { t: TopicMetadata; p: number; before: PartitionState }[] = [];
    const results = updates.map((u) => {
      const t = this.byName.get(u.topic);
      const before = t?.states[u.partition];
      if (!t || !before || before.partitionEpoch !== u.expected) return undefined;
      const next: PartitionState = { ...u.state, partitionEpoch: before.partitionEpoch + 1 };
      t.states[u.partition] = next;
      applied.push({ t, p: u.partition, before });
      return next;
    });
    if (applied.length === 0) return results;
    this.commit(() => { for (const a of applied.reverse()) a.t.states[a.p] = a.before; });
    for (const a of applied) this.emit({ kind: 'partition', topic: a.t, partition: a.p, state: a.t.states[a.p]! });
    return results;
  }

  /** Registers (or re-registers) a broker with a new epoch, unfenced. */
  securityRecords(kind: SecurityKind): ReadonlyMap<string, string> { return this.security[kind]; }

  writeSecurity(records: readonly SecurityRecord[]): void {
    const before = records.map((r) => this.security[r.kind].get(r.key));
    const put = (r: SecurityRecord, v: string | undefined | null) => { if (v == null) this.security[r.kind].delete(r.key); else this.security[r.kind].set(r.key, v); };
    records.forEach((r) => put(r, r.value));
    this.commit(() => { for (let i = records.length - 1; i >= 0; i--) put(records[i]!, before[i]); });
    this.emit({ kind: 'security', records: [...records] });
  }

  registerBroker(b: BrokerInfo): BrokerRegistration {
    // Later than any epoch of an earlier process too, without a write: the clock moves on across restarts.
    this.brokerEpoch = Math.max(this.brokerEpoch + 1, Date.now());
    const reg: BrokerRegistration = { ...b, epoch: this.brokerEpoch, fenced: false };
    this.registered.set(b.id, reg);
    this.emit({ kind: 'brokers' });
    return reg;
  }

  setFenced(id: number, fenced: boolean): void {
    const b = this.registered.get(id);
    if (!b || b.fenced === fenced) return;
    this.registered.set(id, { ...b, fenced });
    this.emit({ kind: 'brokers' });
  }

  /** Producer ids for one broker of the process, persisted before they are handed out so a restart never repeats one. */
  reserveProducerIds(count: number): number {
    const start = this.nextProducerId;
    this.nextProducerId += count;
    this.commit(() => { this.nextProducerId = start; });
    return start;
  }

  setController(id: number): void {
    if (id === this.controller) return;
    this.controller = id;
    this.emit({ kind: 'controller', controllerId: id });
  }

  private index(t: TopicMetadata): void {
    this.byName.set(t.name, t);
    this.byId.set(t.id, t);
    this.byCollisionKey.set(collisionKey(t.name), t);
  }

  private unindex(t: TopicMetadata): void {
    this.byName.delete(t.name);
    this.byId.delete(t.id);
    if (this.byCollisionKey.get(collisionKey(t.name)) === t) this.byCollisionKey.delete(collisionKey(t.name));
  }

  /**
   * Persists the change just made in memory, or undoes it and throws
   * KAFKA_STORAGE_ERROR (retriable: a full disk that frees up takes the same
   * request later), as Kafka answers when a log dir cannot be written.
   */
  private commit(undo: () => void): void {
    try {
      this.persist();
    } catch (err) {
      undo();
      throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `Error while writing cluster metadata in ${this.dir}: ${(err as Error).message}`);
    }
  }

  private emit(change: MetadataChange): void {
    for (const l of this.listeners) l(change);
  }

  private persist(): void {
    const path = join(this.dir, FILE);
    const tmp = `${path}.tmp`;
    const security = Object.fromEntries(Object.entries(this.security).map(([k, m]) => [k, Object.fromEntries(m)]));
    const state: Persisted = { clusterId: this.clusterId, topics: [...this.byName.values()], nextProducerId: this.nextProducerId, security };
    writeFileSync(tmp, JSON.stringify(state));
    if (this.durable) {
      const fd = openSync(tmp, 'r');
      fsyncSync(fd);
      closeSync(fd);
    }
    renameSync(tmp, path);
  }
}

function load(path: string, defaultReplica: number): Persisted {
  let state: Persisted;
  try {
    state = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read cluster metadata ${path}: ${(err as Error).message}`);
  }
  if (typeof state?.clusterId !== 'string' || !Array.isArray(state.topics)) throw new Error(`cluster metadata ${path} is not a Samsa metadata file`);
  for (const t of state.topics) {
    t.internal ??= false;
    // Written before replication: one replica, this node, leading at epoch 0.
    t.states ??= Array.from({ length: t.partitions }, () => ({ replicas: [defaultReplica], isr: [defaultReplica], leader: defaultReplica, leaderEpoch: 0, partitionEpoch: 0, addingReplicas: [], removingReplicas: [] }));
  }
  return state;
}

/** Topic names that differ only in '.' versus '_' collide (in metric names), so Kafka refuses the second. */
export const collisionKey = (name: string) => name.replace(/\./g, '_');

/** Kafka's topic name rules: 1-249 chars of [a-zA-Z0-9._-], not "." or "..". */
export function topicNameError(name: string): string | undefined {
  if (name.length === 0) return 'Topic name is illegal, it can\'t be empty';
  if (name === '.' || name === '..') return 'Topic name cannot be "." or ".."';
  if (name.length > 249) return `Topic name is illegal, it can't be longer than 249 characters, topic name: ${name}`;
  if (!/^[a-zA-Z0-9._-]+$/.test(name)) return `Topic name ${name} is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`;
  return undefined;
}
