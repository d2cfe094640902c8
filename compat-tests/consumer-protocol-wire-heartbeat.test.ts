/**
 * ConsumerGroupHeartbeat (KIP-848) answers, one error code at a time, sent
 * with our own codecs over a socket: what ApiVersions advertises, Kafka 4.0's
 * request validation (INVALID_REQUEST with its messages, before any group is
 * created), UNSUPPORTED_ASSIGNOR, INVALID_REGULAR_EXPRESSION and regex
 * subscriptions, GROUP_ID_NOT_FOUND, UNKNOWN_MEMBER_ID, FENCED_MEMBER_EPOCH
 * (ahead, behind, and the previous epoch Kafka tolerates), member ids made by
 * the client (v1) or the coordinator (v0), the default heartbeat interval,
 * subscribed topics created, grown and deleted, GROUP_MAX_SIZE_REACHED and
 * the start-up checks of the interval and timeout bounds. The expected answers are Kafka's
 * (GroupMetadataManager.throwIfConsumerGroupHeartbeatRequestIsInvalid and
 * consumerGroupHeartbeat), not read from our coordinator.
 */
import t from 'tap';
import { testBroker } from './helpers/broker.js';
import { GroupWire, Member, beatUntil } from './helpers/consumer-group-wire.js';
import { ApiKey } from '../src/wire/generated/api-keys.js';
import { ErrorCode as E } from '../src/wire/errors.js';
import { randomUuid } from '../src/wire/protocol/uuid.js';
import { startBroker } from '../src/broker/index.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

t.test('ConsumerGroupHeartbeat errors on one broker', async (t) => {
  const b = await testBroker(t);
  const g = await GroupWire.connect(t, b.host, b.port);
  await g.createTopics(2, 'hb-x', 'hb-y', 'hb-z');

  t.test('ApiVersions advertises ConsumerGroupHeartbeat 0-1 and ConsumerGroupDescribe 0', async (t) => {
    const range = async (key: number) => { const v = await g.apiVersion(key); return v && [v.minVersion, v.maxVersion]; };
    t.same(await range(ApiKey.ConsumerGroupHeartbeat), [0, 1], 'ConsumerGroupHeartbeat');
    t.same(await range(ApiKey.ConsumerGroupDescribe), [0, 0], 'ConsumerGroupDescribe');
  });

  t.test('INVALID_REQUEST: the checks Kafka makes before it looks at the group', async (t) => {
    const join = { memberId: randomUuid(), memberEpoch: 0, rebalanceTimeoutMs: 30_000, subscribedTopicNames: ['hb-x'], topicPartitions: [] };
    const cases: [string, Parameters<GroupWire['heartbeat']>[0], number, string][] = [
      ['an empty group id', { ...join, groupId: '' }, 1, "GroupId can't be empty."],
      ['a blank group id', { ...join, groupId: '   ' }, 1, "GroupId can't be empty."],
      ['v1: a join with an empty member id (the client makes it)', { ...join, groupId: 'hb-invalid', memberId: '' }, 1, "MemberId can't be empty."],
      ['v0: a heartbeat (epoch 1) with an empty member id', { groupId: 'hb-invalid', memberId: '', memberEpoch: 1 }, 0, "MemberId can't be empty."],
      ['v0: a leave (epoch -1) with an empty member id', { groupId: 'hb-invalid', memberId: '', memberEpoch: -1 }, 0, "MemberId can't be empty."],
      ['a join without a rebalance timeout', { ...join, groupId: 'hb-invalid', rebalanceTimeoutMs: -1 }, 1, 'RebalanceTimeoutMs must be provided in first request.'],
      ['a join with owned partitions null', { ...join, groupId: 'hb-invalid', topicPartitions: null }, 1, 'TopicPartitions must be empty when (re-)joining.'],
      ['a join that claims partitions', { ...join, groupId: 'hb-invalid', topicPartitions: [{ topicId: randomUuid(), partitions: [0] }] }, 1, 'TopicPartitions must be empty when (re-)joining.'],
      ['a join with neither topic names nor a regex', { ...join, groupId: 'hb-invalid', subscribedTopicNames: null, subscribedTopicRegex: null }, 1,
        'Either SubscribedTopicNames or SubscribedTopicRegex must be non-null when (re-)joining.'],
      ['an epoch below -2', { groupId: 'hb-invalid', memberId: randomUuid(), memberEpoch: -3 }, 1, 'MemberEpoch is invalid.'],
      ['a static leave (-2) without an instance id', { groupId: 'hb-invalid', memberId: randomUuid(), memberEpoch: -2 }, 1, "InstanceId can't be null."],
      ['an empty instance id', { ...join, groupId: 'hb-invalid', instanceId: '' }, 1, "InstanceId can't be empty."],
      ['an empty rack id', { ...join, groupId: 'hb-invalid', rackId: '' }, 1, "RackId can't be empty."],
    ];
    for (const [what, req, v, message] of cases) {
      const res = await g.heartbeat(req, v);
      t.same([res.errorCode, res.errorMessage], [E.INVALID_REQUEST, message], what);
    }
    t.equal((await g.describeOne('hb-invalid')).errorCode, E.GROUP_ID_NOT_FOUND, 'none of them created the group');
  });

  t.test('UNSUPPORTED_ASSIGNOR for a server assignor other than uniform and range', async (t) => {
    const res = await new Member(g, 'hb-assignor', { topics: ['hb-x'], assignor: 'sticky' }).join();
    t.same([res.errorCode, res.errorMessage], [E.UNSUPPORTED_ASSIGNOR, 'ServerAssignor sticky is not supported. Supported assignors: uniform, range.']);
    t.equal((await g.describeOne('hb-assignor')).errorCode, E.GROUP_ID_NOT_FOUND, 'no group made');
    const ranged = new Member(g, 'hb-assignor', { topics: ['hb-x'], assignor: 'range' });
    t.equal((await ranged.join()).errorCode, E.NONE, 'range is served');
    t.equal((await g.describeOne('hb-assignor')).assignorName, 'range', "the group's assignor is its members' choice");
    t.equal((await new Member(g, 'hb-assignor-uniform', { topics: ['hb-x'], assignor: 'uniform' }).join()).errorCode, E.NONE, 'uniform is served');
    await new Member(g, 'hb-assignor-default', { topics: ['hb-x'] }).join();
    t.equal((await g.describeOne('hb-assignor-default')).assignorName, 'uniform', 'uniform is the default');
  });

  t.test('member ids: v1 the client makes them, v0 the coordinator does', async (t) => {
    const v1 = new Member(g, 'hb-ids', { topics: ['hb-x'] });
    const chosen = v1.memberId;
    const a = await v1.join();
    t.same([a.errorCode, a.memberId, a.memberEpoch], [E.NONE, chosen, 1], 'v1: the answer carries the id the client chose, epoch 1');
    t.equal(a.heartbeatIntervalMs, 5000, 'group.consumer.heartbeat.interval.ms defaults to 5000');
    t.same(g.named(a.assignment?.topicPartitions), ['hb-x-0', 'hb-x-1'], 'the lone member gets every partition');
    const v0 = new Member(g, 'hb-ids', { topics: ['hb-x'], version: 0 });
    const b0 = await v0.join();
    t.equal(b0.errorCode, E.NONE);
    t.ok(b0.memberId && b0.memberId.length > 0, 'v0: the coordinator made a member id');
    t.not(b0.memberId, chosen);
    t.equal((await v0.beat()).errorCode, E.NONE, 'v0: heartbeats with that id are accepted');
    t.equal((await v0.leave()).errorCode, E.NONE);
    t.equal((await v1.beat()).heartbeatIntervalMs, 5000, 'every answer carries the interval');
  });

  t.test('KIP-1082: a join retried with the same member id (its answer was lost) is the same member', async (t) => {
    const m = new Member(g, 'hb-retry', { topics: ['hb-x'] });
    const first = await m.join();
    const again = await m.join();
    t.same([again.errorCode, again.memberId, again.memberEpoch, g.named(again.assignment?.topicPartitions)], [E.NONE, first.memberId, 1, ['hb-x-0', 'hb-x-1']],
      'the same member id, epoch and assignment');
    const d = await g.describeOne('hb-retry');
    t.same([d.members.length, d.groupEpoch], [1, 1], 'one member, no rebalance');
    await m.leave();
  });

  t.test('GROUP_ID_NOT_FOUND: a heartbeat or a leave for a group that does not exist', async (t) => {
    t.equal((await g.heartbeat({ groupId: 'hb-nowhere', memberId: randomUuid(), memberEpoch: 1, topicPartitions: [] })).errorCode, E.GROUP_ID_NOT_FOUND, 'epoch 1');
    t.equal((await g.heartbeat({ groupId: 'hb-nowhere', memberId: randomUuid(), memberEpoch: -1 })).errorCode, E.GROUP_ID_NOT_FOUND, 'epoch -1');
    t.equal((await g.describeOne('hb-nowhere')).errorCode, E.GROUP_ID_NOT_FOUND, 'and none was created');
  });

  t.test('UNKNOWN_MEMBER_ID: a member id or instance id the group does not have', async (t) => {
    const a = new Member(g, 'hb-unknown', { topics: ['hb-x'] });
    await a.join();
    t.equal((await g.heartbeat({ groupId: 'hb-unknown', memberId: randomUuid(), memberEpoch: 1, topicPartitions: [] })).errorCode, E.UNKNOWN_MEMBER_ID, 'a heartbeat');
    t.equal((await g.heartbeat({ groupId: 'hb-unknown', memberId: randomUuid(), memberEpoch: -1 })).errorCode, E.UNKNOWN_MEMBER_ID, 'a leave');
    const stat = await g.heartbeat({ groupId: 'hb-unknown', memberId: randomUuid(), memberEpoch: 1, instanceId: 'nobody', topicPartitions: [] });
    t.same([stat.errorCode, stat.errorMessage], [E.UNKNOWN_MEMBER_ID, 'Instance id nobody is unknown.'], 'a static heartbeat with an unknown instance id');
    t.equal((await g.heartbeat({ groupId: 'hb-unknown', memberId: randomUuid(), memberEpoch: -2, instanceId: 'nobody' })).errorCode, E.UNKNOWN_MEMBER_ID, 'a static leave (-2) with an unknown instance id');
    t.equal((await a.beat()).errorCode, E.NONE, 'the real member is unaffected');
  });

  t.test('FENCED_MEMBER_EPOCH: an epoch ahead, or behind other than the tolerated previous one', async (t) => {
    const ids = await g.topicIds('hb-x', 'hb-y', 'hb-z');
    const a = new Member(g, 'hb-fenced', { topics: ['hb-x'] });
    t.equal((await a.join()).memberEpoch, 1);
    // A new subscription bumps the group epoch; nothing to revoke, so the member moves to epoch 2 at once (previous epoch 1).
    const moved = await a.beat({ fields: { subscribedTopicNames: ['hb-x', 'hb-y'] } });
    t.same([moved.errorCode, moved.memberEpoch, a.partitions()], [E.NONE, 2, ['hb-x-0', 'hb-x-1', 'hb-y-0', 'hb-y-1']], 'subscribing to another topic: epoch 2, both topics');

    const ahead = await a.beat({ epoch: 3 });
    t.equal(ahead.errorCode, E.FENCED_MEMBER_EPOCH, 'an epoch ahead of the coordinator');
    const lost = await a.g.heartbeat({ groupId: 'hb-fenced', memberId: a.memberId, memberEpoch: 1, topicPartitions: [{ topicId: ids.get('hb-x')!, partitions: [0, 1] }] });
    t.same([lost.errorCode, lost.memberEpoch], [E.NONE, 2], 'the previous epoch with owned partitions inside the assignment: accepted (the answer that bumped it may have been lost)');
    const noOwned = await a.g.heartbeat({ groupId: 'hb-fenced', memberId: a.memberId, memberEpoch: 1, topicPartitions: null });
    t.equal(noOwned.errorCode, E.FENCED_MEMBER_EPOCH, 'the previous epoch without owned partitions');
    const foreign = await a.g.heartbeat({ groupId: 'hb-fenced', memberId: a.memberId, memberEpoch: 1, topicPartitions: [{ topicId: ids.get('hb-z')!, partitions: [0] }] });
    t.equal(foreign.errorCode, E.FENCED_MEMBER_EPOCH, 'the previous epoch owning a partition outside the assignment');
    const revoking = await a.beat({ owned: a.assignment, fields: { subscribedTopicNames: ['hb-x'] } });
    t.same([revoking.memberEpoch, a.partitions()], [2, ['hb-x-0', 'hb-x-1']], 'back to one topic: hb-y is revoked first, the epoch stays 2');
    t.equal((await a.beat()).memberEpoch, 3, 'once the member no longer owns hb-y: epoch 3, previous 2');
    t.equal((await a.beat({ epoch: 1 })).errorCode, E.FENCED_MEMBER_EPOCH, 'an epoch older than the previous one');
    const still = await a.beat();
    t.same([still.errorCode, still.memberEpoch], [E.NONE, 3], 'fencing answers change nothing: the member is still there at its epoch');
    // A fenced client rejoins with epoch 0 under the member id it made (KIP-1082). Kafka 4.0.0 fences that
    // too until the session expires; KAFKA-19233 (later Kafka) accepts it, and so does Samsa.
    if (!b.external) {
      const rejoin = await a.join();
      t.same([rejoin.errorCode, rejoin.memberId, a.partitions()], [E.NONE, a.memberId, ['hb-x-0', 'hb-x-1']], 'a rejoin with epoch 0 under its own id is accepted, with its assignment');
      t.equal((await g.describeOne('hb-fenced')).members.length, 1, 'still one member');
    }
  });

  t.test('INVALID_REGULAR_EXPRESSION, and regex subscriptions resolved on the broker', async (t) => {
    const bad = await new Member(g, 'hb-regex', { regex: '[' }).join();
    t.equal(bad.errorCode, E.INVALID_REGULAR_EXPRESSION, 'a pattern that does not compile');
    t.equal((await g.describeOne('hb-regex')).errorCode, E.GROUP_ID_NOT_FOUND, 'no group made');

    await g.createTopics(1, 'hb-re-a', 'hb-re-b', 'x-hb-re-c');
    const m = new Member(g, 'hb-regex', { regex: 'hb-re-.*' });
    t.equal((await m.join()).errorCode, E.NONE, 'a valid pattern');
    // Kafka resolves patterns off the heartbeat path: the assignment may come on a later heartbeat.
    await beatUntil([m], () => m.partitions().length >= 2, 15_000, 'the topics the pattern matches');
    t.same(m.partitions(), ['hb-re-a-0', 'hb-re-b-0'], 'the whole name must match: x-hb-re-c is not taken');
    const d = await g.describeOne('hb-regex');
    t.same([d.members[0]?.subscribedTopicRegex, d.members[0]?.subscribedTopicNames], ['hb-re-.*', []], 'ConsumerGroupDescribe shows the pattern');

    await g.createTopics(1, 'hb-re-new');
    await beatUntil([m], () => m.partitions().includes('hb-re-new-0'), 30_000, 'a new matching topic to be assigned');
    t.pass('a topic created later that matches is assigned');

    const all = new Member(g, 'hb-regex-all', { regex: '.*' });
    await all.join();
    await beatUntil([all], () => m.g.named(all.assignment).includes('hb-x-0'), 15_000, 'the .* pattern resolved');
    t.notOk(all.partitions().some((p) => p.startsWith('__')), 'internal topics are never matched');
  });

  t.test('subscribed topics that appear, grow or go: the assignment follows', async (t) => {
    const m = new Member(g, 'hb-topics', { topics: ['hb-x', 'hb-later'] });
    const joined = await m.join();
    t.same([joined.errorCode, m.partitions()], [E.NONE, ['hb-x-0', 'hb-x-1']], 'a subscription to a topic that does not exist yet is accepted');
    await g.createTopics(2, 'hb-later');
    await beatUntil([m], () => m.partitions().length === 4, 15_000, 'the created topic to be assigned');
    t.same(m.partitions(), ['hb-later-0', 'hb-later-1', 'hb-x-0', 'hb-x-1'], 'the topic, once created, is assigned');
    t.equal(await g.createPartitions('hb-later', 3), E.NONE);
    await beatUntil([m], () => m.partitions().length === 5, 15_000, 'the new partition to be assigned');
    t.ok(m.partitions().includes('hb-later-2'), 'a partition added to it is assigned');
    const epoch = m.epoch;
    t.equal(await g.deleteTopic('hb-later'), E.NONE);
    await beatUntil([m], () => m.partitions().length === 2, 15_000, "the deleted topic's partitions to be taken away");
    t.same(m.partitions(), ['hb-x-0', 'hb-x-1'], 'a deleted topic leaves the assignment');
    await m.beat(); // acknowledges giving up the deleted topic's partitions
    t.ok(m.epoch > epoch, 'the change moved the member to a newer epoch');
    await m.leave();
  });

  t.test('a heartbeat without changes carries no assignment; a full one does', async (t) => {
    const m = new Member(g, 'hb-partial', { topics: ['hb-y'] });
    await m.join();
    const partial = await m.beat();
    t.equal(partial.assignment, null, 'nothing changed: no assignment in the answer');
    const full = await m.beat({ fields: { rebalanceTimeoutMs: 60_000, subscribedTopicNames: ['hb-y'] } });
    t.same(g.named(full.assignment?.topicPartitions), ['hb-y-0', 'hb-y-1'], 'a full request (rebalance timeout, names and owned partitions) gets it');
  });
});

t.test('GROUP_MAX_SIZE_REACHED with group.consumer.max.size=2', async (t) => {
  const b = await testBroker(t, { 'group.consumer.max.size': '2' });
  const g = await GroupWire.connect(t, b.host, b.port);
  await g.createTopics(2, 'max-t');
  const [m1, m2, m3] = [1, 2, 3].map(() => new Member(g, 'max-g', { topics: ['max-t'] }));
  t.equal((await m1!.join()).errorCode, E.NONE);
  t.equal((await m2!.join()).errorCode, E.NONE);
  const full = await m3!.join();
  t.same([full.errorCode, full.errorMessage], [E.GROUP_MAX_SIZE_REACHED, 'The consumer group has reached its maximum capacity of 2 members.'], 'a third member');
  t.equal((await m1!.beat()).errorCode, E.NONE, 'members already in keep heartbeating');
  t.equal((await m2!.leave()).errorCode, E.NONE);
  t.equal((await m3!.join()).errorCode, E.NONE, 'after one leaves, another may join');
  t.equal((await g.describeOne('max-g')).members.length, 2);
});

t.test("the interval and timeout bounds are checked at start-up with Kafka's messages", async (t) => {
  const cases: [Record<string, string>, string][] = [
    [{ 'group.consumer.heartbeat.interval.ms': '100' }, 'group.consumer.heartbeat.interval.ms must be greater than or equal to group.consumer.min.heartbeat.interval.ms'],
    [{ 'group.consumer.session.timeout.ms': '70000' }, 'group.consumer.session.timeout.ms must be less than or equal to group.consumer.max.session.timeout.ms'],
    [{ 'group.consumer.min.session.timeout.ms': '1000', 'group.consumer.session.timeout.ms': '2000', 'group.consumer.min.heartbeat.interval.ms': '100', 'group.consumer.heartbeat.interval.ms': '3000' },
      'group.consumer.heartbeat.interval.ms must be less than group.consumer.session.timeout.ms'],
  ];
  for (const [flags, message] of cases) {
    const dir = mkdtempSync(join(tmpdir(), 'samsa-cg-bounds-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    await t.rejects(startBroker({ flags: { 'log.dirs': dir, listeners: '127.0.0.1:0', ...flags }, logLevel: 'silent' }), { message: new RegExp(message) }, message);
  }
});
