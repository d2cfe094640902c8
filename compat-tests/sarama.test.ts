/**
 * sarama, the Go client, against the broker: Debian 12's sarama 1.22.1
 * (golang-github-shopify-sarama-dev, built with Debian's Go by
 * `make sarama-client`, which `make system-deps` runs). The Go side is
 * compat-tests/sarama/main.go, run as a child process with the broker's
 * address; each run prints one JSON object. Set SARAMA_LOG=1 to get sarama's
 * log on its stderr (printed when a case fails), SARAMA_CLIENT to use another
 * binary.
 *
 * config.Version is the newest KafkaVersion this sarama knows (2.2.0) unless a
 * case says "default": sarama's own default, 0.8.2.0, whose Produce v0,
 * Fetch v0, ListOffsets v0 and Metadata v0 carry message format v0.
 *
 * sarama 1.22.1 sends zstd in Produce v3, which Kafka refuses
 * (UNSUPPORTED_COMPRESSION_TYPE: zstd needs Produce v7); the codec case checks
 * that refusal and reads zstd batches written by librdkafka (kcat) instead.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import kafkajs from 'kafkajs';
import { runJsonChild } from './helpers/json-child.js';
import { testBroker, type TestBroker } from './helpers/broker.js';
import { kcatProduce } from './helpers/kcat.js';

const { Kafka, logLevel } = kafkajs;

const CLIENT = process.env.SARAMA_CLIENT ?? fileURLToPath(new URL('../build/sarama/samsa-sarama', import.meta.url));
const RUN_TIMEOUT_MS = 45_000;

interface Header { key: string; value: string }
interface Msg { partition: number; offset: number; key: string | null; value: string | null; headers: Header[]; timestampMs?: number }
interface Out { kafkaVersion: string; newestKafkaVersion: string; error?: string }
interface Run<T> { code: number | null; out: T & Out; stdout: string; stderr: string }

/** Runs one command of the sarama client; resolves with its exit code and JSON, rejects on no JSON or a hung process. */
async function sarama<T>(bootstrap: string, command: string, args: object): Promise<Run<T>> {
  if (!existsSync(CLIENT)) throw new Error(`${CLIENT} is missing: run \`make sarama-client\``);
  // The client ends itself after its timeoutMs; RUN_TIMEOUT_MS is the backstop.
  return runJsonChild<T & Out>(CLIENT, [bootstrap, command, JSON.stringify({ timeoutMs: 30_000, ...args })], { killAfterMs: RUN_TIMEOUT_MS, what: `sarama ${command} ${JSON.stringify(args)}` });
}

/** Like sarama() but a non-zero exit is a failure (its output in the message). */
async function ok<T>(bootstrap: string, command: string, args: object): Promise<T & Out> {
  const r = await sarama<T>(bootstrap, command, args);
  if (r.code !== 0) throw new Error(`sarama ${command} ${JSON.stringify(args)} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r.out;
}

async function createTopic(b: TestBroker, topic: string, numPartitions: number): Promise<void> {
  const admin = new Kafka({ brokers: [b.bootstrap], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

/** What a consumer should see of a message: everything but offset and timestamp. */
const content = (m: { partition: number; key: string | null; value: string | null; headers?: Header[] }) =>
  ({ partition: m.partition, key: m.key, value: m.value, headers: m.headers ?? [] });

/** Messages of one partition in offset order. */
const inPartition = (ms: Msg[], p: number) => ms.filter((m) => m.partition === p).sort((a, b) => a.offset - b.offset);

t.test('sarama admin: CreateTopic with partitions and configs, DescribeConfig, ListTopics, DeleteTopic', async (t) => {
  const b = await testBroker(t);
  interface ConfigEntry { value: string; default: boolean; readOnly: boolean }
  interface Partition { id: number; leader: number; replicas: number[]; isr: number[]; errorCode: number }
  const out = await ok<{
    createAgainError?: string;
    describeConfig: Record<string, ConfigEntry>;
    listed?: { numPartitions: number; replicationFactor: number; configEntries: Record<string, string> };
    describeTopics: { name: string; errorCode: number; partitions: Partition[] }[];
    topicsAfterDelete: string[];
  }>(b.bootstrap, 'admin', { topic: 'sarama-admin', partitions: 3, configs: { 'retention.ms': '3600000', 'cleanup.policy': 'compact' } });

  t.equal(out.kafkaVersion, out.newestKafkaVersion, 'config.Version is the newest sarama knows');
  t.match(out.createAgainError, /already exists/, 'creating it again fails with TOPIC_ALREADY_EXISTS');
  t.match(out.describeConfig['retention.ms'], { value: '3600000', default: false }, 'DescribeConfig: retention.ms as created');
  t.match(out.describeConfig['cleanup.policy'], { value: 'compact', default: false }, 'DescribeConfig: cleanup.policy as created');
  t.match(out.describeConfig['max.message.bytes'], { value: '1048588', default: true }, 'DescribeConfig: a default');
  t.match(out.listed, { numPartitions: 3, replicationFactor: 1 }, 'ListTopics: partitions and replication factor');
  t.match(out.listed?.configEntries, { 'retention.ms': '3600000', 'cleanup.policy': 'compact' }, 'ListTopics: the topic configs');
  t.same(out.describeTopics.map((d) => [d.name, d.errorCode]), [['sarama-admin', 0]], 'DescribeTopics: the topic');
  t.same(out.describeTopics[0]?.partitions.map((p) => [p.id, p.leader, p.replicas, p.isr, p.errorCode]),
    [0, 1, 2].map((p) => [p, 0, [0], [0], 0]), 'DescribeTopics: three partitions led by broker 0');
  t.notOk(out.topicsAfterDelete.includes('sarama-admin'), 'ListTopics after DeleteTopic lacks the topic');
});

t.test('sarama: SyncProducer (acks=all) with gzip, snappy, lz4, then the consumer reads every record back; zstd as Kafka answers sarama 1.22.1', async (t) => {
  const b = await testBroker(t);
  const topic = 'sarama-codecs';
  await createTopic(b, topic, 2);

  type ToSend = { partition: number; key: string | null; value: string | null; headers: Header[] };
  const batch = (c: string): ToSend[] => [
    { partition: 0, key: `${c}-k0`, value: `${c}:` + 'sarama compresses this well. '.repeat(1000), headers: [{ key: 'a', value: '1' }, { key: 'b', value: '2' }, { key: 'a', value: '3' }] },
    { partition: 0, key: null, value: `${c}-no-key`, headers: [] },
    { partition: 1, key: `${c}-k2`, value: '', headers: [{ key: 'ü-key', value: 'värde ✓' }] },
    { partition: 1, key: `${c}-tombstone`, value: null, headers: [] },
    { partition: 0, key: `${c}-k4`, value: 'ünïcødé ✓ 🚀', headers: [{ key: 'empty', value: '' }] },
  ];
  const expected: ToSend[] = [];
  const offsets: [number, number][] = [];
  for (const codec of ['gzip', 'snappy', 'lz4']) {
    const messages = batch(codec);
    const out = await ok<{ codec: string; results: { partition: number; offset: number }[] }>(b.bootstrap, 'produce', { topic, codec, messages });
    t.equal(out.kafkaVersion, '2.2.0', `${codec}: config.Version 2.2.0 (Produce v3, record batches)`);
    t.same(out.results.map((r) => r.partition), messages.map((m) => m.partition), `${codec}: every message acknowledged on its partition`);
    expected.push(...messages);
    offsets.push(...out.results.map((r): [number, number] => [r.partition, r.offset]));
  }
  t.same(offsets.filter(([p]) => p === 0).map(([, o]) => o), [...Array(9).keys()], 'partition 0: offsets 0-8 in send order');
  t.same(offsets.filter(([p]) => p === 1).map(([, o]) => o), [...Array(6).keys()], 'partition 1: offsets 0-5 in send order');

  // sarama 1.22.1 sends zstd in Produce v3; Kafka takes zstd only from Produce v7.
  const zstd = await sarama<{ producerErrors?: { partition: number; code?: number }[] }>(b.bootstrap, 'produce', { topic, codec: 'zstd', messages: batch('zstd') });
  t.equal(zstd.code, 1, 'zstd produce fails');
  t.same(zstd.out.producerErrors?.map((e) => e.code), [76, 76, 76, 76, 76], 'every zstd message: UNSUPPORTED_COMPRESSION_TYPE (76), as from Kafka');

  // An idempotent producer (InitProducerId, sequence numbers); its offsets show the zstd records took none.
  const idem = await ok<{ results: { partition: number; offset: number }[] }>(b.bootstrap, 'produce', {
    topic, codec: 'none', idempotent: true,
    messages: [{ partition: 0, key: 'idem-0', value: 'after zstd', headers: [] }, { partition: 1, key: 'idem-1', value: 'after zstd', headers: [] }],
  });
  t.same(idem.results, [{ partition: 0, offset: 9 }, { partition: 1, offset: 6 }], 'idempotent produce: the next offsets');
  expected.push({ partition: 0, key: 'idem-0', value: 'after zstd', headers: [] }, { partition: 1, key: 'idem-1', value: 'after zstd', headers: [] });

  // zstd batches written by librdkafka (Produce v7+) are read by sarama's consumer.
  await kcatProduce(b.bootstrap, topic, ['zk1\tzstd from librdkafka 1', 'zk2\tzstd from librdkafka 2'], ['-K', '\t', '-z', 'zstd', '-p', '1', '-H', 'via=kcat']);
  expected.push(
    { partition: 1, key: 'zk1', value: 'zstd from librdkafka 1', headers: [{ key: 'via', value: 'kcat' }] },
    { partition: 1, key: 'zk2', value: 'zstd from librdkafka 2', headers: [{ key: 'via', value: 'kcat' }] },
  );

  const consumed = await ok<{ messages: Msg[] }>(b.bootstrap, 'consume', { topic, count: expected.length });
  for (const p of [0, 1]) {
    const got = inPartition(consumed.messages, p);
    t.same(got.map((m) => m.offset), [...Array(got.length).keys()], `partition ${p}: offsets dense from 0`);
    t.same(got.map(content), expected.filter((m) => m.partition === p).map(content), `partition ${p}: keys, values and headers intact`);
  }
  t.ok(consumed.messages.every((m) => typeof m.timestampMs === 'number' && m.timestampMs > 0), 'every record has its CreateTime');
});

interface GroupOut { messages: Msg[]; generations: { generationId: number; memberId: string; claims: Record<string, number[]> }[]; groupErrors: string[] }
interface Described { group: { state: string; errorCode: number; members: Record<string, { assignment: Record<string, number[]> }> } }

t.test('sarama ConsumerGroup: two members share a 2-partition topic and commit; the group restarted resumes from the commits', async (t) => {
  const b = await testBroker(t);
  const topic = 'sarama-group';
  const group = 'sarama-g';
  await createTopic(b, topic, 2);

  // Two members before any record exists, so neither can read the other's share first.
  const members = [0, 1].map(() => ok<GroupOut>(b.bootstrap, 'group', { topic, group, count: 5, timeoutMs: 40_000 }));
  // Catches a member that fails while we wait below; the assertions await them again.
  for (const m of members) m.catch(() => {});

  // Wait (bounded) until the group is stable with one partition for each member (DescribeGroups through sarama).
  let described: Described | undefined;
  const end = Date.now() + 30_000;
  for (;;) {
    described = await ok<Described>(b.bootstrap, 'describe-group', { group });
    const shares = Object.values(described.group.members).map((m) => m.assignment[topic] ?? []);
    if (described.group.state === 'Stable' && shares.length === 2 && shares.every((s) => s.length === 1)) break;
    if (Date.now() > end) throw new Error(`the group did not settle with two members: ${JSON.stringify(described)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  t.same(Object.values(described.group.members).map((m) => m.assignment[topic]![0]).sort(), [0, 1], 'DescribeGroups: each member has one partition');

  const send = async (from: number, to: number) => {
    const messages = [0, 1].flatMap((p) => Array.from({ length: to - from }, (_, i) => ({ partition: p, key: `p${p}-k${from + i}`, value: `p${p}-v${from + i}`, headers: [{ key: 'n', value: String(from + i) }] })));
    await ok(b.bootstrap, 'produce', { topic, codec: 'snappy', messages });
  };
  await send(0, 5);

  const [m1, m2] = await Promise.all(members);
  const parts = [m1!, m2!].map((m) => [...new Set(m.messages.map((x) => x.partition))]);
  t.same(parts.map((p) => p.length), [1, 1], 'each member read from one partition');
  t.same(parts.flat().sort(), [0, 1], 'the members read different partitions');
  for (const m of [m1!, m2!]) {
    const p = m.messages[0]!.partition;
    t.same(m.messages.map((x) => [x.offset, x.key, x.value, x.headers]),
      [0, 1, 2, 3, 4].map((i) => [i, `p${p}-k${i}`, `p${p}-v${i}`, [{ key: 'n', value: String(i) }]]), `member of partition ${p}: offsets 0-4 in order with keys, values and headers`);
    t.same(m.groupErrors, [], `member of partition ${p}: no consumer errors`);
  }

  const committed = await ok<{ committed: Record<string, number> }>(b.bootstrap, 'offsets', { topic, group, partitions: [0, 1] });
  t.same(committed.committed, { 0: 5, 1: 5 }, 'committed offsets (OffsetFetch through sarama): 5 on both partitions');

  // The group restarted: one member, three new records per partition.
  await send(5, 8);
  const again = await ok<GroupOut>(b.bootstrap, 'group', { topic, group, count: 6, timeoutMs: 40_000 });
  t.same(again.generations.at(-1)?.claims, { [topic]: [0, 1] }, 'the new member has both partitions');
  for (const p of [0, 1]) {
    t.same(inPartition(again.messages, p).map((x) => [x.offset, x.value]), [5, 6, 7].map((i) => [i, `p${p}-v${i}`]),
      `partition ${p}: resumed at the committed offset 5, nothing read twice`);
  }
  const after = await ok<{ committed: Record<string, number> }>(b.bootstrap, 'offsets', { topic, group, partitions: [0, 1] });
  t.same(after.committed, { 0: 8, 1: 8 }, 'committed offsets: 8 on both partitions');
});

t.test("sarama's default Version (0.8.2.0): Produce v0 and Fetch v0 with message format v0, none/gzip/snappy", async (t) => {
  const b = await testBroker(t);
  const topic = 'sarama-old';
  await createTopic(b, topic, 1);

  const expected: { partition: number; key: string | null; value: string | null }[] = [];
  for (const codec of ['none', 'gzip', 'snappy']) {
    const messages = [
      { partition: 0, key: `${codec}-k0`, value: `${codec} ` + 'old format '.repeat(200) },
      { partition: 0, key: null, value: `${codec}-no-key` },
      { partition: 0, key: `${codec}-tombstone`, value: null },
    ];
    const out = await ok<{ results: { partition: number; offset: number }[] }>(b.bootstrap, 'produce', { version: 'default', topic, codec, messages });
    t.equal(out.kafkaVersion, '0.8.2.0', `${codec}: sarama's default Version`);
    t.same(out.results.map((r) => r.offset), [0, 1, 2].map((i) => expected.length + i), `${codec}: offsets acknowledged in order`);
    expected.push(...messages);
  }

  const old = await ok<{ messages: Msg[] }>(b.bootstrap, 'consume', { version: 'default', topic, count: expected.length });
  t.equal(old.kafkaVersion, '0.8.2.0', 'consumer with the default Version');
  t.same(old.messages.map((m) => m.offset), [...expected.keys()], 'old consumer: offsets 0-8');
  t.same(old.messages.map(content), expected.map((m) => ({ ...m, headers: [] })), 'old consumer: keys and values intact');
  t.ok(old.messages.every((m) => m.timestampMs === undefined), 'message format v0 has no timestamps');

  const current = await ok<{ messages: Msg[] }>(b.bootstrap, 'consume', { topic, count: expected.length });
  t.same(current.messages.map(content), expected.map((m) => ({ ...m, headers: [] })), 'a 2.2.0 consumer (Fetch v4) reads the same records');
});
