/**
 * Classic group membership edge cases Kafka's clients cannot express (kafkajs
 * has no static membership), driven over the real protocol with WireClient,
 * plus kafkajs where a client shows the effect: static member fencing,
 * pending (MEMBER_ID_REQUIRED) member expiry and LeaveGroup, OffsetCommit
 * generation/member validation, null offset metadata.
 */
import t from 'tap';
import kafkajs from 'kafkajs';
import { testBroker } from './helpers/broker.js';
import { WireClient } from './helpers/wire-client.js';
import { until } from './helpers/until.js';
import { encodeJoinGroupRequest, decodeJoinGroupResponse } from '../src/wire/generated/join-group.js';
import { encodeSyncGroupRequest, decodeSyncGroupResponse } from '../src/wire/generated/sync-group.js';
import { encodeHeartbeatRequest, decodeHeartbeatResponse } from '../src/wire/generated/heartbeat.js';
import { encodeLeaveGroupRequest, decodeLeaveGroupResponse } from '../src/wire/generated/leave-group.js';
import { encodeOffsetCommitRequest, decodeOffsetCommitResponse } from '../src/wire/generated/offset-commit.js';
import { encodeOffsetFetchRequest, decodeOffsetFetchResponse } from '../src/wire/generated/offset-fetch.js';

const { Kafka, logLevel } = kafkajs;
const FENCED_INSTANCE_ID = 82, UNKNOWN_MEMBER_ID = 25, ILLEGAL_GENERATION = 22, GROUP_ID_NOT_FOUND = 69, MEMBER_ID_REQUIRED = 79;

/** Thin request helpers at fixed versions over one connection. */
function groupApi(c: WireClient) {
  // kafkajs's default assignor name, so raw members and kafkajs consumers can share a group.
  const protocols = [{ name: 'RoundRobinAssigner', metadata: Buffer.from('m') }];
  return {
    join: (groupId: string, memberId: string, groupInstanceId: string | null, version = 5, sessionTimeoutMs = 6000) => c.request(11, version,
      (w) => encodeJoinGroupRequest(w, { groupId, sessionTimeoutMs, rebalanceTimeoutMs: 10_000, memberId, groupInstanceId, protocolType: 'consumer', protocols }, version),
      (r) => decodeJoinGroupResponse(r, version)),
    sync: (groupId: string, generationId: number, memberId: string, groupInstanceId: string | null, assignments: { memberId: string; assignment: Buffer }[] = []) => c.request(14, 3,
      (w) => encodeSyncGroupRequest(w, { groupId, generationId, memberId, groupInstanceId, assignments }, 3), (r) => decodeSyncGroupResponse(r, 3)),
    heartbeat: async (groupId: string, generationId: number, memberId: string, groupInstanceId: string | null, version = 3) => (await c.request(12, version,
      (w) => encodeHeartbeatRequest(w, { groupId, generationId, memberId, groupInstanceId }, version), (r) => decodeHeartbeatResponse(r, version))).errorCode,
    leave: (groupId: string, members: { memberId: string; groupInstanceId: string | null }[]) => c.request(13, 3,
      (w) => encodeLeaveGroupRequest(w, { groupId, members }, 3), (r) => decodeLeaveGroupResponse(r, 3)),
    /** One partition (topic `t`, 0) committed; its error code. */
    commit: async (groupId: string, generationId: number, memberId: string, groupInstanceId: string | null, version = 7, metadata: string | null = '') => (await c.request(8, version,
      (w) => encodeOffsetCommitRequest(w, { groupId, generationIdOrMemberEpoch: generationId, memberId, groupInstanceId, topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 3n, committedMetadata: metadata }] }] }, version),
      (r) => decodeOffsetCommitResponse(r, version))).topics[0]!.partitions[0]!.errorCode,
  };
}

async function setup(t: { teardown(fn: () => unknown): void }) {
  const b = await testBroker(t);
  const admin = new Kafka({ brokers: [b.bootstrap], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  await admin.createTopics({ topics: [{ topic: 't', numPartitions: 1 }] });
  const wire = await WireClient.connect(b.host, b.port);
  t.teardown(() => wire.close());
  return { b, admin, api: groupApi(wire) };
}

t.test('a static member replaced by a new join with its group.instance.id is fenced everywhere, and cannot remove its successor', async (t) => {
  const { api } = await setup(t);
  const a = await api.join('gs', '', 'inst');
  t.equal(a.errorCode, 0);
  t.equal((await api.sync('gs', a.generationId, a.memberId, 'inst', [{ memberId: a.memberId, assignment: Buffer.from('x') }])).errorCode, 0);
  const b = await api.join('gs', '', 'inst');
  t.equal(b.errorCode, 0, 'the same instance id joins again (a restart)');
  t.not(b.memberId, a.memberId, 'under a new member id');

  t.equal(await api.heartbeat('gs', a.generationId, a.memberId, 'inst'), FENCED_INSTANCE_ID, 'Heartbeat v3 from the replaced member id: FENCED_INSTANCE_ID');
  t.equal(await api.heartbeat('gs', a.generationId, a.memberId, null, 2), UNKNOWN_MEMBER_ID, 'Heartbeat v2 carries no instance id: UNKNOWN_MEMBER_ID, as Kafka');
  t.equal(await api.heartbeat('gs', a.generationId, a.memberId, 'other'), UNKNOWN_MEMBER_ID, 'an instance id the group does not know: UNKNOWN_MEMBER_ID');
  t.equal((await api.sync('gs', a.generationId, a.memberId, 'inst')).errorCode, FENCED_INSTANCE_ID, 'SyncGroup v3: FENCED_INSTANCE_ID');
  t.equal(await api.commit('gs', a.generationId, a.memberId, 'inst'), FENCED_INSTANCE_ID, 'OffsetCommit v7: FENCED_INSTANCE_ID');
  t.equal(await api.heartbeat('gs', b.generationId, b.memberId, 'inst'), 0, 'the new member heartbeats');

  const stale = await api.leave('gs', [{ memberId: a.memberId, groupInstanceId: 'inst' }]);
  t.same([stale.errorCode, stale.members!.map((m) => m.errorCode)], [0, [FENCED_INSTANCE_ID]], 'LeaveGroup v3 from the replaced member id: FENCED_INSTANCE_ID for that member');
  t.equal(await api.heartbeat('gs', b.generationId, b.memberId, 'inst'), 0, 'and the new member is still in the group');

  const admin = await api.leave('gs', [{ memberId: '', groupInstanceId: 'inst' }]);
  t.same(admin.members!.map((m) => m.errorCode), [0], 'LeaveGroup by instance id alone (admin removal) removes the current member');
  t.equal(await api.heartbeat('gs', b.generationId, b.memberId, 'inst'), UNKNOWN_MEMBER_ID, 'which is gone');
});

t.test('a member id handed out with MEMBER_ID_REQUIRED expires after its session timeout, and LeaveGroup drops it', async (t) => {
  const { b, api } = await setup(t);
  const pending = await api.join('gp', '', null, 4);
  t.equal(pending.errorCode, MEMBER_ID_REQUIRED, 'a v4 join without member id gets one to rejoin with');
  // It never rejoins. A kafkajs consumer (rebalance timeout 60 s) must not wait for it longer than its 6 s session.
  const kafka = new Kafka({ brokers: [b.bootstrap], logLevel: logLevel.NOTHING });
  const c = kafka.consumer({ groupId: 'gp', sessionTimeout: 6000, rebalanceTimeout: 60_000, heartbeatInterval: 500 });
  let joinedAt = 0;
  c.on(c.events.GROUP_JOIN, () => { joinedAt ||= Date.now(); });
  await c.connect();
  t.teardown(() => c.disconnect());
  await c.subscribe({ topic: 't' });
  const start = Date.now();
  await c.run({ eachMessage: async () => {} });
  await until(() => joinedAt > 0, 20_000, 'the consumer to join while a pending member id never returns');
  t.ok(joinedAt - start < 15_000, `joined once the pending member expired (${joinedAt - start} ms), not after the rebalance timeout`);
  t.equal((await api.join('gp', pending.memberId, null, 4)).errorCode, UNKNOWN_MEMBER_ID, 'the expired member id is no longer known');

  const other = await api.join('gp2', '', null, 4);
  t.equal(other.errorCode, MEMBER_ID_REQUIRED);
  const left = await api.leave('gp2', [{ memberId: other.memberId, groupInstanceId: null }]);
  t.same(left.members!.map((m) => m.errorCode), [0], 'LeaveGroup with a pending member id succeeds');
  t.equal((await api.join('gp2', other.memberId, null, 4)).errorCode, UNKNOWN_MEMBER_ID, 'and the id is gone');
});

t.test('OffsetCommit generation and member checks match Kafka for missing, Empty and Stable groups', async (t) => {
  const { api } = await setup(t);
  t.equal(await api.commit('gc-missing', 1, '', null, 8), ILLEGAL_GENERATION, 'missing group, generation 1, v8: ILLEGAL_GENERATION');
  t.equal(await api.commit('gc-missing', 1, '', null, 9), GROUP_ID_NOT_FOUND, 'missing group, generation 1, v9: GROUP_ID_NOT_FOUND');
  t.equal(await api.commit('gc-simple', -1, 'anyone', null), 0, 'missing group, generation -1 with a member id: accepted (a simple group)');

  const a = await api.join('gc', '', null, 3);
  await api.sync('gc', a.generationId, a.memberId, null, [{ memberId: a.memberId, assignment: Buffer.alloc(0) }]);
  t.equal(await api.commit('gc', -1, '', null), UNKNOWN_MEMBER_ID, 'generation -1, no member id, group with members: UNKNOWN_MEMBER_ID');
  t.equal(await api.commit('gc', -1, a.memberId, null), ILLEGAL_GENERATION, 'generation -1 from a member: ILLEGAL_GENERATION');
  t.equal(await api.commit('gc', a.generationId, '', null), UNKNOWN_MEMBER_ID, 'current generation, no member id: UNKNOWN_MEMBER_ID');
  t.equal(await api.commit('gc', -1, '', 'nobody'), UNKNOWN_MEMBER_ID, 'an unknown instance id: UNKNOWN_MEMBER_ID');
  t.equal(await api.commit('gc', a.generationId, a.memberId, null), 0, 'the member at its generation commits');

  await api.leave('gc', [{ memberId: a.memberId, groupInstanceId: null }]);
  t.equal(await api.commit('gc', -1, a.memberId, null), 0, 'Empty group, generation -1: accepted whatever the member id');
  t.equal(await api.commit('gc', a.generationId, a.memberId, null), UNKNOWN_MEMBER_ID, 'Empty group, a generation: UNKNOWN_MEMBER_ID');
});

t.test('a null committed_metadata is read back as "", as Kafka stores it', async (t) => {
  const { b, api } = await setup(t);
  t.equal(await api.commit('gm', -1, '', null, 7, null), 0);
  const wire = await WireClient.connect(b.host, b.port);
  t.teardown(() => wire.close());
  const fetched = await wire.request(9, 5, (w) => encodeOffsetFetchRequest(w, { groupId: 'gm', topics: [{ name: 't', partitionIndexes: [0] }] }, 5), (r) => decodeOffsetFetchResponse(r, 5));
  const p = fetched.topics![0]!.partitions[0]!;
  t.same([p.committedOffset, p.metadata], [3n, ''], 'OffsetFetch v5: offset 3 with metadata ""');
});

/** Starts kafkajs consumers of one group `staggerMs` apart; counts their GROUP_JOIN events (one per member per generation). */
async function startTogether(t: { teardown(fn: () => unknown): void }, bootstrap: string, groupId: string, count: number, staggerMs: number) {
  const kafka = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  const joins: string[] = [];
  const consumers = Array.from({ length: count }, () => kafka.consumer({ groupId, sessionTimeout: 6000, heartbeatInterval: 200, maxWaitTimeInMs: 100 }));
  t.teardown(async () => { for (const c of consumers) await c.disconnect().catch(() => {}); });
  await Promise.all(consumers.map(async (c, i) => {
    await new Promise((r) => setTimeout(r, i * staggerMs));
    c.on(c.events.GROUP_JOIN, (e) => joins.push(e.payload.memberId));
    await c.connect();
    await c.subscribe({ topic: 't' });
    await c.run({ eachMessage: async () => {} });
  }));
  const described = async () => (await admin.describeGroups([groupId])).groups[0]!;
  await until(() => new Set(joins).size === count, 30_000, `${count} members to join`);
  for (let i = 0; i < 100; i++) {
    const d = await described();
    if (d.state === 'Stable' && d.members.length === count) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  // Any later generation would show within a few heartbeats.
  await new Promise((r) => setTimeout(r, 1500));
  return joins.length;
}

t.test('group.initial.rebalance.delay.ms extends while members keep arriving: three consumers 600 ms apart share one generation', async (t) => {
  const b = await testBroker(t, { 'group.initial.rebalance.delay.ms': '1000' });
  const admin = new Kafka({ brokers: [b.bootstrap], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  await admin.createTopics({ topics: [{ topic: 't', numPartitions: 3 }] });
  t.equal(await startTogether(t, b.bootstrap, 'g-delayed', 3, 600), 3, 'one join each: a single generation, as on Kafka');
});
