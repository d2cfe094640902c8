/**
 * The KIP-848 consumer protocol in the group coordinator: request
 * validation, joining, target assignment, reconciliation (revoke before
 * assign, unreleased partitions), fencing, static members, leaving, and the
 * session and rebalance timeouts.
 */
import t from 'tap';
import { ErrorCode } from '../../src/wire/errors.js';
import { consumerCoordinator, consumerLimits, hbRequest, settle, TestMember, until } from './consumer-group-helpers.js';

t.test('requests are validated as Kafka does, with its messages', async (t) => {
  const { c, topics } = await consumerCoordinator(t);
  topics.add('t', 2);
  const bad = async (over: Parameters<typeof hbRequest>[0], code: number, message: string) => {
    const r = await c.consumerHeartbeat(hbRequest({ subscribedTopicNames: ['t'], ...over }));
    t.equal(r.errorCode, code, message);
    t.equal(r.errorMessage, message);
    t.equal(r.memberId, null, 'no member id in an error answer');
  };
  await bad({ memberId: '' }, ErrorCode.INVALID_REQUEST, "MemberId can't be empty.");
  await bad({ groupId: ' ' }, ErrorCode.INVALID_REQUEST, "GroupId can't be empty.");
  await bad({ instanceId: '' }, ErrorCode.INVALID_REQUEST, "InstanceId can't be empty.");
  await bad({ rackId: '' }, ErrorCode.INVALID_REQUEST, "RackId can't be empty.");
  await bad({ rebalanceTimeoutMs: -1 }, ErrorCode.INVALID_REQUEST, 'RebalanceTimeoutMs must be provided in first request.');
  await bad({ topicPartitions: null }, ErrorCode.INVALID_REQUEST, 'TopicPartitions must be empty when (re-)joining.');
  await bad({ topicPartitions: [{ topicId: topics.id('t'), partitions: [0] }] }, ErrorCode.INVALID_REQUEST, 'TopicPartitions must be empty when (re-)joining.');
  await bad({ subscribedTopicNames: null }, ErrorCode.INVALID_REQUEST, 'Either SubscribedTopicNames or SubscribedTopicRegex must be non-null when (re-)joining.');
  await bad({ memberEpoch: -2 }, ErrorCode.INVALID_REQUEST, "InstanceId can't be null.");
  await bad({ memberEpoch: -3 }, ErrorCode.INVALID_REQUEST, 'MemberEpoch is invalid.');
  await bad({ serverAssignor: 'sticky' }, ErrorCode.UNSUPPORTED_ASSIGNOR, 'ServerAssignor sticky is not supported. Supported assignors: uniform, range.');
  await bad({ subscribedTopicNames: null, subscribedTopicRegex: '(' }, ErrorCode.INVALID_REGULAR_EXPRESSION, 'SubscribedTopicRegex `(` is not a valid regular expression: Invalid regular expression: /^(?:()$/u: Unterminated group.');
  // v0: a join without a member id gets one from the coordinator; later heartbeats need it.
  const v0 = await c.consumerHeartbeat(hbRequest({ apiVersion: 0, memberId: '', subscribedTopicNames: ['t'] }));
  t.equal(v0.errorCode, ErrorCode.NONE);
  t.match(v0.memberId, /^[A-Za-z0-9_-]{22}$/, 'v0: a Kafka UUID chosen by the coordinator');
  const again = await c.consumerHeartbeat(hbRequest({ apiVersion: 0, memberId: '', memberEpoch: 1, topicPartitions: null }));
  t.equal(again.errorMessage, "MemberId can't be empty.", 'v0 heartbeats after the join name the member');
});

t.test('a member joins, gets every partition; the answer carries epoch, interval and assignment', async (t) => {
  const { c, topics } = await consumerCoordinator(t);
  const tp = topics.add('t', 3);
  const a = new TestMember(c);
  const r = await a.join({ subscribedTopicNames: ['t'] });
  t.equal(r.errorCode, ErrorCode.NONE);
  t.equal(r.memberId, a.memberId, 'v1: the client chose its member id');
  t.equal(r.memberEpoch, 1, 'the join bumped the group epoch to 1 and the member reached it');
  t.equal(r.heartbeatIntervalMs, 5000);
  t.same(a.owned, { [tp.id]: [0, 1, 2] });
  const g = c.consumerGroup('g')!;
  t.equal(g.state, 'Stable');
  t.equal(g.groupEpoch, 1);
  t.equal(g.assignmentEpoch, 1);
  const quiet = await a.beat({ topicPartitions: null });
  t.equal(quiet.assignment, null, 'no assignment in the answer when it did not change and the request was not full');
  t.equal(quiet.memberEpoch, 1);
  const full = await a.beat({ rebalanceTimeoutMs: 30_000, subscribedTopicNames: ['t'] });
  t.ok(full.assignment, 'a full request gets the assignment');
  t.equal(c.consumerGroup('g')!.groupEpoch, 1, 'the same subscription does not bump the group epoch');
});

t.test('a second member: revoke first, then assign; the epoch moves only once revoked', async (t) => {
  const { c, topics } = await consumerCoordinator(t);
  const tp = topics.add('t', 4);
  const a = new TestMember(c);
  await a.join({ subscribedTopicNames: ['t'] });
  const b = new TestMember(c);
  const rb = await b.join({ subscribedTopicNames: ['t'] });
  t.equal(c.consumerGroup('g')!.groupEpoch, 2);
  t.equal(rb.memberEpoch, 2, 'the new member is at the new epoch');
  t.same(b.owned, {}, 'but gets nothing yet: its partitions are still owned by the first member');
  t.equal(c.consumerGroup('g')!.members.get(b.memberId)!.state, 2, 'UNRELEASED_PARTITIONS');
  t.equal(c.consumerGroup('g')!.state, 'Reconciling');

  // The first member still reports all four: it is asked to revoke two, at its epoch.
  const ra = await a.beat();
  t.equal(ra.memberEpoch, 1, 'no epoch bump before the revocation is acknowledged');
  t.equal(a.count(), 2, 'the answer keeps two partitions (the client revokes the others)');
  const am = c.consumerGroup('g')!.members.get(a.memberId)!;
  t.equal(am.state, 1, 'UNREVOKED_PARTITIONS');
  t.equal([...am.pendingRevocation.get(tp.id)!].length, 2, 'two partitions pending revocation');
  // Reporting only the two it kept acknowledges the revocation.
  const ra2 = await a.beat();
  t.equal(ra2.memberEpoch, 2, 'revoked: the member moves to the group epoch');
  t.equal(c.consumerGroup('g')!.members.get(a.memberId)!.state, 0, 'STABLE');
  await b.beat();
  t.equal(b.count(), 2, 'released partitions go to the second member');
  t.same([...a.owned[tp.id]!, ...b.owned[tp.id]!].sort(), [0, 1, 2, 3], 'every partition owned once');
  t.equal(c.consumerGroup('g')!.state, 'Stable');
});

t.test('fencing: epochs ahead, behind, the previous-epoch tolerance, unknown members', async (t) => {
  const { c, topics } = await consumerCoordinator(t);
  const tp = topics.add('t', 2);
  const a = new TestMember(c);
  await a.join({ subscribedTopicNames: ['t'] });
  t.equal((await a.beat({ memberEpoch: 5 })).errorCode, ErrorCode.FENCED_MEMBER_EPOCH, 'an epoch ahead of the coordinator');
  t.match(a.last!.errorMessage, /greater member epoch \(5\)/);
  // Another member joins: the group moves to epoch 2, and a is reconciled to it.
  const b = new TestMember(c);
  await b.join({ subscribedTopicNames: ['t'] });
  await settle([a, b], () => a.epoch === 2 && b.epoch === 2 && a.count() === 1 && b.count() === 1);
  t.equal(a.epoch, 2);
  // The answer that moved a to epoch 2 was lost: epoch 1 with owned partitions within its assignment passes.
  const lost = await a.beat({ memberEpoch: 1 });
  t.equal(lost.errorCode, ErrorCode.NONE, 'the previous epoch with owned partitions in the assignment is accepted');
  t.equal(lost.memberEpoch, 2);
  const other = tp.id;
  const notMine = b.owned[other]![0]!;
  const stale = await a.beat({ memberEpoch: 1, topicPartitions: [{ topicId: other, partitions: [notMine] }] });
  t.equal(stale.errorCode, ErrorCode.FENCED_MEMBER_EPOCH, 'the previous epoch owning partitions outside the assignment is fenced');
  t.match(stale.errorMessage, /smaller member epoch \(1\)/);
  t.equal((await a.beat({ memberEpoch: 0 })).errorCode, ErrorCode.INVALID_REQUEST, 'epoch 0 is a join and needs the join fields');
  // Fenced, the member rejoins with epoch 0 under the id it had (KIP-1082); it gets its place back (KAFKA-19233).
  const rejoin = await a.join({ subscribedTopicNames: ['t'] });
  t.same({ code: rejoin.errorCode, epoch: rejoin.memberEpoch }, { code: ErrorCode.NONE, epoch: 2 }, 'a rejoin with epoch 0 and its member id is accepted');
  t.equal(a.count(), 1, 'with its assignment');
  const nobody = new TestMember(c);
  nobody.epoch = 2;
  t.equal((await nobody.beat()).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  t.equal(nobody.last!.errorMessage, `Member ${nobody.memberId} is not a member of group g.`);
  const missing = await c.consumerHeartbeat(hbRequest({ groupId: 'none', memberEpoch: 1, topicPartitions: null, rebalanceTimeoutMs: -1 }));
  t.equal(missing.errorCode, ErrorCode.GROUP_ID_NOT_FOUND, 'a heartbeat (not a join) to a group that does not exist');
  t.equal(missing.errorMessage, 'Consumer group none not found.');
});

t.test('leaving with epoch -1 hands the partitions to the others', async (t) => {
  const { c, topics } = await consumerCoordinator(t);
  topics.add('t', 4);
  const a = new TestMember(c);
  const b = new TestMember(c);
  await a.join({ subscribedTopicNames: ['t'] });
  await b.join({ subscribedTopicNames: ['t'] });
  await settle([a, b], () => a.count() === 2 && b.count() === 2);
  const left = await b.leave();
  t.same({ errorCode: left.errorCode, memberId: left.memberId, memberEpoch: left.memberEpoch }, { errorCode: ErrorCode.NONE, memberId: b.memberId, memberEpoch: -1 });
  t.notOk(c.consumerGroup('g')!.members.has(b.memberId), 'the member is gone');
  t.ok(await settle([a], () => a.count() === 4), 'the remaining member gets all four');
  t.equal((await b.leave()).errorCode, ErrorCode.UNKNOWN_MEMBER_ID, 'leaving twice: unknown member');
  await a.leave();
  t.equal(c.consumerGroup('g')!.state, 'Empty', 'the group is Empty once the last member left');
});

t.test('static members: unreleased instance ids, -2 and the comeback with the same assignment, fenced ids', async (t) => {
  const { c, topics } = await consumerCoordinator(t);
  topics.add('t', 4);
  const a = new TestMember(c, undefined, { instanceId: 'i-a' });
  const b = new TestMember(c, undefined, { instanceId: 'i-b' });
  await a.join({ subscribedTopicNames: ['t'] });
  await b.join({ subscribedTopicNames: ['t'] });
  await settle([a, b], () => a.count() === 2 && b.count() === 2 && a.epoch === b.epoch);
  const epoch = c.consumerGroup('g')!.groupEpoch;

  const twin = new TestMember(c, undefined, { instanceId: 'i-a' });
  const refused = await twin.join({ subscribedTopicNames: ['t'] });
  t.equal(refused.errorCode, ErrorCode.UNRELEASED_INSTANCE_ID, 'the instance id is still held by a member that did not leave');
  t.equal(refused.errorMessage, `Static member ${twin.memberId} with instance id i-a cannot join the group because the instance id is owned by ${a.memberId} member.`);
  const wrongId = await c.consumerHeartbeat(hbRequest({ memberId: twin.memberId, instanceId: 'i-a', memberEpoch: a.epoch, topicPartitions: null, rebalanceTimeoutMs: -1 }));
  t.equal(wrongId.errorCode, ErrorCode.FENCED_INSTANCE_ID, 'a heartbeat under another member id for the instance');

  const aOwned = a.owned;
  const tempLeave = await a.leave(-2);
  t.same({ errorCode: tempLeave.errorCode, memberEpoch: tempLeave.memberEpoch }, { errorCode: ErrorCode.NONE, memberEpoch: -2 });
  t.equal(c.consumerGroup('g')!.members.get(a.memberId)!.memberEpoch, -2, 'kept, at epoch -2');
  t.equal(c.consumerGroup('g')!.groupEpoch, epoch, 'no rebalance for a static member leaving for a while');
  const back = await twin.join({ subscribedTopicNames: ['t'] });
  t.equal(back.errorCode, ErrorCode.NONE, 'the instance comes back under a new member id');
  t.same(twin.owned, aOwned, 'with the assignment it had');
  t.notOk(c.consumerGroup('g')!.members.has(a.memberId), 'the old member id is gone');
  t.equal(c.consumerGroup('g')!.groupEpoch, epoch, 'still no rebalance');
  t.equal((await a.beat()).errorCode, ErrorCode.FENCED_INSTANCE_ID, 'the old member id is fenced by its successor');
  t.equal((await c.consumerHeartbeat(hbRequest({ instanceId: 'i-zz', memberEpoch: -1, topicPartitions: null, rebalanceTimeoutMs: -1 }))).errorMessage, 'Instance id i-zz is unknown.');
});

t.test('the session timeout removes a silent member; the rebalance timeout one that does not revoke', async (t) => {
  const { c, topics } = await consumerCoordinator(t, { ...consumerLimits, consumer: { sessionTimeoutMs: 300, heartbeatIntervalMs: 100 } });
  topics.add('t', 2);
  const a = new TestMember(c);
  const b = new TestMember(c);
  await a.join({ subscribedTopicNames: ['t'] });
  await b.join({ subscribedTopicNames: ['t'] });
  await settle([a, b], () => a.count() === 1 && b.count() === 1);
  // Only a keeps heartbeating.
  const beating = setInterval(() => { void a.beat(); }, 50);
  await until(() => !c.consumerGroup('g')!.members.has(b.memberId), 5000, 'the silent member to be removed').finally(() => clearInterval(beating));
  t.ok(c.consumerGroup('g')!.members.has(a.memberId), 'the member that heartbeats stays');
  t.pass('the silent member was removed after its session timeout');
  t.ok(await settle([a], () => a.count() === 2), 'its partition went to the other member');

  // A member asked to revoke that never does is fenced after its rebalance timeout (and a keeps reporting both).
  const { c: c2, topics: topics2 } = await consumerCoordinator(t);
  topics2.add('t', 2);
  const x = new TestMember(c2);
  await x.join({ subscribedTopicNames: ['t'], rebalanceTimeoutMs: 200 });
  const y = new TestMember(c2);
  await y.join({ subscribedTopicNames: ['t'] });
  const owned = x.owned;
  await x.beat();
  t.equal(c2.consumerGroup('g')!.members.get(x.memberId)!.state, 1, 'asked to revoke');
  x.owned = owned; // it keeps consuming both partitions
  await until(() => !c2.consumerGroup('g')!.members.has(x.memberId), 5000, 'the member that did not revoke to be fenced');
  t.pass('fenced after its rebalance timeout');
  t.ok(await settle([y], () => y.count() === 2), 'the other member gets both partitions');
});

t.test('group.consumer.max.size and the range assignor', async (t) => {
  const { c, topics } = await consumerCoordinator(t, { ...consumerLimits, consumer: { maxSize: 1 } });
  const tp = topics.add('t', 4);
  const a = new TestMember(c);
  await a.join({ subscribedTopicNames: ['t'], serverAssignor: 'range' });
  const full = await new TestMember(c).join({ subscribedTopicNames: ['t'] });
  t.equal(full.errorCode, ErrorCode.GROUP_MAX_SIZE_REACHED);
  t.equal(full.errorMessage, 'The consumer group has reached its maximum capacity of 1 members.');
  t.equal(c.consumerGroup('g')!.preferredAssignor(), 'range', 'the assignor the members asked for');
  t.same(a.owned, { [tp.id]: [0, 1, 2, 3] });
});
