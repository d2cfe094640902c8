/**
 * Consumer groups in __consumer_offsets and beside classic groups: record
 * layouts (Kafka's key versions 3..8, flexible values), a fresh coordinator
 * rebuilding groups from the log, conversions between the two group types
 * (offsets kept), offsets validated with member epochs, regex subscriptions
 * following topics, deletion and offset expiry.
 */
import t from 'tap';
import { ErrorCode } from '../../src/wire/errors.js';
import { readKey } from '../../src/coordinator/group/group-records.js';
import { decodeConsumerRecord, encodeConsumerRecord, type ConsumerGroupRecord } from '../../src/coordinator/group/consumer-group-records.js';
import { GroupCoordinator } from '../../src/coordinator/group/group-coordinator.js';
import { OffsetsTopicStore } from '../../src/coordinator/group/offsets-topic.js';
import { randomUuid } from '../../src/wire/protocol/uuid.js';
import { host } from './helpers/fake-host.js';
import { consumerCoordinator, consumerLimits, settle, TestMember, TestTopics } from './consumer-group-helpers.js';

const off = (o: bigint, commitTimestamp = Date.now()) => ({ offset: o, leaderEpoch: 0, metadata: '', commitTimestamp });

t.test("records round-trip in Kafka's layouts", async (t) => {
  const topic = randomUuid();
  const records: ConsumerGroupRecord[] = [
    { type: 'GroupEpoch', groupId: 'g', value: { epoch: 7 } },
    { type: 'SubscriptionMetadata', groupId: 'g', value: { topics: [{ id: topic, name: 't', partitions: 3 }] } },
    { type: 'MemberMetadata', groupId: 'g', memberId: 'm', value: { instanceId: 'i', rackId: null, clientId: 'c', clientHost: '/h', subscribedTopicNames: ['t'], subscribedTopicRegex: '', rebalanceTimeoutMs: 5000, serverAssignor: 'range' } },
    { type: 'TargetAssignmentEpoch', groupId: 'g', value: { assignmentEpoch: 7 } },
    { type: 'TargetAssignmentMember', groupId: 'g', memberId: 'm', value: { partitions: new Map([[topic, new Set([0, 2])]]) } },
    { type: 'CurrentAssignment', groupId: 'g', memberId: 'm', value: { memberEpoch: 7, previousMemberEpoch: 6, state: 1, assigned: new Map([[topic, new Set([0])]]), pendingRevocation: new Map([[topic, new Set([1])]]) } },
    { type: 'CurrentAssignment', groupId: 'g', memberId: 'm', value: null },
    { type: 'GroupEpoch', groupId: 'g', value: null },
  ];
  for (const r of records) {
    const stored = encodeConsumerRecord(r);
    const key = readKey(stored.key);
    t.equal(key?.kind, 'consumer', `${r.type}: a consumer group key`);
    if (key?.kind !== 'consumer') continue;
    t.same(decodeConsumerRecord(key, stored.value), r, `${r.type}${'value' in r && r.value === null ? ' tombstone' : ''} round-trips`);
  }
  const epoch = encodeConsumerRecord(records[0]!);
  t.equal(epoch.key.readInt16BE(0), 3, 'ConsumerGroupMetadataKey is key version 3');
  t.same([...epoch.value!], [0, 0, 0, 0, 0, 7, 0], 'value: version 0, epoch, no tagged fields');
  t.same(records.slice(1, 6).map((r) => encodeConsumerRecord(r).key.readInt16BE(0)), [4, 5, 6, 7, 8], 'key versions 4..8');
});

t.test('a fresh coordinator rebuilds consumer groups from the log, with fresh session timers', async (t) => {
  const h = host(t);
  const { c, topics } = await consumerCoordinator(t, consumerLimits, h);
  const tp = topics.add('t', 4);
  const a = new TestMember(c);
  const b = new TestMember(c, undefined, { instanceId: 'static-b' });
  await a.join({ subscribedTopicNames: ['t'], serverAssignor: 'range' });
  await b.join({ subscribedTopicNames: ['t'] });
  await settle([a, b], () => a.count() === 2 && b.count() === 2 && a.epoch === b.epoch);
  t.equal(c.commit('g', a.epoch, a.memberId, [{ topic: 't', partition: 0, offset: off(11n) }]), ErrorCode.NONE);
  await c.written('g');
  const before = c.consumerGroup('g')!;

  const store = new OffsetsTopicStore(h, 1, 1 << 20, 1);
  const c2 = new GroupCoordinator(consumerLimits, store);
  t.teardown(() => c2.close());
  const topics2 = new TestTopics();
  c2.useTopics(topics2);
  await c2.loadPartition(0, 1);
  const g = c2.consumerGroup('g')!;
  t.ok(g, 'the consumer group is back');
  t.same({ epoch: g.groupEpoch, assignment: g.assignmentEpoch, state: g.state }, { epoch: before.groupEpoch, assignment: before.assignmentEpoch, state: 'Stable' });
  t.same([...g.members.keys()].sort(), [a.memberId, b.memberId].sort(), 'with its members');
  const ma = g.members.get(a.memberId)!;
  t.same({ epoch: ma.memberEpoch, assignor: ma.serverAssignor, names: ma.subscribedTopicNames }, { epoch: a.epoch, assignor: 'range', names: ['t'] });
  t.same([...ma.assigned.get(tp.id)!].sort(), a.owned[tp.id], 'and their assignments');
  t.equal(g.staticMemberId('static-b'), b.memberId, 'static members by instance id');
  t.equal(g.offsets.get('t')?.get(0)?.offset, 11n, 'and its offsets');
  t.equal(g.subscriptionMetadata.get('t')?.partitions, 4, 'and its subscription metadata');
  // The members carry on against the new coordinator with their epochs.
  const a2 = new TestMember(c2, a.memberId);
  a2.epoch = a.epoch; a2.owned = a.owned;
  topics2.add('t', 4);
  t.equal((await a2.beat()).errorCode, ErrorCode.NONE, 'a member heartbeats on after the move');
});

t.test('an empty classic group becomes a consumer group and back, its offsets kept (migration policy disabled: no mixed groups)', async (t) => {
  const { c, topics } = await consumerCoordinator(t, { ...consumerLimits, consumer: { ...consumerLimits.consumer, migrationPolicy: 'disabled' } });
  topics.add('t', 2);
  // A commit-only group (no members) holding offsets.
  t.equal(c.commit('g', -1, '', [{ topic: 't', partition: 0, offset: off(5n) }]), ErrorCode.NONE);
  const a = new TestMember(c);
  t.equal((await a.join({ subscribedTopicNames: ['t'] })).errorCode, ErrorCode.NONE, 'a consumer-protocol member joins the commit-only group');
  const g = c.consumerGroup('g')!;
  t.equal(g.offsets.get('t')?.get(0)?.offset, 5n, 'the offsets came along');
  t.equal(c.group('g'), undefined, 'no classic group any more');
  // A classic member cannot join while consumer-protocol members are in.
  const join = { groupId: 'g', memberId: '', groupInstanceId: null, clientId: 'c', clientHost: '/h', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 1000, protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.alloc(0) }], requireKnownMemberId: false };
  t.equal((await c.join(join)).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL, 'classic join to a non-empty consumer group');
  await a.leave();
  t.equal(c.consumerGroup('g')!.state, 'Empty');
  const j = await c.join(join);
  t.equal(j.errorCode, ErrorCode.NONE, 'a classic member turns the empty consumer group back into a classic one');
  t.equal(c.consumerGroup('g'), undefined);
  t.equal(c.group('g')?.offsets.get('t')?.get(0)?.offset, 5n, 'still with its offsets');
  // And a consumer-protocol join to a classic group with members is refused as Kafka does when the policy forbids the online upgrade.
  const refused = await new TestMember(c).join({ subscribedTopicNames: ['t'] });
  t.equal(refused.errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
  t.equal(refused.errorMessage, 'Group g is not a consumer group.');
});

t.test('offsets: member epochs in OffsetCommit, TxnOffsetCommit and OffsetFetch', async (t) => {
  const { c, topics } = await consumerCoordinator(t);
  topics.add('t', 1);
  const a = new TestMember(c);
  await a.join({ subscribedTopicNames: ['t'] });
  const o = [{ topic: 't', partition: 0, offset: off(1n) }];
  t.equal(c.commit('g', a.epoch, a.memberId, o), ErrorCode.NONE, 'the member commits with its epoch');
  t.equal(c.commit('g', a.epoch + 1, a.memberId, o), ErrorCode.STALE_MEMBER_EPOCH, 'another epoch');
  t.equal(c.commit('g', a.epoch, 'stranger', o), ErrorCode.UNKNOWN_MEMBER_ID);
  t.equal(c.commit('g', -1, '', o), ErrorCode.UNKNOWN_MEMBER_ID, 'no member and -1 while the group has members');
  t.equal(c.commit('g', a.epoch, a.memberId, o, null, 8), ErrorCode.UNSUPPORTED_VERSION, 'a consumer-protocol member must commit with v9+');
  const txn = { producerId: 9, producerEpoch: 0 };
  t.equal(c.txnCommit('g', txn, a.epoch + 1, a.memberId, null, o), ErrorCode.ILLEGAL_GENERATION, 'TxnOffsetCommit: a stale epoch is ILLEGAL_GENERATION');
  t.equal(c.txnCommit('g', txn, a.epoch, 'stranger', null, o), ErrorCode.UNKNOWN_MEMBER_ID);
  t.equal(c.validateOffsetFetch('g', a.memberId, a.epoch), ErrorCode.NONE);
  t.equal(c.validateOffsetFetch('g', a.memberId, a.epoch - 1), ErrorCode.STALE_MEMBER_EPOCH);
  t.equal(c.validateOffsetFetch('g', 'stranger', a.epoch), ErrorCode.UNKNOWN_MEMBER_ID);
  t.equal(c.validateOffsetFetch('g', null, -1), ErrorCode.NONE, 'admin tools fetch freely');
  await a.leave();
  t.equal(c.commit('g', -1, '', o), ErrorCode.NONE, 'an empty group takes commits from anyone');
});

t.test('regex subscriptions follow the topics; internal topics never match', async (t) => {
  const { c, topics } = await consumerCoordinator(t);
  const one = topics.add('orders-1', 2);
  topics.add('payments', 2);
  topics.add('__consumer_offsets', 50, true);
  const a = new TestMember(c);
  await a.join({ subscribedTopicNames: [], subscribedTopicRegex: 'orders-.*' });
  t.same(a.owned, { [one.id]: [0, 1] }, 'the regex matched orders-1 only');
  const epoch = c.consumerGroup('g')!.groupEpoch;
  const two = topics.add('orders-2', 1);
  await a.beat();
  t.equal(c.consumerGroup('g')!.groupEpoch, epoch + 1, 'a matching topic created: the group epoch moves');
  await settle([a], () => a.count() === 3);
  t.same(a.owned, { [one.id]: [0, 1], [two.id]: [0] }, 'and the new topic is assigned');
  t.same(c.consumerGroup('g')!.members.get(a.memberId)!.subscribedTopicRegex, 'orders-.*');
  topics.add('.*', 1);
  const all = new TestMember(c, undefined, {});
  await all.join({ subscribedTopicNames: null, subscribedTopicRegex: '.*', groupId: 'h' });
  t.notOk(Object.keys(all.owned).includes(topics.id('__consumer_offsets')), 'internal topics are not matched');
  t.ok(c.consumerGroup('g')!.isSubscribedToTopic('orders-2'));
});

t.test('DeleteGroups and offset expiry for consumer groups', async (t) => {
  const { c, topics } = await consumerCoordinator(t, { ...consumerLimits, offsetsRetentionMs: 1000, offsetsRetentionCheckIntervalMs: 3_600_000 });
  topics.add('t', 1);
  topics.add('u', 1);
  const a = new TestMember(c);
  await a.join({ subscribedTopicNames: ['t'] });
  t.equal(c.commit('g', a.epoch, a.memberId, [{ topic: 't', partition: 0, offset: off(1n, 0) }, { topic: 'u', partition: 0, offset: off(2n, 0) }]), ErrorCode.NONE);
  t.equal(c.deleteGroup('g'), ErrorCode.NON_EMPTY_GROUP);
  c.expireOffsets(Date.now());
  const g = c.consumerGroup('g')!;
  t.ok(g.offsets.get('t')?.get(0), 'the offset of a subscribed topic stays');
  t.notOk(g.offsets.has('u'), 'that of a topic nobody subscribes to expired');
  await a.leave();
  c.expireOffsets(Date.now());
  t.equal(c.consumerGroup('g'), undefined, 'an Empty group left without offsets is deleted');
  t.equal(c.anyGroup('g'), undefined);

  const b = new TestMember(c, undefined, { groupId: 'd' });
  await b.join({ subscribedTopicNames: ['t'] });
  t.equal(c.commit('d', b.epoch, b.memberId, [{ topic: 't', partition: 0, offset: off(1n) }]), ErrorCode.NONE);
  await b.leave();
  t.equal(c.deleteGroup('d'), ErrorCode.NONE, 'an empty consumer group is deleted');
  t.equal(c.anyGroup('d'), undefined, 'with its offsets');
  t.equal(c.deleteGroup('d'), ErrorCode.GROUP_ID_NOT_FOUND);
});
