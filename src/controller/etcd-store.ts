/**
 * The cluster metadata in etcd, for brokers in separate processes and hosts
 * (`--metadata etcd://host:2379[,host:2379]/prefix`). Each broker process
 * keeps an image of the keys under the prefix, loaded with one range read and
 * kept current by one watch applied in revision order; a watch that cannot
 * resume (its revision was compacted) reloads everything and applies the
 * difference, so listeners see the same kind of changes as from the
 * process-local store.
 *
 * Keys under the prefix (values JSON unless said):
 *   cluster_id                  the cluster id (text), written once by the first broker
 *   topics/<name>               { id, partitions, configs, internal }
 *   partitions/<name>/<index>   a PartitionState plus the topic id it belongs to
 *   brokers/<id>                { host, port, rack, listeners } as last registered (kept when it stops)
 *   security/<kind>/<key>       a security record (acl, scram, quota; the key URI-encoded), its value as given
 *   alive/<id>                  under the broker's lease: present while it is live; its mod
 *                               revision is the broker epoch (a new one at every registration)
 *   election/controller/<lease> the controller campaign (etcd3's election recipe); the key with
 *                               the lowest create revision is the active controller
 *   producer_ids                the next producer id not yet handed out (text)
 *
 * Writes are etcd transactions. A partition state changes only if its key's
 * mod revision is still the one the writer read (compare-and-set), and only
 * while the writer still holds what entitles it: the active controller's
 * campaign key, or the writing broker's own `alive` key at its epoch. A
 * deposed controller or a broker whose lease lapsed has its late writes
 * fail instead of land. Leases and the election are hints of liveness, not
 * mutual exclusion; safety rests on those checks and on leader epochs.
 *
 * Topic creation writes the partition keys before the topic key (a topic
 * with more partitions than one transaction may hold takes several), and the
 * image shows a topic only once its key and every partition state of its id
 * are there, so a half-written topic is never visible.
 */
import { Etcd3, type Lease, type Namespace, type Watcher, type IKeyValue } from 'etcd3';
import { randomUuid, type Uuid } from '../wire/protocol/uuid.js';
import { ErrorCode, KafkaError } from '../wire/errors.js';
import { collisionKey } from './metadata-store.js';
import { ConfigError } from '../config/broker-config.js';
import { initialPartitionState } from './election.js';
import type { BrokerInfo, BrokerRegistration, ClusterStore, MetadataChange, SecurityKind, SecurityRecord, PartitionState, PartitionUpdate, TopicMetadata, TopicSpec, Writer } from './cluster-metadata.js';

export interface EtcdStoreOptions {
  endpoints: string[];
  /** Key prefix, e.g. /samsa/dev (no trailing slash). */
  prefix: string;
  nodeId: number;
  /** The lease TTL of this broker's registration and controller campaign (broker.session.timeout.ms). */
  leaseTtlMs: number;
  /** Deadline of each etcd call. */
  requestTimeoutMs?: number;
  log: { info(m: string): void; warn(m: string): void; error(m: string): void };
}

/** What etcd transactions may hold by default (--max-txn-ops 128), with room for the compares. */
const MAX_TXN_OPS = 100;

interface TopicRecord { id: Uuid; partitions: number; configs: Record<string, string>; internal: boolean }
interface PartitionRecord extends PartitionState { topicId: Uuid }
type Campaign = ReturnType<ReturnType<Namespace['election']>['campaign']>;
interface Kv { value: string; create: number; mod: number }

/** etcd3's fault policies retry and open circuit breakers for seconds; the callers here retry themselves. */
const passThrough = { execute: <T>(fn: (ctx: { signal: AbortSignal }) => PromiseLike<T> | T) => Promise.resolve().then(() => fn({ signal: new AbortController().signal })) };

/** A watch reconnects after 100 ms, doubling to at most a second: etcd3's default grows to 30 s, leaving an image stale that long after an outage. */
const watchBackoff = (ms: number): { duration: number; next(): unknown } => ({ duration: ms, next: () => watchBackoff(Math.min(ms * 2, 1000)) });

export class EtcdStore implements ClusterStore {
  clusterId = '';
  readonly ownsLiveness = true;
  private readonly client: Etcd3;
  private readonly ns: Namespace;
  private readonly raw = new Map<string, Kv>();
  private readonly topicsByName = new Map<string, TopicMetadata>();
  private readonly topicsById = new Map<Uuid, TopicMetadata>();
  private readonly byCollisionKey = new Map<string, TopicMetadata>();
  private readonly registrations = new Map<number, BrokerRegistration>();
  private readonly security: Record<SecurityKind, Map<string, string>> = { acl: new Map(), scram: new Map(), quota: new Map() };
  private controller = -1;
  private revision = 0;
  private readonly revisionWaiters: { rev: number; resolve(): void }[] = [];
  private readonly listeners = new Set<(c: MetadataChange) => void>();
  private watcher?: Watcher;
  private closed = false;
  // This broker's registration lease and how long it is known to hold.
  private lease?: Lease;
  private leaseValidUntil = 0;
  private ownEpoch = -1;
  private leaseGone = false;
  private campaign?: Campaign;
  private campaignKey?: { key: string; revision: string };
  private campaignTimer?: NodeJS.Timeout;
  private holdTimer?: NodeJS.Timeout;

  private constructor(private readonly opts: EtcdStoreOptions) {
    this.client = new Etcd3({
      hosts: opts.endpoints.map((e) => (e.includes('://') ? e : `http://${e}`)),
      dialTimeout: 2000,
      defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + (opts.requestTimeoutMs ?? 5000) }),
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      faultHandling: { host: () => passThrough as any, global: passThrough as any, watchBackoff: watchBackoff(50) as any },
    });
    this.ns = this.client.namespace(`${opts.prefix}/`);
  }

  /** Connects, loads the image and starts watching; the cluster id is created if this is the first broker. */
  static async open(opts: EtcdStoreOptions): Promise<EtcdStore> {
    const store = new EtcdStore(opts);
    try {
      await store.ns.if('cluster_id', 'Create', '==', 0).then(store.ns.put('cluster_id').value(randomUuid())).commit();
      await store.reload();
    } catch (err) {
      store.client.close();
      // A setting to fix, not a bug: said without a stack (the CLI prints a ConfigError's message alone).
      throw new ConfigError(`cannot reach the cluster metadata in etcd at ${opts.endpoints.join(',')} (metadata.url / --metadata): ${grpcMessage(err)}`);
    }
    return store;
  }

  // ---- the image ----

  onChange(fn: (c: MetadataChange) => void): () => void {
    this.listeners.add(fn);
    return () => { this.listeners.delete(fn); };
  }

  topic(name: string): TopicMetadata | undefined { return this.topicsByName.get(name); }
  topicById(id: Uuid): TopicMetadata | undefined { return this.topicsById.get(id); }
  topics(): TopicMetadata[] { return [...this.topicsByName.values()].sort((a, b) => a.name.localeCompare(b.name)); }
  collidingTopic(name: string): TopicMetadata | undefined { return this.byCollisionKey.get(collisionKey(name)); }
  partitionTotal(): number {
    let n = 0;
    for (const t of this.topicsByName.values()) n += t.partitions;
    return n;
  }
  partition(topic: string, partition: number): PartitionState | undefined { return this.topicsByName.get(topic)?.states[partition]; }
  brokers(): BrokerRegistration[] { return [...this.registrations.values()].sort((a, b) => a.id - b.id); }
  broker(id: number): BrokerRegistration | undefined { return this.registrations.get(id); }
  controllerId(): number { return this.controller; }

  /** Whether etcd said this broker's lease lapsed (or none was heard of for twice its TTL): it must register again. */
  registrationLost(): boolean { return this.leaseGone; }

  /** Whether this broker's lease is known to hold now (it stops leading when not). */
  leaseHolds(): boolean { return this.ownEpoch >= 0 && Date.now() < this.leaseValidUntil; }

  /** Says when this broker stops and resumes leading for want of a renewed lease: the moment clients start getting NOT_LEADER_OR_FOLLOWER. */
  private watchLeaseHold(): void {
    let held = true;
    this.holdTimer = setInterval(() => {
      if (this.ownEpoch < 0 || this.closed) return;
      const now = this.leaseHolds();
      if (now === held) return;
      held = now;
      if (now) this.opts.log.info(`broker ${this.opts.nodeId}: etcd lease renewed; leading again`);
      else this.opts.log.warn(`broker ${this.opts.nodeId}: etcd lease not renewed for two thirds of its TTL; leading nothing (NOT_LEADER_OR_FOLLOWER) until it is`);
    }, 250);
    this.holdTimer.unref();
  }

  /** Whether this process's controller campaign is the one elected. */
  isController(): boolean { return this.controller === this.opts.nodeId && this.campaignKey !== undefined; }

  // ---- loading and watching ----

  private async reload(): Promise<void> {
    const res = await this.ns.getAll().exec();
    const rev = Number(res.header.revision);
    const seen = new Set<string>();
    const changes: { key: string; kv?: Kv }[] = [];
    for (const kv of res.kvs) {
      const key = kv.key.toString();
      seen.add(key);
      const next = toKv(kv);
      const before = this.raw.get(key);
      if (!before || before.mod !== next.mod) changes.push({ key, kv: next });
    }
    for (const key of this.raw.keys()) if (!seen.has(key)) changes.push({ key });
    this.apply(changes);
    this.setRevision(rev);
    await this.watch(rev + 1);
  }

  private async watch(from: number): Promise<void> {
    this.watcher?.removeAllListeners();
    void this.watcher?.cancel().catch(() => undefined);
    const w = await this.client.watch().prefix(`${this.opts.prefix}/`).startRevision(String(from)).create();
    if (this.closed) { void w.cancel(); return; }
    this.watcher = w;
    w.on('data', (res) => {
      const prefixLength = this.opts.prefix.length + 1;
      this.apply(res.events.map((e) => ({ key: e.kv.key.toString().slice(prefixLength), kv: e.type === 'Delete' ? undefined : toKv(e.kv) })));
      this.setRevision(Number(res.header.revision));
    });
    // Cancelled by etcd (its revision compacted away) or broken for good: start over from a full read.
    w.on('error', (err) => {
      if (this.closed) return;
      this.opts.log.warn(`etcd metadata watch failed (${(err as Error).message}); reloading`);
      const retry = (): void => {
        if (this.closed) return;
        this.reload().catch((e: unknown) => {
          this.opts.log.warn(`reloading the cluster metadata from etcd failed: ${(e as Error).message}; retrying`);
          setTimeout(retry, 1000).unref();
        });
      };
      retry();
    });
  }

  private setRevision(rev: number): void {
    if (rev <= this.revision) return;
    this.revision = rev;
    for (let i = this.revisionWaiters.length - 1; i >= 0; i--) {
      if (this.revisionWaiters[i]!.rev <= rev) this.revisionWaiters.splice(i, 1)[0]!.resolve();
    }
  }

  /** Resolves once the image has applied revision `rev` (a write is visible to this broker's readers when its call returns). */
  private seen(rev: number): Promise<void> {
    if (rev <= this.revision) return Promise.resolve();
    return new Promise((resolve) => this.revisionWaiters.push({ rev, resolve }));
  }

  /** Applies key changes (in revision order) to the raw map and the image, then tells the listeners. */
  private apply(changes: { key: string; kv?: Kv }[]): void {
    const touchedTopics = new Set<string>();
    // Topics whose only changes were partition states (the common case: an ISR change), and which partitions.
    const touchedStates = new Map<string, Set<number>>();
    const recordChanged = new Set<string>();
    let brokers = false;
    let election = false;
    const security: SecurityRecord[] = [];
    for (const { key, kv } of changes) {
      if (kv) this.raw.set(key, kv); else this.raw.delete(key);
      const parts = key.split('/');
      if (key === 'cluster_id' && kv) this.clusterId = kv.value;
      else if (parts[0] === 'topics' || parts[0] === 'partitions') {
        touchedTopics.add(parts[1]!);
        if (parts[0] === 'topics') recordChanged.add(parts[1]!);
        else {
          const set = touchedStates.get(parts[1]!) ?? new Set<number>();
          touchedStates.set(parts[1]!, set.add(Number(parts[2])));
        }
      }
      else if (parts[0] === 'brokers' || parts[0] === 'alive') brokers = true;
      else if (parts[0] === 'election') election = true;
      else if (parts[0] === 'security' && parts[1]! in this.security && parts.length === 3) {
        const record: SecurityRecord = { kind: parts[1] as SecurityKind, key: decodeURIComponent(parts[2]!), value: kv?.value ?? null };
        if (record.value === null) this.security[record.kind].delete(record.key); else this.security[record.kind].set(record.key, record.value);
        security.push(record);
      }
    }
    const out: MetadataChange[] = [];
    for (const name of touchedTopics) {
      if (!recordChanged.has(name) && this.updateStates(name, touchedStates.get(name)!, out)) continue;
      this.rebuildTopic(name, out);
    }
    if (brokers && this.rebuildBrokers()) out.push({ kind: 'brokers' });
    if (election) {
      const id = this.electedController();
      if (id !== this.controller) {
        this.controller = id;
        out.push({ kind: 'controller', controllerId: id });
      }
    }
    if (security.length) out.push({ kind: 'security', records: security });
    for (const c of out) for (const l of this.listeners) l(c);
  }

  /**
   * Changed partition states of a visible topic whose own key did not change:
   * only those are read (a topic of thousands of partitions is not re-read
   * for one ISR change). False when that does not fit (the topic is not
   * visible, a state is missing or of another topic id): rebuild it whole.
   */
  private updateStates(name: string, partitions: Set<number>, out: MetadataChange[]): boolean {
    const t = this.topicsByName.get(name);
    if (!t) return false;
    const next = new Map<number, PartitionState>();
    for (const p of partitions) {
      if (p >= t.partitions) continue;
      const kv = this.raw.get(`partitions/${name}/${p}`);
      const s = kv ? JSON.parse(kv.value) as PartitionRecord : undefined;
      if (!s || s.topicId !== t.id) return false;
      const { topicId: _, ...state } = s;
      next.set(p, state);
    }
    for (const [p, state] of [...next].sort((a, b) => a[0] - b[0])) {
      t.states[p] = state;
      out.push({ kind: 'partition', topic: t, partition: p, state });
    }
    return true;
  }

  /** The topic as its keys now say, compared with the image: created, deleted, grown, reconfigured or partition states changed. */
  private rebuildTopic(name: string, out: MetadataChange[]): void {
    const before = this.topicsByName.get(name);
    const rec = this.raw.get(`topics/${name}`);
    const record = rec ? JSON.parse(rec.value) as TopicRecord : undefined;
    const states: PartitionState[] = [];
    if (record) {
      for (let p = 0; p < record.partitions; p++) {
        const kv = this.raw.get(`partitions/${name}/${p}`);
        const s = kv ? JSON.parse(kv.value) as PartitionRecord : undefined;
        if (!s || s.topicId !== record.id) break;
        const { topicId: _, ...state } = s;
        states.push(state);
      }
    }
    const complete = record !== undefined && states.length === record.partitions;
    if (before && (!complete || before.id !== record!.id)) {
      this.unindex(before);
      out.push({ kind: 'deleted', topic: before });
    }
    if (!complete) return;
    if (!before || before.id !== record.id) {
      const t: TopicMetadata = { name, id: record.id, partitions: record.partitions, configs: record.configs, internal: record.internal, states };
      this.index(t);
      out.push({ kind: 'created', topic: t });
      return;
    }
    // The same topic: change it in place (readers hold on to the object), then say what changed.
    const grew = record.partitions > before.partitions;
    const changedStates: number[] = [];
    for (let p = 0; p < before.partitions; p++) if (before.states[p]!.partitionEpoch !== states[p]!.partitionEpoch || JSON.stringify(before.states[p]) !== JSON.stringify(states[p])) changedStates.push(p);
    const configsChanged = JSON.stringify(before.configs) !== JSON.stringify(record.configs);
    before.states = states;
    before.partitions = record.partitions;
    before.configs = record.configs;
    for (const p of changedStates) out.push({ kind: 'partition', topic: before, partition: p, state: states[p]! });
    if (grew) out.push({ kind: 'partitions', topic: before });
    if (configsChanged) out.push({ kind: 'configs', topic: before });
  }

  private rebuildBrokers(): boolean {
    let changed = false;
    const ids = new Set<number>();
    for (const [key, kv] of this.raw) {
      if (!key.startsWith('brokers/')) continue;
      const id = Number(key.slice('brokers/'.length));
      const ep = JSON.parse(kv.value) as Omit<BrokerInfo, 'id'>;
      const alive = this.raw.get(`alive/${id}`);
      const reg: BrokerRegistration = { id, host: ep.host, port: ep.port, rack: ep.rack, ...(ep.listeners ? { listeners: ep.listeners } : {}), epoch: alive?.mod ?? this.registrations.get(id)?.epoch ?? -1, fenced: !alive };
      ids.add(id);
      const was = this.registrations.get(id);
      if (!was || was.host !== reg.host || was.port !== reg.port || was.rack !== reg.rack || was.epoch !== reg.epoch || was.fenced !== reg.fenced || JSON.stringify(was.listeners) !== JSON.stringify(reg.listeners)) {
        this.registrations.set(id, reg);
        changed = true;
      }
    }
    for (const id of [...this.registrations.keys()]) if (!ids.has(id)) { this.registrations.delete(id); changed = true; }
    return changed;
  }

  private electedController(): number {
    let best: Kv | undefined;
    for (const [key, kv] of this.raw) if (key.startsWith('election/controller/') && (!best || kv.create < best.create)) best = kv;
    const id = best ? Number(best.value) : -1;
    return Number.isInteger(id) ? id : -1;
  }

  private index(t: TopicMetadata): void {
    this.topicsByName.set(t.name, t);
    this.topicsById.set(t.id, t);
    this.byCollisionKey.set(collisionKey(t.name), t);
  }

  private unindex(t: TopicMetadata): void {
    this.topicsByName.delete(t.name);
    this.topicsById.delete(t.id);
    if (this.byCollisionKey.get(collisionKey(t.name)) === t) this.byCollisionKey.delete(collisionKey(t.name));
  }

  // ---- changes ----

  /** Runs a transaction; a failure to reach etcd becomes a retriable Kafka error the caller can answer with. */
  private async txn(build: (ns: Namespace) => { commit(): Promise<{ succeeded: boolean; header: { revision: string } }> }): Promise<{ succeeded: boolean; revision: number }> {
    try {
      const res = await build(this.ns).commit();
      return { succeeded: res.succeeded, revision: Number(res.header.revision) };
    } catch (err) {
      throw new KafkaError(ErrorCode.REQUEST_TIMED_OUT, `the cluster metadata store (etcd) did not take the change: ${grpcMessage(err)}`);
    }
  }

  /** The compare that entitles a write: the controller's campaign key, or this broker's registration at its epoch. */
  private guard(ns: Namespace, writer: Writer) {
    if (writer === 'controller') {
      const c = this.campaignKey;
      // Never elected (or resigned): a create revision no key has.
      return ns.if(c?.key.slice(this.opts.prefix.length + 1) ?? 'election/controller/none', 'Create', '==', c?.revision ?? '-1');
    }
    return ns.if(`alive/${this.opts.nodeId}`, 'Mod', '==', this.ownEpoch);
  }

  /**
   * Each topic's key goes in the first transaction, only if the name is free,
   * with as many partition states as fit; the rest follow in transactions
   * that apply only while that key is still the one written. The image shows
   * the topic once every state is in, so a concurrent creator of the same
   * name fails at the first step and never mixes its states in.
   */
  async createTopics(specs: readonly TopicSpec[]): Promise<TopicMetadata[]> {
    let last = 0;
    for (const spec of specs) {
      const id = randomUuid();
      const record: TopicRecord = { id, partitions: spec.assignments.length, configs: { ...spec.configs }, internal: spec.internal };
      const puts = spec.assignments.map((replicas, p) => ({ key: `partitions/${spec.name}/${p}`, value: JSON.stringify({ ...this.initialState(replicas), topicId: id } satisfies PartitionRecord) }));
      const first = puts.slice(0, MAX_TXN_OPS);
      const r = await this.txn((ns) => ns.if(`topics/${spec.name}`, 'Create', '==', 0).then(ns.put(`topics/${spec.name}`).value(JSON.stringify(record)), ...first.map((c) => ns.put(c.key).value(c.value))));
      if (!r.succeeded) {
        // Another broker created it first: once the image shows that topic, callers can tell it from a failure of their own.
        await this.seen(r.revision);
        throw new KafkaError(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${spec.name}' already exists.`);
      }
      last = await this.putGuarded(`topics/${spec.name}`, r.revision, puts.slice(MAX_TXN_OPS)) ?? r.revision;
    }
    await this.seen(last);
    return specs.map((s) => this.topicsByName.get(s.name)!);
  }

  /** Writes `puts` in transactions that apply only while `guardKey` was last modified at `guardRev`; the last revision written. */
  private async putGuarded(guardKey: string, guardRev: number, puts: { key: string; value: string }[]): Promise<number | undefined> {
    let last: number | undefined;
    for (let i = 0; i < puts.length; i += MAX_TXN_OPS) {
      const chunk = puts.slice(i, i + MAX_TXN_OPS);
      const r = await this.txn((ns) => ns.if(guardKey, 'Mod', '==', guardRev).then(...chunk.map((c) => ns.put(c.key).value(c.value))));
      if (!r.succeeded) throw new KafkaError(ErrorCode.REQUEST_TIMED_OUT, `${guardKey} changed while its partitions were being written; try again`);
      last = r.revision;
    }
    return last;
  }

  initialState(replicas: number[]): PartitionState { return initialPartitionState(replicas, this.registrations); }

  async deleteTopic(name: string): Promise<TopicMetadata | undefined> {
    const t = this.topicsByName.get(name);
    if (!t) return undefined;
    const r = await this.txn((ns) => ns.if(`topics/${name}`, 'Create', '>', 0).then(ns.delete().key(`topics/${name}`), ns.delete().prefix(`partitions/${name}/`)));
    if (!r.succeeded) return undefined;
    await this.seen(r.revision);
    return t;
  }

  /** The new partition states first (guarded by the topic key's revision), then the topic key with the new count. */
  async addPartitions(name: string, assignments: number[][]): Promise<void> {
    const t = this.topicsByName.get(name);
    const rec = this.raw.get(`topics/${name}`);
    if (!t || !rec) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `no topic ${name}`);
    const puts = assignments.map((replicas, i) => ({ key: `partitions/${name}/${t.partitions + i}`, value: JSON.stringify({ ...this.initialState(replicas), topicId: t.id } satisfies PartitionRecord) }));
    const record: TopicRecord = { id: t.id, partitions: t.partitions + assignments.length, configs: t.configs, internal: t.internal };
    await this.putGuarded(`topics/${name}`, rec.mod, puts);
    const r = await this.txn((ns) => ns.if(`topics/${name}`, 'Mod', '==', rec.mod).then(ns.put(`topics/${name}`).value(JSON.stringify(record))));
    if (!r.succeeded) throw new KafkaError(ErrorCode.REQUEST_TIMED_OUT, `topic ${name} changed while its partitions were being added; try again`);
    await this.seen(r.revision);
  }

  async setTopicConfigs(name: string, configs: Record<string, string>): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const t = this.topicsByName.get(name);
      const rec = this.raw.get(`topics/${name}`);
      if (!t || !rec) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `no topic ${name}`);
      const record: TopicRecord = { id: t.id, partitions: t.partitions, configs: { ...configs }, internal: t.internal };
      const r = await this.txn((ns) => ns.if(`topics/${name}`, 'Mod', '==', rec.mod).then(ns.put(`topics/${name}`).value(JSON.stringify(record))));
      if (r.succeeded) { await this.seen(r.revision); return; }
      await this.seen(this.revision + 1).catch(() => undefined);
    }
    throw new KafkaError(ErrorCode.REQUEST_TIMED_OUT, `topic ${name} kept changing while its configs were being set; try again`);
  }

  async updatePartitions(updates: readonly PartitionUpdate[], writer: Writer = 'broker'): Promise<(PartitionState | undefined)[]> {
    const results = await Promise.all(updates.map(async (u) => {
      const t = this.topicsByName.get(u.topic);
      const before = t?.states[u.partition];
      const key = `partitions/${u.topic}/${u.partition}`;
      const kv = this.raw.get(key);
      if (!t || !before || !kv || before.partitionEpoch !== u.expected) return undefined;
      const next: PartitionState = { ...u.state, partitionEpoch: before.partitionEpoch + 1 };
      const r = await this.txn((ns) => this.guard(ns, writer).and(key, 'Mod', '==', kv.mod).then(ns.put(key).value(JSON.stringify({ ...next, topicId: t.id } satisfies PartitionRecord))));
      return { next: r.succeeded ? next : undefined, revision: r.revision };
    }));
    // A lost compare-and-set too: the caller recomputes from the image, which must show what won.
    await this.seen(Math.max(0, ...results.map((r) => r?.revision ?? 0)));
    return results.map((r) => r?.next);
  }

  /**
   * Registers this broker: a fresh lease, `alive/<id>` under it (its mod
   * revision is the new broker epoch) and the endpoint record, in one
   * transaction. The previous lease, if any, is revoked first.
   */
  securityRecords(kind: SecurityKind): ReadonlyMap<string, string> { return this.security[kind]; }

  /** Written by this broker while registered (the guard), in transactions of at most MAX_TXN_OPS records: a larger batch is not atomic. */
  async writeSecurity(records: readonly SecurityRecord[]): Promise<void> {
    let last = 0;
    for (let i = 0; i < records.length; i += MAX_TXN_OPS - 1) {
      const chunk = records.slice(i, i + MAX_TXN_OPS - 1);
      const key = (r: SecurityRecord) => `security/${r.kind}/${encodeURIComponent(r.key)}`;
      const r = await this.txn((ns) => this.guard(ns, 'broker').then(...chunk.map((c) => (c.value === null ? ns.delete().key(key(c)) : ns.put(key(c)).value(c.value)))));
      if (!r.succeeded) throw new KafkaError(ErrorCode.NOT_CONTROLLER, `broker ${this.opts.nodeId} is not registered in etcd (its lease lapsed): try again`);
      last = r.revision;
    }
    await this.seen(last);
  }

  async registerBroker(b: BrokerInfo): Promise<BrokerRegistration> {
    if (b.id !== this.opts.nodeId) throw new Error(`broker ${this.opts.nodeId} cannot register broker ${b.id} in etcd`);
    this.dropLease();
    this.leaseGone = false;
    const ttl = Math.max(2, Math.ceil(this.opts.leaseTtlMs / 1000));
    const lease = this.client.lease(ttl, { autoKeepAlive: true });
    this.lease = lease;
    let firedAt = Date.now();
    lease.on('keepaliveFired', () => { firedAt = Date.now(); });
    // etcd renewed the lease after the keepalive was sent, so it holds until TTL after that; a third of the
    // TTL (one keepalive interval) is kept in hand, so this broker stops leading before etcd can let it lapse.
    lease.on('keepaliveSucceeded', () => { if (this.lease === lease) this.leaseValidUntil = firedAt + (ttl * 1000 * 2) / 3; });
    lease.on('lost', (err) => {
      if (this.lease !== lease) return;
      this.leaseValidUntil = 0;
      this.leaseGone = true;
      // etcd3 words both causes as "Lease <x> is expired or revoked", <x> being a sentence for the second.
      const why = /lost connection/.test(err.message) ? 'no keepalive answered for twice its TTL' : 'etcd says it expired';
      this.opts.log.warn(`broker ${b.id}: its etcd lease is lost (${why}); it leads nothing until it registers again`);
    });
    let leaseId: string;
    try {
      const granted = Date.now();
      leaseId = await lease.grant();
      this.leaseValidUntil = granted + (ttl * 1000 * 2) / 3;
    } catch (err) {
      this.dropLease();
      this.leaseGone = true;
      throw new KafkaError(ErrorCode.REQUEST_TIMED_OUT, `cannot get a lease from etcd: ${(err as Error).message}`);
    }
    const r = await this.txn((ns) => ns.if('cluster_id', 'Create', '>', 0).then(
      ns.put(`brokers/${b.id}`).value(JSON.stringify({ host: b.host, port: b.port, rack: b.rack, listeners: b.listeners })),
      ns.put(`alive/${b.id}`).value(randomUuid()).lease(leaseId),
    )).catch((err: unknown) => {
      this.dropLease();
      this.leaseGone = true;
      throw err;
    });
    this.ownEpoch = r.revision;
    await this.seen(r.revision);
    if (!this.holdTimer) this.watchLeaseHold();
    this.startCampaign();
    return this.registrations.get(b.id) ?? { ...b, epoch: r.revision, fenced: false };
  }

  /** Fencing in etcd is the registration key going: only this broker's own (a controlled shutdown) is removed here. */
  async setFenced(id: number, fenced: boolean): Promise<void> {
    if (!fenced || id !== this.opts.nodeId) return;
    const r = await this.txn((ns) => ns.if(`alive/${id}`, 'Mod', '==', this.ownEpoch).then(ns.delete().key(`alive/${id}`)));
    this.dropLease();
    await this.seen(r.revision);
  }

  /** The controller is whoever etcd's election names. */
  setController(): void {}

  /** Reserves `count` producer ids for this broker (a compare-and-set on the counter) and returns the first. */
  async reserveProducerIds(count: number): Promise<number> {
    for (;;) {
      const cur = await this.ns.get('producer_ids').exec().catch((err: Error) => { throw new KafkaError(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, `cannot reserve producer ids in etcd: ${err.message}`); });
      const kv = cur.kvs[0];
      const start = kv ? Number(kv.value.toString()) : 0;
      const r = await this.txn((ns) => ns.if('producer_ids', 'Mod', '==', kv ? Number(kv.mod_revision) : 0).then(ns.put('producer_ids').value(String(start + count))));
      if (r.succeeded) return start;
    }
  }

  /** Campaigns for controller for as long as the store is open; a lost campaign (its lease lapsed) starts again. */
  private startCampaign(): void {
    if (this.campaign || this.closed) return;
    const ttl = Math.max(2, Math.ceil(this.opts.leaseTtlMs / 1000));
    const campaign = this.ns.election('controller', ttl).campaign(String(this.opts.nodeId));
    this.campaign = campaign;
    campaign.on('elected', () => {
      void campaign.getCampaignKey().then((key) => {
        if (this.campaign !== campaign) return;
        this.campaignKey = { key, revision: String((campaign as unknown as { keyRevision: string }).keyRevision) };
        this.opts.log.info(`broker ${this.opts.nodeId} is the active controller`);
        // The image may have named this broker before the campaign knew it: say it again.
        for (const l of this.listeners) l({ kind: 'controller', controllerId: this.controller });
      }).catch(() => undefined);
    });
    campaign.on('error', (err: Error) => {
      if (this.campaign !== campaign) return;
      this.opts.log.warn(`broker ${this.opts.nodeId}: controller campaign failed (${err.message}); campaigning again`);
      this.campaign = undefined;
      this.campaignKey = undefined;
      void campaign.resign().catch(() => undefined);
      clearTimeout(this.campaignTimer);
      this.campaignTimer = setTimeout(() => this.startCampaign(), 1000);
      this.campaignTimer.unref();
    });
  }

  private dropLease(): void {
    const old = this.lease;
    this.lease = undefined;
    this.leaseValidUntil = 0;
    this.ownEpoch = -1;
    if (old) { old.removeAllListeners(); void old.revoke().catch(() => undefined); }
  }

  /** A clean stop: resigns the campaign, revokes the lease (its keys go at once) and disconnects. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.campaignTimer);
    clearInterval(this.holdTimer);
    const campaign = this.campaign;
    await campaign?.resign().catch(() => undefined);
    if (campaign) this.cancelElectionWatches(campaign);
    const lease = this.lease;
    this.lease = undefined;
    await lease?.revoke().catch(() => undefined);
    await this.watcher?.cancel().catch(() => undefined);
    this.client.close();
  }

  /** A crash: nothing more said to etcd, not even keepalives, so the leases lapse by themselves. */
  abandon(): void {
    this.closed = true;
    clearTimeout(this.campaignTimer);
    clearInterval(this.holdTimer);
    this.lease?.removeAllListeners();
    this.lease?.on('lost', () => undefined);
    this.lease?.release();
    const campaign = this.campaign;
    if (campaign) {
      campaign.removeAllListeners();
      // Its own lease would emit 'error' through the campaign when etcd later says it lapsed: expected now.
      campaign.on('error', () => undefined);
      (campaign as unknown as { lease: Lease }).lease.release();
      this.cancelElectionWatches(campaign);
    }
    void this.watcher?.cancel().catch(() => undefined);
    this.client.close();
  }

  /**
   * A campaign waiting to be elected watches the candidate before it, in a
   * namespace of its own that resign() does not stop; left alone it would
   * reconnect forever once the client is closed, keeping the process alive.
   */
  private cancelElectionWatches(campaign: Campaign): void {
    const manager = (campaign as unknown as { namespace?: { watchManager?: { watchers?: Watcher[] } } }).namespace?.watchManager;
    for (const w of [...(manager?.watchers ?? [])]) void w.cancel().catch(() => undefined);
  }
}

function toKv(kv: IKeyValue): Kv {
  return { value: kv.value.toString(), create: Number(kv.create_revision), mod: Number(kv.mod_revision) };
}

/** gRPC's error text without its empty trailing "Resolution note:". */
function grpcMessage(err: unknown): string {
  return String((err as Error)?.message ?? err).replace(/\s*Resolution note:\s*$/, '');
}
