/**
 * `samsa topic consume -g` and `samsa group ...` against a broker, checked
 * with kafkajs's admin client: a group member commits what it printed (and
 * on Ctrl-C, then leaves), a second run goes on where the first stopped,
 * describe shows the lag, seek moves the offsets of an empty group (and of
 * one that never existed) and is refused while a member is in, delete.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { Kafka, logLevel } from 'kafkajs';
import { testBroker } from './helpers/broker.js';
import { cliMissing, samsaCli, samsaInProcess, SAMSA_CLI } from '../test/cli/samsa-process.js';

t.test('samsa group and consume -g against a broker', { skip: cliMissing }, async (t) => {
  const b = await testBroker(t);
  const admin = new Kafka({ clientId: 'cli-group-test', brokers: [b.bootstrap], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  const cli = (args: string[], input?: string) => samsaInProcess([...args, '--bootstrap', b.bootstrap], input);
  const ok = async (args: string[], input?: string, run = cli) => {
    const r = await run(args, input);
    t.equal(r.code, 0, `samsa ${args.join(' ')}: ${r.stderr}`);
    return r;
  };
  const spawnCli = (args: string[]) => samsaCli([...args, '--bootstrap', b.bootstrap]);
  const committed = async (group: string, topic = 'cli-g') => Object.fromEntries((await admin.fetchOffsets({ groupId: group, topics: [topic] }))[0]!.partitions.map((p) => [p.partition, Number(p.offset)]));

  await ok(['topic', 'create', 'cli-g', '-p', '3']);
  // 10 records in each partition, values naming partition and index.
  await ok(['topic', 'produce', 'cli-g', '-f', 'json'], Array.from({ length: 30 }, (_, i) => JSON.stringify({ value: `p${i % 3}-${Math.floor(i / 3)}`, partition: i % 3 })).join('\n'));

  await t.test('consume -g commits what it printed; the next run goes on from there', async (t) => {
    let r = await ok(['topic', 'consume', 'cli-g', '-g', 'cli-group', '-n', '12', '-f', '%p %o\\n'], undefined, spawnCli);
    const first = r.stdout.trim().split('\n');
    t.equal(first.length, 12, '--num 12 with a group: 12 records');
    const c1 = await committed('cli-group');
    t.equal(Object.values(c1).reduce((a, b) => a + b, 0), 12, `kafkajs sees 12 records committed over the partitions: ${JSON.stringify(c1)}`);
    for (const line of first) {
      const [p, o] = line.split(' ').map(Number);
      t.ok(o! < c1[p!]!, `printed ${p}:${o} is below the commit of partition ${p}`);
    }

    r = await ok(['group', 'describe', 'cli-group', '--format', 'json']);
    const [g] = JSON.parse(r.stdout) as { state: string; totalLag: number; offsets: { partition: number; committed: number; endOffset: number; lag: number }[] }[];
    t.equal(g!.state, 'Empty', 'the member left when it stopped');
    t.equal(g!.totalLag, 18, 'describe: 30 records, 12 committed, lag 18');
    t.same(g!.offsets.map((o) => [o.partition, o.committed, o.endOffset, o.lag]), [0, 1, 2].map((p) => [p, c1[p], 10, 10 - c1[p]!]), 'lag per partition');
    r = await ok(['group', 'describe', 'cli-group']);
    t.match(r.stdout, /^TOTAL-LAG\s+18$/m);
    t.match(r.stdout, /^TOPIC\s+PARTITION\s+CURRENT-OFFSET\s+LOG-END-OFFSET\s+LAG\s+MEMBER-ID\s+CLIENT-ID\s+HOST$/m);

    r = await ok(['topic', 'consume', 'cli-g', '-g', 'cli-group', '-n', '18', '-f', '%p %o\\n']);
    const second = r.stdout.trim().split('\n');
    t.same([...first, ...second].sort(), Array.from({ length: 30 }, (_, i) => `${i % 3} ${Math.floor(i / 3)}`).sort(), 'the second run reads the other 18: every record once');
    t.same(await committed('cli-group'), { 0: 10, 1: 10, 2: 10 }, 'all committed');
  });

  await t.test('seek: an empty group, a new group, and a group with a member', async (t) => {
    let r = await ok(['group', 'seek', 'cli-group', '--to', 'start']);
    t.match(r.stdout, /^TOPIC\s+PARTITION\s+PRIOR-OFFSET\s+NEW-OFFSET$/m);
    t.match(r.stdout, /^cli-g\s+1\s+10\s+0$/m);
    t.same(await committed('cli-group'), { 0: 0, 1: 0, 2: 0 }, 'kafkajs sees the offsets at the start');
    r = await ok(['group', 'seek', 'cli-group', '--to', '4', '--topics', 'cli-g', '-p', '2']);
    t.same(await committed('cli-group'), { 0: 0, 1: 0, 2: 4 }, 'one partition to an exact offset');

    r = await ok(['group', 'seek', 'cli-new', '--to', 'end', '--topics', 'cli-g', '--format', 'json']);
    t.same((JSON.parse(r.stdout) as { partition: number; newOffset: number }[]).map((x) => [x.partition, x.newOffset]), [[0, 10], [1, 10], [2, 10]]);
    t.same(await committed('cli-new'), { 0: 10, 1: 10, 2: 10 }, 'a group that did not exist gets offsets');
    r = await cli(['group', 'seek', 'cli-newer', '--to', 'end']);
    t.equal(r.code, 1, 'a group without commits needs --topics');
    t.match(r.stderr, /no committed offsets to move; name the topics with --topics/);

    // A member that follows the topic until Ctrl-C.
    const member = spawn(process.execPath, [SAMSA_CLI, 'topic', 'consume', 'cli-g', '-g', 'cli-busy', '-f', '%p %o\\n', '--bootstrap', b.bootstrap], { stdio: ['ignore', 'pipe', 'pipe'] });
    t.teardown(() => { if (member.exitCode === null) member.kill('SIGKILL'); });
    let printed = '';
    let errors = '';
    member.stderr.on('data', (d) => (errors += d));
    const exited = new Promise<number | null>((resolve) => member.on('close', resolve));
    await new Promise<void>((resolve, reject) => {
      member.stdout.on('data', (d) => { printed += d; if (printed.split('\n').length > 30) resolve(); });
      member.on('close', () => reject(new Error(`the member exited: ${errors}`)));
    });
    r = await cli(['group', 'seek', 'cli-busy', '--to', 'start', '--topics', 'cli-g']);
    t.equal(r.code, 1, 'seek while a member is in: exit 1');
    t.match(r.stderr, /the group is Stable with 1 member.*stop its consumers first/, 'the group has members');
    r = await ok(['group', 'list', '--format', 'json']);
    t.equal((JSON.parse(r.stdout) as { groupId: string; state: string }[]).find((x) => x.groupId === 'cli-busy')?.state, 'Stable', 'group list shows the member\'s group');
    r = await ok(['group', 'describe', 'cli-busy']);
    t.match(r.stdout, /^MEMBERS\s+1$/m);
    t.match(r.stdout, /^cli-g\s+0\s+.*samsa-cli/m, 'with the member and its client id');
    member.kill('SIGINT');
    t.equal(await exited, 0, 'Ctrl-C: the member commits, leaves, exits 0');
    t.same(await committed('cli-busy'), { 0: 10, 1: 10, 2: 10 }, 'it committed everything it printed');
    r = await ok(['group', 'describe', 'cli-busy', '--format', 'json']);
    t.equal((JSON.parse(r.stdout) as { state: string }[])[0]!.state, 'Empty', 'and left the group');
  });

  await t.test('delete, unknown groups, usage mistakes', async (t) => {
    let r = await cli(['group', 'describe', 'cli-grop']);
    t.equal(r.code, 1);
    t.match(r.stderr, /no group cli-grop \(did you mean cli-group\?\)/);
    r = await ok(['group', 'delete', 'cli-group', 'cli-new']);
    t.match(r.stdout, /^cli-group\s+OK$/m);
    r = await ok(['group', 'list']);
    t.notMatch(r.stdout, /^cli-group\s/m, 'gone from the list');
    r = await cli(['group', 'delete', 'cli-group']);
    t.equal(r.code, 1, 'deleting it again fails');
    r = await cli(['group', 'seek', 'cli-busy', '--to', 'sometime']);
    t.equal(r.code, 2);
    t.match(r.stderr, /--to sometime: expected start, end, an offset or @TIME/);
    r = await cli(['topic', 'consume', 'cli-g', '-g', 'x', '-o', '-5']);
    t.equal(r.code, 2, 'with a group, -o is start or end');
    r = await cli(['topic', 'consume', 'cli-g', '-g', 'x', '-p', '1']);
    t.equal(r.code, 2, 'the group assigns partitions');
    r = await cli(['group', 'desribe', 'x']);
    t.equal(r.code, 2);
    t.match(r.stderr, /unknown group command desribe \(did you mean describe\?\)/);
  });
});
