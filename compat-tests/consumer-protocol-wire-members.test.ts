/**
 * KIP-848 membership over the wire, with timeouts shortened through the
 * broker configs Kafka names (group.consumer.session.timeout.ms and its
 * bounds, group.consumer.heartbeat.interval.ms): the configured heartbeat
 * interval in every answer; revoke-before-assign between two members (the
 * newcomer's epoch moves on but it gets no partition until the owner has
 * acknowledged giving it up); leaving with epoch -1; the session timeout and
 * the rebalance timeout removing members; static members (instance ids):
 * UNRELEASED_INSTANCE_ID, the temporary leave with epoch -2 and a rejoin that
 * keeps the assignment, FENCED_INSTANCE_ID for the replaced member, an
 * instance id that changes. Expected answers are Kafka's
 * (GroupMetadataManager, CurrentAssignmentBuilder).
 */
import t from 'tap';
import { testBroker } from './helpers/broker.js';
import { GroupWire, Member, beatUntil } from './helpers/consumer-group-wire.js';
import { ErrorCode as E } from '../src/wire/errors.js';

const SHORT = {
  'group.consumer.session.timeout.ms': '2000',
  'group.consumer.min.session.timeout.ms': '1000',
  'group.consumer.heartbeat.interval.ms': '500',
  'group.consumer.min.heartbeat.interval.ms': '100',
};

const sorted = (xs: string[]) => [...xs].sort();

t.test('consumer group membership with short timeouts', async (t) => {
  const b = await testBroker(t, SHORT);
  const g = await GroupWire.connect(t, b.host, b.port);
  await g.createTopics(4, 'mem-t');
  const ALL = ['mem-t-0', 'mem-t-1', 'mem-t-2', 'mem-t-3'];

  t.test('the configured heartbeat interval is in every answer', async (t) => {
    const m = new Member(g, 'mem-interval', { topics: ['mem-t'] });
    t.equal((await m.join()).heartbeatIntervalMs, 500, 'join');
    t.equal((await m.beat()).heartbeatIntervalMs, 500, 'heartbeat');
    await m.leave();
  });

  t.test('revoke before assign: B gets nothing A still owns until A acknowledges', async (t) => {
    const a = new Member(g, 'mem-revoke', { topics: ['mem-t'] });
    const ja = await a.join();
    t.same([ja.memberEpoch, a.partitions()], [1, ALL], 'A alone: epoch 1, all four partitions');
    const allFour = a.assignment;

    const bm = new Member(g, 'mem-revoke', { topics: ['mem-t'] });
    const jb = await bm.join();
    t.same([jb.errorCode, jb.memberEpoch, bm.partitions()], [E.NONE, 2, []], 'B joins: epoch 2 (the group epoch) but no partitions yet, A owns them all');
    const target = await g.describeOne('mem-revoke');
    t.same([target.groupEpoch, target.assignmentEpoch, target.groupState], [2, 2, 'Reconciling'], 'group epoch 2, target assignment computed, reconciling');
    const targetOf = (id: string) => GroupWire.describedPartitions(target.members.find((m) => m.memberId === id)!.targetAssignment);
    t.equal(targetOf(a.memberId).length, 2, "A's target is two partitions");
    t.same(sorted([...targetOf(a.memberId), ...targetOf(bm.memberId)]), ALL, 'the targets split the topic');

    // A reports it still owns everything: it is asked to revoke, at its old epoch.
    const kept = await a.beat({ owned: allFour });
    t.same([kept.errorCode, kept.memberEpoch, a.partitions()], [E.NONE, 1, targetOf(a.memberId)], 'A: still epoch 1, its assignment shrinks to its target (the rest is to revoke)');
    const mid = await g.describeOne('mem-revoke');
    const da = mid.members.find((m) => m.memberId === a.memberId)!;
    const db = mid.members.find((m) => m.memberId === bm.memberId)!;
    t.same([da.memberEpoch, GroupWire.describedPartitions(da.assignment), db.memberEpoch, GroupWire.describedPartitions(db.assignment), mid.groupState],
      [1, targetOf(a.memberId), 2, [], 'Reconciling'], 'ConsumerGroupDescribe meanwhile: A at epoch 1 with what it keeps, B at epoch 2 with nothing');
    for (let i = 0; i < 3; i++) {
      const again = await a.beat({ owned: allFour });
      t.same([again.errorCode, again.memberEpoch], [E.NONE, 1], `A heartbeat ${i + 1} still owning all four: epoch 1`);
      const waiting = await bm.beat();
      t.same([waiting.memberEpoch, bm.partitions()], [2, []], `B heartbeat ${i + 1}: epoch 2 and still nothing`);
    }

    // A acknowledges: it reports only what it keeps.
    const acked = await a.beat();
    t.same([acked.memberEpoch, a.partitions()], [2, targetOf(a.memberId)], 'A acknowledges the revocation: epoch 2');
    const given = await bm.beat();
    t.same([given.memberEpoch, bm.partitions()], [2, targetOf(bm.memberId)], 'B now gets the partitions A gave up, at epoch 2');
    t.same(sorted([...a.partitions(), ...bm.partitions()]), ALL, 'every partition owned by exactly one member');
    t.equal((await g.describeOne('mem-revoke')).groupState, 'Stable', 'the group is Stable');
    await a.leave();
    await bm.leave();
  });

  t.test('leaving with epoch -1: the partitions move to the others', async (t) => {
    const a = new Member(g, 'mem-leave', { topics: ['mem-t'] });
    const bm = new Member(g, 'mem-leave', { topics: ['mem-t'] });
    await a.join();
    await bm.join();
    await beatUntil([a, bm], () => a.partitions().length === 2 && bm.partitions().length === 2, 10_000, 'two members with two partitions each');
    const left = await a.leave();
    t.same([left.errorCode, left.memberId, left.memberEpoch], [E.NONE, a.memberId, -1], 'the answer to a leave: the member id and epoch -1');
    const d = await g.describeOne('mem-leave');
    t.same(d.members.map((m) => m.memberId), [bm.memberId], 'A is gone at once');
    await beatUntil([bm], () => bm.partitions().length === 4, 10_000, 'B to get all partitions');
    t.same(bm.partitions(), ALL, 'B owns all four');
    t.equal((await a.beat()).errorCode, E.UNKNOWN_MEMBER_ID, "A's id is unknown after it left");
    await bm.leave();
    const empty = await g.describeOne('mem-leave');
    t.same([empty.errorCode, empty.groupState, empty.members.length], [E.NONE, 'Empty', 0], 'the last leave leaves an Empty group');
  });

  t.test('the session timeout removes a member that stops heartbeating', async (t) => {
    const a = new Member(g, 'mem-session', { topics: ['mem-t'] });
    const bm = new Member(g, 'mem-session', { topics: ['mem-t'] });
    await a.join();
    await bm.join();
    await beatUntil([a, bm], () => a.partitions().length === 2 && bm.partitions().length === 2, 10_000, 'two members with two partitions each');
    const before = (await g.describeOne('mem-session')).groupEpoch;
    // Only A heartbeats from here on.
    await beatUntil([a], () => a.partitions().length === 4, 20_000, "A to get B's partitions after B's session times out", 300);
    const d = await g.describeOne('mem-session');
    t.same(d.members.map((m) => m.memberId), [a.memberId], 'B was removed');
    t.ok(d.groupEpoch > before, 'its removal bumped the group epoch');
    t.equal((await bm.beat()).errorCode, E.UNKNOWN_MEMBER_ID, 'B is unknown when it comes back');
    await a.leave();
  });

  t.test('the rebalance timeout fences a member that does not revoke in time', async (t) => {
    const a = new Member(g, 'mem-rebalance', { topics: ['mem-t'], rebalanceTimeoutMs: 1000 });
    await a.join();
    const owning = a.assignment;
    const bm = new Member(g, 'mem-rebalance', { topics: ['mem-t'] });
    await bm.join();
    // A keeps heartbeating (so its session lives) but never gives anything up.
    const end = Date.now() + 20_000;
    let res = await a.beat({ owned: owning });
    while (res.errorCode === E.NONE && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 200));
      res = await a.beat({ owned: owning });
      await bm.beat();
    }
    t.equal(res.errorCode, E.UNKNOWN_MEMBER_ID, 'A is removed once its rebalance timeout passes');
    await beatUntil([bm], () => bm.partitions().length === 4, 10_000, 'B to get all partitions');
    t.same(bm.partitions(), ALL);
    await bm.leave();
  });

  t.test('static members: UNRELEASED_INSTANCE_ID, leave with -2, rejoin with the same assignment, FENCED_INSTANCE_ID', async (t) => {
    const s1 = new Member(g, 'mem-static', { topics: ['mem-t'], instanceId: 'inst-1' });
    const other = new Member(g, 'mem-static', { topics: ['mem-t'] });
    await s1.join();
    await other.join();
    await beatUntil([s1, other], () => s1.partitions().length === 2 && other.partitions().length === 2, 10_000, 'two members with two partitions each');
    const assigned = s1.partitions();
    const epochBefore = (await g.describeOne('mem-static')).groupEpoch;

    const s2 = new Member(g, 'mem-static', { topics: ['mem-t'], instanceId: 'inst-1' });
    const taken = await s2.join();
    t.equal(taken.errorCode, E.UNRELEASED_INSTANCE_ID, 'another member with the same instance id while the first is in the group');

    const left = await s1.leave(-2);
    t.same([left.errorCode, left.memberId, left.memberEpoch], [E.NONE, s1.memberId, -2], 'a static member leaves temporarily: epoch -2');
    const during = await g.describeOne('mem-static');
    const held = during.members.find((m) => m.instanceId === 'inst-1');
    t.same([held?.memberId, held?.memberEpoch, during.groupEpoch], [s1.memberId, -2, epochBefore], 'it stays in the group at epoch -2, the group epoch unchanged');
    t.same(GroupWire.describedPartitions(held!.assignment), assigned, 'its partitions are kept for it');
    t.equal(during.groupState, 'Reconciling', 'a member at epoch -2 is not reconciled to the target epoch: the group is Reconciling (as Kafka computes it)');

    const back = await s2.join();
    t.same([back.errorCode, s2.partitions()], [E.NONE, assigned], 'the instance id rejoins under a new member id and gets the same partitions');
    const after = await g.describeOne('mem-static');
    t.same([after.groupEpoch, after.members.length], [epochBefore, 2], 'no rebalance: same group epoch, two members');
    t.equal(after.members.find((m) => m.instanceId === 'inst-1')?.memberId, s2.memberId, 'the instance id now belongs to the new member');
    t.equal(other.partitions().length, 2, 'the other member kept its two');

    const old = await s1.beat();
    t.same([old.errorCode, old.errorMessage], [E.FENCED_INSTANCE_ID, `Static member ${s1.memberId} with instance id inst-1 was fenced by member ${s2.memberId}.`], 'the replaced member heartbeating with the instance id');
    t.equal((await g.heartbeat({ groupId: 'mem-static', memberId: s1.memberId, memberEpoch: -2, instanceId: 'inst-1' })).errorCode, E.FENCED_INSTANCE_ID, 'or leaving with it');
    t.equal((await g.heartbeat({ groupId: 'mem-static', memberId: s1.memberId, memberEpoch: s1.epoch, topicPartitions: [] })).errorCode, E.UNKNOWN_MEMBER_ID, 'without the instance id its member id is simply unknown');

    const changed = await s2.beat({ fields: { instanceId: 'inst-2' } });
    t.equal(changed.errorCode, E.UNKNOWN_MEMBER_ID, 'a member that changes its instance id: the new one is unknown');
    const dynamicWithInstance = await other.beat({ fields: { instanceId: 'inst-3' } });
    t.equal(dynamicWithInstance.errorCode, E.UNKNOWN_MEMBER_ID, 'a dynamic member that starts sending an instance id: unknown');
    t.equal((await s2.beat({ epoch: s2.epoch + 1 })).errorCode, E.FENCED_MEMBER_EPOCH, 'a static member is fenced on its epoch like any other');
    t.equal((await s2.beat()).errorCode, E.NONE, 'the static member with its own instance id and epoch is fine');

    const gone = await s2.leave(-1);
    t.same([gone.errorCode, gone.memberEpoch], [E.NONE, -1], 'a static member leaving for good (-1)');
    await beatUntil([other], () => other.partitions().length === 4, 10_000, 'the other member to get all partitions');
    t.ok((await g.describeOne('mem-static')).groupEpoch > epochBefore, 'a permanent leave rebalances');
    await other.leave();
  });

  t.test('a member that leaves while asked to revoke frees its partitions at once', async (t) => {
    const a = new Member(g, 'mem-leave-revoking', { topics: ['mem-t'] });
    await a.join();
    const allFour = a.assignment;
    const bm = new Member(g, 'mem-leave-revoking', { topics: ['mem-t'] });
    await bm.join();
    await a.beat({ owned: allFour });
    t.same([a.epoch, bm.partitions()], [1, []], 'A is asked to revoke; B waits');
    await a.leave();
    await beatUntil([bm], () => bm.partitions().length === 4, 10_000, 'B to get all four');
    t.same(bm.partitions(), ALL, 'B owns all four once A left');
    await bm.leave();
  });

  t.test('DeleteGroups: a group whose only member is a static member away with -2 is not empty', async (t) => {
    const s = new Member(g, 'mem-static-delete', { topics: ['mem-t'], instanceId: 'inst-del' });
    await s.join();
    await s.leave(-2);
    t.equal(await g.deleteGroup('mem-static-delete'), E.NON_EMPTY_GROUP, 'NON_EMPTY_GROUP: the member is still held');
    const back = new Member(g, 'mem-static-delete', { topics: ['mem-t'], instanceId: 'inst-del' });
    await back.join();
    await back.leave(-1);
    t.equal(await g.deleteGroup('mem-static-delete'), E.NONE, 'after it leaves for good the group is deleted');
  });

  t.test('a static member that left with -2 and does not return is removed after the session timeout', async (t) => {
    const s = new Member(g, 'mem-static-expire', { topics: ['mem-t'], instanceId: 'inst-x' });
    const other = new Member(g, 'mem-static-expire', { topics: ['mem-t'] });
    await s.join();
    await other.join();
    await beatUntil([s, other], () => s.partitions().length === 2 && other.partitions().length === 2, 10_000, 'two members with two partitions each');
    await s.leave(-2);
    await beatUntil([other], () => other.partitions().length === 4, 20_000, "the other member to get the departed static member's partitions", 300);
    t.same((await g.describeOne('mem-static-expire')).members.map((m) => m.memberId), [other.memberId], 'the static member is gone');
    const fresh = new Member(g, 'mem-static-expire', { topics: ['mem-t'], instanceId: 'inst-x' });
    t.equal((await fresh.join()).errorCode, E.NONE, 'its instance id is free again');
    await fresh.leave();
    await other.leave();
  });
});
