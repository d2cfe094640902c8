/**
 * segmentio/kafka-go, a Go client, against the broker: Debian 12's kafka-go
 * 0.2.1 (golang-github-segmentio-kafka-go-dev, built with Debian's Go by
 * `make kafka-go-client`, which `make system-deps` runs). The Go side is
 * compat-tests/kafka-go/main.go, run as a child process with the broker's
 * address; each run prints one JSON object. Set KAFKA_GO_LOG=1 to get
 * kafka-go's log on its stderr (printed when a case fails), KAFKA_GO_CLIENT to
 * use another binary.
 *
 * kafka-go 0.2.1 sends no ApiVersions and speaks fixed, old versions:
 * Metadata v1, CreateTopics v0, DeleteTopics v1, Produce v2 and Fetch v2
 * (message format v1: timestamps, no headers), ListOffsets v1,
 * FindCoordinator v0, JoinGroup v1, SyncGroup v0, Heartbeat v0, LeaveGroup v0,
 * OffsetCommit v2, OffsetFetch v1. Its codecs are gzip, snappy and lz4; it
 * has no zstd and no record headers, so those are not exercised here (the
 * headers case checks that records written with headers reach it, which needs
 * the broker's down-conversion to message format v1, as Kafka's does: v1 has
 * no headers). It reads a null and an empty key or value alike, so kcat reads
 * the records back too.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import kafkajs from 'kafkajs';
import { runJsonChild } from './helpers/json-child.js';
import { testBroker, type TestBroker } from './helpers/broker.js';
import { kcatConsumeAll, kcatProduce } from './helpers/kcat.js';

const { Kafka, logLevel, ConfigResourceTypes, AssignerProtocol } = kafkajs;

const CLIENT = process.env.KAFKA_GO_CLIENT ?? fileURLToPath(new URL('../build/kafka-go/samsa-kafka-go', import.meta.url));
const RUN_TIMEOUT_MS = 45_000;

interface Msg { partition: number; offset: number; key: string | null; value: string | null; timestampMs?: number }
interface Out { kafkaGoVersion: string; error?: string }
interface Run<T> { code: number | null; out: T & Out; stdout: string; stderr: string }

/** Runs one command of the kafka-go client; resolves with its exit code and JSON, rejects on no JSON or a hung process. */
async function kafkaGo<T>(bootstrap: string, command: string, args: object): Promise<Run<T>> {
  if (!existsSync(CLIENT)) throw new Error(`${CLIENT} is missing: run \`make kafka-go-client\``);
  // The client ends itself after its timeoutMs; RUN_TIMEOUT_MS is the backstop.
  return runJsonChild<T & Out>(CLIENT, [bootstrap, command, JSON.stringify({ timeoutMs: 30_000, ...args })], { killAfterMs: RUN_TIMEOUT_MS, what: `kafka-go ${command} ${JSON.stringify(args)}` });
}

/** Like kafkaGo() but a non-zero exit is a failure (its output in the message). */
async function ok<T>(bootstrap: string, command: string, args: object): Promise<T & Out> {
  const r = await kafkaGo<T>(bootstrap, command, args);
  if (r.code !== 0) throw new Error(`kafka-go ${command} ${JSON.stringify(args)} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r.out;
}

/** Runs fn with a connected kafkajs admin client. */
async function withAdmin<R>(b: TestBroker, fn: (admin: kafkajs.Admin) => Promise<R>): Promise<R> {
  const admin = new Kafka({ brokers: [b.bootstrap], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

const createTopic = (b: TestBroker, topic: string, numPartitions: number) =>
  withAdmin(b, (a) => a.createTopics({ topics: [{ topic, numPartitions }], waitForLeaders: true }));

interface Partition { topic: string; id: number; leader: number; leaderHost: string; leaderPort: number; replicas: number[]; isr: number[] }

t.test('kafka-go admin over kafka.Conn: CreateTopics v0 with partitions and configs, ReadPartitions (Metadata v1), DeleteTopics v1', async (t) => {
  const b = await testBroker(t);
  const topic = 'kafka-go-admin';
  const args = { topic, partitions: 3, configs: { 'retention.ms': '3600000', 'cleanup.policy': 'compact' } };
  const created = await ok<{ created: boolean; createAgainError: string | null; partitions: Partition[]; lookupPartitions: Partition[] }>(b.bootstrap, 'admin', { ...args, keep: true });
  t.equal(created.kafkaGoVersion, '0.2.1 (Debian golang-github-segmentio-kafka-go-dev)', 'the Debian kafka-go');
  t.ok(created.created, 'CreateTopics succeeded');
  t.equal(created.createAgainError, null, 'CreateTopics again: kafka-go treats TOPIC_ALREADY_EXISTS as success');
  const expected = [0, 1, 2].map((id) => ({ topic, id, leader: 0, replicas: [0], isr: [0] }));
  t.match(created.partitions, expected, 'ReadPartitions: three partitions led by broker 0');
  t.equal(created.partitions.length, 3, 'ReadPartitions: no more than three');
  t.same(created.lookupPartitions, created.partitions, 'Dialer.LookupPartitions: the same');
  if (!b.external) {
    t.ok(created.partitions.every((p) => p.leaderHost === '127.0.0.1' && p.leaderPort === b.port), 'the leader is the advertised listener');
  }

  // The configs sent in CreateTopics v0 were applied (read with kafkajs's DescribeConfigs).
  const described = await withAdmin(b, (a) => a.describeConfigs({
    resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['retention.ms', 'cleanup.policy'] }], includeSynonyms: false,
  }));
  const entries = Object.fromEntries(described.resources[0]!.configEntries.map((e) => [e.configName, e.configValue]));
  t.same(entries, { 'retention.ms': '3600000', 'cleanup.policy': 'compact' }, 'the topic has the configs kafka-go sent');

  const deleted = await ok<{ createAgainError: string | null; deleted: boolean; deleteAgainCode?: number; deleteAgainError?: string }>(b.bootstrap, 'admin', args);
  t.equal(deleted.createAgainError, null, 'creating the existing topic: no error');
  t.ok(deleted.deleted, 'DeleteTopics succeeded');
  t.equal(deleted.deleteAgainCode, 3, 'DeleteTopics again: UNKNOWN_TOPIC_OR_PARTITION (3)');
  const topics = await withAdmin(b, (a) => a.listTopics());
  t.notOk(topics.includes(topic), 'the topic is gone (kafkajs ListTopics)');
});

t.test('kafka-go Writer (RequiredAcks -1) with none, gzip, snappy, lz4 into 2 partitions; Reader and Conn.ReadOffsets read every record back', async (t) => {
  const b = await testBroker(t);
  const topic = 'kafka-go-codecs';
  await createTopic(b, topic, 2);

  const ts = 1_700_000_000_000;
  const batch = (c: string, i: number): Msg[] => [
    { partition: 0, offset: -1, key: `${c}-k0`, value: `${c}:` + 'kafka-go compresses this well. '.repeat(1000), timestampMs: ts + i * 10 },
    { partition: 0, offset: -1, key: null, value: `${c}-no-key`, timestampMs: ts + i * 10 + 1 },
    { partition: 1, offset: -1, key: `${c}-k2`, value: '', timestampMs: ts + i * 10 + 2 },
    { partition: 1, offset: -1, key: `${c}-tombstone`, value: null, timestampMs: ts + i * 10 + 3 },
    { partition: 0, offset: -1, key: `${c}-k4`, value: 'ünïcødé ✓ 🚀', timestampMs: ts + i * 10 + 4 },
  ];
  const expected: Msg[] = [];
  for (const [i, codec] of ['none', 'gzip', 'snappy', 'lz4'].entries()) {
    const messages = batch(codec, i);
    const out = await ok<{ codec: string; stats: { messages: number; errors: number; requiredAcks: number } }>(b.bootstrap, 'produce', { topic, codec, messages });
    t.match(out.stats, { messages: 5, errors: 0, requiredAcks: -1 }, `${codec}: five messages written with acks=all, no errors`);
    expected.push(...messages);
  }

  for (const p of [0, 1]) {
    const want = expected.filter((m) => m.partition === p);
    const got = await ok<{ firstOffset: number; lastOffset: number; messages: Msg[] }>(b.bootstrap, 'consume', { topic, partition: p, count: want.length });
    t.same([got.firstOffset, got.lastOffset], [0, want.length], `partition ${p}: ReadOffsets (ListOffsets v1) 0 and ${want.length}`);
    t.same(got.messages.map((m) => m.offset), [...want.keys()], `partition ${p}: offsets dense from 0 in send order`);
    // kafka-go reads an empty value as nil, like a null one.
    t.same(got.messages.map((m) => [m.partition, m.key, m.value, m.timestampMs]),
      want.map((m) => [p, m.key, m.value === '' ? null : m.value, m.timestampMs]), `partition ${p}: keys, values and CreateTime timestamps intact`);
  }

  // kcat tells null from empty: what kafka-go wrote in message format v1 is what Kafka would store.
  const all = await kcatConsumeAll(b.bootstrap, topic);
  for (const p of [0, 1]) {
    t.same(all.filter((m) => m.partition === p).sort((x, y) => x.offset - y.offset).map((m) => [m.key, m.payload, m.tstype, m.ts]),
      expected.filter((m) => m.partition === p).map((m) => [m.key, m.value, 'create', m.timestampMs]), `partition ${p} read by kcat: null and empty keys and values as sent, create times`);
  }
});

t.test('kafka-go Reader (Fetch v2) reads records that librdkafka wrote with headers and gzip: Samsa down-converts them to message format v1', async (t) => {
  const b = await testBroker(t);
  const topic = 'kafka-go-headers';
  await createTopic(b, topic, 1);
  await kcatProduce(b.bootstrap, topic, ['h1\twith headers 1', 'h2\twith headers 2'], ['-K', '\t', '-z', 'gzip', '-p', '0', '-H', 'a=1', '-H', 'b=2']);
  await kcatProduce(b.bootstrap, topic, ['h3\tplain'], ['-K', '\t', '-p', '0']);
  const stored = await kcatConsumeAll(b.bootstrap, topic);
  t.same(stored.map((m) => m.headers ?? []), [['a', '1', 'b', '2'], ['a', '1', 'b', '2'], []], 'the log holds the records with their headers (kcat)');
  // kafka-go 0.2.1 parses only message sets of magic 0 and 1: record batches (magic 2) would fail it.
  const got = await ok<{ messages: Msg[] }>(b.bootstrap, 'consume', { topic, partition: 0, count: 3 });
  t.same(got.messages.map((m) => [m.offset, m.key, m.value]), [[0, 'h1', 'with headers 1'], [1, 'h2', 'with headers 2'], [2, 'h3', 'plain']], 'kafka-go: keys and values intact, offsets 0-2');
  t.same(got.messages.map((m) => m.timestampMs), stored.map((m) => m.ts), 'kafka-go: the CreateTime timestamps kcat sees');
});

interface GroupOut { messages: Msg[]; stats: { rebalances: number; errors: number } }

t.test('kafka-go Reader with GroupID: two members share a 2-partition topic and commit; the group restarted resumes from the commits', async (t) => {
  const b = await testBroker(t);
  const topic = 'kafka-go-group';
  const group = 'kafka-go-g';
  await createTopic(b, topic, 2);
  // kafka-go 0.2.1's Reader.Close sends no LeaveGroup, so the restarted member's
  // JoinGroup waits until the coordinator gives up on the two old members: after
  // their rebalance timeout, kept short here (Kafka's coordinator does the same).
  const timeouts = { sessionTimeoutMs: 6000, rebalanceTimeoutMs: 3000, timeoutMs: 40_000 };

  // Two members before any record exists, so neither can read the other's share first.
  const members = [0, 1].map(() => ok<GroupOut>(b.bootstrap, 'group', { topic, group, count: 5, ...timeouts }));
  // Catches a member that fails while we wait below; the assertions await them again.
  for (const m of members) m.catch(() => {});

  // Wait (bounded) until the group is stable with one partition for each member (kafkajs DescribeGroups).
  const shares = await withAdmin(b, async (admin) => {
    const end = Date.now() + 30_000;
    for (;;) {
      const { groups } = await admin.describeGroups([group]);
      const g = groups[0]!;
      const assigned = g.members.map((m) => m.memberAssignment.length > 0
        ? AssignerProtocol.MemberAssignment.decode(m.memberAssignment)?.assignment[topic] ?? []
        : []);
      if (g.state === 'Stable' && assigned.length === 2 && assigned.every((s) => s.length === 1)) return assigned;
      if (Date.now() > end) throw new Error(`the group did not settle with two members: ${JSON.stringify(g)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  });
  t.same(shares.map((s) => s[0]).sort(), [0, 1], 'DescribeGroups: each member has one partition (the assignment kafka-go\'s leader made)');

  const send = async (from: number, to: number) => {
    const messages = [0, 1].flatMap((p) => Array.from({ length: to - from }, (_, i) => ({ partition: p, key: `p${p}-k${from + i}`, value: `p${p}-v${from + i}` })));
    await ok(b.bootstrap, 'produce', { topic, codec: 'snappy', messages });
  };
  await send(0, 5);

  const [m1, m2] = await Promise.all(members);
  const parts = [m1!, m2!].map((m) => [...new Set(m.messages.map((x) => x.partition))]);
  t.same(parts.map((p) => p.length), [1, 1], 'each member read from one partition');
  t.same(parts.flat().sort(), [0, 1], 'the members read different partitions');
  for (const m of [m1!, m2!]) {
    const p = m.messages[0]!.partition;
    t.same(m.messages.map((x) => [x.offset, x.key, x.value]),
      [0, 1, 2, 3, 4].map((i) => [i, `p${p}-k${i}`, `p${p}-v${i}`]), `member of partition ${p}: offsets 0-4 in order with keys and values`);
  }

  const fetchCommitted = () => withAdmin(b, async (admin) => {
    const offsets = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    return Object.fromEntries(offsets[0]!.partitions.map((p) => [p.partition, Number(p.offset)]));
  });
  t.same(await fetchCommitted(), { 0: 5, 1: 5 }, 'committed offsets (OffsetCommit v2, read by kafkajs): 5 on both partitions');

  // The group restarted: one member, three new records per partition.
  await send(5, 8);
  const again = await ok<GroupOut>(b.bootstrap, 'group', { topic, group, count: 6, ...timeouts });
  for (const p of [0, 1]) {
    t.same(again.messages.filter((x) => x.partition === p).map((x) => [x.offset, x.value]), [5, 6, 7].map((i) => [i, `p${p}-v${i}`]),
      `partition ${p}: resumed at the committed offset 5 (OffsetFetch v1), nothing read twice`);
  }
  t.same(await fetchCommitted(), { 0: 8, 1: 8 }, 'committed offsets: 8 on both partitions');
});
