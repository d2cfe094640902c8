/**
 * A minimal member of a classic consumer group, for `samsa topic consume
 * --group`: JoinGroup and SyncGroup with the "consumer" protocol (range or
 * round robin computed here when the coordinator makes this member leader),
 * heartbeats on a timer, fetches from the committed offsets (or from
 * auto.offset.reset's earliest/latest where none is committed), and commits
 * what earlier polls handed over, at the next poll, on commit() and on
 * close(), as the Java consumer's auto-commit does (at least once).
 *
 * A rebalance (REBALANCE_IN_PROGRESS on a heartbeat or a commit) is noticed
 * by the heartbeat and acted on at the next poll: commit, join again, take
 * the new assignment. The group protocol runs on its own connection to the
 * coordinator, so a JoinGroup waiting out a rebalance and the heartbeats
 * never queue behind a long-polling Fetch.
 */
import { ApiKey } from '../wire/generated/api-keys.js';
import { decodeJoinGroupResponse, encodeJoinGroupRequest } from '../wire/generated/join-group.js';
import { decodeSyncGroupResponse, encodeSyncGroupRequest } from '../wire/generated/sync-group.js';
import { decodeHeartbeatResponse, encodeHeartbeatRequest } from '../wire/generated/heartbeat.js';
import { decodeLeaveGroupResponse, encodeLeaveGroupRequest } from '../wire/generated/leave-group.js';
import { decodeOffsetCommitResponse, encodeOffsetCommitRequest } from '../wire/generated/offset-commit.js';
import { ErrorCode } from '../wire/errors.js';
import { AdminError, type AdminConnection } from '../cli/admin-connection.js';
import type { KafkaClient } from './kafka-client.js';
import { KafkaClientError } from './errors.js';
import { tpKey } from './leader-routing.js';
import { listOffsets, type Isolation } from './offsets.js';
import { fetchRecords, type FetchedRecord } from './fetch-records.js';
import { committedOffsets } from './groups.js';
import { decodeAssignment, decodeSubscription, encodeAssignment, encodeSubscription, type TopicPartitions } from './consumer-protocol.js';
import { ASSIGNORS } from './assignors.js';

export interface GroupConsumerOptions {
  groupId: string;
  topics: string[];
  /** Where a partition without a committed offset starts (Kafka's default: latest). */
  autoOffsetReset?: 'earliest' | 'latest';
  isolation?: Isolation;
  /** Kafka's defaults: 45 s session, 3 s heartbeats. The rebalance timeout is how long a rejoin may take (default 30 s). */
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  rebalanceTimeoutMs?: number;
}

export type GroupRecord = FetchedRecord & { topic: string };

/** Coordinator errors after which the member asks FindCoordinator again. */
const COORDINATOR_MOVED = new Set<number>([ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS]);
/** Errors that mean this member's generation is over: join again. */
const REJOIN = new Set<number>([ErrorCode.REBALANCE_IN_PROGRESS, ErrorCode.ILLEGAL_GENERATION, ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.FENCED_INSTANCE_ID]);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class GroupConsumer {
  private conn?: AdminConnection;
  private memberId = '';
  private generationId = -1;
  private protocol: string | null = null;
  private assigned: TopicPartitions[] = [];
  /** Next offset to fetch per partition (tpKey), and what was last committed. */
  private readonly positions = new Map<string, { topic: string; partition: number; offset: number }>();
  private readonly committed = new Map<string, number>();
  private rejoinNeeded = true;
  private heartbeat?: NodeJS.Timeout;
  private closed = false;
  private readonly sessionTimeoutMs: number;
  private readonly rebalanceTimeoutMs: number;
  private readonly heartbeatIntervalMs: number;

  private constructor(private readonly client: KafkaClient, private readonly opts: GroupConsumerOptions) {
    this.sessionTimeoutMs = opts.sessionTimeoutMs ?? 45_000;
    this.rebalanceTimeoutMs = opts.rebalanceTimeoutMs ?? 30_000;
    this.heartbeatIntervalMs = opts.heartbeatIntervalMs ?? 3_000;
  }

  /** Joins the group and takes an assignment (the first poll would do it too; joining here reports a bad group or topic at once). */
  static async join(client: KafkaClient, opts: GroupConsumerOptions): Promise<GroupConsumer> {
    if (opts.topics.length === 0) throw new AdminError('a group consumer needs at least one topic');
    const c = new GroupConsumer(client, opts);
    try {
      await c.rejoin();
    } catch (e) {
      c.stopHeartbeat();
      c.conn?.close();
      throw e;
    }
    return c;
  }

  /** This member's partitions, sorted by topic. */
  assignment(): TopicPartitions[] {
    return this.assigned.map((a) => ({ topic: a.topic, partitions: [...a.partitions] }));
  }

  get member(): { memberId: string; generationId: number; protocol: string | null } {
    return { memberId: this.memberId, generationId: this.generationId, protocol: this.protocol };
  }

  /**
   * Commits what earlier polls handed over, rejoins if the group is
   * rebalancing, then reads up to `maxRecords` from the assigned partitions
   * (waiting up to `maxWaitMs` when none has a record).
   */
  async poll(opts: { maxRecords?: number; maxWaitMs?: number } = {}): Promise<GroupRecord[]> {
    if (this.closed) throw new AdminError('the consumer is closed');
    await this.commit();
    if (this.rejoinNeeded) await this.rejoin();
    const maxWaitMs = opts.maxWaitMs ?? 1000;
    if (this.positions.size === 0) {
      // Nothing assigned (more members than partitions): wait as a fetch would, heartbeats keep the membership.
      await sleep(Math.min(maxWaitMs, this.heartbeatIntervalMs));
      return [];
    }
    const byTopic = new Map<string, Map<number, number>>();
    for (const p of this.positions.values()) {
      let m = byTopic.get(p.topic);
      if (!m) byTopic.set(p.topic, (m = new Map()));
      m.set(p.partition, p.offset);
    }
    const share = Math.max(1, Math.floor((opts.maxRecords ?? 500) / byTopic.size));
    const generation = this.generationId;
    const results = await Promise.all([...byTopic].map(async ([topic, positions]) => {
      const r = await fetchRecords(this.client, { topic, positions, maxRecords: share, maxWaitMs, isolation: this.opts.isolation, offsetReset: this.opts.autoOffsetReset ?? 'latest' });
      return { topic, r };
    }));
    // A rejoin during the fetch gave out new positions: these records belong to the old assignment's positions.
    if (generation !== this.generationId) return [];
    const out: GroupRecord[] = [];
    for (const { topic, r } of results) {
      for (const rec of r.records) out.push({ ...rec, topic });
      for (const [p, next] of Object.entries(r.next)) {
        const pos = this.positions.get(tpKey(topic, Number(p)));
        if (pos) pos.offset = next;
      }
    }
    return out;
  }

  /** Commits the positions after every record handed over so far (nothing when they did not move). */
  async commit(): Promise<void> {
    if (this.generationId < 0 || this.memberId === '') return;
    const changed = [...this.positions.values()].filter((p) => this.committed.get(tpKey(p.topic, p.partition)) !== p.offset);
    if (changed.length === 0) return;
    const conn = await this.coordinator();
    const v = conn.version(ApiKey.OffsetCommit, 9, 'OffsetCommit', 2);
    const byTopic = new Map<string, { partition: number; offset: number }[]>();
    for (const p of changed) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p]);
    const r = await conn.request(ApiKey.OffsetCommit, v, (w) => encodeOffsetCommitRequest(w, {
      groupId: this.opts.groupId,
      generationIdOrMemberEpoch: this.generationId,
      memberId: this.memberId,
      groupInstanceId: null,
      retentionTimeMs: -1n,
      topics: [...byTopic].map(([name, ps]) => ({ name, partitions: ps.map((p) => ({ partitionIndex: p.partition, committedOffset: BigInt(p.offset), committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: '' })) })),
    }, v), (rd) => decodeOffsetCommitResponse(rd, v));
    for (const t of r.topics) {
      for (const p of t.partitions) {
        if (p.errorCode === ErrorCode.NONE) {
          const pos = changed.find((x) => x.topic === t.name && x.partition === p.partitionIndex);
          if (pos) this.committed.set(tpKey(t.name, p.partitionIndex), pos.offset);
        } else if (!this.handleGroupError(p.errorCode)) {
          throw new KafkaClientError(p.errorCode, `commit for group ${this.opts.groupId} ${t.name}-${p.partitionIndex}`);
        }
      }
    }
  }

  /** Commits, leaves the group (so the others rebalance at once, not after the session timeout) and closes the connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopHeartbeat();
    try {
      await this.commit().catch(() => undefined);
      if (this.memberId !== '' && this.conn) {
        const conn = this.conn;
        const v = conn.version(ApiKey.LeaveGroup, 5, 'LeaveGroup');
        await conn.request(ApiKey.LeaveGroup, v, (w) => encodeLeaveGroupRequest(w, v >= 3
          ? { groupId: this.opts.groupId, members: [{ memberId: this.memberId, groupInstanceId: null, reason: 'the consumer is closing' }] }
          : { groupId: this.opts.groupId, memberId: this.memberId }, v), (rd) => decodeLeaveGroupResponse(rd, v)).catch(() => undefined);
      }
    } finally {
      this.conn?.close();
      this.conn = undefined;
    }
  }

  /** The dedicated coordinator connection, found again after the coordinator moved. */
  private async coordinator(): Promise<AdminConnection> {
    if (this.conn) return this.conn;
    const nodeId = await this.client.coordinatorId('group', this.opts.groupId);
    // Requests on this connection may wait out a whole rebalance.
    this.conn = await this.client.dedicatedConnection(nodeId, Math.max(this.client.requestTimeoutMs, this.rebalanceTimeoutMs + 5_000));
    return this.conn;
  }

  /** True when the error is one the group protocol recovers from (rejoin or a new coordinator); false for a real failure. */
  private handleGroupError(code: number): boolean {
    if (code === ErrorCode.UNKNOWN_MEMBER_ID || code === ErrorCode.FENCED_INSTANCE_ID) this.memberId = '';
    if (code === ErrorCode.UNKNOWN_MEMBER_ID || code === ErrorCode.ILLEGAL_GENERATION) this.generationId = -1;
    if (REJOIN.has(code)) { this.rejoinNeeded = true; return true; }
    if (COORDINATOR_MOVED.has(code)) {
      this.conn?.close();
      this.conn = undefined;
      this.rejoinNeeded = true;
      return true;
    }
    return false;
  }

  /** JoinGroup then SyncGroup until this member holds an assignment of a complete generation, then positions from the committed offsets. */
  private async rejoin(): Promise<void> {
    this.stopHeartbeat();
    for (let attempt = 0; ; attempt++) {
      if (this.closed) throw new AdminError('the consumer is closed');
      if (attempt > 0) await sleep(Math.min(100 * attempt, 1000));
      if (attempt > 50) throw new AdminError(`could not join group ${this.opts.groupId} after ${attempt} attempts`);
      let conn: AdminConnection;
      try {
        conn = await this.coordinator();
      } catch (e) {
        if (e instanceof KafkaClientError && COORDINATOR_MOVED.has(e.code)) continue;
        throw e;
      }
      const join = await this.joinGroup(conn).catch((e: unknown) => this.connectionLost(e));
      if (!join) continue;
      if (join.errorCode === ErrorCode.MEMBER_ID_REQUIRED) { this.memberId = join.memberId; continue; }
      if (join.errorCode !== ErrorCode.NONE) {
        if (this.handleGroupError(join.errorCode)) continue;
        throw new KafkaClientError(join.errorCode, `join group ${this.opts.groupId}`);
      }
      this.memberId = join.memberId;
      this.generationId = join.generationId;
      this.protocol = join.protocolName;
      const assignments = join.leader === join.memberId ? await this.assign(join.protocolName ?? '', join.members) : [];
      const sync = await this.syncGroup(conn, assignments).catch((e: unknown) => this.connectionLost(e));
      if (!sync) continue;
      if (sync.errorCode !== ErrorCode.NONE) {
        if (this.handleGroupError(sync.errorCode)) continue;
        throw new KafkaClientError(sync.errorCode, `sync group ${this.opts.groupId}`);
      }
      this.rejoinNeeded = false;
      this.assigned = decodeAssignment(sync.assignment);
      this.startHeartbeat();
      await this.loadPositions();
      return;
    }
  }

  /** A dropped coordinator connection during the group protocol: forget it and try again (undefined), anything else is thrown. */
  private connectionLost(e: unknown): undefined {
    if (!(e instanceof AdminError) || e instanceof KafkaClientError) throw e;
    this.conn?.close();
    this.conn = undefined;
    return undefined;
  }

  private async joinGroup(conn: AdminConnection) {
    const v = conn.version(ApiKey.JoinGroup, 9, 'JoinGroup', 1);
    const metadata = encodeSubscription(this.opts.topics);
    return conn.request(ApiKey.JoinGroup, v, (w) => encodeJoinGroupRequest(w, {
      groupId: this.opts.groupId,
      sessionTimeoutMs: this.sessionTimeoutMs,
      rebalanceTimeoutMs: this.rebalanceTimeoutMs,
      memberId: this.memberId,
      groupInstanceId: null,
      protocolType: 'consumer',
      protocols: ASSIGNORS.map((a) => ({ name: a.name, metadata })),
      reason: null,
    }, v), (rd) => decodeJoinGroupResponse(rd, v));
  }

  private async syncGroup(conn: AdminConnection, assignments: { memberId: string; assignment: Buffer }[]) {
    const v = conn.version(ApiKey.SyncGroup, 5, 'SyncGroup');
    return conn.request(ApiKey.SyncGroup, v, (w) => encodeSyncGroupRequest(w, {
      groupId: this.opts.groupId,
      generationId: this.generationId,
      memberId: this.memberId,
      groupInstanceId: null,
      protocolType: 'consumer',
      protocolName: this.protocol,
      assignments,
    }, v), (rd) => decodeSyncGroupResponse(rd, v));
  }

  /** The leader's job: every member's partitions under the chosen assignor, from the members' subscriptions and the topics' partition counts. */
  private async assign(protocol: string, members: { memberId: string; metadata: Buffer }[]): Promise<{ memberId: string; assignment: Buffer }[]> {
    const assignor = ASSIGNORS.find((a) => a.name === protocol);
    if (!assignor) throw new AdminError(`group ${this.opts.groupId} chose assignor ${protocol}, which this client does not offer`);
    const subscribers = members.map((m) => ({ memberId: m.memberId, topics: decodeSubscription(m.metadata) }));
    const topics = [...new Set(subscribers.flatMap((s) => s.topics))];
    const md = await this.client.metadata(topics);
    const counts = new Map(md.topics.filter((t) => t.errorCode === ErrorCode.NONE && t.name).map((t) => [t.name!, t.partitions.length]));
    const plan = assignor.assign(subscribers, counts);
    return subscribers.map((s) => ({ memberId: s.memberId, assignment: encodeAssignment(plan.get(s.memberId) ?? []) }));
  }

  /** Positions for the new assignment: the committed offsets, auto.offset.reset where there is none. */
  private async loadPositions(): Promise<void> {
    this.positions.clear();
    this.committed.clear();
    const tps = this.assigned.flatMap((a) => a.partitions.map((partition) => ({ topic: a.topic, partition })));
    if (tps.length === 0) return;
    const committed = await committedOffsets(this.client, this.opts.groupId, tps);
    const missing = tps.filter((tp) => (committed.find((c) => c.topic === tp.topic && c.partition === tp.partition)?.offset ?? -1) < 0);
    const reset = missing.length > 0 ? await listOffsets(this.client, missing, this.opts.autoOffsetReset ?? 'latest', this.opts.isolation) : [];
    for (const tp of tps) {
      const k = tpKey(tp.topic, tp.partition);
      const c = committed.find((x) => x.topic === tp.topic && x.partition === tp.partition)?.offset ?? -1;
      const offset = c >= 0 ? c : reset.find((x) => x.topic === tp.topic && x.partition === tp.partition)!.offset;
      this.positions.set(k, { ...tp, offset });
      if (c >= 0) this.committed.set(k, c);
    }
  }

  private startHeartbeat(): void {
    this.stopHeartbeat();
    this.heartbeat = setInterval(() => void this.beat(), this.heartbeatIntervalMs);
    this.heartbeat.unref();
  }

  private stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }

  /** Heartbeats go on while a rebalance waits for the next poll: the generation stays valid until this member rejoins. */
  private async beat(): Promise<void> {
    if (this.generationId < 0 || this.memberId === '' || this.closed || !this.conn) return;
    const conn = this.conn;
    try {
      const v = conn.version(ApiKey.Heartbeat, 4, 'Heartbeat');
      const r = await conn.request(ApiKey.Heartbeat, v, (w) => encodeHeartbeatRequest(w, { groupId: this.opts.groupId, generationId: this.generationId, memberId: this.memberId, groupInstanceId: null }, v), (rd) => decodeHeartbeatResponse(rd, v));
      if (r.errorCode !== ErrorCode.NONE) this.handleGroupError(r.errorCode);
    } catch {
      // The coordinator is unreachable: the next poll finds it again and rejoins.
      if (this.conn === conn) { conn.close(); this.conn = undefined; }
      this.rejoinNeeded = true;
    }
  }
}
