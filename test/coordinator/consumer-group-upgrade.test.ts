/**
 * Online migration between the protocols (Kafka 4.0, group.consumer.migration.policy):
 * a classic group with members becomes a consumer group when a
 * consumer-protocol member joins, its classic members staying in it (JoinGroup,
 * SyncGroup, Heartbeat, OffsetCommit, LeaveGroup answered by the consumer
 * group, assignments computed by the server assignor and handed over as
 * ConsumerProtocol bytes), persisted with their classic metadata; and back to
 * a classic group when the last consumer-protocol member leaves.
 */
import t from 'tap';
import { ErrorCode } from '../../src/wire/errors.js';
import { GroupCoordinator, type GroupLimits, type JoinRequest } from '../../src/coordinator/group/group-coordinator.js';
import { OffsetsTopicStore } from '../../src/coordinator/group/offsets-topic.js';
import { decodeAssignment, encodeAssignment, encodeSubscription } from '../../src/client/consumer-protocol.js';
import type { MigrationPolicy } from '../../src/coordinator/group/consumer-group-config.js';
import { host } from './helpers/fake-host.js';
import { consumerCoordinator, consumerLimits, TestMember, until } from './consumer-group-helpers.js';

const limits = (migrationPolicy: MigrationPolicy): GroupLimits => ({ ...consumerLimits, consumer: { ...consumerLimits.consumer, migrationPolicy } });

/** A classic consumer (eager, like kafkajs): it owns nothing when it rejoins. */
class ClassicMember {
  memberId = '';
  generation = -1;
  owned: number[] = [];
  constructor(readonly c: GroupCoordinator, readonly topic = 't', readonly groupId = 'g', readonly over: Partial<JoinRequest> = {}) {}

  joinRequest(): JoinRequest {
    return {
      groupId: this.groupId, memberId: this.memberId, groupInstanceId: null, clientId: 'kafkajs', clientHost: '/127.0.0.1',
      sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 30_000, protocolType: 'consumer',
      protocols: [{ name: 'RoundRobinAssigner', metadata: encodeSubscription([this.topic]) }], requireKnownMemberId: false, ...this.over,
    };
  }

  async join() {
    this.owned = [];
    const r = await this.c.join(this.joinRequest());
    if (r.errorCode === ErrorCode.NONE) { this.memberId = r.memberId; this.generation = r.generationId; }
    return r;
  }

  /** SyncGroup; as the leader of a classic group, range-assigns the partitions over the members. */
  async sync(partitions = 6) {
    const j = this.lastJoin;
    const assignments = j && j.leader === this.memberId
      ? j.members.map((m, i) => ({ memberId: m.memberId, assignment: encodeAssignment([{ topic: this.topic, partitions: [...Array(partitions).keys()].filter((p) => p % j.members.length === i) }]) }))
      : [];
    const r = await this.c.sync(this.groupId, this.generation, this.memberId, 'consumer', null, assignments);
    if (r.errorCode === ErrorCode.NONE) this.owned = decodeAssignment(r.assignment).flatMap((a) => a.partitions);
    return r;
  }

  lastJoin?: Awaited<ReturnType<GroupCoordinator['join']>>;
  async joinAndSync(partitions = 6) {
    this.lastJoin = await this.join();
    if (this.lastJoin.errorCode !== ErrorCode.NONE) return this.lastJoin.errorCode;
    return (await this.sync(partitions)).errorCode;
  }

  beat(): number { return this.c.heartbeat(this.groupId, this.generation, this.memberId); }

  /** Heartbeat; rejoin when told to (as a client's poll loop does). */
  async poll(): Promise<number> {
    const e = this.beat();
    if (e === ErrorCode.REBALANCE_IN_PROGRESS || e === ErrorCode.ILLEGAL_GENERATION) return this.joinAndSync();
    return e;
  }
}

/** A Stable classic group of two members owning 't' (6 partitions) between them. */
async function classicPair(c: GroupCoordinator): Promise<[ClassicMember, ClassicMember]> {
  const a = new ClassicMember(c);
  const b = new ClassicMember(c);
  await a.joinAndSync();
  const bJoin = b.joinAndSync();
  await new Promise((r) => setImmediate(r));
  t.equal(a.beat(), ErrorCode.REBALANCE_IN_PROGRESS);
  await Promise.all([a.joinAndSync(), bJoin]);
  return [a, b];
}

const union = (...lists: number[][]) => lists.flat().sort((x, y) => x - y);

t.test('a consumer-protocol member upgrades a classic group online; the classic members share the partitions with it, then leave', async (t) => {
  const h = host(t);
  const { c, topics } = await consumerCoordinator(t, consumerLimits, h);
  const tp = topics.add('t', 6);
  const [a, b] = await classicPair(c);
  t.same(union(a.owned, b.owned), [0, 1, 2, 3, 4, 5], 'the classic group owns every partition');
  t.equal(c.commit('g', a.generation, a.memberId, [{ topic: 't', partition: 0, offset: { offset: 3n, leaderEpoch: 0, metadata: '', commitTimestamp: Date.now() } }]), ErrorCode.NONE);
  const generation = c.group('g')!.generationId;

  const m = new TestMember(c);
  const joined = await m.join({ subscribedTopicNames: ['t'] });
  t.equal(joined.errorCode, ErrorCode.NONE, 'the consumer-protocol member joins the classic group');
  const g = c.consumerGroup('g')!;
  t.ok(g, 'it is a consumer group now');
  t.equal(c.group('g'), undefined, 'no classic group left');
  t.same([...g.members.values()].filter((x) => x.classic !== null).map((x) => [x.memberId, x.memberEpoch]).sort(), [[a.memberId, generation], [b.memberId, generation]].sort(), 'the classic members came along at their generation');
  t.equal(g.groupEpoch, generation + 1, 'the join bumped the group epoch past the generation');
  t.equal(g.offsets.get('t')?.get(0)?.offset, 3n, 'offsets kept');
  t.equal(m.count(), 0, 'the newcomer waits: every partition is still owned by a classic member');

  // The classic members are told to rejoin, give everything up (eager) and get their share back.
  t.equal(a.beat(), ErrorCode.REBALANCE_IN_PROGRESS, 'Heartbeat: rejoin');
  t.equal(c.commit('g', a.generation, a.memberId, [{ topic: 't', partition: 0, offset: { offset: 4n, leaderEpoch: 0, metadata: '', commitTimestamp: Date.now() } }]), ErrorCode.NONE, 'a classic member commits with its generation (its epoch)');
  t.equal(c.commit('g', a.generation + 5, a.memberId, []), ErrorCode.ILLEGAL_GENERATION, 'another generation is ILLEGAL_GENERATION');
  for (let i = 0; i < 10; i++) {
    await a.poll(); await b.poll(); await m.beat();
    if (a.beat() === ErrorCode.NONE && b.beat() === ErrorCode.NONE && a.owned.length + b.owned.length + m.count() === 6 && m.count() > 0) break;
  }
  t.same(union(a.owned, b.owned, m.owned[tp.id] ?? []), [0, 1, 2, 3, 4, 5], 'all three share the six partitions, none twice');
  t.same([a.owned.length, b.owned.length, m.count()], [2, 2, 2], 'evenly');
  t.equal(a.generation, c.consumerGroup('g')!.members.get(a.memberId)!.memberEpoch, 'JoinGroup answered the member epoch as the generation');
  const sync = await c.sync('g', a.generation, a.memberId, 'consumer', 'other', []);
  t.equal(sync.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL, 'SyncGroup checks the protocol name');
  t.equal(c.heartbeat('g', a.generation - 1, a.memberId), ErrorCode.ILLEGAL_GENERATION, 'Heartbeat with an old generation');
  t.equal(c.heartbeat('g', m.epoch, m.memberId), ErrorCode.UNKNOWN_MEMBER_ID, 'a consumer-protocol member cannot send classic heartbeats');
  await c.written('g');

  // The log rebuilds the mixed group, classic metadata included.
  const c2 = new GroupCoordinator(consumerLimits, new OffsetsTopicStore(h, 1, 1 << 20, 1));
  t.teardown(() => c2.close());
  c2.useTopics(topics);
  await c2.loadPartition(0, 1);
  const again = c2.consumerGroup('g')!;
  t.same(again.members.get(a.memberId)?.classic, g.members.get(a.memberId)?.classic, 'the classic member metadata is in the log');
  t.same([...again.members.keys()].sort(), [...g.members.keys()].sort(), 'the same members');

  // The classic members leave: a plain consumer group, its member gets everything.
  const left = c.leave('g', [{ memberId: a.memberId, groupInstanceId: null }, { memberId: b.memberId, groupInstanceId: null }, { memberId: m.memberId, groupInstanceId: null }]);
  t.same(left.members.map((x) => x.errorCode), [ErrorCode.NONE, ErrorCode.NONE, ErrorCode.UNKNOWN_MEMBER_ID], 'LeaveGroup removes the classic members (not the consumer-protocol one)');
  for (let i = 0; i < 5 && m.count() < 6; i++) await m.beat();
  t.equal(m.count(), 6, 'the remaining member owns every partition');
  t.ok([...c.consumerGroup('g')!.members.values()].every((x) => x.classic === null), 'a plain consumer group');
});

t.test('the last consumer-protocol member leaving downgrades the group; the classic members rebalance as a classic group', async (t) => {
  const { c, topics } = await consumerCoordinator(t);
  topics.add('t', 6);
  const [a, b] = await classicPair(c);
  const m = new TestMember(c);
  await m.join({ subscribedTopicNames: ['t'] });
  for (let i = 0; i < 10 && !(a.beat() === ErrorCode.NONE && b.beat() === ErrorCode.NONE && m.count() === 2); i++) { await a.poll(); await b.poll(); await m.beat(); }
  t.equal(m.count(), 2);
  t.equal((await m.leave()).errorCode, ErrorCode.NONE, 'the consumer-protocol member leaves');
  t.equal(c.consumerGroup('g'), undefined, 'no consumer group any more');
  const g = c.group('g')!;
  t.same([g.state, g.protocolType, g.protocolName, [...g.members.keys()].sort()], ['PreparingRebalance', 'consumer', 'RoundRobinAssigner', [a.memberId, b.memberId].sort()], 'a classic group of the classic members, rebalancing');
  t.equal(a.beat(), ErrorCode.REBALANCE_IN_PROGRESS, 'its members are told to rejoin');
  const [ra, rb] = await Promise.all([a.joinAndSync(), b.joinAndSync()]);
  t.same([ra, rb], [ErrorCode.NONE, ErrorCode.NONE], 'they rejoin and sync as a classic group');
  t.same(union(a.owned, b.owned), [0, 1, 2, 3, 4, 5], 'the leader assigned every partition');
  t.equal(c.group('g')!.state, 'Stable');
});

t.test('group.consumer.migration.policy', async (t) => {
  t.test('disabled: no upgrade (GROUP_ID_NOT_FOUND), no classic member in a consumer group (INCONSISTENT_GROUP_PROTOCOL)', async (t) => {
    const { c, topics } = await consumerCoordinator(t, limits('disabled'));
    topics.add('t', 6);
    await classicPair(c);
    const r = await new TestMember(c).join({ subscribedTopicNames: ['t'] });
    t.same([r.errorCode, r.errorMessage], [ErrorCode.GROUP_ID_NOT_FOUND, 'Group g is not a consumer group.']);
    t.equal(c.group('g')!.state, 'Stable', 'the classic group goes on');
    await new TestMember(c, undefined, { groupId: 'h' }).join({ subscribedTopicNames: ['t'] });
    t.equal((await new ClassicMember(c, 't', 'h').join()).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  });

  t.test('upgrade: the group stays a consumer group of classic members when the consumer-protocol one leaves', async (t) => {
    const { c, topics } = await consumerCoordinator(t, limits('upgrade'));
    topics.add('t', 6);
    const [a] = await classicPair(c);
    const m = new TestMember(c);
    t.equal((await m.join({ subscribedTopicNames: ['t'] })).errorCode, ErrorCode.NONE, 'upgraded');
    await m.leave();
    t.ok(c.consumerGroup('g'), 'still a consumer group');
    t.equal(a.beat(), ErrorCode.REBALANCE_IN_PROGRESS);
  });

  t.test('downgrade: no upgrade, but a classic consumer may join a consumer group, which becomes classic when the last consumer-protocol member leaves', async (t) => {
    const { c, topics } = await consumerCoordinator(t, limits('downgrade'));
    topics.add('t', 6);
    await classicPair(c);
    t.equal((await new TestMember(c).join({ subscribedTopicNames: ['t'] })).errorCode, ErrorCode.GROUP_ID_NOT_FOUND, 'no upgrade');
    const m = new TestMember(c, undefined, { groupId: 'h' });
    await m.join({ subscribedTopicNames: ['t'] });
    const k = new ClassicMember(c, 't', 'h');
    t.equal(await k.joinAndSync(), ErrorCode.NONE, 'a classic consumer joins the consumer group');
    t.equal(c.consumerGroup('h')!.members.get(k.memberId)?.classic?.sessionTimeoutMs, 30_000, 'as a classic member');
    await m.leave();
    t.equal(c.group('h')?.members.size, 1, 'downgraded');
  });

  t.test('a classic group of another protocol type is not upgraded', async (t) => {
    const { c, topics } = await consumerCoordinator(t);
    topics.add('t', 6);
    const k = new ClassicMember(c);
    await c.join({ ...k.joinRequest(), protocolType: 'connect' });
    const r = await new TestMember(c).join({ subscribedTopicNames: ['t'] });
    t.same([r.errorCode, r.errorMessage], [ErrorCode.GROUP_ID_NOT_FOUND, 'Group g is not a consumer group.']);
  });
});

t.test('classic members of a consumer group: MEMBER_ID_REQUIRED, static restarts, their own session timeout, the join timeout, a downgrade in the log', async (t) => {
  const h = host(t);
  const { c, topics } = await consumerCoordinator(t, consumerLimits, h);
  topics.add('t', 6);
  const m = new TestMember(c);
  await m.join({ subscribedTopicNames: ['t'] });

  const first = await c.join({ ...new ClassicMember(c).joinRequest(), requireKnownMemberId: true });
  t.equal(first.errorCode, ErrorCode.MEMBER_ID_REQUIRED, 'v4+: a member id first');
  const k = new ClassicMember(c, 't', 'g', { requireKnownMemberId: true });
  k.memberId = first.memberId;
  t.equal(await k.joinAndSync(), ErrorCode.NONE, 'then the join with it');
  t.ok(c.consumerGroup('g')!.members.get(first.memberId)?.classic, 'a classic member of the consumer group');
  t.equal((await c.join({ ...k.joinRequest(), protocolType: 'connect' })).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL, 'another protocol type');

  const s = new ClassicMember(c, 't', 'g', { groupInstanceId: 'static-1' });
  t.equal(await s.joinAndSync(), ErrorCode.NONE, 'a static classic member joins');
  const oldId = s.memberId;
  s.memberId = '';
  t.equal(await s.joinAndSync(), ErrorCode.NONE, 'and comes back under a new member id (a restart)');
  t.not(s.memberId, oldId);
  t.notOk(c.consumerGroup('g')!.members.has(oldId), 'it replaced its old self');
  t.equal(c.heartbeat('g', s.generation, oldId, 'static-1'), ErrorCode.FENCED_INSTANCE_ID, 'the old member id is fenced');

  // A member with a short session that stops heartbeating goes after it; one told to rejoin that does not goes after its rebalance timeout.
  const quiet = new ClassicMember(c, 't', 'g', { sessionTimeoutMs: 200 });
  t.equal(await quiet.joinAndSync(), ErrorCode.NONE);
  const slow = new ClassicMember(c, 't', 'g', { rebalanceTimeoutMs: 200 });
  t.equal(await slow.joinAndSync(), ErrorCode.NONE);
  await m.beat({ subscribedTopicNames: ['t', 'u'] }); // a new group epoch: every classic member must rejoin
  t.equal(slow.beat(), ErrorCode.REBALANCE_IN_PROGRESS, 'told to rejoin');
  await until(() => !c.consumerGroup('g')!.members.has(quiet.memberId), 5000, 'the silent member to be removed');
  await until(() => !c.consumerGroup('g')!.members.has(slow.memberId), 5000, 'the member that did not rejoin to be removed');
  t.pass('both removed');
  t.equal(slow.beat(), ErrorCode.UNKNOWN_MEMBER_ID);

  // The consumer-protocol member leaves: a classic group of k and s, which the log rebuilds.
  t.same(c.leave('g', [{ memberId: '', groupInstanceId: 'static-1' }]).members.map((x) => x.errorCode), [ErrorCode.NONE], 'an admin removes the static member by instance id');
  await m.leave();
  t.same([...c.group('g')!.members.keys()], [k.memberId], 'downgraded');
  await c.written('g');
  const c2 = new GroupCoordinator(consumerLimits, new OffsetsTopicStore(h, 1, 1 << 20, 1));
  t.teardown(() => c2.close());
  c2.useTopics(topics);
  await c2.loadPartition(0, 1);
  t.same([c2.consumerGroup('g'), [...c2.group('g')!.members.keys()], c2.group('g')!.protocolName], [undefined, [k.memberId], 'RoundRobinAssigner'], 'the log holds the classic group');
});
