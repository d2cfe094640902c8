/**
 * The KIP-848 consumer group protocol spoken over one bare connection with our
 * generated codecs, for the protocol-level tests
 * (compat-tests/consumer-protocol-wire-*.test.ts): ConsumerGroupHeartbeat and
 * ConsumerGroupDescribe, the group APIs that meet a consumer group (offsets,
 * ListGroups, DescribeGroups, JoinGroup, DeleteGroups), topic ids from
 * Metadata, and a `Member` that keeps its id, epoch and assignment between
 * heartbeats the way a client's membership manager does.
 */
import { WireClient } from './wire-client.js';
import { ApiKey } from '../../src/wire/generated/api-keys.js';
import { randomUuid, ZERO_UUID } from '../../src/wire/protocol/uuid.js';
import { Writer } from '../../src/wire/protocol/writer.js';
import { Reader } from '../../src/wire/protocol/reader.js';
import {
  encodeConsumerGroupHeartbeatRequest, decodeConsumerGroupHeartbeatResponse,
  type ConsumerGroupHeartbeatRequest, type ConsumerGroupHeartbeatResponse, type ConsumerGroupHeartbeatRequestTopicPartitions,
} from '../../src/wire/generated/consumer-group-heartbeat.js';
import { encodeConsumerGroupDescribeRequest, decodeConsumerGroupDescribeResponse, type ConsumerGroupDescribeResponseDescribedGroup, type ConsumerGroupDescribeResponseAssignment } from '../../src/wire/generated/consumer-group-describe.js';
import { encodeMetadataRequest, decodeMetadataResponse } from '../../src/wire/generated/metadata.js';
import { encodeCreateTopicsRequest, decodeCreateTopicsResponse } from '../../src/wire/generated/create-topics.js';
import { encodeCreatePartitionsRequest, decodeCreatePartitionsResponse } from '../../src/wire/generated/create-partitions.js';
import { encodeDeleteTopicsRequest, decodeDeleteTopicsResponse } from '../../src/wire/generated/delete-topics.js';
import { encodeOffsetDeleteRequest, decodeOffsetDeleteResponse } from '../../src/wire/generated/offset-delete.js';
import { encodeApiVersionsRequest, decodeApiVersionsResponse } from '../../src/wire/generated/api-versions.js';
import { encodeFindCoordinatorRequest, decodeFindCoordinatorResponse } from '../../src/wire/generated/find-coordinator.js';
import { encodeOffsetCommitRequest, decodeOffsetCommitResponse } from '../../src/wire/generated/offset-commit.js';
import { encodeOffsetFetchRequest, decodeOffsetFetchResponse } from '../../src/wire/generated/offset-fetch.js';
import { encodeListGroupsRequest, decodeListGroupsResponse } from '../../src/wire/generated/list-groups.js';
import { encodeDescribeGroupsRequest, decodeDescribeGroupsResponse } from '../../src/wire/generated/describe-groups.js';
import { encodeDeleteGroupsRequest, decodeDeleteGroupsResponse } from '../../src/wire/generated/delete-groups.js';
import { encodeJoinGroupRequest, decodeJoinGroupResponse, type JoinGroupRequest } from '../../src/wire/generated/join-group.js';
import { encodeSyncGroupRequest, decodeSyncGroupResponse } from '../../src/wire/generated/sync-group.js';
import { encodeConsumerProtocolSubscription } from '../../src/wire/generated/consumer-protocol-subscription.js';
import { decodeConsumerProtocolAssignment } from '../../src/wire/generated/consumer-protocol-assignment.js';
import { encodeHeartbeatRequest, decodeHeartbeatResponse } from '../../src/wire/generated/heartbeat.js';
import { encodeSaslHandshakeRequest, decodeSaslHandshakeResponse } from '../../src/wire/generated/sasl-handshake.js';
import { encodeSaslAuthenticateRequest, decodeSaslAuthenticateResponse } from '../../src/wire/generated/sasl-authenticate.js';

interface Teardown { teardown(fn: () => unknown): void }

export type Owned = ConsumerGroupHeartbeatRequestTopicPartitions[];
export type HeartbeatFields = Partial<ConsumerGroupHeartbeatRequest> & { groupId: string };

/** "topic-partition" strings, sorted, of a classic SyncGroup assignment (the consumer protocol's Assignment). */
export function classicAssignment(bytes: Buffer): string[] {
  if (bytes.length === 0) return [];
  const r = new Reader(bytes);
  const version = r.int16();
  return decodeConsumerProtocolAssignment(r, version).assignedPartitions.flatMap((x) => x.partitions.map((p) => `${x.topic}-${p}`)).sort();
}

/** The classic consumer protocol's subscription bytes (version 0) for a JoinGroup. */
export function subscriptionBytes(topics: string[]): Buffer {
  const w = new Writer();
  w.int16(0);
  encodeConsumerProtocolSubscription(w, { topics, userData: null }, 0);
  return w.toBuffer();
}

export class GroupWire {
  /** Topic id -> name, filled by topicIds(). */
  readonly names = new Map<string, string>();

  private constructor(private readonly c: WireClient) {}

  /** Any request; fails at once when the broker has closed the connection (a request sent then would wait forever). */
  request<T>(apiKey: number, version: number, encode: (w: Writer) => void, decode: (r: Reader) => T): Promise<T> {
    if (this.c.closed) return Promise.reject(new Error(`connection closed before API ${apiKey} v${version}`));
    return this.c.request(apiKey, version, encode, decode);
  }

  /** A connection closed in the test's teardown; logged in with SASL/PLAIN when `user` is given. */
  static async connect(t: Teardown, host: string, port: number, user?: { username: string; password: string }): Promise<GroupWire> {
    const c = await WireClient.connect(host, port);
    t.teardown(() => c.close());
    if (user) {
      const hs = await c.request(ApiKey.SaslHandshake, 1, (w) => encodeSaslHandshakeRequest(w, { mechanism: 'PLAIN' }, 1), (r) => decodeSaslHandshakeResponse(r, 1));
      const auth = await c.request(ApiKey.SaslAuthenticate, 2, (w) => encodeSaslAuthenticateRequest(w, { authBytes: Buffer.from(`\0${user.username}\0${user.password}`) }, 2), (r) => decodeSaslAuthenticateResponse(r, 2));
      if (hs.errorCode !== 0 || auth.errorCode !== 0) throw new Error(`${user.username} could not log in`);
    }
    return new GroupWire(c);
  }

  /** A heartbeat with Kafka's defaults for the fields not given (a partial request: nothing changed). */
  heartbeat(fields: HeartbeatFields, v = 1): Promise<ConsumerGroupHeartbeatResponse> {
    const req: ConsumerGroupHeartbeatRequest = {
      memberId: '', memberEpoch: 0, instanceId: null, rackId: null, rebalanceTimeoutMs: -1, subscribedTopicNames: null,
      subscribedTopicRegex: null, serverAssignor: null, topicPartitions: null, ...fields,
    };
    return this.request(ApiKey.ConsumerGroupHeartbeat, v, (w) => encodeConsumerGroupHeartbeatRequest(w, req, v), (r) => decodeConsumerGroupHeartbeatResponse(r, v));
  }

  async describe(groupIds: string[], includeAuthorizedOperations = false): Promise<ConsumerGroupDescribeResponseDescribedGroup[]> {
    const res = await this.request(ApiKey.ConsumerGroupDescribe, 0, (w) => encodeConsumerGroupDescribeRequest(w, { groupIds, includeAuthorizedOperations }, 0), (r) => decodeConsumerGroupDescribeResponse(r, 0));
    return res.groups;
  }

  async describeOne(groupId: string, includeAuthorizedOperations = false): Promise<ConsumerGroupDescribeResponseDescribedGroup> {
    return (await this.describe([groupId], includeAuthorizedOperations))[0]!;
  }

  /** Creates topics (error codes by name: 0 or TOPIC_ALREADY_EXISTS are both fine for a caller that only needs them there). */
  async createTopics(partitions: number, ...topics: string[]): Promise<number[]> {
    const res = await this.request(ApiKey.CreateTopics, 7,
      (w) => encodeCreateTopicsRequest(w, { topics: topics.map((name) => ({ name, numPartitions: partitions, replicationFactor: -1, assignments: [], configs: [] })), timeoutMs: 10_000, validateOnly: false }, 7),
      (r) => decodeCreateTopicsResponse(r, 7));
    const failed = res.topics.filter((x) => x.errorCode !== 0 && x.errorCode !== 36);
    if (failed.length > 0) throw new Error(`CreateTopics failed: ${failed.map((x) => `${x.name} ${x.errorCode} ${x.errorMessage}`).join(', ')}`);
    await this.topicIds(...topics);
    return res.topics.map((x) => x.errorCode);
  }

  async createPartitions(topic: string, count: number): Promise<number> {
    const res = await this.request(ApiKey.CreatePartitions, 3,
      (w) => encodeCreatePartitionsRequest(w, { topics: [{ name: topic, count, assignments: null }], timeoutMs: 10_000, validateOnly: false }, 3),
      (r) => decodeCreatePartitionsResponse(r, 3));
    return res.results[0]!.errorCode;
  }

  async deleteTopic(topic: string): Promise<number> {
    const res = await this.request(ApiKey.DeleteTopics, 6, (w) => encodeDeleteTopicsRequest(w, { topics: [{ name: topic, topicId: ZERO_UUID }], timeoutMs: 10_000 }, 6), (r) => decodeDeleteTopicsResponse(r, 6));
    return res.responses[0]!.errorCode;
  }

  /** OffsetDelete of some partitions of one topic: the group's error code and each partition's. */
  async offsetDelete(groupId: string, topic: string, partitions: number[]): Promise<{ errorCode: number; partitions: number[] }> {
    const res = await this.request(ApiKey.OffsetDelete, 0,
      (w) => encodeOffsetDeleteRequest(w, { groupId, topics: [{ name: topic, partitions: partitions.map((partitionIndex) => ({ partitionIndex })) }] }, 0),
      (r) => decodeOffsetDeleteResponse(r, 0));
    return { errorCode: res.errorCode, partitions: res.topics.flatMap((x) => x.partitions.map((p) => p.errorCode)) };
  }

  /** Topic ids by name (Metadata v12), remembered for named(). */
  async topicIds(...topics: string[]): Promise<Map<string, string>> {
    const res = await this.request(ApiKey.Metadata, 12,
      (w) => encodeMetadataRequest(w, { topics: topics.map((name) => ({ name, topicId: ZERO_UUID })), allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false }, 12),
      (r) => decodeMetadataResponse(r, 12));
    const out = new Map<string, string>();
    for (const x of res.topics) {
      if (x.errorCode !== 0 || !x.topicId) throw new Error(`no topic id for ${x.name}: error ${x.errorCode}`);
      out.set(x.name!, x.topicId);
      this.names.set(x.topicId, x.name!);
    }
    return out;
  }

  /** "topic-partition" strings, sorted, of an assignment given by topic ids. */
  named(tps: { topicId: string; partitions: number[] }[] | null | undefined): string[] {
    return (tps ?? []).flatMap((x) => x.partitions.map((p) => `${this.names.get(x.topicId) ?? x.topicId}-${p}`)).sort();
  }

  /** The same for ConsumerGroupDescribe's assignments (they carry topic names too). */
  static describedPartitions(a: ConsumerGroupDescribeResponseAssignment): string[] {
    return a.topicPartitions.flatMap((x) => x.partitions.map((p) => `${x.topicName}-${p}`)).sort();
  }

  async apiVersion(apiKey: number): Promise<{ minVersion: number; maxVersion: number } | undefined> {
    const res = await this.request(ApiKey.ApiVersions, 3, (w) => encodeApiVersionsRequest(w, { clientSoftwareName: 'samsa-compat', clientSoftwareVersion: '1' }, 3), (r) => decodeApiVersionsResponse(r, 3));
    return res.apiKeys.find((k) => k.apiKey === apiKey);
  }

  async coordinator(groupId: string): Promise<{ nodeId: number; port: number; errorCode: number }> {
    const res = await this.request(ApiKey.FindCoordinator, 4, (w) => encodeFindCoordinatorRequest(w, { keyType: 0, coordinatorKeys: [groupId] }, 4), (r) => decodeFindCoordinatorResponse(r, 4));
    return res.coordinators![0]!;
  }

  /** OffsetCommit of one partition; its error code. */
  async commit(groupId: string, memberId: string, epoch: number, topic: string, partition: number, offset: bigint, v = 9): Promise<number> {
    const res = await this.request(ApiKey.OffsetCommit, v,
      (w) => encodeOffsetCommitRequest(w, { groupId, generationIdOrMemberEpoch: epoch, memberId, groupInstanceId: null, retentionTimeMs: -1n,
        topics: [{ name: topic, partitions: [{ partitionIndex: partition, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: '' }] }] }, v),
      (r) => decodeOffsetCommitResponse(r, v));
    return res.topics[0]!.partitions[0]!.errorCode;
  }

  /** OffsetFetch v9 of one group: the group's error code and the committed offsets by "topic-partition". */
  async fetchOffsets(groupId: string, memberId: string | null, memberEpoch: number, topic: string, partitions: number[]): Promise<{ errorCode: number; offsets: Record<string, bigint> }> {
    const res = await this.request(ApiKey.OffsetFetch, 9,
      (w) => encodeOffsetFetchRequest(w, { groups: [{ groupId, memberId, memberEpoch, topics: [{ name: topic, partitionIndexes: partitions }] }], requireStable: false }, 9),
      (r) => decodeOffsetFetchResponse(r, 9));
    const g = res.groups![0]!;
    const offsets: Record<string, bigint> = {};
    for (const x of g.topics) for (const p of x.partitions) offsets[`${x.name}-${p.partitionIndex}`] = p.committedOffset;
    return { errorCode: g.errorCode, offsets };
  }

  async listGroups(typesFilter: string[] = [], statesFilter: string[] = []) {
    const res = await this.request(ApiKey.ListGroups, 5, (w) => encodeListGroupsRequest(w, { statesFilter, typesFilter }, 5), (r) => decodeListGroupsResponse(r, 5));
    if (res.errorCode !== 0) throw new Error(`ListGroups: ${res.errorCode}`);
    return res.groups;
  }

  async describeGroup(groupId: string) {
    const res = await this.request(ApiKey.DescribeGroups, 5, (w) => encodeDescribeGroupsRequest(w, { groups: [groupId], includeAuthorizedOperations: false }, 5), (r) => decodeDescribeGroupsResponse(r, 5));
    return res.groups[0]!;
  }

  async deleteGroup(groupId: string): Promise<number> {
    const res = await this.request(ApiKey.DeleteGroups, 2, (w) => encodeDeleteGroupsRequest(w, { groupsNames: [groupId] }, 2), (r) => decodeDeleteGroupsResponse(r, 2));
    return res.results[0]!.errorCode;
  }

  /** A classic JoinGroup v5 (a known member id is needed from v4: the first answer may be MEMBER_ID_REQUIRED). */
  joinClassic(fields: Partial<JoinGroupRequest> & { groupId: string; topics?: string[] }) {
    const { topics = [], ...rest } = fields;
    const req: JoinGroupRequest = {
      sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId: '', groupInstanceId: null, protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: subscriptionBytes(topics) }], ...rest,
    };
    return this.request(ApiKey.JoinGroup, 5, (w) => encodeJoinGroupRequest(w, req, 5), (r) => decodeJoinGroupResponse(r, 5));
  }

  /** A SyncGroup v5 with no assignments (a follower's, or a leader's that assigns nothing). */
  syncClassic(groupId: string, generationId: number, memberId: string, protocolType = 'consumer') {
    return this.request(ApiKey.SyncGroup, 5, (w) => encodeSyncGroupRequest(w, { groupId, generationId, memberId, groupInstanceId: null, protocolType, protocolName: 'range', assignments: [] }, 5), (r) => decodeSyncGroupResponse(r, 5));
  }

  /** A classic Heartbeat v4; its error code. */
  async heartbeatClassic(groupId: string, generationId: number, memberId: string): Promise<number> {
    const res = await this.request(ApiKey.Heartbeat, 4, (w) => encodeHeartbeatRequest(w, { groupId, generationId, memberId, groupInstanceId: null }, 4), (r) => decodeHeartbeatResponse(r, 4));
    return res.errorCode;
  }
}

export interface MemberOptions {
  topics?: string[] | null;
  regex?: string | null;
  instanceId?: string | null;
  rackId?: string | null;
  assignor?: string | null;
  rebalanceTimeoutMs?: number;
  /** ConsumerGroupHeartbeat version: 1 (the client makes its member id) or 0 (the coordinator does). */
  version?: number;
}

/**
 * A consumer-protocol member. join() sends the full epoch-0 request; beat()
 * sends the partial heartbeat a client sends when nothing changed, with the
 * partitions it owns (by default exactly its last assignment, so it
 * acknowledges revocations at once). The assignment is only replaced when an
 * answer carries one, as a client does.
 */
export class Member {
  memberId: string;
  epoch = 0;
  assignment: Owned = [];
  last?: ConsumerGroupHeartbeatResponse;

  constructor(readonly g: GroupWire, readonly groupId: string, readonly opts: MemberOptions = {}) {
    this.memberId = (opts.version ?? 1) >= 1 ? randomUuid() : '';
  }

  get version(): number { return this.opts.version ?? 1; }

  async join(): Promise<ConsumerGroupHeartbeatResponse> {
    return this.apply(await this.g.heartbeat({
      groupId: this.groupId, memberId: this.memberId, memberEpoch: 0, instanceId: this.opts.instanceId ?? null, rackId: this.opts.rackId ?? null,
      rebalanceTimeoutMs: this.opts.rebalanceTimeoutMs ?? 60_000, subscribedTopicNames: this.opts.regex ? null : (this.opts.topics ?? []),
      subscribedTopicRegex: this.opts.regex ?? null, serverAssignor: this.opts.assignor ?? null, topicPartitions: [],
    }, this.version));
  }

  /** A heartbeat; `owned` overrides the partitions reported, `epoch` the epoch sent, `fields` anything else. */
  async beat(opts: { owned?: Owned | null; epoch?: number; fields?: Partial<ConsumerGroupHeartbeatRequest> } = {}): Promise<ConsumerGroupHeartbeatResponse> {
    return this.apply(await this.g.heartbeat({
      groupId: this.groupId, memberId: this.memberId, memberEpoch: opts.epoch ?? this.epoch, instanceId: this.opts.instanceId ?? null,
      topicPartitions: opts.owned === undefined ? this.assignment : opts.owned, ...opts.fields,
    }, this.version));
  }

  /** Leaves with epoch -1 (or -2, a static member's temporary leave). */
  leave(epoch = -1): Promise<ConsumerGroupHeartbeatResponse> {
    return this.g.heartbeat({ groupId: this.groupId, memberId: this.memberId, memberEpoch: epoch, instanceId: this.opts.instanceId ?? null }, this.version);
  }

  /** The same member (id, epoch, assignment) speaking over another connection: another broker, or after a restart. */
  via(g: GroupWire): Member {
    const m = new Member(g, this.groupId, this.opts);
    m.memberId = this.memberId;
    m.epoch = this.epoch;
    m.assignment = this.assignment;
    return m;
  }

  /** Its assignment as sorted "topic-partition" strings. */
  partitions(): string[] { return this.g.named(this.assignment); }

  private apply(res: ConsumerGroupHeartbeatResponse): ConsumerGroupHeartbeatResponse {
    this.last = res;
    if (res.errorCode === 0) {
      if (res.memberId) this.memberId = res.memberId;
      this.epoch = res.memberEpoch;
      if (res.assignment) this.assignment = res.assignment.topicPartitions.map((x) => ({ topicId: x.topicId, partitions: [...x.partitions].sort((a, b) => a - b) }));
    }
    return res;
  }
}

/** Heartbeats `members` every `everyMs` until `cond` holds (bounded by `ms`); a bound on waiting, not a timing assertion. */
export async function beatUntil(members: Member[], cond: () => boolean, ms: number, what: string, everyMs = 100): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    for (const m of members) await m.beat();
    if (cond()) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
