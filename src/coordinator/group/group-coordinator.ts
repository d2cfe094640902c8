/**
 * The group coordinator. A group id names a group of one of two protocols:
 * the KIP-848 consumer protocol (ConsumerGroupHeartbeat: consumer-heartbeat.ts
 * and the files it uses, state in consumer-group.ts, records replayed by
 * consumer-group-replay.ts) or the classic one, below. Both keep committed
 * offsets the same way; an empty group of one type becomes the other when a
 * member of the other protocol joins (its metadata tombstoned, its offsets
 * kept). Groups with members migrate online as in Kafka 4.0
 * (group.consumer.migration.policy, consumer-group-migration.ts): a
 * consumer-protocol member joining a classic consumer group upgrades it, its
 * classic members staying in as classic members of the consumer group
 * (consumer-group-classic-members.ts answers their JoinGroup, SyncGroup,
 * Heartbeat and LeaveGroup), and the last consumer-protocol member leaving
 * downgrades it. Where the policy forbids it, a consumer-protocol join to a
 * classic group with members is GROUP_ID_NOT_FOUND and (policy disabled) a
 * classic join to a consumer group with members INCONSISTENT_GROUP_PROTOCOL.
 *
 * The classic rebalance protocol: join, sync, heartbeat and leave drive
 * each group's state machine; JoinGroup and SyncGroup answers are held until
 * the rebalance decides them. Timers: each member's session timeout (also of
 * member ids handed out with MEMBER_ID_REQUIRED), the rebalance timeout after
 * which members that did not rejoin are removed, and the initial delay of an
 * empty group's first rebalance (group.initial.rebalance.delay.ms).
 *
 * Durability (the store is the __consumer_offsets topic): each commit
 * writes an offset record, and the OffsetCommit answer waits for it
 * (`written()`); a group's metadata (protocol, generation, leader, members
 * with their subscriptions and assignments) is written when a rebalance
 * completes and when the group becomes empty; deletions write tombstones.
 *
 * Transactional commits (TxnOffsetCommit) are written as a transactional
 * batch of the producer and kept pending, invisible to OffsetFetch (which
 * answers UNSTABLE_OFFSET_COMMIT to require_stable), until the transaction
 * coordinator's marker commits or drops them (completeTxn).
 *
 * Leadership (Kafka's coordinator partitions): this coordinator serves only
 * the groups of __consumer_offsets partitions it has loaded; a lone broker
 * leads, and loads, them all. The broker calls `loadPartition` when it
 * becomes a partition's leader (the partition's records are replayed; its
 * groups answer COORDINATOR_LOAD_IN_PROGRESS meanwhile; members of a Stable
 * group are restored with fresh session timers, so consumers that keep
 * heartbeating carry on, and the others expire, as after a coordinator move
 * in Kafka) and `unloadPartition` when it stops leading it (its groups leave
 * memory, waiting joins and syncs get NOT_COORDINATOR, nothing is written);
 * groups of partitions not loaded here get NOT_COORDINATOR, which sends
 * clients back to FindCoordinator.
 *
 * Offset expiry (offsets.retention.minutes): offsets of a group without
 * members expire once it has been Empty for the retention time (groups with a
 * protocol type), or per offset from its commit time (groups used only for
 * commits); an Empty group left without offsets is removed (Kafka's Dead).
 */
import { randomUUID } from 'node:crypto';
import { ErrorCode } from '../../wire/errors.js';
import { ClassicGroup, type CommittedOffset, type JoinResult, type Member } from './classic-group.js';
import { UnwrittenOffsets } from './unwritten-offsets.js';
import { groupKey, groupValue, offsetKey, offsetValue, readGroupValue, readOffsetValue, type GroupRecordKey } from './group-records.js';
import type { GroupReplay, GroupStore, StoredRecord } from './offsets-topic.js';
import { FIRST_LOAD_WAIT_MS, LoadWaiters, type TxnWrite } from '../internal-topic.js';
import type { Group } from './group.js';
import type { ConsumerGroup } from './consumer-group.js';
import { DEFAULT_CONSUMER_GROUP_CONFIG, type ConsumerGroupConfig } from './consumer-group-config.js';
import { decodeConsumerRecord, encodeConsumerRecord, type ConsumerGroupRecord } from './consumer-group-records.js';
import { replayConsumerRecord } from './consumer-group-replay.js';
import { ConsumerHeartbeats, groupTombstoneRecords, type ConsumerGroupHost, type ConsumerHeartbeatRequest, type ConsumerHeartbeatResult } from './consumer-heartbeat.js';
import { ClassicMembers } from './consumer-group-classic-members.js';
import { classicGroupFrom } from './consumer-group-migration.js';
import { consumerOffsetCommitError, consumerOffsetFetchError, expirableOffsets } from './consumer-offsets.js';
import { NO_TOPICS, type GroupTopics } from './group-topics.js';

export interface GroupLimits {
  minSessionTimeoutMs: number;
  maxSessionTimeoutMs: number;
  initialRebalanceDelayMs: number;
  maxSize: number;
  /** offsets.retention.minutes in ms; no expiry when absent. */
  offsetsRetentionMs?: number;
  /** How often expiry runs (Kafka's offsets.retention.check.interval.ms, 600000). */
  offsetsRetentionCheckIntervalMs?: number;
  /** The consumer protocol's settings (group.consumer.*); Kafka's defaults for what is not given. */
  consumer?: Partial<ConsumerGroupConfig>;
}

export interface JoinRequest {
  groupId: string; memberId: string; groupInstanceId: string | null; clientId: string; clientHost: string;
  sessionTimeoutMs: number; rebalanceTimeoutMs: number; protocolType: string; protocols: { name: string; metadata: Buffer }[];
  /** v4+: a join without a member id first gets MEMBER_ID_REQUIRED and an id to rejoin with. */
  requireKnownMemberId: boolean;
}

/** Kafka stores a null committed_metadata as "" (OffsetAndMetadata.NO_METADATA), and OffsetFetch reads "" back. */
const withStoredMetadata = <T extends { offset: CommittedOffset }>(o: T): T => (o.offset.metadata === null ? { ...o, offset: { ...o.offset, metadata: '' } } : o);

const joinError = (errorCode: number, memberId = ''): JoinResult => ({ errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', memberId, members: [] });

/** A __consumer_offsets partition this coordinator leads; markers that arrive while it loads are applied after. */
interface OwnedPartition {
  state: 'loading' | 'loaded';
  leaderEpoch: number;
  deferredMarkers: { producerId: number; commit: boolean }[];
  loaded: Promise<void>;
}

export class GroupCoordinator {
  private readonly groups = new Map<string, Group>();
  private lastWrite: Promise<void> = Promise.resolve();
  private readonly lastWriteOf = new Map<string, Promise<void>>();
  private readonly unwritten = new UnwrittenOffsets();
  private expiryTimer?: NodeJS.Timeout;
  /** Partitions led here. */
  private readonly owned = new Map<number, OwnedPartition>();
  private readonly loadWaiters = new LoadWaiters();
  /** Told when a join phase ends with a new generation (the broker logs the rebalance). */
  onRebalanced: (g: ClassicGroup) => void = () => {};
  /** Told when a consumer-protocol group gets a new group epoch, and why. */
  onConsumerRebalance: (g: ConsumerGroup, reason: string) => void = () => {};
  /** The consumer protocol (KIP-848): ConsumerGroupHeartbeat and its timers. */
  private readonly consumer: ConsumerHeartbeats;
  /** Classic members inside consumer groups (after an online upgrade, or classic consumers joining one). */
  private readonly classicMembers: ClassicMembers;
  private topics: GroupTopics = NO_TOPICS;
  private unwatchTopics = () => {};
  readonly consumerConfig: ConsumerGroupConfig;

  constructor(private readonly limits: GroupLimits, private readonly store: GroupStore, private readonly onError: (e: unknown) => void = () => {}) {
    this.consumerConfig = { ...DEFAULT_CONSUMER_GROUP_CONFIG, ...limits.consumer };
    const self = this;
    const host: ConsumerGroupHost = {
      groups: this.groups,
      config: this.consumerConfig,
      get topics() { return self.topics; },
      status: (groupId) => this.coordinatorStatus(groupId),
      commit: (groupId, records) => this.commitConsumerRecords(groupId, records),
      onRebalance: (g, reason) => this.onConsumerRebalance(g, reason),
      retireClassicGroup: (g) => this.retireClassicGroup(g),
      downgrade: (g, leavingMemberId, reason) => this.downgradeToClassic(g, leavingMemberId, reason),
      classicMaxSize: limits.maxSize,
    };
    this.consumer = new ConsumerHeartbeats(host, onError);
    this.classicMembers = new ClassicMembers(host, this.consumer);
    if (limits.offsetsRetentionMs !== undefined) {
      this.expiryTimer = setInterval(() => this.expireOffsets(), limits.offsetsRetentionCheckIntervalMs ?? 600_000);
      this.expiryTimer.unref();
    }
  }

  /**
   * Resolves when the records of the group's last change are committed to the
   * log (of the last change of any group without an id); rejects with the
   * coordinator error when they could not be (OffsetCommit answers after it).
   */
  written(groupId?: string): Promise<void> {
    return groupId === undefined ? this.lastWrite : this.lastWriteOf.get(groupId) ?? Promise.resolve();
  }

  /**
   * The cluster's topics, for the consumer protocol (subscriptions, regexes,
   * assignments by topic id); a topic created, deleted or grown makes the
   * groups subscribed to it rebalance.
   */
  useTopics(topics: GroupTopics): void {
    this.unwatchTopics();
    this.topics = topics;
    this.unwatchTopics = topics.onChange((name) => this.consumer.onTopicChange(name));
  }

  /** The topic name of a topic id (ConsumerGroupDescribe). */
  topicName(id: string): string | undefined { return this.topics.topicById(id)?.name; }

  /** ConsumerGroupHeartbeat (consumer-heartbeat.ts). */
  consumerHeartbeat(req: ConsumerHeartbeatRequest): Promise<ConsumerHeartbeatResult> { return this.consumer.heartbeat(req); }

  /** Consumer group records: replayed into memory at once, then written (resolves once committed). */
  private commitConsumerRecords(groupId: string, records: ConsumerGroupRecord[]): Promise<void> {
    for (const r of records) replayConsumerRecord(this.groups, r);
    return this.write(groupId, records.map(encodeConsumerRecord));
  }

  private write(groupId: string, records: StoredRecord[], txn?: TxnWrite, offsetCommit = false): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    const p = this.store.write(groupId, records, txn, offsetCommit);
    this.track(groupId, p);
    p.catch((e: unknown) => this.onError(e));
    return p;
  }

  private track(groupId: string, p: Promise<void>): void {
    this.lastWrite = p;
    this.lastWriteOf.set(groupId, p);
    const forget = () => { if (this.lastWriteOf.get(groupId) === p) this.lastWriteOf.delete(groupId); };
    p.then(forget, forget);
  }

  /** The __consumer_offsets partition of a group. */
  partitionOf(groupId: string): number { return this.store.partitionOf(groupId); }

  /** The partition count of __consumer_offsets, creating it when missing (FindCoordinator). */
  ensureTopic(): Promise<number> { return this.store.ensure(); }

  /**
   * Before a group request: when __consumer_offsets does not exist yet (a
   * client that did not ask FindCoordinator first, on a fresh cluster), it is
   * created and the request waits, up to `waitMs`, for the group's partition
   * to be loaded here, so that a lone broker serves it. Kafka would answer
   * NOT_COORDINATOR and let the client find its coordinator; that is still
   * the answer when another broker leads the partition.
   */
  async prepare(groupId: string, waitMs = FIRST_LOAD_WAIT_MS): Promise<void> {
    if (this.store.exists()) return;
    try { await this.store.ensure(); } catch (e) { this.onError(e); return; }
    const p = this.partitionOf(groupId);
    if (!this.owned.has(p)) await this.loadWaiters.wait(p, waitMs);
    await this.owned.get(p)?.loaded;
  }

  /** NONE when this coordinator serves the group now; else COORDINATOR_LOAD_IN_PROGRESS or NOT_COORDINATOR. */
  coordinatorStatus(groupId: string): number { return this.partitionStatus(this.partitionOf(groupId)); }

  /**
   * Whether this broker may act as a coordinator at all now: with etcd, only
   * while its registration lease holds (a broker cut off from etcd may have
   * lost its partitions without knowing; its memory would answer stale).
   */
  canServe: () => boolean = () => true;

  private partitionStatus(partition: number): number {
    const o = this.owned.get(partition);
    if (!o || !this.canServe()) return ErrorCode.NOT_COORDINATOR;
    return o.state === 'loading' ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : ErrorCode.NONE;
  }

  /** Whether some partition is still loading (ListGroups reports it, as Kafka does). */
  loading(): boolean { return [...this.owned.values()].some((o) => o.state === 'loading'); }

  /** Partitions loaded or loading here, with their leader epochs. */
  ownedPartitions(): { partition: number; leaderEpoch: number; loading: boolean }[] {
    return [...this.owned].map(([partition, o]) => ({ partition, leaderEpoch: o.leaderEpoch, loading: o.state === 'loading' }));
  }

  /**
   * This broker became the leader of a __consumer_offsets partition: replay
   * its records into groups. Resolves once they are served. A call for an
   * epoch already loaded (or loading) does nothing; a newer epoch reloads
   * (another leader may have written in between); an older one is stale.
   */
  loadPartition(partition: number, leaderEpoch: number): Promise<void> {
    const cur = this.owned.get(partition);
    if (cur && cur.leaderEpoch >= leaderEpoch) return cur.loaded;
    // Whatever is in memory for the partition (an older epoch's state) is replaced by what the log says now.
    this.unloadPartition(partition);
    const entry: OwnedPartition = { state: 'loading', leaderEpoch, deferredMarkers: [], loaded: Promise.resolve() };
    this.owned.set(partition, entry);
    const wanted = () => this.owned.get(partition) === entry;
    entry.loaded = (async () => {
      const rebuild = this.rebuilder();
      try {
        if (!(await this.store.replayPartition(partition, rebuild.to, wanted)) || !wanted()) return;
      } catch (e) {
        // Nothing half-loaded is served: the partition is not ours until a new load succeeds.
        if (wanted()) { this.owned.delete(partition); this.dropGroups(partition); }
        this.onError(e);
        return;
      }
      rebuild.finish();
      entry.state = 'loaded';
      for (const m of entry.deferredMarkers) this.completeTxn(m.producerId, m.commit, (g) => this.partitionOf(g) === partition);
      entry.deferredMarkers = [];
    })();
    this.loadWaiters.loaded(partition);
    return entry.loaded;
  }

  /**
   * This broker no longer leads the partition: its groups leave memory
   * (their state is in the log, for the new leader) and members waiting in a
   * join or sync get NOT_COORDINATOR, so that they find the new coordinator.
   */
  unloadPartition(partition: number): void {
    this.owned.delete(partition);
    this.dropGroups(partition);
  }

  private dropGroups(partition: number): void {
    for (const g of [...this.groups.values()]) {
      if (this.partitionOf(g.groupId) !== partition) continue;
      this.groups.delete(g.groupId);
      if (g.type === 'consumer') { this.consumer.forgetGroup(g.groupId); continue; }
      clearTimeout(g.rebalanceTimer);
      for (const timer of g.pendingMembers.values()) clearTimeout(timer);
      g.pendingMembers.clear();
      for (const m of g.members.values()) {
        clearTimeout(m.sessionTimer);
        m.awaitingJoin?.(joinError(ErrorCode.NOT_COORDINATOR, m.memberId));
        m.awaitingSync?.({ errorCode: ErrorCode.NOT_COORDINATOR, assignment: Buffer.alloc(0) });
        m.awaitingJoin = m.awaitingSync = undefined;
      }
    }
  }

  /** The group's metadata record, as Kafka writes it after a rebalance and when the group empties. */
  private writeGroup(g: ClassicGroup): void {
    if (g.protocolType === null) return;
    this.write(g.groupId, [{
      key: groupKey(g.groupId),
      value: groupValue({
        protocolType: g.protocolType, generationId: g.generationId, protocolName: g.protocolName, leaderId: g.leaderId,
        currentStateTimestamp: g.stateTimestamp,
        members: [...g.members.values()].map((m) => ({
          memberId: m.memberId, groupInstanceId: m.groupInstanceId, clientId: m.clientId, clientHost: m.clientHost,
          rebalanceTimeoutMs: m.rebalanceTimeoutMs, sessionTimeoutMs: m.sessionTimeoutMs,
          subscription: m.protocols.find((p) => p.name === g.protocolName)?.metadata ?? Buffer.alloc(0), assignment: m.assignment,
        })),
      }),
    }]);
  }

  /**
   * An online upgrade takes the group's members (consumer-group-migration.ts):
   * its timers stop, and members waiting in a join or sync are told to
   * rejoin (REBALANCE_IN_PROGRESS), which they do as classic members of the
   * consumer group.
   */
  private retireClassicGroup(g: ClassicGroup): void {
    clearTimeout(g.rebalanceTimer);
    for (const timer of g.pendingMembers.values()) clearTimeout(timer);
    for (const m of g.members.values()) {
      clearTimeout(m.sessionTimer);
      m.awaitingJoin?.(joinError(ErrorCode.REBALANCE_IN_PROGRESS, m.memberId));
      m.awaitingSync?.({ errorCode: ErrorCode.REBALANCE_IN_PROGRESS, assignment: Buffer.alloc(0) });
      m.awaitingJoin = m.awaitingSync = undefined;
    }
  }

  /**
   * An online downgrade: the last consumer-protocol member left a group of
   * classic members. The consumer group's records are tombstoned, the classic
   * group (consumer-group-migration.ts) is written, and it rebalances, as
   * Kafka's convertToClassicGroup. Resolves once all of it is written.
   */
  private downgradeToClassic(cg: ConsumerGroup, leavingMemberId: string, reason: string): Promise<void> {
    const g = classicGroupFrom(cg, leavingMemberId, this.topics);
    const tombstones = this.commitConsumerRecords(cg.groupId, groupTombstoneRecords(cg));
    this.groups.set(g.groupId, g);
    this.writeGroup(g);
    for (const m of g.members.values()) this.touch(g, m);
    this.onConsumerRebalance(cg, `${reason}; the group is a classic group again`);
    this.prepareRebalance(g);
    const group = this.written(g.groupId);
    return tombstones.then(() => group);
  }

  private becomeEmpty(g: ClassicGroup): void {
    g.state = 'Empty';
    g.stateTimestamp = Date.now();
    g.leaderId = null;
    this.writeGroup(g);
  }

  /** The classic group of that id (undefined for a consumer-protocol group: DescribeGroups, classic APIs). */
  group(id: string): ClassicGroup | undefined { return this.classic(id); }
  /** The group of that id, of either protocol (check `type`). */
  anyGroup(id: string): Group | undefined { return this.groups.get(id); }
  /** A group's committed offsets as written to __consumer_offsets (OffsetFetch): commits still being written are not shown yet. */
  committedOffsets(id: string): ReadonlyMap<string, ReadonlyMap<number, CommittedOffset>> | undefined {
    const g = this.groups.get(id);
    return g && this.unwritten.visible(id, g.offsets);
  }
  /** The consumer-protocol group of that id (ConsumerGroupDescribe). */
  consumerGroup(id: string): ConsumerGroup | undefined { const g = this.groups.get(id); return g?.type === 'consumer' ? g : undefined; }
  /** The groups of partitions loaded here (ListGroups). */
  all(): Group[] { return [...this.groups.values()].filter((g) => this.coordinatorStatus(g.groupId) === ErrorCode.NONE); }

  /** The classic group of that id, created when missing; an empty consumer group in its place is converted first. */
  private getOrCreate(id: string): ClassicGroup {
    let g = this.groups.get(id);
    if (g?.type === 'consumer') {
      // Replay or a classic join to an empty consumer group: its offsets stay, its metadata goes.
      this.consumer.forgetGroup(id);
      g = new ClassicGroup(id, g.offsets, g.pendingTxnOffsets);
      this.groups.set(id, g);
    }
    if (!g) { g = new ClassicGroup(id); this.groups.set(id, g); }
    return g;
  }

  /** The group holding the offsets of that id (a commit-only classic group when there is none). */
  private holder(id: string): Group { return this.groups.get(id) ?? this.getOrCreate(id); }

  /** The classic group of that id, if the id names one. */
  private classic(id: string): ClassicGroup | undefined {
    const g = this.groups.get(id);
    return g?.type === 'classic' ? g : undefined;
  }

  join(req: JoinRequest): Promise<JoinResult> {
    if (!req.groupId) return Promise.resolve(joinError(ErrorCode.INVALID_GROUP_ID));
    const status = this.coordinatorStatus(req.groupId);
    if (status !== ErrorCode.NONE) return Promise.resolve(joinError(status, req.memberId));
    if (req.sessionTimeoutMs < this.limits.minSessionTimeoutMs || req.sessionTimeoutMs > this.limits.maxSessionTimeoutMs) {
      return Promise.resolve(joinError(ErrorCode.INVALID_SESSION_TIMEOUT, req.memberId));
    }
    const current = this.groups.get(req.groupId);
    if (current?.type === 'consumer') {
      if (current.members.size > 0) {
        // A classic member of a consumer group; with group.consumer.migration.policy=disabled this broker keeps the protocols apart (Kafka admits it whatever the policy).
        if (this.consumerConfig.migrationPolicy === 'disabled') return Promise.resolve(joinError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, req.memberId));
        return this.classicMembers.join(current, req);
      }
      // An empty consumer group becomes a classic one: its records tombstoned, its offsets kept.
      this.commitConsumerRecords(req.groupId, groupTombstoneRecords(current)).catch(() => {});
    }
    const g = this.getOrCreate(req.groupId);
    if (!g.supports(req.protocolType, req.protocols)) return Promise.resolve(joinError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, req.memberId));
    const staticMember = req.groupInstanceId ? [...g.members.values()].find((m) => m.groupInstanceId === req.groupInstanceId) : undefined;
    if (staticMember && req.memberId !== '' && req.memberId !== staticMember.memberId) return Promise.resolve(joinError(ErrorCode.FENCED_INSTANCE_ID, req.memberId));
    if (staticMember && req.memberId === '') return Promise.resolve(this.rejoinStatic(g, staticMember, req));
    let memberId = req.memberId;
    if (memberId === '') {
      if (g.members.size >= this.limits.maxSize) return Promise.resolve(joinError(ErrorCode.GROUP_MAX_SIZE_REACHED));
      // Kafka's member ids: the instance id for static members, else the client id, then a UUID.
      memberId = `${req.groupInstanceId ?? req.clientId}-${randomUUID()}`;
      if (req.requireKnownMemberId && !req.groupInstanceId) {
        this.addPendingMember(g, memberId, req.sessionTimeoutMs);
        return Promise.resolve(joinError(ErrorCode.MEMBER_ID_REQUIRED, memberId));
      }
    } else if (!g.members.has(memberId) && !g.pendingMembers.has(memberId)) {
      return Promise.resolve(joinError(ErrorCode.UNKNOWN_MEMBER_ID, memberId));
    }
    clearTimeout(g.pendingMembers.get(memberId));
    g.pendingMembers.delete(memberId);
    const existing = g.members.get(memberId);
    const member: Member = existing ?? {
      memberId, groupInstanceId: req.groupInstanceId, clientId: req.clientId, clientHost: req.clientHost,
      sessionTimeoutMs: req.sessionTimeoutMs, rebalanceTimeoutMs: req.rebalanceTimeoutMs, protocolType: req.protocolType,
      protocols: req.protocols, assignment: Buffer.alloc(0),
    };
    member.protocols = req.protocols;
    member.sessionTimeoutMs = req.sessionTimeoutMs;
    member.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
    if (!existing && g.members.size === 0) g.protocolType = req.protocolType;
    if (!existing && g.initialRebalance) g.newMemberAdded = true;
    g.members.set(memberId, member);
    this.touch(g, member);
    const result = new Promise<JoinResult>((resolve) => { member.awaitingJoin = resolve; });
    // A known member rejoining an unchanged Stable group as its leader would still rebalance, as in Kafka.
    if (g.state !== 'PreparingRebalance') this.prepareRebalance(g);
    else this.maybeCompleteJoin(g);
    return result;
  }

  /**
   * A static member (group.instance.id) back under a new member id, e.g. after
   * a restart within its session timeout: it takes the old member's place and,
   * in a Stable group whose protocols it still speaks, keeps its assignment with
   * no rebalance (KIP-345); otherwise the group rebalances as for a join.
   */
  private rejoinStatic(g: ClassicGroup, old: Member, req: JoinRequest): JoinResult | Promise<JoinResult> {
    const memberId = `${req.groupInstanceId}-${randomUUID()}`;
    g.members.delete(old.memberId);
    old.awaitingJoin?.(joinError(ErrorCode.FENCED_INSTANCE_ID, old.memberId));
    old.awaitingSync?.({ errorCode: ErrorCode.FENCED_INSTANCE_ID, assignment: Buffer.alloc(0) });
    old.awaitingJoin = old.awaitingSync = undefined;
    const wasLeader = g.leaderId === old.memberId;
    const member: Member = { ...old, memberId, clientId: req.clientId, clientHost: req.clientHost, sessionTimeoutMs: req.sessionTimeoutMs, rebalanceTimeoutMs: req.rebalanceTimeoutMs, protocols: req.protocols };
    g.members.set(memberId, member);
    if (wasLeader) g.leaderId = memberId;
    this.touch(g, member);
    clearTimeout(old.sessionTimer);
    if (g.state === 'Stable' && g.protocolName !== null && req.protocols.some((p) => p.name === g.protocolName)) {
      this.writeGroup(g);
      return {
        errorCode: ErrorCode.NONE, generationId: g.generationId, protocolType: g.protocolType, protocolName: g.protocolName, leader: g.leaderId!, memberId,
        members: wasLeader ? [...g.members.values()].map((x) => ({ memberId: x.memberId, groupInstanceId: x.groupInstanceId, metadata: x.protocols.find((p) => p.name === g.protocolName)!.metadata })) : [],
        skipAssignment: wasLeader,
      };
    }
    const result = new Promise<JoinResult>((resolve) => { member.awaitingJoin = resolve; });
    if (g.state !== 'PreparingRebalance') this.prepareRebalance(g);
    else this.maybeCompleteJoin(g);
    return result;
  }

  private prepareRebalance(g: ClassicGroup): void {
    for (const m of g.members.values()) {
      if (m.awaitingSync) { m.awaitingSync({ errorCode: ErrorCode.REBALANCE_IN_PROGRESS, assignment: Buffer.alloc(0) }); m.awaitingSync = undefined; }
    }
    const wasEmpty = g.state === 'Empty';
    g.state = 'PreparingRebalance';
    clearTimeout(g.rebalanceTimer);
    const timeout = Math.max(0, ...[...g.members.values()].map((m) => m.rebalanceTimeoutMs));
    const delay = wasEmpty ? this.limits.initialRebalanceDelayMs : 0;
    if (delay > 0) {
      g.initialRebalance = true;
      this.scheduleInitialJoin(g, delay, Math.max(timeout - delay, 0));
      return;
    }
    g.rebalanceTimer = setTimeout(() => this.completeJoin(g), timeout);
    this.maybeCompleteJoin(g);
  }

  /**
   * Kafka's initial rebalance (InitialDelayedJoin): the first join to an Empty
   * group waits group.initial.rebalance.delay.ms, and again for as long as new
   * members keep arriving within each delay, up to the rebalance timeout, so
   * members that start together share one generation.
   */
  private scheduleInitialJoin(g: ClassicGroup, delay: number, remaining: number): void {
    g.rebalanceTimer = setTimeout(() => {
      if (g.newMemberAdded && remaining > 0) {
        g.newMemberAdded = false;
        this.scheduleInitialJoin(g, Math.min(this.limits.initialRebalanceDelayMs, remaining), Math.max(remaining - delay, 0));
      } else {
        this.completeJoin(g);
      }
    }, delay);
  }

  private maybeCompleteJoin(g: ClassicGroup): void {
    if (g.state !== 'PreparingRebalance' || g.initialRebalance) return;
    if ([...g.members.values()].every((m) => m.awaitingJoin) && g.pendingMembers.size === 0) this.completeJoin(g);
  }

  /** Ends the join phase: members that did not rejoin go; a new generation starts. */
  private completeJoin(g: ClassicGroup): void {
    if (g.state !== 'PreparingRebalance') return;
    clearTimeout(g.rebalanceTimer);
    g.initialRebalance = g.newMemberAdded = false;
    for (const m of [...g.members.values()]) if (!m.awaitingJoin) this.remove(g, m);
    g.generationId++;
    if (g.members.size === 0) {
      g.protocolName = null;
      this.becomeEmpty(g);
      this.onRebalanced(g);
      return;
    }
    g.protocolName = g.selectProtocol();
    if (!g.leaderId || !g.members.has(g.leaderId)) g.leaderId = g.members.keys().next().value!;
    g.state = 'CompletingRebalance';
    this.onRebalanced(g);
    for (const m of g.members.values()) {
      const resolve = m.awaitingJoin!;
      m.awaitingJoin = undefined;
      this.touch(g, m);
      resolve({
        errorCode: ErrorCode.NONE, generationId: g.generationId, protocolType: g.protocolType, protocolName: g.protocolName,
        leader: g.leaderId, memberId: m.memberId,
        members: m.memberId === g.leaderId
          ? [...g.members.values()].map((x) => ({ memberId: x.memberId, groupInstanceId: x.groupInstanceId, metadata: x.protocols.find((p) => p.name === g.protocolName)!.metadata }))
          : [],
      });
    }
  }

  sync(groupId: string, generationId: number, memberId: string, protocolType: string | null, protocolName: string | null, assignments: { memberId: string; assignment: Buffer }[], groupInstanceId: string | null = null): Promise<{ errorCode: number; assignment: Buffer; protocolType: string | null; protocolName: string | null }> {
    const status = this.coordinatorStatus(groupId);
    if (status !== ErrorCode.NONE) return Promise.resolve({ errorCode: status, assignment: Buffer.alloc(0), protocolType: null, protocolName: null });
    const any = this.groups.get(groupId);
    if (any?.type === 'consumer') return Promise.resolve(this.classicMembers.sync(any, memberId, groupInstanceId, generationId, protocolType, protocolName));
    const g = this.classic(groupId);
    const answer = (errorCode: number, assignment: Buffer = Buffer.alloc(0)) => Promise.resolve({ errorCode, assignment, protocolType: g?.protocolType ?? null, protocolName: g?.protocolName ?? null });
    if (!g) return answer(ErrorCode.UNKNOWN_MEMBER_ID);
    const invalid = g.validateMember(memberId, groupInstanceId);
    if (invalid !== ErrorCode.NONE) return answer(invalid);
    const m = g.members.get(memberId)!;
    if (generationId !== g.generationId) return answer(ErrorCode.ILLEGAL_GENERATION);
    if ((protocolType !== null && protocolType !== g.protocolType) || (protocolName !== null && protocolName !== g.protocolName)) return answer(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    if (g.state === 'PreparingRebalance') return answer(ErrorCode.REBALANCE_IN_PROGRESS);
    this.touch(g, m);
    if (g.state === 'Stable') return answer(ErrorCode.NONE, m.assignment);
    const result = new Promise<{ errorCode: number; assignment: Buffer }>((resolve) => { m.awaitingSync = resolve; })
      .then((r) => ({ ...r, protocolType: g.protocolType, protocolName: g.protocolName }));
    if (memberId === g.leaderId) {
      const byMember = new Map(assignments.map((a) => [a.memberId, a.assignment]));
      for (const x of g.members.values()) x.assignment = byMember.get(x.memberId) ?? Buffer.alloc(0);
      g.state = 'Stable';
      g.stateTimestamp = Date.now();
      this.writeGroup(g);
      for (const x of g.members.values()) {
        if (x.awaitingSync) { x.awaitingSync({ errorCode: ErrorCode.NONE, assignment: x.assignment }); x.awaitingSync = undefined; }
      }
    }
    return result;
  }

  /**
   * A pending member id (MEMBER_ID_REQUIRED) lives for its session timeout,
   * as in Kafka, then goes, letting a rebalance waiting for it complete.
   */
  private addPendingMember(g: ClassicGroup, memberId: string, sessionTimeoutMs: number): void {
    const timer = setTimeout(() => this.removePendingMember(g, memberId), sessionTimeoutMs);
    timer.unref();
    g.pendingMembers.set(memberId, timer);
  }

  private removePendingMember(g: ClassicGroup, memberId: string): void {
    clearTimeout(g.pendingMembers.get(memberId));
    g.pendingMembers.delete(memberId);
    this.maybeCompleteJoin(g);
  }

  /** Heartbeat; `groupInstanceId` is sent from v3 (a replaced static member is fenced). */
  heartbeat(groupId: string, generationId: number, memberId: string, groupInstanceId: string | null = null): number {
    const status = this.coordinatorStatus(groupId);
    if (status !== ErrorCode.NONE) return status;
    const any = this.groups.get(groupId);
    if (any?.type === 'consumer') return this.classicMembers.heartbeat(any, memberId, groupInstanceId, generationId);
    const g = this.classic(groupId);
    if (!g) return ErrorCode.UNKNOWN_MEMBER_ID;
    const invalid = g.validateMember(memberId, groupInstanceId);
    if (invalid !== ErrorCode.NONE) return invalid;
    const m = g.members.get(memberId)!;
    if (generationId !== g.generationId) return ErrorCode.ILLEGAL_GENERATION;
    this.touch(g, m);
    return g.state === 'PreparingRebalance' ? ErrorCode.REBALANCE_IN_PROGRESS : ErrorCode.NONE;
  }

  leave(groupId: string, members: { memberId: string; groupInstanceId: string | null }[]): { errorCode: number; members: { memberId: string; groupInstanceId: string | null; errorCode: number }[] } {
    const status = this.coordinatorStatus(groupId);
    if (status !== ErrorCode.NONE) return { errorCode: status, members: members.map((m) => ({ ...m, errorCode: status })) };
    const g = this.groups.get(groupId);
    if (!g) return { errorCode: ErrorCode.UNKNOWN_MEMBER_ID, members: [] };
    if (g.type === 'consumer') return { errorCode: ErrorCode.NONE, members: this.classicMembers.leave(g, members) };
    const out = members.map((x) => ({ ...x, errorCode: this.leaveOne(g, x.memberId, x.groupInstanceId) }));
    if (out.some((x) => x.errorCode === ErrorCode.NONE)) this.afterMemberLeft(g);
    return { errorCode: ErrorCode.NONE, members: out };
  }

  /**
   * One member of a LeaveGroup, as Kafka's classicGroupLeave: no member id
   * removes a static member by instance id (an admin's removal); a pending
   * member id just goes; otherwise the member id (and instance id, if given)
   * must be current, so a replaced static member is FENCED_INSTANCE_ID and
   * cannot remove its successor.
   */
  private leaveOne(g: ClassicGroup, memberId: string, groupInstanceId: string | null): number {
    if (memberId === '') {
      const current = groupInstanceId !== null ? g.staticMemberId(groupInstanceId) : undefined;
      if (current === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
      this.remove(g, g.members.get(current)!);
      return ErrorCode.NONE;
    }
    if (g.pendingMembers.has(memberId)) {
      clearTimeout(g.pendingMembers.get(memberId));
      g.pendingMembers.delete(memberId);
      return ErrorCode.NONE;
    }
    const invalid = g.validateMember(memberId, groupInstanceId);
    if (invalid === ErrorCode.NONE) this.remove(g, g.members.get(memberId)!);
    return invalid;
  }

  private remove(g: ClassicGroup, m: Member): void {
    clearTimeout(m.sessionTimer);
    g.members.delete(m.memberId);
    m.awaitingJoin?.(joinError(ErrorCode.UNKNOWN_MEMBER_ID, m.memberId));
    m.awaitingSync?.({ errorCode: ErrorCode.UNKNOWN_MEMBER_ID, assignment: Buffer.alloc(0) });
    if (g.leaderId === m.memberId) g.leaderId = null;
  }

  private afterMemberLeft(g: ClassicGroup): void {
    if (g.state === 'Stable' || g.state === 'CompletingRebalance') this.prepareRebalance(g);
    else if (g.state === 'PreparingRebalance') this.maybeCompleteJoin(g);
    if (g.members.size === 0 && g.state !== 'PreparingRebalance' && g.state !== 'Empty') this.becomeEmpty(g);
  }

  /** (Re)starts a member's session timer: silence past sessionTimeoutMs removes it. */
  private touch(g: ClassicGroup, m: Member): void {
    clearTimeout(m.sessionTimer);
    m.sessionTimer = setTimeout(() => {
      if (m.awaitingJoin) return; // waiting in a join: the rebalance timeout decides
      this.remove(g, m);
      this.afterMemberLeft(g);
    }, m.sessionTimeoutMs);
    m.sessionTimer.unref();
  }

  /**
   * OffsetCommit, validated as Kafka's OffsetMetadataManager.validateOffsetCommit
   * and ClassicGroup.validateOffsetCommit: generation < 0 commits to an Empty
   * group whatever the member id (admin tools, self-assigning consumers) and
   * creates a missing group; generation >= 0 to a missing group is
   * ILLEGAL_GENERATION (GROUP_ID_NOT_FOUND from v9). Otherwise a generation,
   * member id or instance id means a member of the current generation
   * (validateMember, then ILLEGAL_GENERATION); none of them, to a group that
   * is not Empty, is UNKNOWN_MEMBER_ID. Between join and sync:
   * REBALANCE_IN_PROGRESS; while members rejoin, the current generation may
   * still commit (what consumers consumed as they give partitions up).
   * `groupInstanceId` is sent from v7.
   */
  commit(groupId: string, generationId: number, memberId: string, offsets: { topic: string; partition: number; offset: CommittedOffset }[], groupInstanceId: string | null = null, apiVersion = 9): number {
    const status = this.coordinatorStatus(groupId);
    if (status !== ErrorCode.NONE) return status;
    const existing = this.groups.get(groupId);
    if (!existing && generationId >= 0) return apiVersion >= 9 ? ErrorCode.GROUP_ID_NOT_FOUND : ErrorCode.ILLEGAL_GENERATION;
    const g = existing ?? this.getOrCreate(groupId);
    if (g.type === 'consumer') {
      const invalid = consumerOffsetCommitError(g, memberId, generationId, false, apiVersion);
      if (invalid !== ErrorCode.NONE) return invalid;
    } else {
      if (generationId >= 0 || g.state !== 'Empty') {
        if (generationId >= 0 || memberId !== '' || groupInstanceId !== null) {
          const invalid = g.validateMember(memberId, groupInstanceId);
          if (invalid !== ErrorCode.NONE) return invalid;
          if (generationId !== g.generationId) return ErrorCode.ILLEGAL_GENERATION;
        } else {
          return ErrorCode.UNKNOWN_MEMBER_ID;
        }
        if (g.state === 'CompletingRebalance') return ErrorCode.REBALANCE_IN_PROGRESS;
      }
      const m = g.members.get(memberId);
      if (m) this.touch(g, m);
    }
    offsets = offsets.map(withStoredMetadata);
    const settle = this.unwritten.begin(groupId, g.offsets, offsets);
    for (const o of offsets) {
      let t = g.offsets.get(o.topic);
      if (!t) g.offsets.set(o.topic, (t = new Map()));
      t.set(o.partition, o.offset);
    }
    this.write(groupId, offsets.map((o) => ({ key: offsetKey(groupId, o.topic, o.partition), value: offsetValue(o.offset) })), undefined, true)
      .then(() => settle(true), () => settle(false));
    return ErrorCode.NONE;
  }

  /**
   * TxnOffsetCommit: offsets committed inside the producer's transaction,
   * written as its transactional batch and pending until the marker. Only
   * what the request names is checked (Kafka's rule): a member id must be a
   * member (a stale static instance is fenced), a generation >= 0 must be the
   * group's; v0-v2 send neither.
   */
  txnCommit(groupId: string, txn: TxnWrite, generationId: number, memberId: string, groupInstanceId: string | null, offsets: { topic: string; partition: number; offset: CommittedOffset }[]): number {
    const status = this.coordinatorStatus(groupId);
    if (status !== ErrorCode.NONE) return status;
    const g = this.holder(groupId);
    if (g.type === 'consumer') {
      // Kafka: the member epoch goes in generation_id, and a stale one is ILLEGAL_GENERATION here.
      const invalid = consumerOffsetCommitError(g, memberId, generationId, true, 0);
      if (invalid !== ErrorCode.NONE) return invalid === ErrorCode.STALE_MEMBER_EPOCH ? ErrorCode.ILLEGAL_GENERATION : invalid;
    } else {
      if (memberId !== '' && !g.members.has(memberId)) {
        const stale = groupInstanceId !== null && [...g.members.values()].some((x) => x.groupInstanceId === groupInstanceId);
        return stale ? ErrorCode.FENCED_INSTANCE_ID : ErrorCode.UNKNOWN_MEMBER_ID;
      }
      if (generationId >= 0 && generationId !== g.generationId) return ErrorCode.ILLEGAL_GENERATION;
    }
    offsets = offsets.map(withStoredMetadata);
    this.addPending(g, txn.producerId, offsets);
    this.write(groupId, offsets.map((o) => ({ key: offsetKey(groupId, o.topic, o.partition), value: offsetValue(o.offset) })), txn, true);
    return ErrorCode.NONE;
  }

  private addPending(g: Group, producerId: number, offsets: { topic: string; partition: number; offset: CommittedOffset }[]): void {
    const list = g.pendingTxnOffsets.get(producerId) ?? [];
    for (const o of offsets) {
      const i = list.findIndex((x) => x.topic === o.topic && x.partition === o.partition);
      if (i >= 0) list[i] = o; else list.push(o);
    }
    g.pendingTxnOffsets.set(producerId, list);
  }

  /**
   * A transaction marker reached the __consumer_offsets partition that
   * `inPartition(groupId)` says holds a group: the producer's pending offsets
   * there become committed (commit) or are dropped (abort).
   */
  completeTxn(producerId: number, commit: boolean, inPartition: (groupId: string) => boolean): void {
    // The groups are those in memory: a partition that is not loaded here has none.
    for (const g of this.groups.values()) {
      const pending = g.pendingTxnOffsets.get(producerId);
      if (!pending || !inPartition(g.groupId)) continue;
      g.pendingTxnOffsets.delete(producerId);
      if (commit) for (const o of pending) this.restore(g.groupId, o.topic, o.partition, o.offset);
    }
  }

  /**
   * A marker was written to a __consumer_offsets partition (WriteTxnMarkers,
   * or this broker's own transaction coordinator). A partition still loading
   * may have read the log before the marker: the marker is applied once the
   * load completes.
   */
  completeTxnInPartition(producerId: number, commit: boolean, partition: number): void {
    const o = this.owned.get(partition);
    if (o?.state === 'loading') { o.deferredMarkers.push({ producerId, commit }); return; }
    this.completeTxn(producerId, commit, (g) => this.partitionOf(g) === partition);
  }

  /**
   * OffsetFetch v9's member id and epoch, checked against a consumer-protocol
   * group (UNKNOWN_MEMBER_ID, STALE_MEMBER_EPOCH); classic groups take any.
   */
  validateOffsetFetch(groupId: string, memberId: string | null, memberEpoch: number): number {
    const g = this.groups.get(groupId);
    return g?.type === 'consumer' ? consumerOffsetFetchError(g, memberId, memberEpoch) : ErrorCode.NONE;
  }

  /** Whether an open transaction has offsets pending for the partition (OffsetFetch require_stable). */
  hasPendingTxnOffset(groupId: string, topic: string, partition: number): boolean {
    const g = this.groups.get(groupId);
    if (!g) return false;
    for (const list of g.pendingTxnOffsets.values()) if (list.some((o) => o.topic === topic && o.partition === partition)) return true;
    return false;
  }

  /** Sets a committed offset without writing it (replay, a committed transaction's offsets). */
  private restore(groupId: string, topic: string, partition: number, offset: CommittedOffset): void {
    const g = this.holder(groupId);
    let t = g.offsets.get(topic);
    if (!t) g.offsets.set(topic, (t = new Map()));
    t.set(partition, offset);
  }

  /**
   * What a replay feeds (records and markers in log order; the last record
   * per key wins; transactional offsets wait for their marker) and, at the
   * end, what settles the groups it touched.
   */
  private rebuilder(): { to: GroupReplay; finish(): void } {
    const tombstoned = new Set<string>();
    const touched = new Set<string>();
    // Transactional offsets seen per (partition, producer) until their marker.
    const pending = new Map<string, { key: GroupRecordKey & { kind: 'offset' }; value: Buffer }[]>();
    const record = (key: GroupRecordKey, value: Buffer | null): void => {
      touched.add(key.groupId);
      if (key.kind === 'offset') {
        if (value) { this.restore(key.groupId, key.topic, key.partition, readOffsetValue(value)); return; }
        const g = this.groups.get(key.groupId);
        g?.offsets.get(key.topic)?.delete(key.partition);
        if (g?.offsets.get(key.topic)?.size === 0) g.offsets.delete(key.topic);
        return;
      }
      if (key.kind === 'consumer') { replayConsumerRecord(this.groups, decodeConsumerRecord(key, value)); return; }
      // A classic tombstone does not concern a consumer group of the same id (written before it became one).
      if (!value && this.groups.get(key.groupId)?.type === 'consumer') return;
      const g = this.getOrCreate(key.groupId);
      for (const m of g.members.values()) clearTimeout(m.sessionTimer);
      g.members.clear();
      if (!value) {
        tombstoned.add(key.groupId);
        Object.assign(g, { state: 'Empty', generationId: 0, protocolType: null, protocolName: null, leaderId: null });
        return;
      }
      tombstoned.delete(key.groupId);
      const v = readGroupValue(value);
      Object.assign(g, { generationId: v.generationId, protocolType: v.protocolType, protocolName: v.protocolName, leaderId: v.leaderId, stateTimestamp: v.currentStateTimestamp > 0 ? v.currentStateTimestamp : Date.now() });
      for (const m of v.members) {
        g.members.set(m.memberId, {
          memberId: m.memberId, groupInstanceId: m.groupInstanceId, clientId: m.clientId, clientHost: m.clientHost,
          sessionTimeoutMs: m.sessionTimeoutMs, rebalanceTimeoutMs: m.rebalanceTimeoutMs, protocolType: v.protocolType,
          protocols: [{ name: v.protocolName ?? '', metadata: m.subscription }], assignment: m.assignment,
        });
      }
      g.state = g.members.size > 0 ? 'Stable' : 'Empty';
    };
    const to: GroupReplay = {
      record(partition, key, value, _timestamp, txnProducerId) {
        if (txnProducerId >= 0 && key.kind === 'offset' && value) {
          const k = `${partition}:${txnProducerId}`;
          pending.set(k, [...(pending.get(k) ?? []), { key, value }]);
          return;
        }
        record(key, value);
      },
      marker(p, producerId, commit) {
        const k = `${p}:${producerId}`;
        const list = pending.get(k);
        pending.delete(k);
        if (commit && list) for (const x of list) record(x.key, x.value);
      },
    };
    const finish = (): void => {
      // Transactions still open at the end of the log: their offsets stay pending.
      for (const [k, list] of pending) {
        const producerId = Number(k.slice(k.indexOf(':') + 1));
        for (const x of list) {
          touched.add(x.key.groupId);
          this.addPending(this.holder(x.key.groupId), producerId, [{ topic: x.key.topic, partition: x.key.partition, offset: readOffsetValue(x.value) }]);
        }
      }
      for (const id of touched) {
        const g = this.groups.get(id);
        if (!g) continue;
        if (g.type === 'consumer') { this.consumer.onLoaded(g); continue; }
        // Nothing left of a deleted group, or of a commit-only group whose offsets all went.
        if (g.members.size === 0 && g.offsets.size === 0 && g.pendingTxnOffsets.size === 0 && (g.protocolType === null || tombstoned.has(g.groupId))) {
          this.groups.delete(g.groupId);
          continue;
        }
        for (const m of g.members.values()) this.touch(g, m);
      }
    };
    return { to, finish };
  }

  /** Expires offsets per offsets.retention.minutes (see the file comment); runs on a timer. */
  expireOffsets(now = Date.now()): void {
    const retention = this.limits.offsetsRetentionMs;
    if (retention === undefined) return;
    for (const g of [...this.groups.values()]) {
      // Only the leader of a group's partition writes its tombstones.
      if (this.coordinatorStatus(g.groupId) !== ErrorCode.NONE) continue;
      if (g.type === 'consumer') { this.expireConsumerOffsets(g, now, retention); continue; }
      if (g.members.size > 0 || g.state !== 'Empty') continue;
      const tombstones: StoredRecord[] = [];
      for (const [topic, parts] of g.offsets) {
        for (const [p, o] of parts) {
          const since = g.protocolType !== null ? g.stateTimestamp : o.commitTimestamp;
          if (now - since < retention) continue;
          parts.delete(p);
          tombstones.push({ key: offsetKey(g.groupId, topic, p), value: null });
        }
        if (parts.size === 0) g.offsets.delete(topic);
      }
      if (g.offsets.size === 0) {
        g.state = 'Dead';
        this.groups.delete(g.groupId);
        if (g.protocolType !== null) tombstones.push({ key: groupKey(g.groupId), value: null });
      }
      this.write(g.groupId, tombstones);
    }
  }

  /**
   * A consumer group's offsets expire as Kafka's do: per offset, from its
   * commit time, for topics no member subscribes to (members or not); an
   * Empty group left without offsets is deleted.
   */
  private expireConsumerOffsets(g: ConsumerGroup, now: number, retention: number): void {
    const tombstones: StoredRecord[] = [];
    for (const { topic, partition } of expirableOffsets(g, now, retention)) {
      const parts = g.offsets.get(topic)!;
      parts.delete(partition);
      if (parts.size === 0) g.offsets.delete(topic);
      tombstones.push({ key: offsetKey(g.groupId, topic, partition), value: null });
    }
    this.write(g.groupId, tombstones);
    if (g.state === 'Empty' && g.offsets.size === 0 && g.pendingTxnOffsets.size === 0) this.commitConsumerRecords(g.groupId, groupTombstoneRecords(g)).catch(() => {});
  }

  /**
   * OffsetDelete: removes committed offsets, except for topics the group's
   * consumer members subscribe to (GROUP_SUBSCRIBED_TO_TOPIC per partition).
   * `subscribed(metadata)` reads a member's subscription for the group's protocol.
   */
  deleteOffsets(groupId: string, topics: { name: string; partitions: number[] }[], subscribed: (metadata: Buffer) => string[]): { errorCode: number; partitions: { topic: string; partition: number; errorCode: number }[] } {
    const status = this.coordinatorStatus(groupId);
    if (status !== ErrorCode.NONE) return { errorCode: status, partitions: [] };
    const tombstones: StoredRecord[] = [];
    const g = this.groups.get(groupId);
    if (!g) return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, partitions: [] };
    const inUse = new Set<string>();
    if (g.type === 'consumer') {
      for (const t of g.subscribedTopicNames().keys()) inUse.add(t);
    } else if (g.protocolType === 'consumer') {
      for (const m of g.members.values()) {
        const meta = m.protocols.find((p) => p.name === g.protocolName)?.metadata;
        if (meta) for (const t of subscribed(meta)) inUse.add(t);
      }
    }
    const partitions = topics.flatMap((t) => t.partitions.map((p) => {
      if (inUse.has(t.name)) return { topic: t.name, partition: p, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC };
      if (g.offsets.get(t.name)?.delete(p)) tombstones.push({ key: offsetKey(groupId, t.name, p), value: null });
      if (g.offsets.get(t.name)?.size === 0) g.offsets.delete(t.name);
      return { topic: t.name, partition: p, errorCode: ErrorCode.NONE };
    }));
    this.write(groupId, tombstones);
    return { errorCode: ErrorCode.NONE, partitions };
  }

  deleteGroup(groupId: string): number {
    const status = this.coordinatorStatus(groupId);
    if (status !== ErrorCode.NONE) return status;
    const g = this.groups.get(groupId);
    if (!g || g.state === 'Dead') return ErrorCode.GROUP_ID_NOT_FOUND;
    if (g.members.size > 0) return ErrorCode.NON_EMPTY_GROUP;
    this.unwritten.forget(groupId);
    const tombstones: StoredRecord[] = [];
    for (const [topic, parts] of g.offsets) for (const p of parts.keys()) tombstones.push({ key: offsetKey(groupId, topic, p), value: null });
    if (g.type === 'consumer') {
      // Offsets first, then the group's records (Kafka's order); their replay removes the group.
      this.write(groupId, tombstones);
      g.offsets.clear();
      g.pendingTxnOffsets.clear();
      this.commitConsumerRecords(groupId, groupTombstoneRecords(g)).catch(() => {});
      return ErrorCode.NONE;
    }
    g.state = 'Dead';
    this.groups.delete(groupId);
    tombstones.push({ key: groupKey(groupId), value: null });
    this.write(groupId, tombstones);
    return ErrorCode.NONE;
  }

  close(): void {
    clearInterval(this.expiryTimer);
    this.unwatchTopics();
    this.consumer.close();
    for (const g of this.groups.values()) {
      if (g.type === 'consumer') continue;
      clearTimeout(g.rebalanceTimer);
      for (const m of g.members.values()) clearTimeout(m.sessionTimer);
      for (const timer of g.pendingMembers.values()) clearTimeout(timer);
    }
  }
}
