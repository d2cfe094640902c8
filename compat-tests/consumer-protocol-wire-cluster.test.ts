/**
 * Where a KIP-848 group lives: NOT_COORDINATOR from a broker that does not
 * lead the group's __consumer_offsets partition (ConsumerGroupHeartbeat and
 * ConsumerGroupDescribe), the group's state replayed by the broker that takes
 * that leadership over (epochs and assignments as they were, members still
 * able to heartbeat), and the same after a broker restarts on its data dir:
 * member epochs and assignments survive, a revocation in progress continues
 * where it was, a static member away with -2 is still held for it, and
 * members that do not heartbeat afterwards time out. Our codecs over sockets to in-process brokers.
 */
import t from 'tap';
import { testBroker } from './helpers/broker.js';
import { testCluster } from './helpers/cluster.js';
import { partitionStatus, waitForFullIsr } from './helpers/failover.js';
import { GroupWire, Member, beatUntil } from './helpers/consumer-group-wire.js';
import { ErrorCode as E } from '../src/wire/errors.js';
import { partitionFor } from '../src/coordinator/internal-topic.js';

const TIMEOUTS = {
  'group.consumer.session.timeout.ms': '6000',
  'group.consumer.min.session.timeout.ms': '1000',
  'group.consumer.heartbeat.interval.ms': '500',
  'group.consumer.min.heartbeat.interval.ms': '100',
};

/** What ConsumerGroupDescribe says of a group, reduced to what must survive a move or a restart. */
const snapshot = (d: Awaited<ReturnType<GroupWire['describeOne']>>) => ({
  errorCode: d.errorCode, groupEpoch: d.groupEpoch, assignmentEpoch: d.assignmentEpoch, state: d.groupState,
  members: d.members.map((m) => ({ id: m.memberId, epoch: m.memberEpoch, topics: m.subscribedTopicNames, assigned: GroupWire.describedPartitions(m.assignment), target: GroupWire.describedPartitions(m.targetAssignment) }))
    .sort((a, b) => a.id.localeCompare(b.id)),
});

t.test('NOT_COORDINATOR, and the group replayed where its coordinator moves', async (t) => {
  const OFFSETS_PARTITIONS = 3;
  const c = await testCluster(t, 3, { ...TIMEOUTS, 'offsets.topic.num.partitions': String(OFFSETS_PARTITIONS), 'offsets.topic.replication.factor': '3' });
  const ports = [0, 1, 2].map((id) => c.broker(id)!.port);
  const conns = await Promise.all(ports.map((p) => GroupWire.connect(t, '127.0.0.1', p)));
  const any = conns[0]!;
  await any.createTopics(4, 'cl-t');
  for (const x of conns) await x.topicIds('cl-t');
  const GROUP = 'cl-group';
  // The first FindCoordinator creates __consumer_offsets; it may answer COORDINATOR_NOT_AVAILABLE until the partition has a leader.
  let found = await any.coordinator(GROUP);
  for (const end = Date.now() + 15_000; found.errorCode !== E.NONE && Date.now() < end;) {
    await new Promise((r) => setTimeout(r, 100));
    found = await any.coordinator(GROUP);
  }
  t.equal(found.errorCode, E.NONE, 'FindCoordinator answers');
  const coordinator = found.nodeId;
  const others = [0, 1, 2].filter((id) => id !== coordinator);
  const on = (id: number) => conns[id]!;

  t.test('a broker that does not lead the group answers NOT_COORDINATOR', async (t) => {
    for (const id of others) {
      const res = await new Member(on(id), GROUP, { topics: ['cl-t'] }).join();
      t.equal(res.errorCode, E.NOT_COORDINATOR, `ConsumerGroupHeartbeat to broker ${id}`);
      t.equal((await on(id).describeOne(GROUP)).errorCode, E.NOT_COORDINATOR, `ConsumerGroupDescribe on broker ${id}`);
    }
    t.equal((await on(coordinator).describeOne(GROUP)).errorCode, E.GROUP_ID_NOT_FOUND, 'the coordinator: no such group (the refused joins made none)');
  });

  t.test('the next coordinator replays the group', async (t) => {
    const a = new Member(on(coordinator), GROUP, { topics: ['cl-t'] });
    const bm = new Member(on(coordinator), GROUP, { topics: ['cl-t'] });
    await a.join();
    await bm.join();
    await beatUntil([a, bm], () => a.partitions().length === 2 && bm.partitions().length === 2 && a.epoch === bm.epoch, 10_000, 'two members with two partitions each');
    const before = snapshot(await on(coordinator).describeOne(GROUP));
    t.same(before.state, 'Stable');

    const offsetsPartition = partitionFor(GROUP, OFFSETS_PARTITIONS);
    await waitForFullIsr(c, '__consumer_offsets', [offsetsPartition]);
    const next = others[0]!;
    await c.moveLeader('__consumer_offsets', offsetsPartition, next);
    t.equal(partitionStatus(c, '__consumer_offsets', offsetsPartition).leader, next, `leadership of __consumer_offsets-${offsetsPartition} moved to broker ${next}`);

    let moved: Awaited<ReturnType<GroupWire['describeOne']>> | undefined;
    const end = Date.now() + 15_000;
    while (Date.now() < end) {
      moved = await on(next).describeOne(GROUP);
      if (moved.errorCode !== E.COORDINATOR_LOAD_IN_PROGRESS && moved.errorCode !== E.NOT_COORDINATOR) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    t.same(snapshot(moved!), before, 'the new coordinator describes the group exactly as the old one did');
    t.equal((await on(coordinator).describeOne(GROUP)).errorCode, E.NOT_COORDINATOR, 'the old coordinator no longer answers for it');

    const ra = a.via(on(next));
    const res = await ra.beat();
    t.same([res.errorCode, res.memberEpoch], [E.NONE, a.epoch], 'a member heartbeats to the new coordinator with the epoch it had');
    t.equal((await a.beat()).errorCode, E.NOT_COORDINATOR, 'and gets NOT_COORDINATOR from the old one');
  });
});

t.test('the group survives a broker restart; members that do not come back time out', async (t) => {
  const b = await testBroker(t, TIMEOUTS);
  let g = await GroupWire.connect(t, b.host, b.port);
  await g.createTopics(4, 'rs-t');
  const a = new Member(g, 'rs-group', { topics: ['rs-t'] });
  const bm = new Member(g, 'rs-group', { topics: ['rs-t'] });
  await a.join();
  await bm.join();
  await beatUntil([a, bm], () => a.partitions().length === 2 && bm.partitions().length === 2 && a.epoch === bm.epoch, 10_000, 'two members with two partitions each');
  t.equal(await g.commit('rs-group', a.memberId, a.epoch, 'rs-t', 0, 17n), E.NONE, 'a commit before the restart');
  const before = snapshot(await g.describeOne('rs-group'));

  await b.restart();
  g = await GroupWire.connect(t, b.host, b.port);
  await g.topicIds('rs-t');
  const after = snapshot(await g.describeOne('rs-group'));
  t.same(after, before, 'epochs, members and assignments as before the restart');

  const ra = a.via(g);
  const res = await ra.beat();
  t.same([res.errorCode, res.memberEpoch], [E.NONE, a.epoch], 'a member heartbeats with the epoch it had');
  t.same((await g.fetchOffsets('rs-group', ra.memberId, ra.epoch, 'rs-t', [0])).offsets, { 'rs-t-0': 17n }, 'its commit is there, fetched with its member epoch');

  // B never heartbeats again: its session runs out and A takes its partitions.
  await beatUntil([ra], () => ra.partitions().length === 4, 30_000, "A to get B's partitions after B's session times out", 500);
  t.same((await g.describeOne('rs-group')).members.map((m) => m.memberId), [a.memberId], 'B timed out after the restart');
});

t.test('a revocation in progress and a static member away with -2 survive a restart', async (t) => {
  const b = await testBroker(t, TIMEOUTS);
  let g = await GroupWire.connect(t, b.host, b.port);
  await g.createTopics(4, 'rv-t');
  const a = new Member(g, 'rv-group', { topics: ['rv-t'], rebalanceTimeoutMs: 120_000 });
  await a.join();
  const allFour = a.assignment;
  const bm = new Member(g, 'rv-group', { topics: ['rv-t'] });
  await bm.join();
  await a.beat({ owned: allFour });
  t.same([a.epoch, a.partitions().length, bm.epoch, bm.partitions()], [1, 2, 2, []], 'before: A asked to revoke two partitions at epoch 1, B at epoch 2 waiting for them');
  const s = new Member(g, 'rv-static', { topics: ['rv-t'], instanceId: 'rv-inst' });
  await s.join();
  await s.leave(-2);
  const beforeRevoke = snapshot(await g.describeOne('rv-group'));
  const beforeStatic = snapshot(await g.describeOne('rv-static'));

  await b.restart();
  g = await GroupWire.connect(t, b.host, b.port);
  await g.topicIds('rv-t');
  t.same(snapshot(await g.describeOne('rv-group')), beforeRevoke, 'the reconciling group as it was');
  t.same(snapshot(await g.describeOne('rv-static')), beforeStatic, 'the static member still held at epoch -2');

  const ra = a.via(g);
  const rb = bm.via(g);
  const still = await ra.beat({ owned: allFour });
  t.same([still.errorCode, still.memberEpoch], [E.NONE, 1], 'A still owning all four: still epoch 1');
  t.same([(await rb.beat()).memberEpoch, rb.partitions()], [2, []], 'B still waits');
  t.equal((await ra.beat()).memberEpoch, 2, 'A acknowledges: epoch 2');
  await rb.beat();
  t.equal(rb.partitions().length, 2, 'B gets the two partitions A gave up');
  t.same([...ra.partitions(), ...rb.partitions()].sort(), ['rv-t-0', 'rv-t-1', 'rv-t-2', 'rv-t-3'], 'each partition once');

  const back = new Member(g, 'rv-static', { topics: ['rv-t'], instanceId: 'rv-inst' });
  t.same([(await back.join()).errorCode, back.partitions()], [E.NONE, ['rv-t-0', 'rv-t-1', 'rv-t-2', 'rv-t-3']], 'the static member rejoins after the restart with its partitions');
});
