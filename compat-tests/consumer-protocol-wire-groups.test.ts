/**
 * A KIP-848 consumer group seen through the other group APIs, over the wire
 * with our codecs, answered as Kafka 4.0 answers: ConsumerGroupDescribe (an
 * unknown group, a classic group, a consumer group with its epochs, assignor,
 * members, assignments and target assignments, authorized operations);
 * OffsetCommit and OffsetFetch v9 with member epochs (STALE_MEMBER_EPOCH,
 * UNKNOWN_MEMBER_ID, UNSUPPORTED_VERSION below v9); ListGroups v5 with its
 * types filter; DescribeGroups of a consumer group; a classic JoinGroup of
 * another protocol type to a non-empty consumer group
 * (INCONSISTENT_GROUP_PROTOCOL) and to an empty one (it converts, offsets
 * kept); mixed groups: a classic member inside a consumer group (JoinGroup,
 * SyncGroup, Heartbeat with REBALANCE_IN_PROGRESS and ILLEGAL_GENERATION), the
 * downgrade when the last consumer-protocol member leaves and the online
 * upgrade of a classic group; a heartbeat to an empty classic group (converts)
 * and to a non-empty one of another protocol type (GROUP_ID_NOT_FOUND);
 * DeleteGroups, OffsetDelete and TxnOffsetCommit on consumer groups.
 */
import t from 'tap';
import { testBroker } from './helpers/broker.js';
import { GroupWire, Member, beatUntil, classicAssignment } from './helpers/consumer-group-wire.js';
import { ErrorCode as E } from '../src/wire/errors.js';
import { AclOperation as OP } from '../src/security/acl.js';
import { ApiKey } from '../src/wire/generated/api-keys.js';
import { encodeInitProducerIdRequest, decodeInitProducerIdResponse } from '../src/wire/generated/init-producer-id.js';
import { encodeAddOffsetsToTxnRequest, decodeAddOffsetsToTxnResponse } from '../src/wire/generated/add-offsets-to-txn.js';
import { encodeTxnOffsetCommitRequest, decodeTxnOffsetCommitResponse } from '../src/wire/generated/txn-offset-commit.js';
import { encodeEndTxnRequest, decodeEndTxnResponse } from '../src/wire/generated/end-txn.js';

const NOT_REQUESTED = -2147483648;

/** Polls an asynchronous condition (bounded; not a timing assertion). */
async function until(cond: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
const bits = (...ops: number[]) => ops.reduce((n, op) => n | (1 << op), 0);

t.test('consumer groups through the group APIs', async (t) => {
  const b = await testBroker(t, { 'group.initial.rebalance.delay.ms': '0' });
  const g = await GroupWire.connect(t, b.host, b.port);
  await g.createTopics(3, 'grp-t');
  await g.createTopics(1, 'grp-u');

  /** A classic group with one member of `protocolType` that has completed a rebalance (Stable). */
  const classicGroup = async (groupId: string, protocolType = 'consumer') => {
    const first = await g.joinClassic({ groupId, protocolType, topics: ['grp-t'] });
    const joined = await g.joinClassic({ groupId, protocolType, topics: ['grp-t'], memberId: first.memberId });
    if (joined.errorCode !== E.NONE) throw new Error(`classic join: ${joined.errorCode}`);
    const synced = await g.syncClassic(groupId, joined.generationId, joined.memberId, protocolType);
    if (synced.errorCode !== E.NONE) throw new Error(`classic sync: ${synced.errorCode}`);
    return joined;
  };

  t.test('ConsumerGroupDescribe: unknown group, classic group, consumer group', async (t) => {
    await classicGroup('grp-classic');
    const a = new Member(g, 'grp-desc', { topics: ['grp-t', 'grp-u'], instanceId: 'desc-static', rackId: 'rack-a', assignor: 'range' });
    const bm = new Member(g, 'grp-desc', { topics: ['grp-t'] });
    await a.join();
    await bm.join();
    await beatUntil([a, bm], () => a.partitions().length + bm.partitions().length === 4 && a.epoch === bm.epoch, 10_000, 'the group to settle');

    const [unknown, classic, consumer] = await g.describe(['grp-none', 'grp-classic', 'grp-desc']);
    t.same([unknown!.groupId, unknown!.errorCode], ['grp-none', E.GROUP_ID_NOT_FOUND], 'an unknown group: GROUP_ID_NOT_FOUND');
    t.same([classic!.groupId, classic!.errorCode], ['grp-classic', E.GROUP_ID_NOT_FOUND], 'a classic group: GROUP_ID_NOT_FOUND');
    t.match(classic!.errorMessage, /^Group grp-classic is not a consumer group/, "with Kafka's message");
    const d = consumer!;
    t.same([d.errorCode, d.groupId, d.groupState, d.assignorName], [E.NONE, 'grp-desc', 'Stable', 'range'], 'a consumer group: Stable, the assignor its member asked for');
    t.same([d.groupEpoch, d.assignmentEpoch], [2, 2], 'group epoch and assignment epoch (two joins)');
    t.equal(d.authorizedOperations, NOT_REQUESTED, 'authorized operations not asked for');
    const ma = d.members.find((m) => m.memberId === a.memberId)!;
    const mb = d.members.find((m) => m.memberId === bm.memberId)!;
    t.same([ma.instanceId, ma.rackId, ma.memberEpoch, ma.clientId, ma.subscribedTopicNames.sort(), ma.subscribedTopicRegex],
      ['desc-static', 'rack-a', 2, 'samsa-compat', ['grp-t', 'grp-u'], null], "member A's fields as it sent them; the client id from the request header");
    t.match(ma.clientHost, /127\.0\.0\.1/, 'the client host');
    t.same([mb.instanceId, mb.rackId, mb.subscribedTopicNames], [null, null, ['grp-t']], 'member B: dynamic, no rack');
    t.same(GroupWire.describedPartitions(ma.assignment), a.partitions(), "A's current assignment, by topic name and id");
    t.same(GroupWire.describedPartitions(ma.targetAssignment), a.partitions(), 'reconciled: target = current');
    t.same(GroupWire.describedPartitions(mb.assignment), bm.partitions(), "B's current assignment");
    const ids = await g.topicIds('grp-t');
    t.ok(ma.assignment.topicPartitions.filter((x) => x.topicName === 'grp-t').every((x) => x.topicId === ids.get('grp-t')), 'topic ids match Metadata');

    const withOps = await g.describeOne('grp-desc', true);
    t.equal(withOps.authorizedOperations, bits(OP.READ, OP.DELETE, OP.DESCRIBE, OP.DESCRIBE_CONFIGS, OP.ALTER_CONFIGS), "no authorizer: every operation a group supports");
    await a.leave();
    await bm.leave();
    const empty = await g.describeOne('grp-desc');
    t.same([empty.errorCode, empty.groupState, empty.members], [E.NONE, 'Empty', []], 'an empty consumer group is still described');
  });

  t.test('OffsetCommit and OffsetFetch with member epochs', async (t) => {
    const m = new Member(g, 'grp-offsets', { topics: ['grp-t'] });
    await m.join();
    t.equal(m.epoch, 1);
    t.equal(await g.commit('grp-offsets', m.memberId, 1, 'grp-t', 0, 10n), E.NONE, 'the member id and its epoch: committed');
    t.equal(await g.commit('grp-offsets', m.memberId, 0, 'grp-t', 0, 11n), E.STALE_MEMBER_EPOCH, 'an older epoch: STALE_MEMBER_EPOCH');
    t.equal(await g.commit('grp-offsets', m.memberId, 2, 'grp-t', 0, 11n), E.STALE_MEMBER_EPOCH, 'a newer epoch: STALE_MEMBER_EPOCH too');
    t.equal(await g.commit('grp-offsets', 'not-a-member', 1, 'grp-t', 0, 11n), E.UNKNOWN_MEMBER_ID, 'an unknown member');
    t.equal(await g.commit('grp-offsets', '', -1, 'grp-t', 0, 11n), E.UNKNOWN_MEMBER_ID, 'an admin commit (epoch -1) while the group has members');
    t.equal(await g.commit('grp-offsets', m.memberId, 1, 'grp-t', 0, 11n, 8), E.UNSUPPORTED_VERSION, 'a consumer-protocol member must commit with v9 or later');

    const own = await g.fetchOffsets('grp-offsets', m.memberId, 1, 'grp-t', [0, 1]);
    t.same(own, { errorCode: E.NONE, offsets: { 'grp-t-0': 10n, 'grp-t-1': -1n } }, 'OffsetFetch v9 with the member id and epoch');
    t.equal((await g.fetchOffsets('grp-offsets', m.memberId, 0, 'grp-t', [0])).errorCode, E.STALE_MEMBER_EPOCH, 'OffsetFetch with a stale epoch');
    t.equal((await g.fetchOffsets('grp-offsets', 'not-a-member', 1, 'grp-t', [0])).errorCode, E.UNKNOWN_MEMBER_ID, 'OffsetFetch from an unknown member');
    t.same(await g.fetchOffsets('grp-offsets', null, -1, 'grp-t', [0]), { errorCode: E.NONE, offsets: { 'grp-t-0': 10n } }, 'OffsetFetch without member (an admin) is answered');

    await m.leave();
    t.equal(await g.commit('grp-offsets', '', -1, 'grp-t', 1, 5n), E.NONE, 'once the group is empty an admin commit is accepted');
    t.same((await g.fetchOffsets('grp-offsets', null, -1, 'grp-t', [0, 1])).offsets, { 'grp-t-0': 10n, 'grp-t-1': 5n }, 'both commits are there');
  });

  t.test('OffsetCommit to a group that does not exist, OffsetDelete of a subscribed topic', async (t) => {
    t.equal(await g.commit('grp-never', 'someone', 3, 'grp-t', 0, 1n), E.GROUP_ID_NOT_FOUND, 'v9 with a member epoch: GROUP_ID_NOT_FOUND');
    t.equal(await g.commit('grp-never', 'someone', 3, 'grp-t', 0, 1n, 8), E.ILLEGAL_GENERATION, 'v8: ILLEGAL_GENERATION');
    t.equal((await g.describeOne('grp-never')).errorCode, E.GROUP_ID_NOT_FOUND, 'and no group was made');

    const m = new Member(g, 'grp-odel', { topics: ['grp-t'] });
    await m.join();
    t.equal(await g.commit('grp-odel', m.memberId, m.epoch, 'grp-t', 0, 4n), E.NONE);
    t.equal(await g.commit('grp-odel', m.memberId, m.epoch, 'grp-u', 0, 4n), E.NONE, 'a commit on a topic the group does not subscribe to');
    t.same(await g.offsetDelete('grp-odel', 'grp-t', [0]), { errorCode: E.NONE, partitions: [E.GROUP_SUBSCRIBED_TO_TOPIC] }, 'OffsetDelete of a subscribed topic: GROUP_SUBSCRIBED_TO_TOPIC');
    t.same(await g.offsetDelete('grp-odel', 'grp-u', [0]), { errorCode: E.NONE, partitions: [E.NONE] }, 'of a topic it does not subscribe to: deleted');
    t.same((await g.fetchOffsets('grp-odel', null, -1, 'grp-u', [0])).offsets, { 'grp-u-0': -1n }, 'gone');
    await m.leave();
    t.same(await g.offsetDelete('grp-odel', 'grp-t', [0]), { errorCode: E.NONE, partitions: [E.NONE] }, 'once the group is empty it subscribes to nothing');
    t.same((await g.offsetDelete('grp-never', 'grp-t', [0])).errorCode, E.GROUP_ID_NOT_FOUND, 'OffsetDelete of a group that does not exist');
  });

  t.test('TxnOffsetCommit to a consumer group: the member epoch is the generation', async (t) => {
    const m = new Member(g, 'grp-txn', { topics: ['grp-t'] });
    await m.join();
    const init = await g.request(ApiKey.InitProducerId, 4,
      (w) => encodeInitProducerIdRequest(w, { transactionalId: 'grp-txn-id', transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 }, 4), (r) => decodeInitProducerIdResponse(r, 4));
    const txn = { transactionalId: 'grp-txn-id', producerId: init.producerId, producerEpoch: init.producerEpoch };
    const added = await g.request(ApiKey.AddOffsetsToTxn, 3, (w) => encodeAddOffsetsToTxnRequest(w, { ...txn, groupId: 'grp-txn' }, 3), (r) => decodeAddOffsetsToTxnResponse(r, 3));
    t.same([init.errorCode, added.errorCode], [E.NONE, E.NONE], 'a transaction with the group in it');
    const txnCommit = (memberId: string, generationId: number, offset: bigint) => g.request(ApiKey.TxnOffsetCommit, 3,
      (w) => encodeTxnOffsetCommitRequest(w, { ...txn, groupId: 'grp-txn', generationId, memberId, groupInstanceId: null,
        topics: [{ name: 'grp-t', partitions: [{ partitionIndex: 1, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: '' }] }] }, 3),
      (r) => decodeTxnOffsetCommitResponse(r, 3).topics[0]!.partitions[0]!.errorCode);
    t.equal(await txnCommit(m.memberId, m.epoch + 1, 8n), E.ILLEGAL_GENERATION, 'another epoch: ILLEGAL_GENERATION (not STALE_MEMBER_EPOCH)');
    t.equal(await txnCommit('not-a-member', m.epoch, 8n), E.UNKNOWN_MEMBER_ID, 'an unknown member');
    t.equal(await txnCommit('', -1, 8n), E.UNKNOWN_MEMBER_ID, 'no member (generation -1) while the group has members');
    t.equal(await txnCommit(m.memberId, m.epoch, 9n), E.NONE, 'the member and its epoch');
    const ended = await g.request(ApiKey.EndTxn, 3, (w) => encodeEndTxnRequest(w, { ...txn, committed: true }, 3), (r) => decodeEndTxnResponse(r, 3));
    t.equal(ended.errorCode, E.NONE, 'committed');
    await until(async () => (await g.fetchOffsets('grp-txn', m.memberId, m.epoch, 'grp-t', [1])).offsets['grp-t-1'] === 9n, 10_000, 'the transactional offset to become visible');
    t.pass('the offset is visible once the transaction commits');
    await m.leave();
  });

  t.test('ListGroups v5 (types filter) and DescribeGroups of a consumer group', async (t) => {
    await classicGroup('grp-list-classic');
    const m = new Member(g, 'grp-list-consumer', { topics: ['grp-t'] });
    await m.join();
    const pick = (gs: Awaited<ReturnType<GroupWire['listGroups']>>) => gs.filter((x) => x.groupId.startsWith('grp-list-')).map((x) => [x.groupId, x.protocolType, x.groupState, x.groupType]).sort();
    t.same(pick(await g.listGroups()), [
      ['grp-list-classic', 'consumer', 'Stable', 'classic'],
      ['grp-list-consumer', 'consumer', 'Stable', 'consumer'],
    ], 'no filter: both, with their types and states');
    t.same(pick(await g.listGroups(['consumer'])), [['grp-list-consumer', 'consumer', 'Stable', 'consumer']], "types ['consumer']");
    t.same(pick(await g.listGroups(['classic'])), [['grp-list-classic', 'consumer', 'Stable', 'classic']], "types ['classic']");
    t.same(pick(await g.listGroups(['Consumer'])), [['grp-list-consumer', 'consumer', 'Stable', 'consumer']], 'the types filter ignores case');
    t.same(pick(await g.listGroups(['consumer'], ['stable'])), [['grp-list-consumer', 'consumer', 'Stable', 'consumer']], 'with a states filter (case ignored too)');
    t.same(pick(await g.listGroups(['consumer'], ['Empty'])), [], 'no Empty consumer group');

    const described = await g.describeGroup('grp-list-consumer');
    t.same([described.errorCode, described.groupState, described.protocolType, described.members], [E.NONE, 'Dead', '', []],
      'DescribeGroups v5 of a consumer group: as Kafka 4.0, a Dead group without members (it describes classic groups only)');
    await m.leave();
    t.same(pick(await g.listGroups(['consumer'], ['empty'])), [['grp-list-consumer', 'consumer', 'Empty', 'consumer']], 'Empty once its member left');
  });

  t.test('a classic JoinGroup: INCONSISTENT_GROUP_PROTOCOL for another protocol type; an empty consumer group converts', async (t) => {
    const m = new Member(g, 'grp-convert', { topics: ['grp-t'] });
    await m.join();
    await g.commit('grp-convert', m.memberId, m.epoch, 'grp-t', 2, 42n);
    const connect = await g.joinClassic({ groupId: 'grp-convert', protocolType: 'connect', topics: ['grp-t'] });
    t.equal(connect.errorCode, E.INCONSISTENT_GROUP_PROTOCOL, 'a non-consumer protocol type to a non-empty consumer group');

    await m.leave();
    const first = await g.joinClassic({ groupId: 'grp-convert', topics: ['grp-t'] });
    t.equal(first.errorCode, E.MEMBER_ID_REQUIRED, 'the empty consumer group takes a classic join (v5: member id first)');
    const joined = await g.joinClassic({ groupId: 'grp-convert', topics: ['grp-t'], memberId: first.memberId });
    t.same([joined.errorCode, joined.leader, joined.protocolName], [E.NONE, first.memberId, 'range'], 'joined as the leader of a classic group');
    t.equal((await g.syncClassic('grp-convert', joined.generationId, joined.memberId)).errorCode, E.NONE);
    const listed = (await g.listGroups()).find((x) => x.groupId === 'grp-convert');
    t.same([listed?.groupType, listed?.groupState], ['classic', 'Stable'], 'it is a classic group now');
    t.equal((await g.describeOne('grp-convert')).errorCode, E.GROUP_ID_NOT_FOUND, 'ConsumerGroupDescribe no longer knows it');
    t.same((await g.fetchOffsets('grp-convert', null, -1, 'grp-t', [2])).offsets, { 'grp-t-2': 42n }, 'its offsets were kept');
  });

  t.test('mixed groups (Kafka 4.0): a classic member inside a consumer group, and the downgrade when the last consumer-protocol member leaves', async (t) => {
    const GROUP = 'grp-mixed';
    const ALL = ['grp-t-0', 'grp-t-1', 'grp-t-2'];
    const a = new Member(g, GROUP, { topics: ['grp-t'] });
    await a.join();
    const allOfA = a.assignment;
    const first = await g.joinClassic({ groupId: GROUP, topics: ['grp-t'] });
    t.equal(first.errorCode, E.MEMBER_ID_REQUIRED, 'a classic consumer joining a consumer group: v5, member id first');
    const id = first.memberId;
    const joined = await g.joinClassic({ groupId: GROUP, topics: ['grp-t'], memberId: id });
    t.same([joined.errorCode, joined.generationId, joined.protocolName, joined.leader, joined.members], [E.NONE, 2, 'range', '', []],
      'joined: its generation is its member epoch (2); the coordinator assigns, so there is no leader and no member list');
    const waiting = await g.syncClassic(GROUP, 2, id);
    t.same([waiting.errorCode, classicAssignment(waiting.assignment)], [E.NONE, []], 'SyncGroup: nothing yet, A still owns its share');
    t.equal(await g.heartbeatClassic(GROUP, 2, id), E.NONE, 'it heartbeats while A has not released anything');
    t.equal(await g.heartbeatClassic(GROUP, 1, id), E.ILLEGAL_GENERATION, 'a heartbeat with another generation');

    await a.beat({ owned: allOfA });
    t.equal(a.epoch, 1, 'A is asked to revoke, at epoch 1');
    t.equal((await a.beat()).memberEpoch, 2, 'A acknowledges');
    t.equal(await g.heartbeatClassic(GROUP, 2, id), E.REBALANCE_IN_PROGRESS, 'its partitions are free: the classic member is told to rejoin');
    const rejoined = await g.joinClassic({ groupId: GROUP, topics: ['grp-t'], memberId: id });
    t.same([rejoined.errorCode, rejoined.generationId], [E.NONE, 2], 'it rejoins at the same generation');
    const synced = await g.syncClassic(GROUP, rejoined.generationId, id);
    const mine = classicAssignment(synced.assignment);
    t.ok(synced.errorCode === E.NONE && mine.length > 0, `SyncGroup now hands it its share (${mine.join(', ')})`);
    t.same([...a.partitions(), ...mine].sort(), ALL, 'between them the two members own each partition once');
    t.equal(await g.heartbeatClassic(GROUP, 2, id), E.NONE, 'and its heartbeats are answered NONE');
    t.equal(await g.heartbeatClassic(GROUP, 2, 'not-a-member'), E.UNKNOWN_MEMBER_ID, 'a classic heartbeat from an unknown member');
    t.equal((await g.syncClassic(GROUP, 1, id)).errorCode, E.ILLEGAL_GENERATION, 'a SyncGroup with another generation');
    t.equal(await g.commit(GROUP, id, 2, 'grp-t', 0, 21n, 8), E.NONE, 'the classic member commits with OffsetCommit v8 at its generation');
    t.equal(await g.commit(GROUP, id, 1, 'grp-t', 0, 22n, 8), E.ILLEGAL_GENERATION, 'another generation: ILLEGAL_GENERATION (a classic member never gets STALE_MEMBER_EPOCH)');
    t.equal(await g.commit(GROUP, a.memberId, a.epoch, 'grp-t', 0, 23n, 8), E.UNSUPPORTED_VERSION, 'while the consumer-protocol member still needs v9');

    const d = await g.describeOne(GROUP);
    const c = d.members.find((x) => x.memberId === id);
    t.same([d.members.length, c?.memberEpoch, c?.clientId, c && GroupWire.describedPartitions(c.assignment)], [2, 2, 'samsa-compat', mine], 'ConsumerGroupDescribe lists the classic member with its epoch and partitions');
    t.same((await g.listGroups()).filter((x) => x.groupId === GROUP).map((x) => x.groupType), ['consumer'], 'still a consumer group');

    await a.leave();
    const down = (await g.listGroups()).find((x) => x.groupId === GROUP);
    t.equal(down?.groupType, 'classic', 'the last consumer-protocol member left: downgraded to a classic group');
    t.equal((await g.describeOne(GROUP)).errorCode, E.GROUP_ID_NOT_FOUND, 'ConsumerGroupDescribe no longer knows it');
    t.equal(await g.heartbeatClassic(GROUP, 2, id), E.REBALANCE_IN_PROGRESS, 'the classic group rebalances');
    const again = await g.joinClassic({ groupId: GROUP, topics: ['grp-t'], memberId: id });
    t.same([again.errorCode, again.leader], [E.NONE, id], 'the remaining member rejoins and leads the classic group');
  });

  t.test('online upgrade (Kafka 4.0): a consumer-protocol member joining a classic group with members converts it', async (t) => {
    const classic = await classicGroup('grp-upgrade');
    const m = new Member(g, 'grp-upgrade', { topics: ['grp-t'] });
    const res = await m.join();
    t.equal(res.errorCode, E.NONE, 'the consumer-protocol member joins');
    t.same((await g.listGroups()).filter((x) => x.groupId === 'grp-upgrade').map((x) => x.groupType), ['consumer'], 'the group is a consumer group now');
    const d = await g.describeOne('grp-upgrade');
    t.same(d.members.map((x) => x.memberId).sort(), [classic.memberId, m.memberId].sort(), 'with the classic member in it');
    await m.leave();
  });

  t.test('a heartbeat converts an empty classic group; a non-empty one of another protocol type is GROUP_ID_NOT_FOUND', async (t) => {
    t.equal(await g.commit('grp-simple', '', -1, 'grp-t', 0, 7n), E.NONE, 'an admin commit makes an empty classic group');
    t.same((await g.listGroups(['classic'])).filter((x) => x.groupId === 'grp-simple').map((x) => x.groupState), ['Empty'], 'listed as an empty classic group');
    const m = new Member(g, 'grp-simple', { topics: ['grp-t'] });
    t.equal((await m.join()).errorCode, E.NONE, 'a consumer-protocol member joins it');
    const d = await g.describeOne('grp-simple');
    t.same([d.errorCode, d.members.map((x) => x.memberId)], [E.NONE, [m.memberId]], 'it is a consumer group now');
    t.same((await g.fetchOffsets('grp-simple', m.memberId, m.epoch, 'grp-t', [0])).offsets, { 'grp-t-0': 7n }, 'its offsets were kept');
    await m.leave();

    await classicGroup('grp-connect', 'connect');
    const res = await new Member(g, 'grp-connect', { topics: ['grp-t'] }).join();
    t.equal(res.errorCode, E.GROUP_ID_NOT_FOUND, 'a non-empty classic group that is not a consumer group');
    t.match(res.errorMessage, /^Group grp-connect is not a consumer group/, "with Kafka's message");
  });

  t.test('DeleteGroups: NON_EMPTY_GROUP while members remain, then deleted with its offsets', async (t) => {
    const m = new Member(g, 'grp-delete', { topics: ['grp-t'] });
    await m.join();
    await g.commit('grp-delete', m.memberId, m.epoch, 'grp-t', 0, 3n);
    t.equal(await g.deleteGroup('grp-delete'), E.NON_EMPTY_GROUP, 'a consumer group with a member');
    await m.leave();
    t.equal(await g.deleteGroup('grp-delete'), E.NONE, 'the empty consumer group');
    t.equal((await g.describeOne('grp-delete')).errorCode, E.GROUP_ID_NOT_FOUND, 'gone');
    t.same((await g.fetchOffsets('grp-delete', null, -1, 'grp-t', [0])).offsets, { 'grp-t-0': -1n }, 'with its offsets');
    t.equal(await g.deleteGroup('grp-delete'), E.GROUP_ID_NOT_FOUND, 'deleting it again');
    const again = new Member(g, 'grp-delete', { topics: ['grp-t'] });
    t.same([(await again.join()).errorCode, again.epoch], [E.NONE, 1], 'the id can be used again, from epoch 1');
    await again.leave();
  });
});
