/**
 * `samsa topic ...` and `samsa cluster info` as a user runs them (the
 * compiled CLI in a child process) against a broker, checked with kcat:
 * 10,000 keyed lines from a file arrive with their keys, -o -5 gives each
 * partition's last five, @time ranges, -f formats, --num, JSON output that
 * parses, and the errors a user meets first (unknown topic and misspelt
 * setting with a suggestion, no broker at the address) with their exit codes.
 * Node's start-up costs a second or two per command on a loaded machine, so
 * most checks run the same command functions in this process (`cli`) and a
 * dozen go through the compiled command (`spawn`).
 */
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testBroker } from './helpers/broker.js';
import { kcat } from './helpers/kcat.js';
import { cliMissing, samsaCli, samsaInProcess } from '../test/cli/samsa-process.js';

t.test('samsa topic and cluster info against a broker', { skip: cliMissing }, async (t) => {
  const b = await testBroker(t);
  const dir = mkdtempSync(join(tmpdir(), 'samsa-cli-topic-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const spawn = (args: string[], input?: string) => samsaCli([...args, '--bootstrap', b.bootstrap], { input });
  const cli = (args: string[], input?: string) => samsaInProcess([...args, '--bootstrap', b.bootstrap], input);
  const check = async (r: Promise<{ code: number | null; stdout: string; stderr: string }>, args: string[]) => {
    const done = await r;
    t.equal(done.code, 0, `samsa ${args.join(' ')}: ${done.stderr}`);
    return done;
  };
  const ok = (args: string[], input?: string) => check(cli(args, input), args);
  const spawnOk = (args: string[], input?: string) => check(spawn(args, input), args);

  await t.test('create, list, describe, alter-config, delete', async (t) => {
    let r = await ok(['topic', 'create', 'cli-orders', '-p', '3', '-c', 'retention.ms=3600000']);
    t.match(r.stdout, /^TOPIC\s+PARTITIONS\s+REPLICAS\s+STATUS\ncli-orders\s+3\s+1\s+OK$/m);
    r = await cli(['topic', 'create', 'cli-orders']);
    t.equal(r.code, 1, 'creating it again is refused');
    t.match(r.stdout, /TOPIC_ALREADY_EXISTS/);
    await ok(['topic', 'create', 'cli-orders', '--if-not-exists']);

    r = await ok(['topic', 'list', '--format', 'json']);
    const listed = (JSON.parse(r.stdout) as { name: string; partitions: number }[]).find((x) => x.name === 'cli-orders');
    t.equal(listed?.partitions, 3, 'list --format json parses and has the topic');
    r = await spawnOk(['topics', 'list']);
    t.match(r.stdout, /^cli-orders\s+3\s+1$/m, '`samsa topics` is the same command');

    r = await ok(['topic', 'describe', 'cli-orders', '--format', 'json']);
    const [d] = JSON.parse(r.stdout) as { partitions: { partition: number; leader: number }[]; configs: { name: string; value: string; source: string }[] }[];
    t.equal(d!.partitions.length, 3);
    t.same(d!.configs.find((c) => c.name === 'retention.ms'), { name: 'retention.ms', value: '3600000', source: 'DYNAMIC_TOPIC_CONFIG', isDefault: false, readOnly: false, sensitive: false }, 'the -c setting is on the topic');
    r = await ok(['topic', 'describe', 'cli-orders', '-p']);
    t.match(r.stdout, /^PARTITION\s+LEADER\s+EPOCH\s+REPLICAS\s+ISR\s+OFFLINE\s+LOG-START-OFFSET\s+HIGH-WATERMARK$/m);
    t.notMatch(r.stdout, /CONFIGS/, '-p prints only the partitions');

    r = await cli(['topic', 'alter-config', 'cli-orders', '--set', 'retention.mss=5']);
    t.equal(r.code, 1, 'a misspelt setting: exit 1');
    t.match(r.stdout, /retention\.mss.*did you mean retention\.ms\?/, 'with the broker\'s suggestion');
    await ok(['topic', 'alter-config', 'cli-orders', '-s', 'retention.ms=7200000', '-s', 'cleanup.policy=compact,delete']);
    const { stdout } = await kcat(['-b', b.bootstrap, '-L', '-t', 'cli-orders', '-J']);
    t.ok(JSON.parse(stdout).topics.length === 1, 'kcat sees the topic');
    r = await ok(['topic', 'describe', 'cli-orders', '-c', '--format', 'json']);
    const configs = (JSON.parse(r.stdout) as { configs: { name: string; value: string }[] }[])[0]!.configs;
    t.equal(configs.find((c) => c.name === 'retention.ms')?.value, '7200000');
    t.equal(configs.find((c) => c.name === 'cleanup.policy')?.value, 'compact,delete', 'a value with a comma stays whole');
    await ok(['topic', 'alter-config', 'cli-orders', '-d', 'cleanup.policy']);

    r = await spawn(['topic', 'describe', 'cli-ordres']);
    t.equal(r.code, 1);
    t.match(r.stderr, /unknown topic cli-ordres \(did you mean cli-orders\?\)/);
    r = await spawn(['topic', 'alter-config', 'cli-orders', '--sett', 'x=1']);
    t.equal(r.code, 2, 'a misspelt flag is a usage error');
    t.match(r.stderr, /unknown option --sett \(did you mean --set\?\)/);
    r = await ok(['topic', 'delete', 'cli-orders']);
    t.match(r.stdout, /^cli-orders\s+OK$/m);
    r = await cli(['topic', 'delete', 'cli-orders']);
    t.equal(r.code, 1, 'deleting what is gone fails');
  });

  await t.test('produce 10,000 keyed lines from a file; kcat reads them with their keys', async (t) => {
    await ok(['topic', 'create', 'cli-keyed', '-p', '3']);
    const lines = Array.from({ length: 10_000 }, (_, i) => `key-${i % 97}\tvalue ${i}`);
    const file = join(dir, 'keyed.txt');
    writeFileSync(file, lines.join('\n') + '\n');
    const r = await spawnOk(['topic', 'produce', 'cli-keyed', '--file', file, '-K', '\\t', '--progress']);
    t.match(r.stderr, /produced 10,000 records \(.*\) to cli-keyed in [\d.]+ s: [\d,]+ records\/s/, 'a summary with the rate');
    t.match(r.stderr, /100%\s+10,000 records/, '--progress on a pipe: progress lines with the bar');
    const { stdout } = await kcat(['-C', '-b', b.bootstrap, '-t', 'cli-keyed', '-o', 'beginning', '-e', '-q', '-f', '%p\t%k\t%s\n']);
    const got = stdout.trim().split('\n');
    t.equal(got.length, 10_000, 'kcat counts 10,000 records');
    t.same(got.map((l) => l.slice(l.indexOf('\t') + 1)).sort(), [...lines].sort(), 'each with its key and value');
    const partitionOf = new Map<string, Set<string>>();
    for (const l of got) {
      const [p, k] = l.split('\t');
      partitionOf.set(k!, (partitionOf.get(k!) ?? new Set()).add(p!));
    }
    t.ok([...partitionOf.values()].every((s) => s.size === 1), 'a key always lands on one partition');
    t.equal(new Set(got.map((l) => l.split('\t')[0])).size, 3, 'the keys spread over the 3 partitions');
  });

  await t.test('consume: -o -5 is each partition\'s last five; --num; -f formats', async (t) => {
    let r = await spawnOk(['topic', 'consume', 'cli-keyed', '-o', '-5', '-e', '-f', '%p %o %k %v\\n']);
    const mine = r.stdout.trim().split('\n').sort();
    t.equal(mine.length, 15, '5 from each of 3 partitions, then exit at the end');
    const { stdout } = await kcat(['-C', '-b', b.bootstrap, '-t', 'cli-keyed', '-o', '-5', '-e', '-q', '-f', '%p %o %k %s\n']);
    t.same(mine, stdout.trim().split('\n').sort(), 'the same records kcat -o -5 reads');

    r = await spawnOk(['topic', 'consume', 'cli-keyed', '-n', '7']);
    const json = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { topic: string; key: string; value: string; partition: number; offset: number; timestamp: number; headers: unknown[] });
    t.equal(json.length, 7, '--num 7: seven records, and it stops');
    t.same(Object.keys(json[0]!), ['topic', 'key', 'value', 'headers', 'timestamp', 'partition', 'offset'], 'the default: a JSON object per record');

    r = await ok(['topic', 'consume', 'cli-keyed', '-p', '1', '-o', '10:13', '-f', '%o,']);
    t.equal(r.stdout, '10,11,12,', 'a range of offsets on one partition');

    await ok(['topic', 'create', 'cli-headers', '-p', '1']);
    const records = [
      { key: 'k1', value: 'v1', headers: { source: 'cli', n: '1' } },
      { key: null, value: '{"a":1}', headers: [{ key: 'x', value: 'y' }] },
    ];
    await ok(['topic', 'produce', 'cli-headers', '-f', 'json'], records.map((x) => JSON.stringify(x)).join('\n'));
    r = await ok(['topic', 'consume', 'cli-headers', '-e', '-f', '%t|%p|%o|%k|%v|%h\\n']);
    const k = await kcat(['-C', '-b', b.bootstrap, '-t', 'cli-headers', '-o', 'beginning', '-e', '-q', '-f', '%t|%p|%o|%k|%s|%h\n']);
    t.equal(r.stdout, k.stdout, '-f prints what kcat -f prints for the same escapes');
    t.match(r.stdout, /^cli-headers\|0\|0\|k1\|v1\|source=cli,n=1$/m);
    r = await ok(['topic', 'consume', 'cli-headers', '-e']);
    const back = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { key: string | null; value: string; headers: { key: string; value: string }[] });
    t.same(back.map((x) => [x.key, x.value, x.headers]), [['k1', 'v1', [{ key: 'source', value: 'cli' }, { key: 'n', value: '1' }]], [null, '{"a":1}', [{ key: 'x', value: 'y' }]]], 'JSON out is what JSON in said');
    r = await ok(['topic', 'produce', 'cli-headers', '-f', 'json'], r.stdout);
    t.match(r.stderr, /produced 2 records/, 'consume\'s JSON produces back as it is');
  });

  await t.test('consume @time: from a time, and a range of times', async (t) => {
    await ok(['topic', 'create', 'cli-times', '-p', '1']);
    const base = Date.now() - 3_600_000;
    const input = Array.from({ length: 30 }, (_, i) => JSON.stringify({ value: `r${i}`, timestamp: base + i * 1000 })).join('\n');
    await ok(['topic', 'produce', 'cli-times', '-f', 'json'], input);
    let r = await spawnOk(['topic', 'consume', 'cli-times', '-o', `@${base + 10_000}:${base + 20_000}`, '-f', '%v %T\\n']);
    t.same(r.stdout.trim().split('\n').map((l) => l.split(' ')[0]), Array.from({ length: 10 }, (_, i) => `r${i + 10}`), '@ms:ms: from the first record at the start time up to the end time');
    t.equal(Number(r.stdout.split('\n')[0]!.split(' ')[1]), base + 10_000, '%T is the record\'s timestamp');
    r = await ok(['topic', 'consume', 'cli-times', '-o', `@${new Date(base + 25_000).toISOString()}`, '-e', '-f', '%v,']);
    t.equal(r.stdout, 'r25,r26,r27,r28,r29,', '@RFC 3339 time, to the end');
    r = await ok(['topic', 'consume', 'cli-times', '-o', `@${new Date(base + 27_500).toISOString()}:end`, '-f', '%v,']);
    t.equal(r.stdout, 'r28,r29,', 'a time between records starts at the next one');
    r = await ok(['topic', 'consume', 'cli-times', '-o', '@-1m:end', '-f', '%v,']);
    t.equal(r.stdout, '', 'nothing in the last minute: prints nothing and exits');
    r = await cli(['topic', 'consume', 'cli-times', '-o', '@yesterday']);
    t.equal(r.code, 2, 'a bad time is a usage error');
    t.match(r.stderr, /not a time/);
  });

  await t.test('cluster info, unknown topics, no broker', async (t) => {
    let r = await ok(['cluster', 'info', '--format', 'json']);
    const info = JSON.parse(r.stdout) as { clusterId: string; controllerId: number; brokers: { nodeId: number; host: string; port: number }[] };
    t.ok(info.brokers.some((x) => `${x.host}:${x.port}` === b.bootstrap), 'the broker we talk to is listed');
    r = await ok(['cluster', 'info', '-t']);
    t.match(r.stdout, /^BROKERS\n=+\nID\s+HOST\s+PORT\s+RACK\s+LEADERS$/m);
    t.match(r.stdout, /^cli-keyed\s+3\s+1$/m, '-t lists the topics');

    r = await spawn(['topic', 'consume', 'cli-keyd', '-n', '1']);
    t.equal(r.code, 1, 'an unknown topic: exit 1');
    t.match(r.stderr, /^samsa: unknown topic cli-keyd \(did you mean cli-keyed\?\)$/m);
    r = await spawn(['topic', 'produce', 'cli-keyd'], 'x\n');
    t.equal(r.code, 1);
    t.match(r.stderr, /unknown topic cli-keyd \(did you mean cli-keyed\?\)/);

    const closed = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const port = (s.address() as { port: number }).port;
        s.close(() => resolve(port));
      });
    });
    r = await samsaCli(['topic', 'list', '--bootstrap', `127.0.0.1:${closed}`]);
    t.equal(r.code, 1, 'no broker: exit 1');
    t.equal(r.stderr.trim(), `samsa: cannot connect to 127.0.0.1:${closed}: ECONNREFUSED; is a broker running? start one with \`samsa start\``);
    r = await samsaCli(['topic', 'list'], { env: { SAMSA_BOOTSTRAP: b.bootstrap } });
    t.equal(r.code, 0, '$SAMSA_BOOTSTRAP when --bootstrap is not given');
  });
});
