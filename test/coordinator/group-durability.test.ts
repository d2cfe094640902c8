/**
 * Group state in __consumer_offsets: the record layouts, the coordinator
 * partition, a fresh coordinator loading the partitions (offsets, Stable
 * groups with their members, tombstones), offset expiry, and the same through
 * a real broker restart.
 */
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as pathJoin } from 'node:path';
import type { JoinRequest } from '../../src/coordinator/group/group-coordinator.js';
import { OFFSETS_TOPIC } from '../../src/coordinator/group/offsets-topic.js';
import {
  groupKey, groupValue, offsetKey, offsetValue, partitionFor, readGroupValue, readKey, readOffsetValue, type GroupRecordKey,
} from '../../src/coordinator/group/group-records.js';
import { startBroker } from '../../src/broker/index.js';
import { ErrorCode } from '../../src/wire/errors.js';
import { host, leadingGroups } from './helpers/fake-host.js';

const limits = { minSessionTimeoutMs: 10, maxSessionTimeoutMs: 60_000, initialRebalanceDelayMs: 0, maxSize: 10 };
const join = (over: Partial<JoinRequest> = {}): JoinRequest => ({
  groupId: 'g', memberId: '', groupInstanceId: null, clientId: 'c', clientHost: '/127.0.0.1',
  sessionTimeoutMs: 5000, rebalanceTimeoutMs: 300, protocolType: 'consumer',
  protocols: [{ name: 'range', metadata: Buffer.from('sub') }], requireKnownMemberId: false, ...over,
});
const off = (o: bigint, commitTimestamp = Date.now()) => ({ offset: o, leaderEpoch: 3, metadata: 'm', commitTimestamp });

t.test("records use Kafka's layouts and round-trip", async (t) => {
  const k = offsetKey('grp', 'topic', 7);
  t.equal(k.readInt16BE(0), 1, 'offset key version 1');
  t.same(readKey(k), { kind: 'offset', groupId: 'grp', topic: 'topic', partition: 7 });
  t.same(readKey(groupKey('grp')), { kind: 'group', groupId: 'grp' });
  t.equal(groupKey('grp').readInt16BE(0), 2, 'group key version 2');
  const v = offsetValue({ offset: 42n, leaderEpoch: 5, metadata: null, commitTimestamp: 1234 });
  t.equal(v.readInt16BE(0), 3, 'offset value version 3');
  t.same(readOffsetValue(v), { offset: 42n, leaderEpoch: 5, metadata: '', commitTimestamp: 1234 });
  const gv = {
    protocolType: 'consumer', generationId: 4, protocolName: 'range', leaderId: 'm1', currentStateTimestamp: 99,
    members: [{ memberId: 'm1', groupInstanceId: 'i1', clientId: 'c', clientHost: '/h', rebalanceTimeoutMs: 10, sessionTimeoutMs: 20, subscription: Buffer.from('s'), assignment: Buffer.from('a') }],
  };
  t.same(readGroupValue(groupValue(gv)), gv);
  t.equal(partitionFor('ab', 50), 3105 % 50, "Java's String.hashCode");
  // "polygenelubricants".hashCode() is Integer.MIN_VALUE in Java: Kafka's abs maps it to 0.
  t.equal(partitionFor('polygenelubricants', 50), 0, 'Integer.MIN_VALUE goes to partition 0');
  const neg = 'zzzzzzzzzz';
  t.ok(partitionFor(neg, 50) >= 0 && partitionFor(neg, 50) < 50, 'negative hashes map into range');
});

t.test('loading a partition rebuilds offsets and Stable groups; tombstones delete', async (t) => {
  const h = host(t);
  const c = await leadingGroups(t, limits, h);
  const a = await c.join(join());
  await c.sync('g', a.generationId, a.memberId, null, null, [{ memberId: a.memberId, assignment: Buffer.from('A') }]);
  t.equal(c.commit('g', a.generationId, a.memberId, [{ topic: 't', partition: 0, offset: off(10n) }]), ErrorCode.NONE);
  await c.written();
  t.equal(c.commit('simple', -1, '', [{ topic: 't', partition: 1, offset: off(5n) }, { topic: 't', partition: 2, offset: off(6n) }]), ErrorCode.NONE);
  t.equal(c.commit('gone', -1, '', [{ topic: 't', partition: 0, offset: off(1n) }]), ErrorCode.NONE);
  t.equal(c.deleteGroup('gone'), ErrorCode.NONE);
  c.deleteOffsets('simple', [{ name: 't', partitions: [2] }], () => []);
  await c.written();

  const d = await leadingGroups(t, limits, h);
  const g = d.group('g')!;
  t.equal(g.state, 'Stable', 'a group written Stable comes back Stable');
  t.equal(g.generationId, a.generationId);
  t.equal(g.leaderId, a.memberId);
  t.same(g.members.get(a.memberId)?.assignment, Buffer.from('A'), 'with its members and assignments');
  t.equal(d.heartbeat('g', a.generationId, a.memberId), ErrorCode.NONE, 'the member carries on heartbeating');
  t.same(g.offsets.get('t')?.get(0), off(10n, g.offsets.get('t')!.get(0)!.commitTimestamp));
  t.same([...d.group('simple')!.offsets.get('t')!.keys()], [1], 'a deleted offset stays deleted');
  t.equal(d.group('gone'), undefined, 'a deleted group stays deleted');

  // Leave: the group empties, and that too survives a replay.
  c.leave('g', [{ memberId: a.memberId, groupInstanceId: null }]);
  t.equal(c.group('g')!.state, 'Empty');
  await c.written();
  const e = await leadingGroups(t, limits, h);
  t.equal(e.group('g')!.state, 'Empty');
  t.equal(e.group('g')!.members.size, 0);
  t.equal(e.group('g')!.protocolType, 'consumer');
});

t.test('offsets.retention.minutes: offsets of empty groups expire, with tombstones', async (t) => {
  const h = host(t);
  const c = await leadingGroups(t, { ...limits, offsetsRetentionMs: 1000 }, h);
  const now = Date.now();
  c.commit('old', -1, '', [{ topic: 't', partition: 0, offset: off(1n, now - 5000) }, { topic: 't', partition: 1, offset: off(2n, now) }]);
  const a = await c.join(join({ groupId: 'busy' }));
  await c.sync('busy', a.generationId, a.memberId, null, null, [{ memberId: a.memberId, assignment: Buffer.from('A') }]);
  c.commit('busy', a.generationId, a.memberId, [{ topic: 't', partition: 0, offset: off(1n, now - 5000) }]);
  c.expireOffsets(now);
  t.same([...c.group('old')!.offsets.get('t')!.keys()], [1], 'a simple group loses only its old offsets');
  t.ok(c.group('busy')!.offsets.get('t')?.has(0), 'a group with members keeps its offsets');
  c.expireOffsets(now + 2000);
  t.equal(c.group('old'), undefined, 'a group left with no offsets is removed');
  c.leave('busy', [{ memberId: a.memberId, groupInstanceId: null }]);
  c.expireOffsets(Date.now() + 500);
  t.ok(c.group('busy'), 'an empty group keeps offsets within the retention');
  c.expireOffsets(Date.now() + 1500);
  t.equal(c.group('busy'), undefined, 'then they expire, counted from when it became empty');
  await c.written();
  const d = await leadingGroups(t, limits, h);
  t.equal(d.group('old'), undefined, 'expiry wrote tombstones');
  t.equal(d.group('busy'), undefined);
});

t.test('a broker keeps groups in __consumer_offsets across a restart', async (t) => {
  const dataDir = mkdtempSync(pathJoin(tmpdir(), 'samsa-groups-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const start = () => startBroker({ flags: { 'log.dirs': dataDir, listeners: '127.0.0.1:0', 'offsets.topic.num.partitions': '5' }, logLevel: 'silent' });
  let b = await start();
  try {
    const c = b.context.groups;
    // As a client that skipped FindCoordinator: the first request creates __consumer_offsets and waits for its partition.
    await c.prepare('g1');
    t.equal(c.commit('g1', -1, '', [{ topic: 't', partition: 0, offset: off(17n) }]), ErrorCode.NONE);
    await c.written();
    const topic = b.context.metadata.topic(OFFSETS_TOPIC)!;
    t.equal(topic.partitions, 5, 'created on first use with offsets.topic.num.partitions');
    t.ok(topic.internal, 'internal');
    t.equal(b.context.topics.value(topic, 'cleanup.policy'), 'compact', 'compacted');
    t.ok(b.context.topics.lookup(OFFSETS_TOPIC, partitionFor('g1', 5))!.log.logEndOffset > 0, "written to the group's partition");
    const a = await c.join(join({ groupId: 'g2', sessionTimeoutMs: 6000 }));
    t.equal(a.errorCode, ErrorCode.NONE);
    await c.sync('g2', a.generationId, a.memberId, null, null, [{ memberId: a.memberId, assignment: Buffer.from('A') }]);
    await c.written();
  } finally {
    await b.close();
  }
  b = await start();
  try {
    const c = b.context.groups;
    // The broker loads the partitions it leads after start-up.
    for (let i = 0; i < 200 && (c.coordinatorStatus('g1') !== ErrorCode.NONE || c.coordinatorStatus('g2') !== ErrorCode.NONE); i++) await new Promise((r) => setTimeout(r, 10));
    t.equal(c.group('g1')?.offsets.get('t')?.get(0)?.offset, 17n, 'offsets come back');
    t.equal(c.group('g2')?.state, 'Stable', 'the group comes back Stable');
    t.equal(c.group('g2')?.members.size, 1);
  } finally {
    await b.close();
  }
});
