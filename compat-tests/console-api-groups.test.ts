/**
 * The console's consumer group routes with a real kafkajs consumer group:
 * the list and the detail (members, assignments, committed offsets, lag per
 * partition), a lag that appears while the consumer is paused and clears when
 * it resumes, its lag history, resets refused while the group has members
 * (409) and applied once it is empty (checked with kafkajs's admin), delete.
 * A KIP-848 consumer group (members heartbeating with our codecs): its type,
 * epochs, assignor, members' epochs and current and target assignments, and
 * lag from the commits it shares with classic groups. Under ACLs, a consumer
 * group the user may describe but whose topics she may not is still listed
 * (ConsumerGroupDescribe refuses the whole group) and its page is a 403.
 */
import t from 'tap';
import kafkajs from 'kafkajs';
import { testBroker } from './helpers/broker.js';
import { kcat } from './helpers/kcat.js';
import { consoleHttp, type ConsoleHttp } from './helpers/console-http.js';
import type { GroupDetail, GroupOffset, GroupSummary } from '../src/http/console-api-types.js';
import { GroupWire, Member, beatUntil } from './helpers/consumer-group-wire.js';
import { ADMIN, ALICE } from './helpers/secure-broker.js';
import { LISTENER, aclBroker, grant } from './helpers/acl-clients.js';

const { Kafka, logLevel, AclResourceTypes, AclOperationTypes } = kafkajs;

/** Polls the group's detail until `cond` holds (bounded: a wait for the consumer, not a timing assertion). */
async function groupUntil(c: ConsoleHttp, groupId: string, cond: (g: GroupDetail) => boolean, what: string, ms = 30_000): Promise<GroupDetail> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    const r = await c.api<GroupDetail>('GET', `/api/groups/${groupId}`);
    last = r.body;
    if (r.status === 200 && cond(r.body)) return r.body;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; last answer ${JSON.stringify(last)}`);
    await new Promise((res) => setTimeout(res, 200));
  }
}

const committedOf = (offsets: GroupOffset[]) => offsets.map((o) => [o.topic, o.partition, o.committed]);

t.test('a kafkajs group: lag appears and clears, resets and delete', async (t) => {
  const b = await testBroker(t, { 'group.initial.rebalance.delay.ms': '0' });
  const c = await consoleHttp(t, b.samsa!, true);
  await c.api('POST', '/api/topics', { name: 'lagged', partitions: 2 });
  await kcat(['-P', '-b', b.bootstrap, '-t', 'lagged', '-p', '0'], 'a\nb\nc\nd\ne\nf\n');
  await kcat(['-P', '-b', b.bootstrap, '-t', 'lagged', '-p', '1'], 'g\nh\ni\nj\n');

  const kafka = new Kafka({ brokers: [b.bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  const consumer = kafka.consumer({ groupId: 'g-console', sessionTimeout: 10_000, heartbeatInterval: 500, maxWaitTimeInMs: 100 });
  let consumed = 0;
  await consumer.connect();
  t.teardown(() => consumer.disconnect());
  await consumer.subscribe({ topic: 'lagged', fromBeginning: true });
  await consumer.run({ eachMessage: async () => { consumed++; } });

  const caughtUp = await groupUntil(c, 'g-console', (g) => g.state === 'Stable' && g.totalLag === 0 && g.offsets.length === 2 && g.offsets.every((o) => o.committed >= 0), 'the consumer to commit everything');
  t.equal(consumed, 10, 'kafkajs read the 10 messages');
  t.match(caughtUp, { groupId: 'g-console', state: 'Stable', protocolType: 'consumer', members: 1, coordinator: 0, totalLag: 0 }, 'the group detail');
  t.ok(caughtUp.protocol, `the assignor (${caughtUp.protocol})`);
  const member = caughtUp.memberDetails[0]!;
  t.same(member.assignment, [{ topic: 'lagged', partitions: [0, 1] }], 'the member\'s assignment, decoded');
  t.ok(member.clientId && member.clientHost, 'client id and host');
  t.same(caughtUp.offsets.map((o) => [o.partition, o.committed, o.endOffset, o.lag, o.memberId]), [[0, 6, 6, 0, member.memberId], [1, 4, 4, 0, member.memberId]], 'committed offsets, ends, lags and owners');

  const list = await c.api<GroupSummary[]>('GET', '/api/groups');
  t.same(list.body, [{ groupId: 'g-console', state: 'Stable', type: 'classic', protocolType: 'consumer', protocol: caughtUp.protocol, members: 1, coordinator: 0, totalLag: 0 }], 'the group list');
  t.equal(caughtUp.type, 'classic', 'a kafkajs group is classic');
  t.notOk('memberEpoch' in member || 'groupEpoch' in caughtUp, 'with no KIP-848 epochs');

  consumer.pause([{ topic: 'lagged' }]);
  await kcat(['-P', '-b', b.bootstrap, '-t', 'lagged', '-p', '0'], 'k\nl\nm\n');
  const lagging = await groupUntil(c, 'g-console', (g) => g.totalLag === 3, 'the lag of the 3 new messages');
  t.same(lagging.offsets.map((o) => [o.partition, o.lag]), [[0, 3], [1, 0]], 'lag appears on partition 0 while the consumer is paused');
  t.equal((await c.api<GroupSummary[]>('GET', '/api/groups')).body[0]!.totalLag, 3, 'and in the list');
  const withHistory = await groupUntil(c, 'g-console', (g) => g.lagHistory.some((p) => p.lag === 3), 'the lag history to record it');
  t.ok(withHistory.lagHistory.every((p, i, all) => i === 0 || p.t >= all[i - 1]!.t), 'the history is oldest first');

  const busyReset = await c.api('POST', '/api/groups/g-console/reset', { to: 'earliest' });
  t.equal(busyReset.status, 409, 'a reset while the group has a member: 409');
  t.equal(busyReset.body.code, 'NON_EMPTY_GROUP');
  const busyDelete = await c.api('DELETE', '/api/groups/g-console');
  t.equal(busyDelete.status, 409, 'so is a delete');
  t.equal(busyDelete.body.code, 'NON_EMPTY_GROUP');

  consumer.resume([{ topic: 'lagged' }]);
  await groupUntil(c, 'g-console', (g) => g.totalLag === 0, 'the lag to clear once the consumer resumes');
  t.equal(consumed, 13, 'the consumer read the 3 new messages');
  t.pass('the lag clears');

  await consumer.disconnect();
  const empty = await groupUntil(c, 'g-console', (g) => g.state === 'Empty', 'the group to be empty');
  t.same(empty.memberDetails, [], 'no members');

  const reset = await c.api<GroupOffset[]>('POST', '/api/groups/g-console/reset', { to: 'earliest' });
  t.equal(reset.status, 200, 'reset an empty group to the earliest offsets');
  t.same(committedOf(reset.body), [['lagged', 0, 0], ['lagged', 1, 0]], 'the answer shows the new committed offsets');
  t.same(reset.body.map((o) => o.lag), [9, 4], 'and the lag they make');
  const fetched = await admin.fetchOffsets({ groupId: 'g-console', topics: ['lagged'] });
  t.same(fetched[0]!.partitions.map((p) => [p.partition, p.offset]).sort(), [[0, '0'], [1, '0']], 'kafkajs\'s admin sees the moved offsets');

  const one = await c.api<GroupOffset[]>('POST', '/api/groups/g-console/reset', { topic: 'lagged', partitions: [1], to: 'offset', offset: 2 });
  t.same(committedOf(one.body), [['lagged', 0, 0], ['lagged', 1, 2]], 'an exact offset for one partition only');
  const late = await c.api<GroupOffset[]>('POST', '/api/groups/g-console/reset', { topic: 'lagged', to: 'timestamp', timestamp: Date.now() + 3_600_000 });
  t.same(committedOf(late.body), [['lagged', 0, 9], ['lagged', 1, 4]], 'a time after every message: the ends');
  const latest = await c.api<GroupOffset[]>('POST', '/api/groups/g-console/reset', { to: 'earliest', topic: 'lagged', partitions: [0] });
  t.same(committedOf(latest.body), [['lagged', 0, 0], ['lagged', 1, 4]], 'earliest for partition 0 only');

  for (const [body, why, status] of [
    [{ to: 'yesterday' }, 'an unknown target', 400], [{ to: 'offset' }, 'offset without an offset', 400], [{ to: 'timestamp', timestamp: 'noon' }, 'a bad timestamp', 400],
    [{ to: 'earliest', partitions: [0] }, 'partitions without a topic', 400], [{ to: 'earliest', topic: 'nope' }, 'an unknown topic', 404],
    [{ to: 'earliest', topic: 'lagged', partitions: [5] }, 'an unknown partition', 404],
  ] as [unknown, string, number][]) {
    t.equal((await c.api('POST', '/api/groups/g-console/reset', body)).status, status, `${why}: ${status}`);
  }

  // Another consumer of the group starts where the reset left it.
  const again = kafka.consumer({ groupId: 'g-console', maxWaitTimeInMs: 100 });
  const seen: string[] = [];
  await again.connect();
  t.teardown(() => again.disconnect());
  await again.subscribe({ topic: 'lagged' });
  await again.run({ eachMessage: async ({ partition, message }) => { seen.push(`${partition}:${message.value}`); } });
  await groupUntil(c, 'g-console', (g) => g.totalLag === 0 && g.members === 1, 'the new consumer to catch up');
  t.equal(seen.filter((s) => s.startsWith('0:')).length, 9, 'it read partition 0 from the reset offset 0');
  t.equal(seen.filter((s) => s.startsWith('1:')).length, 0, 'and nothing of partition 1 (reset to its end)');
  await again.disconnect();
  await groupUntil(c, 'g-console', (g) => g.state === 'Empty', 'the group to be empty again');

  const deleted = await c.api('DELETE', '/api/groups/g-console');
  t.same(deleted.body, { deleted: 'g-console' }, 'an empty group is deleted');
  const gone = await c.api('GET', '/api/groups/g-console');
  t.equal(gone.status, 404, 'and gone');
  t.equal(gone.body.code, 'GROUP_ID_NOT_FOUND');
  t.same((await c.api('GET', '/api/groups')).body, [], 'and not listed');
});

t.test('a consumer-protocol (KIP-848) group: type, epochs, current and target assignments, lag', async (t) => {
  const b = await testBroker(t, { 'group.initial.rebalance.delay.ms': '0' });
  const c = await consoleHttp(t, b.samsa!, true);
  const g = await GroupWire.connect(t, b.host, b.port);
  await g.createTopics(2, 'cg-lagged');
  await kcat(['-P', '-b', b.bootstrap, '-t', 'cg-lagged', '-p', '0'], 'a\nb\nc\nd\n');
  const a = new Member(g, 'g-kip848', { topics: ['cg-lagged'], rackId: 'rack-1' });
  const bm = new Member(g, 'g-kip848', { topics: ['cg-lagged'], instanceId: 'static-b' });
  await a.join();
  await beatUntil([a], () => a.partitions().length === 2, 10_000, 'A to own both partitions');
  await bm.join();

  const moving = (await c.api<GroupDetail>('GET', '/api/groups/g-kip848')).body;
  t.match(moving, { groupId: 'g-kip848', type: 'consumer', state: 'Reconciling', protocolType: 'consumer', protocol: 'uniform', members: 2, groupEpoch: 2, assignmentEpoch: 2 }, 'the detail while a partition moves');
  const movingA = moving.memberDetails.find((m) => m.memberId === a.memberId)!;
  t.match(movingA, { rackId: 'rack-1', memberEpoch: 1, subscription: ['cg-lagged'], assignment: [{ topic: 'cg-lagged', partitions: [0, 1] }] }, 'A still owns both');
  t.equal(movingA.targetAssignment?.[0]?.partitions.length, 1, 'its target is one of them');
  const movingB = moving.memberDetails.find((m) => m.memberId === bm.memberId)!;
  t.match(movingB, { groupInstanceId: 'static-b', memberEpoch: 2, assignment: [] }, 'B owns nothing yet');
  t.equal(movingB.targetAssignment?.[0]?.partitions.length, 1, 'its target is the other');

  await beatUntil([a, bm], () => a.partitions().length === 1 && bm.partitions().length === 1 && a.epoch === 2, 10_000, 'the group to settle');
  t.equal(await g.commit('g-kip848', a.memberId, a.epoch, 'cg-lagged', 0, 1n), 0, 'a commit of partition 0 with a member epoch');
  const settled = await groupUntil(c, 'g-kip848', (d) => d.state === 'Stable', 'the group to be Stable');
  t.same(settled.memberDetails.map((m) => m.assignment), settled.memberDetails.map((m) => m.targetAssignment), 'current = target once reconciled');
  const owner0 = settled.memberDetails.find((m) => m.assignment.some((x) => x.partitions.includes(0)))!.memberId;
  t.same(settled.offsets.map((o) => [o.partition, o.committed, o.endOffset, o.lag, o.memberId]), [[0, 1, 4, 3, owner0], [1, -1, 0, 0, settled.offsets[1]!.memberId]], 'lag from the shared offsets, with the owner');
  t.equal(settled.totalLag, 3, 'total lag');

  const list = (await c.api<GroupSummary[]>('GET', '/api/groups')).body;
  t.same(list, [{ groupId: 'g-kip848', state: 'Stable', type: 'consumer', protocolType: 'consumer', protocol: 'uniform', members: 2, coordinator: 0, totalLag: 3, groupEpoch: 2, assignmentEpoch: 2 }], 'the list: type and epochs');

  t.equal((await c.api('DELETE', '/api/groups/g-kip848')).status, 409, 'no delete while members are in');
  await a.leave();
  await bm.leave();
  const reset = await c.api<GroupOffset[]>('POST', '/api/groups/g-kip848/reset', { to: 'latest', topic: 'cg-lagged' });
  t.equal(reset.status, 200, 'an empty consumer group is reset');
  t.same(committedOf(reset.body), [['cg-lagged', 0, 4], ['cg-lagged', 1, 0]], 'to the ends');
  t.same((await c.api('DELETE', '/api/groups/g-kip848')).body, { deleted: 'g-kip848' }, 'and deleted');
});

t.test('ACLs: a consumer group assigned a topic the user may not describe is listed, its page refused', async (t) => {
  const { b, admin } = await aclBroker(t);
  const root = await GroupWire.connect(t, '127.0.0.1', b.port(LISTENER), ADMIN);
  await root.createTopics(1, 'acl-open', 'acl-secret');
  const open = new Member(root, 'cg-open', { topics: ['acl-open'] });
  const hidden = new Member(root, 'cg-hidden', { topics: ['acl-secret'] });
  await open.join();
  await hidden.join();
  const { GROUP, TOPIC } = AclResourceTypes;
  await grant(admin, { type: GROUP, name: 'cg-open', op: AclOperationTypes.DESCRIBE }, { type: GROUP, name: 'cg-hidden', op: AclOperationTypes.DESCRIBE },
    { type: TOPIC, name: 'acl-open', op: AclOperationTypes.DESCRIBE });
  const c = await consoleHttp(t, b.samsa, false);
  const alice = { authorization: `Basic ${Buffer.from(`${ALICE.username}:${ALICE.password}`).toString('base64')}` };

  const list = await c.api<GroupSummary[]>('GET', '/api/groups', undefined, alice);
  t.equal(list.status, 200, 'the list is answered');
  t.match(list.body, [
    { groupId: 'cg-hidden', type: 'consumer', state: 'Stable', members: 0, totalLag: null },
    { groupId: 'cg-open', type: 'consumer', state: 'Stable', protocol: 'uniform', members: 1 },
  ], 'both groups: the one she may not describe as the listing has it');
  const refused = await c.api('GET', '/api/groups/cg-hidden', undefined, alice);
  t.equal(refused.status, 403, 'its page: 403');
  t.equal(refused.body.code, 'TOPIC_AUTHORIZATION_FAILED', "with ConsumerGroupDescribe's error");
  t.match((await c.api<GroupDetail>('GET', '/api/groups/cg-open', undefined, alice)).body, { type: 'consumer', memberDetails: [{ assignment: [{ topic: 'acl-open', partitions: [0] }] }] }, 'the other group in full');
});
