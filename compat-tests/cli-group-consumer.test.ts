/**
 * `samsa group list` and `samsa group describe` on a KIP-848 consumer group
 * (two members heartbeating with our codecs) beside a classic one: the TYPE
 * column and --type filter, a consumer group's epochs, assignor and members
 * with their current and target assignments, in the table and as JSON, and
 * the lag of its commits. Run in this process (samsaInProcess): the broker
 * is in the test too and the commands need no build.
 */
import t from 'tap';
import { testBroker } from './helpers/broker.js';
import { GroupWire, Member, beatUntil } from './helpers/consumer-group-wire.js';
import { samsaInProcess } from '../test/cli/samsa-process.js';
import type { GroupDescription, GroupListing } from '../src/client/groups.js';

t.test('samsa group list and describe with a consumer-protocol group', async (t) => {
  const b = await testBroker(t, { 'group.initial.rebalance.delay.ms': '0' });
  const g = await GroupWire.connect(t, b.host, b.port);
  await g.createTopics(3, 'cli-cg');
  const cli = (...args: string[]) => samsaInProcess([...args, '--bootstrap', b.bootstrap]);
  const ok = async (...args: string[]) => {
    const r = await cli(...args);
    t.equal(r.code, 0, `samsa ${args.join(' ')}: ${r.stderr}`);
    return r;
  };
  const lines = Array.from({ length: 30 }, (_, i) => JSON.stringify({ value: `v${i}`, partition: i % 3 })).join('\n');
  const produced = await samsaInProcess(['topic', 'produce', 'cli-cg', '-f', 'json', '--bootstrap', b.bootstrap], lines);
  t.equal(produced.code, 0, `10 records in each partition: ${produced.stderr}`);

  const first = await g.joinClassic({ groupId: 'cli-classic', topics: ['cli-cg'] });
  const joined = await g.joinClassic({ groupId: 'cli-classic', topics: ['cli-cg'], memberId: first.memberId });
  await g.syncClassic('cli-classic', joined.generationId, joined.memberId);
  const a = new Member(g, 'cli-consumer', { topics: ['cli-cg'], instanceId: 'cli-static', rackId: 'r1' });
  const bm = new Member(g, 'cli-consumer', { topics: ['cli-cg'] });
  await a.join();
  await beatUntil([a], () => a.partitions().length === 3, 10_000, 'A to own the three partitions');
  await bm.join();

  await t.test('list: TYPE, --type', async (t) => {
    let r = await ok('group', 'list');
    t.match(r.stdout, /^GROUP\s+COORDINATOR\s+STATE\s+TYPE\s+PROTOCOL-TYPE$/m, 'a TYPE column');
    t.match(r.stdout, /^cli-consumer\s+0\s+Reconciling\s+consumer\s+consumer$/m, 'the consumer group');
    t.match(r.stdout, /^cli-classic\s+0\s+Stable\s+classic\s+consumer$/m, 'the classic group');
    r = await ok('group', 'list', '--type', 'consumer', '--format', 'json');
    t.same((JSON.parse(r.stdout) as GroupListing[]).map((x) => [x.groupId, x.type]), [['cli-consumer', 'consumer']], '--type consumer, as JSON');
    r = await cli('group', 'list', '--type', 'consumr');
    t.equal(r.code, 2, 'an unknown type is a usage mistake');
    t.match(r.stderr, /--type consumr: expected classic or consumer \(did you mean consumer\?\)/);
  });

  await t.test('describe while a partition moves: current and target assignments', async (t) => {
    const r = await ok('group', 'describe', 'cli-consumer');
    t.match(r.stdout, /^TYPE\s+consumer$/m);
    t.match(r.stdout, /^STATE\s+Reconciling$/m);
    t.match(r.stdout, /^ASSIGNOR\s+uniform$/m, "the broker's default assignor");
    t.match(r.stdout, /^GROUP-EPOCH\s+2$/m);
    t.match(r.stdout, /^ASSIGNMENT-EPOCH\s+2$/m);
    t.match(r.stdout, /^MEMBER-ID\s+INSTANCE-ID\s+CLIENT-ID\s+HOST\s+RACK\s+MEMBER-EPOCH\s+ASSIGNMENT\s+TARGET-ASSIGNMENT$/m, 'a members table');
    const rowA = r.stdout.split('\n').find((l) => l.startsWith(a.memberId))!;
    t.match(rowA, /^\S+\s+cli-static\s+samsa-compat\s+\S+\s+r1\s+1\s+cli-cg\(0,1,2\)\s+cli-cg\(\d,\d\)$/, `A: epoch 1, owns all three, its target two (${rowA})`);
    const rowB = r.stdout.split('\n').find((l) => l.startsWith(bm.memberId))!;
    t.match(rowB, /^\S+\s+-\s+samsa-compat\s+\S+\s+-\s+2\s+-\s+cli-cg\(\d\)$/, `B: nothing yet, its target one (${rowB})`);
  });

  await t.test('describe once settled, table and JSON, with lag', async (t) => {
    await beatUntil([a, bm], () => a.partitions().length + bm.partitions().length === 3 && bm.partitions().length > 0 && a.epoch === 2 && bm.epoch === 2, 10_000, 'the group to settle');
    const [pa] = a.partitions(); // "cli-cg-N"
    const partitionA = Number(pa!.split('-').pop());
    t.equal(await g.commit('cli-consumer', a.memberId, a.epoch, 'cli-cg', partitionA, 4n), 0, 'A commits offset 4');

    let r = await ok('group', 'describe', 'cli-consumer', '--format', 'json');
    const [d] = JSON.parse(r.stdout) as (GroupDescription & { totalLag: number | null; offsets: { partition: number; memberId: string | null }[] })[];
    t.match(d, { groupId: 'cli-consumer', type: 'consumer', state: 'Stable', protocol: 'uniform', groupEpoch: 2, assignmentEpoch: 2 }, 'JSON: type, state, assignor, epochs');
    const ja = d!.members.find((m) => m.memberId === a.memberId)!;
    t.match(ja, { groupInstanceId: 'cli-static', rackId: 'r1', memberEpoch: 2, subscription: ['cli-cg'] }, 'JSON: a member with its instance id, rack and epoch');
    t.same(ja.assignment, ja.targetAssignment, 'current = target once reconciled');
    t.same(ja.assignment.flatMap((x) => x.partitions.map((p) => `${x.topic}-${p}`)), a.partitions(), 'what the member was given');
    t.match(d!.offsets.find((o) => o.partition === partitionA), { committed: 4, endOffset: 10, lag: 6, memberId: a.memberId }, 'the committed partition: its lag and owner');
    t.equal(d!.totalLag, 6, 'TOTAL-LAG');

    r = await ok('group', 'describe', 'cli-consumer');
    t.match(r.stdout, /^STATE\s+Stable$/m);
    t.match(r.stdout, /^MEMBERS\s+2$/m);
    t.match(r.stdout, new RegExp(`^cli-cg\\s+${partitionA}\\s+4\\s+10\\s+6\\s+${a.memberId}\\s+samsa-compat`, 'm'), 'its partition in the offsets table with the member');

    r = await ok('group', 'describe', 'cli-classic');
    t.match(r.stdout, /^TYPE\s+classic$/m, 'a classic group');
    t.match(r.stdout, /^PROTOCOL\s+range$/m, 'with its protocol');
    t.notMatch(r.stdout, /GROUP-EPOCH|MEMBER-EPOCH/, 'and no epochs');
  });
});
