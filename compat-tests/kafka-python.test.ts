/**
 * kafka-python 2.0.2 (Debian's python3-kafka, installed by `make system-deps`
 * with python3-snappy and python3-lz4 for its codecs), a pure-Python client
 * that shares no code with kafkajs or librdkafka: KafkaAdminClient topic
 * admin, KafkaProducer/KafkaConsumer round trips with every codec, a consumer
 * group sharing a topic and resuming from its commits, and the api_version
 * kafka-python infers from ApiVersions.
 *
 * The kafka-python side is compat-tests/helpers/kafka_python_client.py, run as
 * a child process with the broker's address; it prints one JSON object. Set
 * KAFKA_PYTHON_DEBUG=1 to get kafka-python's debug log in a failure.
 */
import { fileURLToPath } from 'node:url';
import t from 'tap';
import kafkajs from 'kafkajs';
import { ApiKey } from '../src/wire/generated/api-keys.js';
import { encodeFetchRequest, decodeFetchResponse } from '../src/wire/generated/fetch.js';
import { BatchHeader } from '../src/wire/records/batch-header.js';
import { runJsonChildOk } from './helpers/json-child.js';
import { testBroker, type TestBroker } from './helpers/broker.js';
import { WireClient } from './helpers/wire-client.js';

const { Kafka, logLevel } = kafkajs;

// Debian's python3 (where python3-kafka installs), not the first python3 on PATH.
const PYTHON = process.env.PYTHON ?? '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./helpers/kafka_python_client.py', import.meta.url));
const SCRIPT_TIMEOUT_S = 60;

/** Runs one command of kafka_python_client.py; rejects (with its output) on a non-zero exit, bad JSON or a hung script. */
async function kafkaPython<T>(bootstrap: string, command: string, args: object = {}): Promise<T> {
  // The script ends itself after SCRIPT_TIMEOUT_S; the kill is the backstop if even that hangs.
  return runJsonChildOk<T>(PYTHON, [SCRIPT, bootstrap, command, JSON.stringify(args)], {
    killAfterMs: (SCRIPT_TIMEOUT_S + 10) * 1000, env: { ...process.env, KAFKA_PYTHON_SCRIPT_TIMEOUT: String(SCRIPT_TIMEOUT_S) }, what: `kafka_python_client.py ${command} ${JSON.stringify(args)}`,
  });
}

const kafkaOf = (b: TestBroker) => new Kafka({ clientId: 'compat-kafka-python', brokers: [b.bootstrap], logLevel: logLevel.NOTHING });

async function createTopics(b: TestBroker, topics: { topic: string; numPartitions: number }[]): Promise<void> {
  const admin = kafkaOf(b).admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics, waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

/** The compression codec id (attributes & 7) of the first batch of `topic`'s `partition`, fetched with our own codecs. */
async function firstBatchCompression(b: TestBroker, topic: string, partition: number): Promise<number> {
  const c = await WireClient.connect(b.host, b.port);
  try {
    const f = await c.request(ApiKey.Fetch, 11, (w) => encodeFetchRequest(w, {
      replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      forgottenTopicsData: [], rackId: '',
      topics: [{ topic, partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }],
    }, 11), (r) => decodeFetchResponse(r, 11));
    return new BatchHeader(f.responses[0]!.partitions[0]!.records!).compression;
  } finally {
    c.close();
  }
}

type Header = [key: string, value: string];
type SentRecord = [partition: number, key: string | null, value: string | null, headers: Header[]];
type ReceivedRecord = [partition: number, offset: number, key: string | null, value: string | null, headers: Header[]];
const byPosition = <R extends [number, number, ...unknown[]]>(a: R, b: R) => a[0] - b[0] || a[1] - b[1];

t.test('kafka-python KafkaAdminClient: creates a 3-partition topic with retention.ms, describes and lists it, deletes it', async (t) => {
  const b = await testBroker(t);
  const topic = 'kp-admin';
  const created = await kafkaPython<{
    create_errors: [string, number][]; partitions: number[]; configs: Record<string, string>;
    config_sources: Record<string, number | boolean>; describe_configs_versions: number[]; listed: boolean;
  }>(b.bootstrap, 'create_topic', { topic, partitions: 3, retention_ms: 3_600_000 });
  t.same(created.create_errors, [[topic, 0]], 'create_topics: no error');
  t.same(created.partitions, [0, 1, 2], 'describe_topics: three partitions');
  t.equal(created.configs['retention.ms'], '3600000', 'describe_configs: retention.ms as created');
  t.same(created.describe_configs_versions, [2], 'kafka-python sends DescribeConfigs v2 (its newest)');
  t.equal(created.config_sources['retention.ms'], 1, 'describe_configs: retention.ms comes from the topic (source DYNAMIC_TOPIC_CONFIG)');
  t.equal(created.config_sources['segment.ms'], 5, 'describe_configs: an untouched config is a default (source DEFAULT_CONFIG)');
  t.equal(created.listed, true, 'list_topics includes it');

  // Another client sees what kafka-python created.
  const admin = kafkaOf(b).admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  const md = await admin.fetchTopicMetadata({ topics: [topic] });
  t.equal(md.topics[0]!.partitions.length, 3, 'kafkajs sees three partitions');
  const cfg = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: topic, configNames: ['retention.ms'] }] });
  t.same(cfg.resources[0]!.configEntries.map((e) => [e.configName, e.configValue]), [['retention.ms', '3600000']], 'kafkajs sees retention.ms');

  const deleted = await kafkaPython<{ delete_errors: [string, number][]; listed: boolean }>(b.bootstrap, 'delete_topic', { topic });
  t.same(deleted.delete_errors, [[topic, 0]], 'delete_topics: no error');
  t.equal(deleted.listed, false, 'list_topics no longer includes it');
  t.notOk((await admin.listTopics()).includes(topic), 'kafkajs no longer lists it');
});

t.test('kafka-python KafkaProducer (acks=all) to KafkaConsumer (earliest): keys, values, null values and headers, with every codec', async (t) => {
  const b = await testBroker(t);
  const { kafka_python: version, codecs } = await kafkaPython<{ kafka_python: string; codecs: Record<string, boolean> }>(b.bootstrap, 'codecs');
  t.comment(`kafka-python ${version}; codec modules installed: ${JSON.stringify(codecs)}`);

  // kafka-python sends a batch uncompressed when compressing it saves nothing, so the first
  // record of each partition (the first batch, whatever the batching) is a compressible one.
  const long = 'compressible '.repeat(40);
  const records: SentRecord[] = [
    [0, 'k0', `v0 ${long}`, [['h1', 'x'], ['h2', 'y'], ['h1', 'again']]],
    [1, 'k1', long, [['trace', 'abc-123']]],
    [0, null, 'no key', []],
    [0, 'deleted', null, [['reason', 'tombstone']]],
    [1, 'ünïcode ✓', 'värde ✓', [['empty', '']]],
    [1, 'k5', '', []],
  ];

  const codecIds = { none: 0, gzip: 1, snappy: 2, lz4: 3 } as const;
  for (const [codec, id] of Object.entries(codecIds)) {
    const skip = codec !== 'none' && !codecs[codec] ? `kafka-python has no ${codec} module: install python3-${codec} (make system-deps)` : false;
    if (skip) t.comment(`skipping ${codec}: ${skip}`);
    t.test(`compression_type=${codec}`, { skip }, async (t) => {
      const topic = `kp-produce-${codec}`;
      await createTopics(b, [{ topic, numPartitions: 2 }]);
      const run = await kafkaPython<{ sent: [number, number][]; received: ReceivedRecord[] }>(b.bootstrap, 'produce', {
        topic, compression: codec === 'none' ? null : codec, records,
      });
      t.same(run.sent, [[0, 0], [1, 0], [0, 1], [0, 2], [1, 1], [1, 2]], 'every send is acknowledged at its offset');
      const expected: ReceivedRecord[] = records.map(([partition, key, value, headers], i) => [partition, run.sent[i]![1], key, value, headers]);
      t.same([...run.received].sort(byPosition), [...expected].sort(byPosition), 'the consumer reads every record back with key, value (null too) and headers intact');
      for (const partition of [0, 1]) {
        t.equal(await firstBatchCompression(b, topic, partition), id, `partition ${partition}: the batch is stored ${codec === 'none' ? 'uncompressed' : `${codec}-compressed`}`);
      }
    });
  }
});

t.test('kafka-python consumer group: two members share a 2-partition topic and commit; a new member resumes from the commits', async (t) => {
  const b = await testBroker(t);
  const topic = 'kp-group';
  const group = 'kp-group-members';
  await createTopics(b, [{ topic, numPartitions: 2 }]);
  const before: [number, string][] = [[0, 'b0'], [1, 'b1'], [0, 'b2'], [1, 'b3'], [0, 'b4']];
  const after: [number, string][] = [[0, 'a0'], [1, 'a1'], [1, 'a2']];

  const run = await kafkaPython<{
    assignments: number[][]; consumed: [number, number, string][][]; committed: [number, number][];
    admin_offsets: [number, number][]; resumed: [number, number, string][];
  }>(b.bootstrap, 'group', { topic, group, before, after });
  t.same([...run.assignments].sort(), [[0], [1]], 'each member is assigned one of the two partitions');

  const share = (partition: number, list: [number, string][], from = 0) =>
    list.filter(([p]) => p === partition).map(([p, v], i) => [p, from + i, v]);
  const consumed = [...run.consumed].sort((x, y) => (x[0]?.[0] ?? -1) - (y[0]?.[0] ?? -1));
  t.same(consumed, [share(0, before), share(1, before)], "each member reads exactly its partition's records");
  t.same(run.committed, [[0, 3], [1, 2]], 'KafkaConsumer.committed: the offset after each partition\'s last record');
  t.same(run.admin_offsets, [[0, 3], [1, 2]], 'KafkaAdminClient.list_consumer_group_offsets: the same');

  const admin = kafkaOf(b).admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  const offsets = await admin.fetchOffsets({ groupId: group, topics: [topic] });
  t.same(offsets[0]!.partitions.map((p) => [p.partition, p.offset]).sort(), [[0, '3'], [1, '2']], 'kafkajs admin.fetchOffsets: the same');

  t.same([...run.resumed].sort(byPosition), [...share(0, after, 3), ...share(1, after, 2)],
    'after both close, a new member resumes at the committed offsets: only the records produced after the commits');
});

t.test('kafka-python infers the broker version from ApiVersions', async (t) => {
  const b = await testBroker(t);
  const v = await kafkaPython<{ check_version: number[]; producer: number[]; consumer: number[] }>(b.bootstrap, 'version');
  t.comment(`kafka-python api_version: check_version() ${JSON.stringify(v.check_version)}, producer ${JSON.stringify(v.producer)}, consumer ${JSON.stringify(v.consumer)}`);
  // kafka-python 2.0.2 infers at most (2, 5, 0), and only from DescribeAcls v2, which Samsa
  // serves as Apache Kafka 2.5+ does: the same answer as against Kafka.
  const expected = [2, 5, 0];
  t.same(v.check_version, expected, `KafkaClient.check_version(): ${expected.join('.')}`);
  t.same(v.producer, expected, "KafkaProducer's auto-detected api_version: the same");
  t.same(v.consumer, expected, "KafkaConsumer's auto-detected api_version: the same");
});
