/**
 * Cluster metadata of a single-node cluster: the cluster id and the topics
 * (name, topic id, partition count, config overrides). One owner; mutations
 * are synchronous and persisted by writing `<dataDir>/__samsa_metadata.json`
 * to a temporary file and renaming it over the old one, so a crash leaves
 * either the old or the new state, never half of one. A write that fails
 * (disk full) undoes the change in memory and throws, so memory is never
 * ahead of the file.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync, openSync, fsyncSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { randomUuid, type Uuid } from '../wire/protocol/uuid.js';
import { ErrorCode, KafkaError } from '../wire/errors.js';

export interface TopicMetadata {
  name: string;
  id: Uuid;
  partitions: number;
  /** Config overrides set on the topic (DYNAMIC_TOPIC_CONFIG). */
  configs: Record<string, string>;
  internal: boolean;
}

interface Persisted { clusterId: string; topics: TopicMetadata[] }

const FILE = '__samsa_metadata.json';

export class MetadataStore {
  readonly clusterId: string;
  private readonly byName = new Map<string, TopicMetadata>();
  private readonly byId = new Map<Uuid, TopicMetadata>();
  /** Topics by collisionKey(name): '.' and '_' collide in metric names, as Kafka refuses. */
  private readonly byCollisionKey = new Map<string, TopicMetadata>();
  private readonly listeners: ((change: { kind: 'created' | 'deleted' | 'partitions' | 'configs'; topic: TopicMetadata }) => void)[] = [];

  private constructor(private readonly dir: string, state: Persisted) {
    this.clusterId = state.clusterId;
    for (const t of state.topics) this.index(t);
  }

  static open(dataDir: string): MetadataStore {
    mkdirSync(dataDir, { recursive: true });
    const path = join(dataDir, FILE);
    const state: Persisted = existsSync(path) ? load(path) : { clusterId: randomUuid(), topics: [] };
    const store = new MetadataStore(dataDir, state);
    if (!existsSync(path)) store.persist();
    return store;
  }

  onChange(fn: (change: { kind: 'created' | 'deleted' | 'partitions' | 'configs'; topic: TopicMetadata }) => void): void {
    this.listeners.push(fn);
  }

  topic(name: string): TopicMetadata | undefined { return this.byName.get(name); }
  topicById(id: Uuid): TopicMetadata | undefined { return this.byId.get(id); }
  topics(): TopicMetadata[] { return [...this.byName.values()].sort((a, b) => a.name.localeCompare(b.name)); }
  /** The existing topic whose name differs from `name` only in '.' versus '_' (or is the same). */
  collidingTopic(name: string): TopicMetadata | undefined { return this.byCollisionKey.get(collisionKey(name)); }
  /** Partitions of all topics, without sorting or copying (checked on every topic creation). */
  partitionTotal(): number {
    let n = 0;
    for (const t of this.byName.values()) n += t.partitions;
    return n;
  }

  createTopic(name: string, partitions: number, configs: Record<string, string>, internal = false): TopicMetadata {
    return this.createTopics([{ name, partitions, configs, internal }])[0]!;
  }

  /** Creates several topics with one write of the file (a CreateTopics request of thousands of topics is one write, not thousands). */
  createTopics(topics: readonly { name: string; partitions: number; configs: Record<string, string>; internal?: boolean }[]): TopicMetadata[] {
    const names = new Set<string>();
    for (const { name } of topics) {
      if (this.byName.has(name) || names.has(name)) throw new Error(`topic ${name} exists`);
      names.add(name);
    }
    const created = topics.map(({ name, partitions, configs, internal }): TopicMetadata => ({ name, id: randomUuid(), partitions, configs: { ...configs }, internal: internal ?? false }));
    for (const t of created) this.index(t);
    this.commit(() => { for (const t of created) this.unindex(t); });
    for (const t of created) this.emit('created', t);
    return created;
  }

  deleteTopic(name: string): TopicMetadata | undefined {
    const t = this.byName.get(name);
    if (!t) return undefined;
    this.unindex(t);
    this.commit(() => this.index(t));
    this.emit('deleted', t);
    return t;
  }

  setPartitionCount(name: string, partitions: number): void {
    const t = this.byName.get(name);
    if (!t) throw new Error(`no topic ${name}`);
    const before = t.partitions;
    t.partitions = partitions;
    this.commit(() => { t.partitions = before; });
    this.emit('partitions', t);
  }

  setTopicConfigs(name: string, configs: Record<string, string>): void {
    const t = this.byName.get(name);
    if (!t) throw new Error(`no topic ${name}`);
    const before = t.configs;
    t.configs = { ...configs };
    this.commit(() => { t.configs = before; });
    this.emit('configs', t);
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

  private emit(kind: 'created' | 'deleted' | 'partitions' | 'configs', topic: TopicMetadata): void {
    for (const l of this.listeners) l({ kind, topic });
  }

  private persist(): void {
    const path = join(this.dir, FILE);
    const tmp = `${path}.tmp`;
    const state: Persisted = { clusterId: this.clusterId, topics: [...this.byName.values()] };
    writeFileSync(tmp, JSON.stringify(state, null, 1));
    const fd = openSync(tmp, 'r');
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, path);
  }
}

function load(path: string): Persisted {
  let state: Persisted;
  try {
    state = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read cluster metadata ${path}: ${(err as Error).message}`);
  }
  if (typeof state?.clusterId !== 'string' || !Array.isArray(state.topics)) throw new Error(`cluster metadata ${path} is not a Samsa metadata file`);
  for (const t of state.topics) t.internal ??= false;
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
