import t from 'tap';
import type { JoinRequest } from '../../src/coordinator/group/group-coordinator.js';
import { ErrorCode } from '../../src/wire/errors.js';
import { host, leadingGroups } from './helpers/fake-host.js';

const limits = { minSessionTimeoutMs: 10, maxSessionTimeoutMs: 60_000, initialRebalanceDelayMs: 0, maxSize: 3 };
const join = (over: Partial<JoinRequest> = {}): JoinRequest => ({
  groupId: 'g', memberId: '', groupInstanceId: null, clientId: 'c', clientHost: '/127.0.0.1',
  sessionTimeoutMs: 5000, rebalanceTimeoutMs: 300, protocolType: 'consumer',
  protocols: [{ name: 'range', metadata: Buffer.from('r') }, { name: 'roundrobin', metadata: Buffer.from('rr') }],
  requireKnownMemberId: false, ...over,
});

t.test('join, sync, heartbeat for one member; MEMBER_ID_REQUIRED for v4+', async (t) => {
  const c = await leadingGroups(t, limits);
  const first = await c.join(join({ requireKnownMemberId: true }));
  t.equal(first.errorCode, ErrorCode.MEMBER_ID_REQUIRED, 'v4+ first join gets MEMBER_ID_REQUIRED');
  t.match(first.memberId, /^c-/, 'with a member id to use');
  const j = await c.join(join({ memberId: first.memberId, requireKnownMemberId: true }));
  t.equal(j.errorCode, ErrorCode.NONE);
  t.equal(j.generationId, 1);
  t.equal(j.leader, j.memberId, 'the only member leads');
  t.equal(j.protocolName, 'range', "the members' preferred common protocol");
  t.equal(j.members.length, 1, 'the leader gets the member list');
  const s = await c.sync('g', 1, j.memberId, null, null, [{ memberId: j.memberId, assignment: Buffer.from('A') }]);
  t.same(s.assignment, Buffer.from('A'), 'the leader gets its own assignment');
  t.equal(c.group('g')!.state, 'Stable');
  t.equal(c.heartbeat('g', 1, j.memberId), ErrorCode.NONE);
  t.equal(c.heartbeat('g', 0, j.memberId), ErrorCode.ILLEGAL_GENERATION);
  t.equal(c.heartbeat('g', 1, 'nobody'), ErrorCode.UNKNOWN_MEMBER_ID);
  t.equal((await c.join(join({ memberId: 'made-up' }))).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
});

t.test('bad joins are refused with the right codes', async (t) => {
  const c = await leadingGroups(t, limits);
  t.equal((await c.join(join({ groupId: '' }))).errorCode, ErrorCode.INVALID_GROUP_ID);
  t.equal((await c.join(join({ sessionTimeoutMs: 5 }))).errorCode, ErrorCode.INVALID_SESSION_TIMEOUT);
  const a = await c.join(join());
  t.equal(a.errorCode, ErrorCode.NONE);
  t.equal((await c.join(join({ protocols: [{ name: 'sticky', metadata: Buffer.alloc(0) }] }))).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL, 'no common protocol');
  t.equal((await c.join(join({ protocolType: 'connect' }))).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL, 'another protocol type');
});

t.test('a second member triggers a rebalance; both get the new generation; the leader assigns both', async (t) => {
  const c = await leadingGroups(t, limits);
  const a = await c.join(join());
  await c.sync('g', a.generationId, a.memberId, null, null, [{ memberId: a.memberId, assignment: Buffer.from('all') }]);
  const bJoin = c.join(join({ clientId: 'b' }));
  t.equal(c.group('g')!.state, 'PreparingRebalance');
  t.equal(c.heartbeat('g', a.generationId, a.memberId), ErrorCode.REBALANCE_IN_PROGRESS, 'the old member is told to rejoin');
  const aJoin = c.join(join({ memberId: a.memberId }));
  const [a2, b2] = await Promise.all([aJoin, bJoin]);
  t.equal(a2.generationId, 2);
  t.equal(b2.generationId, 2);
  t.equal(a2.leader, a.memberId, 'the leader stays');
  t.equal(a2.members.length, 2);
  t.equal(b2.members.length, 0, 'followers get no member list');
  const bSync = c.sync('g', 2, b2.memberId, 'consumer', 'range', []);
  const aSync = c.sync('g', 2, a2.memberId, 'consumer', 'range', [{ memberId: a2.memberId, assignment: Buffer.from('p0') }, { memberId: b2.memberId, assignment: Buffer.from('p1') }]);
  t.same((await bSync).assignment, Buffer.from('p1'), 'the follower waits for and gets its share');
  t.same((await aSync).assignment, Buffer.from('p0'));
  t.equal((await c.sync('g', 2, a2.memberId, 'consumer', 'other', [])).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL, 'v5+ protocol name check');
});

t.test('members that do not rejoin within the rebalance timeout are removed; leave rebalances at once', async (t) => {
  const c = await leadingGroups(t, limits);
  const a = await c.join(join());
  await c.sync('g', 1, a.memberId, null, null, []);
  const b = c.join(join({ clientId: 'b' }));
  const b2 = await b; // a never rejoins: after 300 ms it is dropped and b completes alone
  t.equal(b2.errorCode, ErrorCode.NONE);
  t.equal(c.group('g')!.members.size, 1, 'the silent member was removed');
  await c.sync('g', b2.generationId, b2.memberId, null, null, []);
  const left = c.leave('g', [{ memberId: b2.memberId, groupInstanceId: null }]);
  t.equal(left.members[0]!.errorCode, ErrorCode.NONE);
  t.equal(c.group('g')!.state, 'Empty', 'the last member leaving empties the group');
});

t.test('offset commits check generation and member; simple consumers commit with -1; delete needs an empty group', async (t) => {
  const c = await leadingGroups(t, limits);
  const off = (o: bigint) => [{ topic: 't', partition: 0, offset: { offset: o, leaderEpoch: -1, metadata: '', commitTimestamp: 0 } }];
  t.equal(c.commit('simple', -1, '', off(5n)), ErrorCode.NONE, 'generation -1 on a group without members');
  t.equal(c.group('simple')!.offsets.get('t')!.get(0)!.offset, 5n);
  const a = await c.join(join());
  await c.sync('g', a.generationId, a.memberId, null, null, [{ memberId: a.memberId, assignment: Buffer.from('all') }]);
  t.equal(c.commit('g', a.generationId, a.memberId, off(7n)), ErrorCode.NONE);
  t.equal(c.commit('g', a.generationId + 1, a.memberId, off(8n)), ErrorCode.ILLEGAL_GENERATION);
  t.equal(c.commit('g', a.generationId, 'nobody', off(8n)), ErrorCode.UNKNOWN_MEMBER_ID);
  t.equal(c.commit('g', -1, '', off(8n)), ErrorCode.UNKNOWN_MEMBER_ID, 'a group with members refuses simple commits (UNKNOWN_MEMBER_ID, as Kafka)');
  t.equal(c.deleteGroup('g'), ErrorCode.NON_EMPTY_GROUP);
  t.equal(c.deleteGroup('nope'), ErrorCode.GROUP_ID_NOT_FOUND);
  t.equal(c.deleteGroup('simple'), ErrorCode.NONE);
});

t.test('OffsetFetch sees a commit once its record is written, and never when the write fails; the coordinator itself sees it at once', async (t) => {
  const h = host(t);
  const c = await leadingGroups(t, limits, h);
  const off = (o: bigint) => [{ topic: 't', partition: 0, offset: { offset: o, leaderEpoch: -1, metadata: '', commitTimestamp: 0 } }];
  const committed = () => c.committedOffsets('s')?.get('t')?.get(0)?.offset;
  t.equal(c.commit('s', -1, '', off(5n)), ErrorCode.NONE);
  await c.written('s');
  let open!: () => void;
  h.appendGate = new Promise((resolve) => { open = resolve; });
  t.equal(c.commit('s', -1, '', off(9n)), ErrorCode.NONE, 'accepted, its record on its way');
  await new Promise((r) => setTimeout(r, 20));
  t.equal(committed(), 5n, 'not visible while its record is being written');
  t.equal(c.group('s')!.offsets.get('t')!.get(0)!.offset, 9n, 'the next write (a commit, OffsetDelete, expiry) works on it already');
  open();
  await c.written('s');
  t.equal(committed(), 9n, 'visible once written');
  h.appendGate = undefined;
  h.appendFault = Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
  t.equal(c.commit('s', -1, '', off(12n)), ErrorCode.NONE);
  await c.written('s').catch(() => {});
  t.equal(committed(), 9n, 'a commit whose record was not written is never seen');
  t.equal(c.group('s')!.offsets.get('t')!.get(0)!.offset, 9n, 'and is taken back');
});

t.test('group.max.size and static members', async (t) => {
  const c = await leadingGroups(t, { ...limits, maxSize: 1 });
  const s = await c.join(join({ groupInstanceId: 'inst' }));
  t.match(s.memberId, /^inst-/, "a static member's id starts with its instance id");
  await c.sync('g', s.generationId, s.memberId, null, null, [{ memberId: s.memberId, assignment: Buffer.from('mine') }]);
  t.equal((await c.join(join({ clientId: 'other' }))).errorCode, ErrorCode.GROUP_MAX_SIZE_REACHED);
  const back = await c.join(join({ groupInstanceId: 'inst' }));
  t.equal(back.generationId, s.generationId, 'no new generation for a returning static member');
  t.not(back.memberId, s.memberId);
  t.same([back.skipAssignment, back.members.length], [true, 1], 'KIP-814: the returning leader gets the members but skips the assignment');
  t.same((await c.sync('g', back.generationId, back.memberId, null, null, [])).assignment, Buffer.from('mine'), 'it keeps its assignment');
  t.equal((await c.join(join({ groupInstanceId: 'inst', memberId: s.memberId }))).errorCode, ErrorCode.FENCED_INSTANCE_ID, 'the old incarnation is fenced');
});

t.test('commits during a rebalance: accepted while members rejoin (the revocation commit), refused until the new assignment is synced', async (t) => {
  const c = await leadingGroups(t, limits);
  const offset = (o: bigint) => [{ topic: 't', partition: 0, offset: { offset: o, leaderEpoch: -1, metadata: '', commitTimestamp: 1 } }];
  const a = await c.join(join());
  await c.sync('g', a.generationId, a.memberId, null, null, [{ memberId: a.memberId, assignment: Buffer.from('all') }]);
  const bJoin = c.join(join({ clientId: 'b' }));
  t.equal(c.group('g')!.state, 'PreparingRebalance');
  t.equal(c.commit('g', a.generationId, a.memberId, offset(5n)), ErrorCode.NONE, 'PreparingRebalance: a member of the current generation commits what it consumed before giving its partitions up');
  t.equal(c.group('g')!.offsets.get('t')!.get(0)!.offset, 5n);
  const [a2] = await Promise.all([c.join(join({ memberId: a.memberId })), bJoin]);
  t.equal(c.group('g')!.state, 'CompletingRebalance');
  t.equal(c.commit('g', a2.generationId, a.memberId, offset(6n)), ErrorCode.REBALANCE_IN_PROGRESS, 'CompletingRebalance: REBALANCE_IN_PROGRESS, as Kafka answers');
  t.equal(c.commit('g', a.generationId, a.memberId, offset(6n)), ErrorCode.ILLEGAL_GENERATION, 'the old generation is stale now');
});

t.test('a null committed metadata is stored as "" (Kafka\'s NO_METADATA), by OffsetCommit and TxnOffsetCommit', async (t) => {
  const c = await leadingGroups(t, limits);
  const off = (partition: number) => [{ topic: 't', partition, offset: { offset: 1n, leaderEpoch: -1, metadata: null, commitTimestamp: 0 } }];
  t.equal(c.commit('g', -1, '', off(0)), ErrorCode.NONE);
  t.equal(c.txnCommit('g', { producerId: 7, producerEpoch: 0 }, -1, '', null, off(1)), ErrorCode.NONE);
  c.completeTxn(7, true, () => true);
  t.same([0, 1].map((p) => c.group('g')!.offsets.get('t')!.get(p)!.metadata), ['', ''], 'both read back as ""');
});

t.test('OffsetCommit validation follows Kafka in every group state', async (t) => {
  const c = await leadingGroups(t, limits);
  const off = [{ topic: 't', partition: 0, offset: { offset: 1n, leaderEpoch: -1, metadata: '', commitTimestamp: 0 } }];
  const a = await c.join(join());
  const bJoin = c.join(join({ clientId: 'b' }));
  t.equal(c.group('g')!.state, 'PreparingRebalance');
  t.equal(c.commit('g', -1, '', off), ErrorCode.UNKNOWN_MEMBER_ID, 'PreparingRebalance, generation -1, no member: UNKNOWN_MEMBER_ID');
  const [a2] = await Promise.all([c.join(join({ memberId: a.memberId })), bJoin]);
  t.equal(c.group('g')!.state, 'CompletingRebalance');
  t.equal(c.commit('g', -1, '', off), ErrorCode.UNKNOWN_MEMBER_ID, 'CompletingRebalance, generation -1, no member: UNKNOWN_MEMBER_ID');
  t.equal(c.commit('g', a2.generationId, 'nobody', off), ErrorCode.UNKNOWN_MEMBER_ID, 'CompletingRebalance, unknown member: UNKNOWN_MEMBER_ID before REBALANCE_IN_PROGRESS');
  t.equal(c.commit('missing', 0, '', off, null, 8), ErrorCode.ILLEGAL_GENERATION, 'missing group, generation 0, v8');
  t.equal(c.group('missing'), undefined, 'and no group is created');
});

t.test('a pending member id stops holding a rebalance after its session timeout', async (t) => {
  const c = await leadingGroups(t, limits);
  const a = await c.join(join({ rebalanceTimeoutMs: 5000 }));
  const pending = await c.join(join({ clientId: 'p', requireKnownMemberId: true, sessionTimeoutMs: 100 }));
  t.equal(pending.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
  const start = Date.now();
  const again = await c.join(join({ memberId: a.memberId, rebalanceTimeoutMs: 5000 }));
  t.equal(again.generationId, a.generationId + 1);
  t.ok(Date.now() - start < 2000, `the rebalance completed when the pending member expired (${Date.now() - start} ms), not at the 5 s rebalance timeout`);
  t.equal(c.group('g')!.pendingMembers.size, 0);
});

t.test('group.initial.rebalance.delay.ms: the first rebalance waits, and extends while new members keep arriving (Kafka\'s InitialDelayedJoin)', async (t) => {
  const c = await leadingGroups(t, { ...limits, initialRebalanceDelayMs: 100 });
  const start = Date.now();
  const a = c.join(join({ rebalanceTimeoutMs: 5000 }));
  await new Promise((r) => setTimeout(r, 60));
  const b = c.join(join({ clientId: 'b', rebalanceTimeoutMs: 5000 }));
  t.equal(c.group('g')!.state, 'PreparingRebalance', 'a second member does not end the initial delay');
  await new Promise((r) => setTimeout(r, 90));
  const d = c.join(join({ clientId: 'd', rebalanceTimeoutMs: 5000 }));
  const all = await Promise.all([a, b, d]);
  t.same(all.map((x) => x.generationId), [1, 1, 1], 'three members arriving within successive delays share the first generation');
  t.ok(Date.now() - start >= 200, `the delay was extended for each new member (${Date.now() - start} ms)`);
});
