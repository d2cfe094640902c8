/**
 * The active controller: the only writer of partition state. It fences brokers whose heartbeats lapse
 * (broker.session.timeout.ms) and elects new leaders from the ISR, grows and
 * shrinks ISRs at the leaders' request (AlterPartition semantics: checked
 * against the leader epoch and the partition epoch), moves leadership back to
 * preferred replicas (auto.leader.rebalance.enable), runs reassignments, and
 * applies topic changes. Every partition change is a compare-and-set on the
 * partition epoch in the store, awaited (the store may be remote: etcd) and
 * retried from the image when it loses to a concurrent writer.
 *
 * Which broker is the active controller: in one process, the live broker
 * with the lowest id (when it stops another takes over: a change of who the
 * image names, since the state is shared). With etcd every broker process
 * has a controller; the store runs the election and keeps liveness (leases),
 * and only the elected controller acts on it (fencing, elections,
 * rebalancing), its writes refused by etcd once it is deposed. Requests a
 * broker receives (ISR changes, admin) it writes itself, guarded by its own
 * registration, as Kafka's brokers wrote ISR changes to ZooKeeper. The
 * election logic (election.ts) is written against PartitionState only.
 */
import { ErrorCode, KafkaError } from '../wire/errors.js';
import type { AlterPartitionRequest, BrokerInfo, BrokerRegistration, ClusterStore, ControllerApi, ElectionType, PartitionState, PartitionUpdate, TopicMetadata, TopicSpec, Writer } from './cluster-metadata.js';
import { electLeader, withoutReplica } from './election.js';

export interface ControllerOptions {
  sessionTimeoutMs: number;
  /** unclean.leader.election.enable for a topic (its override, else the broker's). */
  uncleanAllowed(topic: TopicMetadata): boolean;
  autoLeaderRebalance: boolean;
  leaderImbalanceCheckMs: number;
  log?: { info(m: string, fields?: Record<string, unknown>): void; warn(m: string): void; error?(m: string): void; debug?(m: string, fields?: Record<string, unknown>): void };
}

/** Rounds of recomputing partition changes that lost a compare-and-set before giving up until the next event. */
const CAS_ROUNDS = 5;

export class LocalController implements ControllerApi {
  private readonly lastHeartbeat = new Map<number, number>();
  private readonly fencing = new Set<number>();
  private readonly timers: NodeJS.Timeout[] = [];
  private unsubscribe?: () => void;
  /** A reconcile in progress, and whether another is wanted after it. */
  private reconciling?: Promise<void>;
  private reconcileAgain = false;

  constructor(readonly store: ClusterStore, private readonly opts: ControllerOptions, private readonly now: () => number = Date.now) {
    if (store.ownsLiveness) {
      // Liveness and the election are the store's (etcd leases): this controller acts on what they say, while it is the elected one.
      this.unsubscribe = store.onChange((c) => { if (c.kind === 'brokers' || c.kind === 'controller') this.scheduleReconcile(); });
      const safety = setInterval(() => this.scheduleReconcile(), Math.max(500, opts.sessionTimeoutMs));
      safety.unref();
      this.timers.push(safety);
    } else {
      const sweep = setInterval(() => this.fenceExpired(), Math.max(10, Math.min(1000, opts.sessionTimeoutMs / 4)));
      sweep.unref();
      this.timers.push(sweep);
    }
    if (opts.autoLeaderRebalance) {
      const rebalance = setInterval(() => {
        if (!store.isController()) return;
        this.electLeaders('preferred', this.allPartitions(), true, 'controller').catch((e: unknown) => opts.log?.warn(`controller: preferred leader election failed: ${(e as Error)?.message ?? e}`));
      }, opts.leaderImbalanceCheckMs);
      rebalance.unref();
      this.timers.push(rebalance);
    }
  }

  close(): void {
    for (const t of this.timers) clearInterval(t);
    this.unsubscribe?.();
  }

  async registerBroker(b: BrokerInfo): Promise<BrokerRegistration> {
    // The elected controller notices the registration and elects where the broker is needed.
    if (this.store.ownsLiveness) return this.store.registerBroker(b);
    // A new incarnation: what the old one led moves first (its in-flight work belongs to an older epoch).
    if (this.store.broker(b.id)?.fenced === false) await this.fence(b.id, 'registered again');
    const reg = await this.store.registerBroker(b);
    this.lastHeartbeat.set(b.id, this.now());
    await this.pickController();
    // A broker that comes back may be the only ISR member of partitions left without a leader.
    await this.reconcile();
    return reg;
  }

  async heartbeat(brokerId: number, brokerEpoch: number): Promise<boolean> {
    const b = this.store.broker(brokerId);
    if (!b || b.epoch !== brokerEpoch || b.fenced) return false;
    if (this.store.ownsLiveness) return true;
    this.lastHeartbeat.set(brokerId, this.now());
    return true;
  }

  async unregisterBroker(brokerId: number, brokerEpoch: number): Promise<void> {
    const b = this.store.broker(brokerId);
    if (!b || b.epoch !== brokerEpoch) return;
    if (!this.store.ownsLiveness) return this.fence(brokerId, 'controlled shutdown');
    // The registration goes; the elected controller moves the leadership, which is waited for (bounded).
    await this.store.setFenced(brokerId, true);
    const until = this.now() + this.opts.sessionTimeoutMs * 2;
    while (this.now() < until && this.store.topics().some((t) => t.states.some((s) => s.leader === brokerId && s.isr.length > 1))) await new Promise((r) => setTimeout(r, 50));
  }

  /** Brokers not heard from within the session timeout are fenced. */
  private fenceExpired(): void {
    const now = this.now();
    for (const b of this.store.brokers()) {
      if (b.fenced) continue;
      if (this.fencing.has(b.id) || now - (this.lastHeartbeat.get(b.id) ?? 0) <= this.opts.sessionTimeoutMs) continue;
      // Once at a time per broker; a fence the store refused is tried again at the next sweep.
      this.fencing.add(b.id);
      this.fence(b.id, `no heartbeat for ${this.opts.sessionTimeoutMs} ms`)
        .catch((e: unknown) => this.opts.log?.warn(`controller: fencing broker ${b.id} failed: ${(e as Error)?.message ?? e}`))
        .finally(() => this.fencing.delete(b.id));
    }
  }

  /** Takes a broker out of every ISR and elects new leaders where it led. */
  private async fence(brokerId: number, why: string): Promise<void> {
    // A controlled shutdown is routine; a broker gone silent is worth a warning.
    const line = `controller: fencing broker ${brokerId} (${why})`;
    if (why === 'controlled shutdown') this.opts.log?.info(line); else this.opts.log?.warn(line);
    await this.store.setFenced(brokerId, true);
    await this.pickController();
    await this.reconcile();
  }

  /**
   * Brings every partition in line with which brokers are live: fenced
   * brokers leave the ISRs (the last member stays), partitions whose leader
   * is fenced or missing get one elected. Written as the controller.
   */
  private reconcile(): Promise<void> {
    return this.updateAll((topic, s) => {
      const live = this.liveSet();
      let n: Omit<PartitionState, 'partitionEpoch'> = s;
      for (const r of s.isr) if (!live.has(r)) n = withoutReplica(n, r);
      return electLeader(n, live, this.opts.uncleanAllowed(topic));
    }, 'controller');
  }

  /** One reconcile at a time while this is the elected controller; a request during one runs another after it. */
  private scheduleReconcile(): void {
    if (!this.store.isController()) return;
    if (this.reconciling) { this.reconcileAgain = true; return; }
    this.reconciling = this.reconcile()
      .catch((e: unknown) => this.opts.log?.warn(`controller: acting on broker liveness failed: ${(e as Error)?.message ?? e}`))
      .finally(() => {
        this.reconciling = undefined;
        if (this.reconcileAgain) { this.reconcileAgain = false; this.scheduleReconcile(); }
      });
  }

  private async pickController(): Promise<void> {
    const live = this.store.brokers().filter((b) => !b.fenced);
    await this.store.setController(live[0]?.id ?? -1);
  }

  private liveSet(): Set<number> {
    return new Set(this.store.brokers().filter((b) => !b.fenced).map((b) => b.id));
  }

  /**
   * Computes a new state per partition (undefined: unchanged) and writes the
   * changes in one go; those that lost a compare-and-set are computed again
   * from the partitions' states as they are now.
   */
  private async updateAll(next: (topic: TopicMetadata, s: PartitionState) => Omit<PartitionState, 'partitionEpoch'> | undefined, writer: Writer): Promise<void> {
    let only: Set<string> | undefined;
    for (let round = 0; round < CAS_ROUNDS; round++) {
      const updates: PartitionUpdate[] = [];
      for (const t of this.store.topics()) {
        t.states.forEach((s, p) => {
          if (only && !only.has(`${t.name}:${p}`)) return;
          const n = next(t, s);
          if (n && !sameState(n, s)) updates.push({ topic: t.name, partition: p, expected: s.partitionEpoch, state: n });
        });
      }
      if (updates.length === 0) return;
      const results = await this.updatePartitions(updates, writer);
      const lost = updates.filter((_, i) => results[i] === undefined);
      if (lost.length === 0) return;
      only = new Set(lost.map((u) => `${u.topic}:${u.partition}`));
    }
    this.opts.log?.warn(`controller: ${only?.size} partition change(s) kept losing to concurrent writers; left for the next event`);
  }

  async createTopics(specs: TopicSpec[]): Promise<TopicMetadata[]> {
    return this.store.createTopics(specs);
  }

  async deleteTopic(name: string): Promise<TopicMetadata | undefined> {
    return this.store.deleteTopic(name);
  }

  async createPartitions(name: string, assignments: number[][]): Promise<void> {
    await this.store.addPartitions(name, assignments);
  }

  async setTopicConfigs(name: string, configs: Record<string, string>): Promise<void> {
    await this.store.setTopicConfigs(name, configs);
  }

  /** Kafka's AlterPartition checks, in its order, then the compare-and-set. */
  async alterPartition(req: AlterPartitionRequest): Promise<{ errorCode: number; state?: PartitionState }> {
    const b = this.store.broker(req.brokerId);
    if (!b || b.epoch !== req.brokerEpoch || b.fenced) return { errorCode: ErrorCode.STALE_BROKER_EPOCH };
    const s = this.store.partition(req.topic, req.partition);
    if (!s) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
    if (s.leader !== req.brokerId) return { errorCode: ErrorCode.INVALID_REQUEST };
    if (req.leaderEpoch < s.leaderEpoch) return { errorCode: ErrorCode.FENCED_LEADER_EPOCH };
    if (req.partitionEpoch !== s.partitionEpoch) return { errorCode: ErrorCode.INVALID_UPDATE_VERSION };
    const live = this.liveSet();
    if (!req.isr.includes(s.leader) || req.isr.some((r) => !s.replicas.includes(r) || !live.has(r))) return { errorCode: ErrorCode.INELIGIBLE_REPLICA };
    let next: Omit<PartitionState, 'partitionEpoch'> = { ...s, isr: [...req.isr] };
    next = this.completeReassignment(req.topic, next);
    const [state] = await this.updatePartitions([{ topic: req.topic, partition: req.partition, expected: s.partitionEpoch, state: next }]);
    return state ? { errorCode: ErrorCode.NONE, state } : { errorCode: ErrorCode.INVALID_UPDATE_VERSION };
  }

  /** Once every added replica is in the ISR, the move ends: the removed replicas go, and leadership with them. */
  private completeReassignment(topic: string, s: Omit<PartitionState, 'partitionEpoch'>): Omit<PartitionState, 'partitionEpoch'> {
    if (s.addingReplicas.length === 0 && s.removingReplicas.length === 0) return s;
    if (!s.addingReplicas.every((r) => s.isr.includes(r))) return s;
    const target = s.replicas.filter((r) => !s.removingReplicas.includes(r));
    let isr = s.isr.filter((r) => target.includes(r));
    if (isr.length === 0) isr = [...target];
    const done = { ...s, replicas: target, isr, addingReplicas: [], removingReplicas: [] };
    if (target.includes(s.leader)) return done;
    const t = this.store.topic(topic)!;
    return electLeader({ ...done, leader: -1 }, this.liveSet(), this.opts.uncleanAllowed(t));
  }

  async electLeaders(type: ElectionType, partitions: { topic: string; partition: number }[], quiet = false, writer: Writer = 'broker'): Promise<{ topic: string; partition: number; errorCode: number; message: string | null }[]> {
    const live = this.liveSet();
    const updates: PartitionUpdate[] = [];
    const results = partitions.map(({ topic, partition }) => {
      const t = this.store.topic(topic);
      const s = t?.states[partition];
      if (!t || !s) return { topic, partition, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, message: `The partition ${topic}-${partition} does not exist.` };
      if (type === 'preferred') {
        const preferred = s.replicas[0]!;
        if (s.leader === preferred) return { topic, partition, errorCode: ErrorCode.ELECTION_NOT_NEEDED, message: 'Leader election not needed for topic partition.' };
        if (!live.has(preferred) || !s.isr.includes(preferred)) return { topic, partition, errorCode: ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE, message: `Failed to elect leader for partition ${topic}-${partition} under strategy PreferredReplicaPartitionLeaderElectionStrategy` };
        updates.push({ topic, partition, expected: s.partitionEpoch, state: { ...s, leader: preferred, leaderEpoch: s.leaderEpoch + 1 } });
      } else {
        if (s.leader !== -1 && live.has(s.leader)) return { topic, partition, errorCode: ErrorCode.ELECTION_NOT_NEEDED, message: 'Leader election not needed for topic partition.' };
        const next = electLeader(s, live, true);
        if (next.leader === -1) return { topic, partition, errorCode: ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE, message: `Failed to elect leader for partition ${topic}-${partition} under strategy UncleanPartitionLeaderElectionStrategy` };
        updates.push({ topic, partition, expected: s.partitionEpoch, state: next });
      }
      return { topic, partition, errorCode: ErrorCode.NONE, message: null };
    });
    if (updates.length) {
      const applied = await this.updatePartitions(updates, writer);
      if (!quiet) this.opts.log?.info(`controller: ${type} election moved ${applied.filter(Boolean).length} leader(s)`);
    }
    return results;
  }

  async reassignPartition(topic: string, partition: number, replicas: number[] | null): Promise<number> {
    const s = this.store.partition(topic, partition);
    if (!s) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    let next: Omit<PartitionState, 'partitionEpoch'>;
    if (replicas === null) {
      if (s.addingReplicas.length === 0 && s.removingReplicas.length === 0) return ErrorCode.NO_REASSIGNMENT_IN_PROGRESS;
      const original = s.replicas.filter((r) => !s.addingReplicas.includes(r));
      next = { ...s, replicas: original, isr: s.isr.filter((r) => original.includes(r)), addingReplicas: [], removingReplicas: [] };
      if (next.isr.length === 0) next.isr = [original[0]!];
      if (!original.includes(s.leader)) next = electLeader({ ...next, leader: -1 }, this.liveSet(), false);
    } else {
      if (replicas.length === 0 || new Set(replicas).size !== replicas.length || replicas.some((r) => !this.store.broker(r))) throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `The replica assignment ${JSON.stringify(replicas)} names unknown or repeated brokers.`);
      const original = s.replicas.filter((r) => !s.addingReplicas.includes(r));
      const adding = replicas.filter((r) => !original.includes(r));
      const removing = original.filter((r) => !replicas.includes(r));
      next = { ...s, replicas: [...replicas, ...removing], addingReplicas: adding, removingReplicas: removing };
      next = this.completeReassignment(topic, next);
    }
    const [state] = await this.updatePartitions([{ topic, partition, expected: s.partitionEpoch, state: next }]);
    return state ? ErrorCode.NONE : ErrorCode.INVALID_UPDATE_VERSION;
  }

  /**
   * Every partition state change goes through here, to log the leaders it
   * moved: one line per partition, or past LEADER_MOVE_LINES in one write (a
   * broker of a large cluster failing) one summary line, the rest at debug.
   */
  private async updatePartitions(updates: readonly PartitionUpdate[], writer?: Writer): Promise<(PartitionState | undefined)[]> {
    const before = updates.map((u) => this.store.partition(u.topic, u.partition)?.leader ?? -1);
    const results = await this.store.updatePartitions(updates, writer);
    const moved = results.flatMap((s, i) => (s && s.leader !== before[i] ? [{ topic: updates[i]!.topic, partition: updates[i]!.partition, oldLeader: before[i], newLeader: s.leader, leaderEpoch: s.leaderEpoch }] : []));
    const log = this.opts.log;
    const many = moved.length > LEADER_MOVE_LINES;
    if (many) log?.info('leaders moved', { count: moved.length, topics: [...new Set(moved.map((m) => m.topic))].slice(0, 20) });
    for (const m of moved) {
      if (many) log?.debug?.('leader moved', m);
      else log?.info('leader moved', m);
    }
    return results;
  }

  private allPartitions(): { topic: string; partition: number }[] {
    return this.store.topics().flatMap((t) => t.states.map((_, partition) => ({ topic: t.name, partition })));
  }
}

/** Leader moves logged one line each from one write; more are summed up in one line. */
const LEADER_MOVE_LINES = 20;

function sameState(a: Omit<PartitionState, 'partitionEpoch'>, b: PartitionState): boolean {
  return a.leader === b.leader && a.leaderEpoch === b.leaderEpoch && same(a.isr, b.isr) && same(a.replicas, b.replicas)
    && same(a.addingReplicas, b.addingReplicas) && same(a.removingReplicas, b.removingReplicas);
}

const same = (a: number[], b: number[]) => a.length === b.length && a.every((x, i) => x === b[i]);
