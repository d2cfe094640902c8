/**
 * Our client's group operations on a KIP-848 consumer group: two members
 * heartbeating over the wire with our codecs (ConsumerGroupHeartbeat), and a
 * classic group beside it. describeGroup(s) go through ConsumerGroupDescribe
 * (type, state, epochs, assignor, members with their epochs, racks and
 * current and target assignments, which differ while a partition moves) and
 * fall back to DescribeGroups for classic and unknown groups; listGroups
 * gives each group's type and filters by type; lag and resets work on the
 * offsets both kinds of group share.
 */
import t from 'tap';
import { testBroker } from '../../compat-tests/helpers/broker.js';
import { GroupWire, Member, beatUntil } from '../../compat-tests/helpers/consumer-group-wire.js';
import { KafkaClient } from '../../src/client/kafka-client.js';
import { KafkaClientError } from '../../src/client/errors.js';
import { produceRecords } from '../../src/client/records.js';
import { committedOffsets, describeGroup, describeGroups, groupOffsets, listGroups, resetGroupOffsets, totalLag } from '../../src/client/groups.js';

t.test('a consumer-protocol group through our client', async (t) => {
  const b = await testBroker(t, { 'group.initial.rebalance.delay.ms': '0' });
  const g = await GroupWire.connect(t, b.host, b.port);
  await g.createTopics(3, 'cg-t');
  const client = await KafkaClient.open({ bootstrap: [b.bootstrap] });
  t.teardown(() => client.close());
  await produceRecords(client, 'cg-t', Array.from({ length: 30 }, (_, i) => ({ partition: i % 3, value: `v${i}` })));

  // A classic group beside it, Stable with one member.
  const first = await g.joinClassic({ groupId: 'cg-classic', topics: ['cg-t'] });
  const joined = await g.joinClassic({ groupId: 'cg-classic', topics: ['cg-t'], memberId: first.memberId });
  t.equal((await g.syncClassic('cg-classic', joined.generationId, joined.memberId)).errorCode, 0, 'a classic group');

  const a = new Member(g, 'cg', { topics: ['cg-t'], instanceId: 'cg-static', rackId: 'rack-a', assignor: 'range' });
  const bm = new Member(g, 'cg', { topics: ['cg-t'] });
  await a.join();
  await beatUntil([a], () => a.partitions().length === 3, 10_000, 'A to own the three partitions');

  // B joins: the target gives it a partition A still owns, so until A acknowledges the revocation the two differ.
  await bm.join();
  const moving = await describeGroup(client, 'cg');
  t.match(moving, { groupId: 'cg', type: 'consumer', protocolType: 'consumer', protocol: 'range', coordinator: 0, groupEpoch: 2, assignmentEpoch: 2 }, 'described with ConsumerGroupDescribe: type, assignor, epochs');
  t.equal(moving.state, 'Reconciling', 'Reconciling while a partition moves');
  const movingA = moving.members.find((m) => m.memberId === a.memberId)!;
  const movingB = moving.members.find((m) => m.memberId === bm.memberId)!;
  t.same(movingA.assignment, [{ topic: 'cg-t', partitions: [0, 1, 2] }], 'A still owns the three partitions');
  t.same(movingA.targetAssignment, [{ topic: 'cg-t', partitions: [0, 1] }], 'its target (range) is two of them');
  t.same([movingB.assignment, movingB.targetAssignment], [[], [{ topic: 'cg-t', partitions: [2] }]], 'B owns nothing yet; its target is the third');

  await beatUntil([a, bm], () => a.partitions().length === 2 && bm.partitions().length === 1 && a.epoch === 2 && bm.epoch === 2, 10_000, 'the group to settle');
  const d = await describeGroup(client, 'cg');
  t.equal(d.state, 'Stable', 'Stable once both reconciled');
  const da = d.members.find((m) => m.memberId === a.memberId)!;
  const db = d.members.find((m) => m.memberId === bm.memberId)!;
  t.match(da, { groupInstanceId: 'cg-static', rackId: 'rack-a', memberEpoch: 2, clientId: 'samsa-compat', subscription: ['cg-t'], subscribedTopicRegex: null }, "A's fields");
  t.match(da.clientHost, /127\.0\.0\.1/, 'its host');
  t.same([da.assignment, da.targetAssignment], [[{ topic: 'cg-t', partitions: [0, 1] }], [{ topic: 'cg-t', partitions: [0, 1] }]], "A's assignment, current = target");
  t.match(db, { groupInstanceId: null, rackId: null, memberEpoch: 2, assignment: [{ topic: 'cg-t', partitions: [2] }] }, "B's");

  const [dc, dg, dn] = await describeGroups(client, ['cg-classic', 'cg', 'cg-none']);
  t.match(dc, { groupId: 'cg-classic', type: 'classic', state: 'Stable', protocolType: 'consumer', protocol: 'range' }, 'a classic group: DescribeGroups');
  t.equal(dc!.members.length, 1, 'with its member');
  t.notOk('groupEpoch' in dc!, 'and no epochs');
  t.match(dg, { groupId: 'cg', type: 'consumer', state: 'Stable' }, 'the consumer group in the same call');
  t.match(dn, { groupId: 'cg-none', type: 'classic', state: 'Dead', members: [] }, 'an unknown group: Dead, as DescribeGroups says');
  const unknown = await describeGroup(client, 'cg-none').catch((e: unknown) => e);
  t.equal((unknown as KafkaClientError).errorName, 'GROUP_ID_NOT_FOUND', 'describeGroup of an unknown group: GROUP_ID_NOT_FOUND');

  const listed = await listGroups(client);
  t.same(listed.map((x) => [x.groupId, x.type, x.state, x.protocolType]), [['cg', 'consumer', 'Stable', 'consumer'], ['cg-classic', 'classic', 'Stable', 'consumer']], 'listGroups: the type of each');
  t.same((await listGroups(client, { types: ['consumer'] })).map((x) => x.groupId), ['cg'], 'types: consumer');
  t.same((await listGroups(client, { types: ['Classic'] })).map((x) => x.groupId), ['cg-classic'], 'types: classic (any case)');

  // Lag from commits made with member epochs, each partition with its owner.
  t.equal(await g.commit('cg', a.memberId, a.epoch, 'cg-t', 0, 4n), 0, 'A commits partition 0');
  t.equal(await g.commit('cg', bm.memberId, bm.epoch, 'cg-t', 2, 10n), 0, 'B commits partition 2');
  const offsets = await groupOffsets(client, 'cg');
  t.same(offsets.map((o) => [o.partition, o.committed, o.endOffset, o.lag, o.memberId]), [
    [0, 4, 10, 6, a.memberId], [1, -1, 10, 10, a.memberId], [2, 10, 10, 0, bm.memberId],
  ], 'committed, end, lag and owner per partition (an uncommitted owned partition too)');
  t.equal(totalLag(offsets), 6, 'total lag of the committed partitions');

  const busy = await resetGroupOffsets(client, 'cg', { topic: 'cg-t' }, { to: 'earliest' }).catch((e: unknown) => e);
  t.equal((busy as KafkaClientError).errorName, 'NON_EMPTY_GROUP', 'no reset while members are in');
  t.equal((await a.leave()).errorCode, 0, 'A leaves');
  t.equal((await bm.leave()).errorCode, 0, 'B leaves');
  const empty = await describeGroup(client, 'cg');
  t.match(empty, { type: 'consumer', state: 'Empty', members: [] }, 'an empty consumer group is still a consumer group');
  await resetGroupOffsets(client, 'cg', { topic: 'cg-t' }, { to: 'offset', offset: 7 });
  t.same((await committedOffsets(client, 'cg')).map((o) => [o.partition, o.offset]), [[0, 7], [1, 7], [2, 7]], 'reset once empty');
  t.equal(totalLag(await groupOffsets(client, 'cg')), 9, 'and the lag follows');
});
