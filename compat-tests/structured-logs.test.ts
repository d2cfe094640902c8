/**
 * `samsa start --log-format json` as a user runs it, driven by kafkajs, kcat
 * and a raw socket: every stderr line is one JSON object (level, ISO time,
 * msg, broker), with one line per notable event and its fields: broker
 * start and stop, topic created and deleted, a consumer group's rebalance
 * (generation, members, protocol), a connection closed for a bad frame
 * (client id and address), and with --log-level debug one line per request
 * (API, version, client, address, duration, sizes). Then a 2-broker cluster
 * in the pretty format: a leader moved through the control API is one line
 * with topic, partition, old and new leader and epoch.
 * Runs src/cli/main.ts through tap's TypeScript loader, as test/cli does.
 */
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import kafkajs from 'kafkajs';
import { rawConnect, closedWithin } from './helpers/raw.js';
import { kcatProduce } from './helpers/kcat.js';
import { TS_LOADER_ARGS as TS_LOADER } from '../test/loader/ts-loader-args.js';

const { Kafka, logLevel } = kafkajs;

const MAIN = new URL('../src/cli/main.ts', import.meta.url).pathname;
const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
/** How long to wait for a line before failing rather than hanging (not a timing assertion). */
const LINE_WAIT_MS = 30_000;

type Line = Record<string, unknown>;

/** A `samsa start` process: its stdout and stderr lines as they arrive, and a wait for a line that matches. */
class Samsa {
  readonly stdout: string[] = [];
  readonly stderr: string[] = [];
  private readonly waiters: { pred: () => boolean; resolve: () => void }[] = [];
  readonly exited: Promise<number | null>;
  private readonly p: ChildProcess;

  constructor(args: string[]) {
    // The format and level are the flags' alone, whatever the environment running the tests says.
    const env = { ...process.env };
    delete env.SAMSA_LOG_FORMAT;
    delete env.SAMSA_LOG_LEVEL;
    this.p = spawn(process.execPath, [...TS_LOADER, MAIN, 'start', '--ephemeral', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
    this.collect(this.p.stdout!, this.stdout);
    this.collect(this.p.stderr!, this.stderr);
    this.exited = new Promise((resolve) => this.p.on('close', (code) => { this.wake(); resolve(code); }));
  }

  private collect(stream: NodeJS.ReadableStream, into: string[]): void {
    let rest = '';
    stream.on('data', (d: Buffer) => {
      rest += d.toString();
      const parts = rest.split('\n');
      rest = parts.pop()!;
      into.push(...parts);
      this.wake();
    });
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) { if (w.pred()) w.resolve(); else this.waiters.push(w); }
  }

  /** Resolves once `pred` holds over the lines so far (or rejects after LINE_WAIT_MS, saying what was missing). */
  until(what: string, pred: () => boolean): Promise<void> {
    if (pred()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${what} after ${LINE_WAIT_MS} ms; stderr:\n${this.stderr.slice(-30).join('\n')}`)), LINE_WAIT_MS);
      this.waiters.push({ pred, resolve: () => { clearTimeout(timer); resolve(); } });
    });
  }

  /** The port of broker `n`'s ready line. */
  async port(n = 0): Promise<number> {
    const re = /listening on 127\.0\.0\.1:(\d+)/;
    await this.until(`ready line ${n}`, () => this.stdout.filter((l) => re.test(l)).length > n);
    return Number(re.exec(this.stdout.filter((l) => re.test(l))[n]!)![1]);
  }

  stop(): Promise<number | null> {
    if (this.p.exitCode === null && this.p.signalCode === null) this.p.kill('SIGTERM');
    return this.exited;
  }
}

/** stderr lines as JSON objects; a line that does not parse fails the test. */
function parsed(s: Samsa): Line[] {
  return s.stderr.map((l) => { try { return JSON.parse(l) as Line; } catch { return { unparsed: l }; } });
}
const find = (s: Samsa, msg: string, more: (l: Line) => boolean = () => true) => parsed(s).filter((l) => l.msg === msg && more(l));

t.test('json lines: start, topics, a rebalance, a bad frame, requests at debug, stop', async (t) => {
  const s = new Samsa(['--listen', '127.0.0.1:0', '--log-format', 'json', '--log-level', 'debug', '--set', 'group.initial.rebalance.delay.ms=0']);
  t.teardown(() => s.stop());
  const port = await s.port();
  const bootstrap = `127.0.0.1:${port}`;

  await s.until('broker started', () => find(s, 'broker started').length === 1);
  t.match(find(s, 'broker started')[0], { level: 'info', broker: 0, listeners: [`PLAINTEXT://${bootstrap}`], version: VERSION, dataDir: /samsa-/, clusterId: /\S/ }, 'broker started: listeners, node id, data dir, version');

  const kafka = new Kafka({ clientId: 'logs-admin', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  await admin.createTopics({ topics: [{ topic: 'logged', numPartitions: 3, configEntries: [{ name: 'retention.ms', value: '60000' }] }] });
  await s.until('topic created', () => find(s, 'topic created', (l) => l.topic === 'logged').length === 1);
  t.match(find(s, 'topic created', (l) => l.topic === 'logged')[0], { level: 'info', broker: 0, topic: 'logged', partitions: 3, replicationFactor: 1, topicId: /\S/, configs: { 'retention.ms': '60000' } });

  const [request] = find(s, 'request', (l) => l.api === 'CreateTopics');
  t.match(request, { level: 'debug', broker: 0, api: 'CreateTopics', version: Number, clientId: 'logs-admin', address: /^127\.0\.0\.1:\d+$/, conn: Number, correlationId: Number, durationMs: Number, requestBytes: Number, responseBytes: Number }, 'a request line at debug');
  t.ok((request!.responseBytes as number) > 0 && (request!.requestBytes as number) > 0, 'with its sizes');

  await kcatProduce(bootstrap, 'logged', ['a', 'b'], ['-X', 'client.id=logs-kcat']);
  await s.until('kcat produce request', () => find(s, 'request', (l) => l.api === 'Produce' && l.clientId === 'logs-kcat').length > 0);
  t.pass('kcat\'s Produce is logged with its client id');

  const consumer = new Kafka({ clientId: 'logs-consumer', brokers: [bootstrap], logLevel: logLevel.NOTHING }).consumer({ groupId: 'logged-group' });
  t.teardown(() => consumer.disconnect());
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  await consumer.connect();
  await consumer.subscribe({ topic: 'logged', fromBeginning: true });
  await consumer.run({ eachMessage: async () => {} });
  await joined;
  await s.until('group rebalanced', () => find(s, 'group rebalanced', (l) => l.group === 'logged-group').length > 0);
  const rebalance = find(s, 'group rebalanced', (l) => l.group === 'logged-group')[0]!;
  t.match(rebalance, { level: 'info', broker: 0, group: 'logged-group', generation: 1, members: 1, protocolType: 'consumer', protocol: 'RoundRobinAssigner' }, 'group rebalanced: generation, members, protocol');
  t.match(rebalance.memberIds, [/^logs-consumer-/], 'with the member ids (kafkajs prefixes them with its client id)');
  t.equal(rebalance.leader, (rebalance.memberIds as string[])[0]);
  await consumer.disconnect();
  await s.until('the group emptied', () => find(s, 'group rebalanced', (l) => l.group === 'logged-group' && l.members === 0).length > 0);
  t.match(find(s, 'group rebalanced', (l) => l.group === 'logged-group' && l.members === 0)[0], { generation: 2, memberIds: [] }, 'the last member leaving is a rebalance to an empty group');

  // A Metadata v9 request whose header names the client and whose body is cut short.
  const sock = await rawConnect(port);
  const clientId = Buffer.from('bad-client');
  const body = Buffer.concat([Buffer.from([0, 3, 0, 9, 0, 0, 0, 7, 0, clientId.length]), clientId, Buffer.from([0, 6])]);
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  const address = `127.0.0.1:${sock.localPort}`;
  sock.write(Buffer.concat([size, body]));
  t.ok(await closedWithin(sock, LINE_WAIT_MS), 'the broker closes the connection');
  await s.until('the connection error line', () => parsed(s).some((l) => l.address === address && l.level === 'warn'));
  const closed = parsed(s).find((l) => l.address === address && l.level === 'warn')!;
  t.match(closed, { broker: 0, clientId: 'bad-client', address, conn: Number, listener: 'PLAINTEXT', msg: /^closing connection \d+ from 127\.0\.0\.1:\d+: malformed Metadata v9 request/ }, 'a connection error: client id and address');

  await admin.deleteTopics({ topics: ['logged'] });
  await s.until('topic deleted', () => find(s, 'topic deleted').length === 1);
  t.match(find(s, 'topic deleted')[0], { level: 'info', broker: 0, topic: 'logged', partitions: 3 });

  await admin.disconnect();
  t.equal(await s.stop(), 0, 'SIGTERM stops it cleanly');
  t.match(find(s, 'broker stopped'), [{ level: 'info', broker: 0, clean: true }], 'broker stopped');
  t.match(find(s, 'SIGTERM: shutting down'), [{ signal: 'SIGTERM' }], 'the signal is a log line too');
  const lines = parsed(s);
  t.same(lines.filter((l) => 'unparsed' in l), [], 'every stderr line is JSON');
  t.same(lines.filter((l) => typeof l.msg !== 'string' || !['debug', 'info', 'warn', 'error'].includes(l.level as string) || !ISO.test(l.time as string) || l.broker !== 0), [],
    'each with a level name, an ISO time, a message and the broker');
});

t.test('pretty lines: a 2-broker cluster, a leader moved through the control API', async (t) => {
  const s = new Samsa(['--brokers', '2', '--listen', '127.0.0.1:0', '--http', '127.0.0.1:0', '--set', 'default.replication.factor=2']);
  t.teardown(() => s.stop());
  const bootstrap = `127.0.0.1:${await s.port(0)},127.0.0.1:${await s.port(1)}`;
  await s.until('the control API', () => s.stdout.some((l) => /control API on http:\/\/\S+/.test(l)));
  const api = /control API on (http:\/\/\S+?)\/?$/.exec(s.stdout.find((l) => /control API on http/.test(l))!)![1]!;

  const started = s.stderr.filter((l) => / INFO {2}broker started /.test(l));
  t.equal(started.length, 2, 'one start line per broker');
  for (const id of [0, 1]) t.ok(started.some((l) => l.endsWith(` broker=${id}`)), `broker ${id}'s names it`);
  t.match(started[0], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO {2}broker started listeners=PLAINTEXT:\/\/127\.0\.0\.1:\d+ dataDir=\S+ version=\S+ clusterId=\S+ broker=\d$/);

  const admin = new Kafka({ clientId: 'logs-admin', brokers: bootstrap.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  await admin.createTopics({ topics: [{ topic: 'moved', replicaAssignment: [{ partition: 0, replicas: [0, 1] }] }] });
  await s.until('topic created', () => s.stderr.some((l) => / INFO {2}topic created topic=moved /.test(l)));

  // The follower must be in the ISR before it can lead: the control API refuses (409) until then.
  let res: Response;
  do {
    res = await fetch(`${api}/api/partitions/moved/0/leader`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ broker: 1 }) });
    if (res.status === 409) await new Promise((r) => setTimeout(r, 100));
  } while (res.status === 409);
  t.equal(res.status, 200, `moved: ${await res.text()}`);
  await s.until('leader moved', () => s.stderr.some((l) => / leader moved topic=moved /.test(l)));
  const moved = s.stderr.filter((l) => / leader moved topic=moved /.test(l));
  t.equal(moved.length, 1, 'one line for the cluster, not one per broker');
  t.match(moved[0], /^\S+ INFO {2}leader moved topic=moved partition=0 oldLeader=0 newLeader=1 leaderEpoch=1$/,
    'with topic, partition, old and new leader, epoch (the controller\'s line, so no broker field)');
  await admin.disconnect();
  t.equal(await s.stop(), 0);
  t.equal(s.stderr.filter((l) => / INFO {2}broker stopped clean=true broker=\d$/.test(l)).length, 2, 'each broker\'s stop line');
});
