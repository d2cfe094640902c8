/**
 * The active controller of a process-local cluster: the only writer of
 * partition state. It fences brokers whose heartbeats lapse
 * (broker.session.timeout.ms) and elects new leaders from the ISR, grows and
 * shrinks ISRs at the leaders' request (AlterPartition semantics: checked
 * against the leader epoch and the partition epoch), moves leadership back to
 * preferred replicas (auto.leader.rebalance.enable), runs reassignments, and
 * applies topic changes. Every partition change is a compare-and-set on the
 * partition epoch in the store.
 *
 * Which broker is the active controller: the live broker with the lowest id.
 * When it stops another takes over; in one process that is a change of who
 * the image names, since the state is shared. The election logic (election.ts)
 * is written against PartitionState only, so an etcd store reuses it.
 */
import { ErrorCode, KafkaError } from '../wire/errors.js';
import type { AlterPartitionRequest, BrokerRegistration, ControllerApi, ElectionType, PartitionState, TopicMetadata, TopicSpec } from './cluster-metadata.js';
import type { MetadataStore, PartitionUpdate } from './metadata-store.js';
import { electLeader, withoutReplica } from './election.js';

export interface ControllerOptions {
  sessionTimeoutMs: number;
  /** unclean.leader.election.enable for a topic (its override, else the broker's). */
  uncleanAllowed(topic: TopicMetadata): boolean;
  autoLeaderRebalance: boolean;
  leaderImbalanceCheckMs: number;
  log?: { info(m: string): void; warn(m: string): void };
}

export class LocalController implements ControllerApi {
  private readonly lastHeartbeat = new Map<number, number>();
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(readonly store: MetadataStore, private readonly opts: ControllerOptions, private readonly now: () => number = Date.now) {
    const sweep = setInterval(() => this.fenceExpired(), Math.max(10, Math.min(1000, opts.sessionTimeoutMs / 4)));
    sweep.unref();
    this.timers.push(sweep);
    if (opts.autoLeaderRebalance) {
      const rebalance = setInterval(() => { void this.electLeaders('preferred', this.allPartitions(), true); }, opts.leaderImbalanceCheckMs);
      rebalance.unref();
      this.timers.push(rebalance);
    }
  }

  close(): void {
    for (const t of this.timers) clearInterval(t);
  }

  async registerBroker(b: { id: number; host: string; port: number; rack: string | null }): Promise<BrokerRegistration> {
    // A new incarnation: what the old one led moves first (its in-flight work belongs to an older epoch).
    if (this.store.broker(b.id)?.fenced === false) this.fence(b.id, 'registered again');
    const reg = this.store.registerBroker(b);
    this.lastHeartbeat.set(b.id, this.now());
    this.pickController();
    // A broker that comes back may be the only ISR member of partitions left without a leader.
    this.reelect((s) => s.leader === -1 && s.replicas.includes(b.id));
    return reg;
  }

  async heartbeat(brokerId: number, brokerEpoch: number): Promise<boolean> {
    const b = this.store.broker(brokerId);
    if (!b || b.epoch !== brokerEpoch || b.fenced) return false;
    this.lastHeartbeat.set(brokerId, this.now());
    return true;
  }

  async unregisterBroker(brokerId: number, brokerEpoch: number): Promise<void> {
    const b = this.store.broker(brokerId);
    if (!b || b.epoch !== brokerEpoch) return;
    this.fence(brokerId, 'controlled shutdown');
  }

  /** Brokers not heard from within the session timeout are fenced. */
  private fenceExpired(): void {
    const now = this.now();
    for (const b of this.store.brokers()) {
      if (b.fenced) continue;
      if (now - (this.lastHeartbeat.get(b.id) ?? 0) > this.opts.sessionTimeoutMs) this.fence(b.id, `no heartbeat for ${this.opts.sessionTimeoutMs} ms`);
    }
  }

  /** Takes a broker out of every ISR and elects new leaders where it led. */
  private fence(brokerId: number, why: string): void {
    this.opts.log?.warn(`controller: fencing broker ${brokerId} (${why})`);
    this.store.setFenced(brokerId, true);
    this.pickController();
    this.updateAll((topic, s) => {
      if (!s.isr.includes(brokerId) && s.leader !== brokerId) return undefined;
      return electLeader(withoutReplica(s, brokerId), this.liveSet(), this.opts.uncleanAllowed(topic));
    });
  }

  private pickController(): void {
    const live = this.store.brokers().filter((b) => !b.fenced);
    this.store.setController(live[0]?.id ?? -1);
  }

  private liveSet(): Set<number> {
    return new Set(this.store.brokers().filter((b) => !b.fenced).map((b) => b.id));
  }

  private reelect(which: (s: PartitionState) => boolean): void {
    this.updateAll((topic, s) => (which(s) ? electLeader(s, this.liveSet(), this.opts.uncleanAllowed(topic)) : undefined));
  }

  /** Computes a new state per partition (undefined: unchanged) and writes the changes in one go. */
  private updateAll(next: (topic: TopicMetadata, s: PartitionState) => Omit<PartitionState, 'partitionEpoch'> | undefined): void {
    const updates: PartitionUpdate[] = [];
    for (const t of this.store.topics()) {
      t.states.forEach((s, p) => {
        const n = next(t, s);
        if (n && !sameState(n, s)) updates.push({ topic: t.name, partition: p, expected: s.partitionEpoch, state: n });
      });
    }
    if (updates.length) this.store.updatePartitions(updates);
  }

  async createTopics(specs: TopicSpec[]): Promise<TopicMetadata[]> {
    return this.store.createTopics(specs);
  }

  async deleteTopic(name: string): Promise<TopicMetadata | undefined> {
    return this.store.deleteTopic(name);
  }

  async createPartitions(name: string, assignments: number[][]): Promise<void> {
    this.store.addPartitions(name, assignments);
  }

  async setTopicConfigs(name: string, configs: Record<string, string>): Promise<void> {
    this.store.setTopicConfigs(name, configs);
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
    const [state] = this.store.updatePartitions([{ topic: req.topic, partition: req.partition, expected: s.partitionEpoch, state: next }]);
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

  async electLeaders(type: ElectionType, partitions: { topic: string; partition: number }[], quiet = false): Promise<{ topic: string; partition: number; errorCode: number; message: string | null }[]> {
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
      const applied = this.store.updatePartitions(updates);
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
    const [state] = this.store.updatePartitions([{ topic, partition, expected: s.partitionEpoch, state: next }]);
    return state ? ErrorCode.NONE : ErrorCode.INVALID_UPDATE_VERSION;
  }

  private allPartitions(): { topic: string; partition: number }[] {
    return this.store.topics().flatMap((t) => t.states.map((_, partition) => ({ topic: t.name, partition })));
  }
}

function sameState(a: Omit<PartitionState, 'partitionEpoch'>, b: PartitionState): boolean {
  return a.leader === b.leader && a.leaderEpoch === b.leaderEpoch && same(a.isr, b.isr) && same(a.replicas, b.replicas)
    && same(a.addingReplicas, b.addingReplicas) && same(a.removingReplicas, b.removingReplicas);
}

const same = (a: number[], b: number[]) => a.length === b.length && a.every((x, i) => x === b[i]);
