/**
 * Partition limits and all-or-nothing topic creation (issue 10, defect 4),
 * through kafkajs 2.2.4's admin client and bare requests for the error
 * messages kafkajs drops: requests over max.partitions.per.request or
 * max.broker.partitions are refused before anything is created, a topic
 * whose partition logs cannot all be created is not left half-made, and the
 * broker restarts on the data directory afterwards.
 */
import t from 'tap';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { testBroker, type TestBroker } from './helpers/broker.js';
import { WireClient } from './helpers/wire-client.js';
import { encodeCreateTopicsRequest, decodeCreateTopicsResponse } from '../src/wire/generated/create-topics.js';
import { encodeCreatePartitionsRequest, decodeCreatePartitionsResponse } from '../src/wire/generated/create-partitions.js';
import { encodeMetadataRequest, decodeMetadataResponse } from '../src/wire/generated/metadata.js';
import { encodeFindCoordinatorRequest, decodeFindCoordinatorResponse } from '../src/wire/generated/find-coordinator.js';
import { ErrorCode } from '../src/wire/errors.js';
import { ApiKey } from '../src/wire/generated/api-keys.js';
import { ZERO_UUID } from '../src/wire/protocol/uuid.js';

const { Kafka, logLevel } = kafkajs;

/** The error types kafkajs reports per topic (it wraps them once more when the code is retriable). */
function errorTypes(err: unknown): string[] {
  const e = err as { errors?: { type: string }[]; originalError?: { errors?: { type: string }[]; type?: string }; type?: string };
  const list = e.errors ?? e.originalError?.errors;
  return list ? list.map((x) => x.type) : [e.originalError?.type ?? e.type ?? String(err)];
}

async function adminFor(t: { teardown(fn: () => unknown): void }, b: TestBroker) {
  const admin = new Kafka({ brokers: [b.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } }).admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  return admin;
}

/** Partition directories (and anything else named topic-N) of these topics in the data dir. */
function entriesOf(b: TestBroker, ...topics: string[]): string[] {
  return readdirSync(b.samsa!.dataDir).filter((f) => topics.some((topic) => new RegExp(`^${topic}-\\d+$`).test(f))).sort();
}

function createTopicsV5(wire: WireClient, topics: { name: string; numPartitions: number }[], validateOnly = false) {
  return wire.request(19, 5, (w) => encodeCreateTopicsRequest(w, { topics: topics.map((x) => ({ ...x, replicationFactor: 1, assignments: [], configs: [] })), timeoutMs: 5000, validateOnly }, 5), (r) => decodeCreateTopicsResponse(r, 5));
}

function createPartitionsV1(wire: WireClient, topics: { name: string; count: number }[], validateOnly = false) {
  return wire.request(37, 1, (w) => encodeCreatePartitionsRequest(w, { topics: topics.map((x) => ({ ...x, assignments: null })), timeoutMs: 5000, validateOnly }, 1), (r) => decodeCreatePartitionsResponse(r, 1));
}

t.test('requests over max.partitions.per.request or max.broker.partitions are refused at once and create nothing', async (t) => {
  const b = await testBroker(t, { 'max.partitions.per.request': '20', 'max.broker.partitions': '30' });
  if (b.external) { t.pass('skipped against an external broker: needs our broker: it sets the limits'); return; }
  const admin = await adminFor(t, b);
  const wire = await WireClient.connect(b.host, b.port);
  t.teardown(() => wire.close());

  const started = Date.now();
  const huge = await admin.createTopics({ topics: [{ topic: 'huge', numPartitions: 200_000 }] }).then(() => 'created', errorTypes);
  t.same(huge, ['POLICY_VIOLATION'], '200,000 partitions: POLICY_VIOLATION');
  t.ok(Date.now() - started < 5000, 'answered at once (creating them took minutes)');

  const excessive = "Excessively large number of partitions per request.";
  const two = await createTopicsV5(wire, [{ name: 'a', numPartitions: 15 }, { name: 'b', numPartitions: 15 }]);
  t.same(two.topics.map((x) => [x.name, x.errorCode, x.errorMessage]), [['a', ErrorCode.POLICY_VIOLATION, excessive], ['b', ErrorCode.POLICY_VIOLATION, excessive]],
    'the request counts all its topics (15 + 15 > 20) and every topic gets the error, as from Kafka\'s controller');
  const validate = await createTopicsV5(wire, [{ name: 'v', numPartitions: 2_147_483_647 }], true);
  t.same([validate.topics[0]!.errorCode, validate.topics[0]!.errorMessage], [ErrorCode.POLICY_VIOLATION, excessive], 'validate_only with Int.MAX partitions is refused by the same limit');

  t.equal(await admin.createTopics({ topics: [{ topic: 'first', numPartitions: 20 }] }), true, '20 partitions: at the request limit, allowed');
  const pair = await createTopicsV5(wire, [{ name: 'c', numPartitions: 5 }, { name: 'd', numPartitions: 6 }], true);
  t.same(pair.topics.map((x) => [x.name, x.errorCode]), [['c', ErrorCode.NONE], ['d', ErrorCode.POLICY_VIOLATION]], 'the topics of one request count together against max.broker.partitions (20 + 5 + 6 > 30), validate_only too');
  const colliding = await createTopicsV5(wire, [{ name: 'x.y', numPartitions: 1 }, { name: 'x_y', numPartitions: 1 }], true);
  t.same(colliding.topics.map((x) => x.errorCode), [ErrorCode.NONE, ErrorCode.INVALID_TOPIC_EXCEPTION], 'and names colliding within one request are refused as if created one by one');
  const over = await createTopicsV5(wire, [{ name: 'second', numPartitions: 11 }]);
  t.equal(over.topics[0]!.errorCode, ErrorCode.POLICY_VIOLATION, '20 + 11 > max.broker.partitions=30: POLICY_VIOLATION');
  t.match(over.topics[0]!.errorMessage ?? '', /this broker hosts 20 partition\(s\) and max\.broker\.partitions is 30/, 'the message says why');
  t.same(await admin.createTopics({ topics: [{ topic: 'second', numPartitions: 11 }] }).then(() => 'created', errorTypes), ['POLICY_VIOLATION'], 'kafkajs sees POLICY_VIOLATION');
  t.equal(await admin.createTopics({ topics: [{ topic: 'second', numPartitions: 10 }] }), true, '20 + 10 fits');

  t.same(await admin.createPartitions({ topicPartitions: [{ topic: 'first', count: 21 }] }).then(() => 'grown', errorTypes), ['POLICY_VIOLATION'], 'one more partition passes max.broker.partitions');
  const grow = await createPartitionsV1(wire, [{ name: 'first', count: 1_000_000 }]);
  t.same([grow.results[0]!.errorCode, grow.results[0]!.errorMessage], [ErrorCode.POLICY_VIOLATION, excessive], 'CreatePartitions adding 999,980 partitions: the per-request limit');
  const growTwo = await createPartitionsV1(wire, [{ name: 'first', count: 31 }, { name: 'second', count: 21 }], true);
  t.same(growTwo.results.map((x) => x.errorMessage), [excessive, excessive], 'CreatePartitions counts what all its topics add (11 + 11 > 20), validate_only too');

  // Auto-creation goes through the same check: the broker is full, so the topic is not created.
  const md = await wire.request(3, 9, (w) => encodeMetadataRequest(w, { topics: [{ name: "auto", topicId: ZERO_UUID }], allowAutoTopicCreation: true, includeTopicAuthorizedOperations: false }, 9), (r) => decodeMetadataResponse(r, 9));
  t.equal(md.topics[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'a Metadata request does not auto-create past max.broker.partitions');

  const described = await admin.fetchTopicMetadata({ topics: ['first', 'second'] });
  t.same(described.topics.map((x) => [x.name, x.partitions.length]).sort(), [['first', 20], ['second', 10]], 'partition counts unchanged');
  t.same((await admin.listTopics()).sort(), ['first', 'second'], 'no other topic exists');
  t.same(entriesOf(b, 'huge', 'a', 'b', 'v', 'c', 'd', 'x.y', 'x_y', 'auto'), [], 'no directory of a refused topic in the data dir');
  t.notOk(existsSync(join(b.samsa!.dataDir, 'first-20')), 'no directory of a refused partition');

  await b.restart();
  const admin2 = await adminFor(t, b);
  const again = await admin2.fetchTopicMetadata({ topics: ['first', 'second'] });
  t.same(again.topics.map((x) => [x.name, x.partitions.length]).sort(), [['first', 20], ['second', 10]], 'the broker restarts with the same topics');
});

t.test('a partition log that cannot be created leaves no half-created topic, and the broker restarts on the data dir', async (t) => {
  const b = await testBroker(t);
  if (b.external) { t.pass('skipped against an external broker: needs our broker: it puts files in its data dir'); return; }
  const admin = await adminFor(t, b);
  const wire = await WireClient.connect(b.host, b.port);
  t.teardown(() => wire.close());
  const dataDir = b.samsa!.dataDir;
  const metadataTopics = () => (JSON.parse(readFileSync(join(dataDir, '__samsa_metadata.json'), 'utf8')) as { topics: { name: string; partitions: number }[] }).topics.map((x) => [x.name, x.partitions]);

  // A file where partition 3's directory must go: partitions 0-2 are made, then 3 fails.
  writeFileSync(join(dataDir, 'broken-3'), 'in the way');
  const res = await createTopicsV5(wire, [{ name: 'broken', numPartitions: 6 }]);
  t.equal(res.topics[0]!.errorCode, ErrorCode.KAFKA_STORAGE_ERROR, 'KAFKA_STORAGE_ERROR');
  t.match(res.topics[0]!.errorMessage ?? '', /^Error while creating log for broken-3 in dir /, "Kafka's LogManager message");
  t.same(await admin.createTopics({ topics: [{ topic: 'broken', numPartitions: 6 }] }).then(() => 'created', errorTypes), ['KAFKA_STORAGE_ERROR'], 'kafkajs sees KAFKA_STORAGE_ERROR');
  t.notOk((await admin.listTopics()).includes('broken'), 'the topic does not exist');
  t.same(metadataTopics(), [], 'nor in the metadata file');
  t.same(entriesOf(b, 'broken'), ['broken-3'], 'the partition directories made before the failure are gone');
  t.ok(statSync(join(dataDir, 'broken-3')).isFile(), 'the file that was in the way is left alone');

  t.equal(await admin.createTopics({ topics: [{ topic: 'grow', numPartitions: 2 }] }), true, 'a healthy topic');
  writeFileSync(join(dataDir, 'grow-4'), 'in the way');
  const grown = await createPartitionsV1(wire, [{ name: 'grow', count: 6 }]);
  t.equal(grown.results[0]!.errorCode, ErrorCode.KAFKA_STORAGE_ERROR, 'CreatePartitions: KAFKA_STORAGE_ERROR');
  t.match(grown.results[0]!.errorMessage ?? '', /^Error while creating log for grow-4 in dir /, 'naming the partition');
  t.equal((await admin.fetchTopicMetadata({ topics: ['grow'] })).topics[0]!.partitions.length, 2, 'the partition count is not raised');
  t.same(metadataTopics(), [['grow', 2]], 'nor in the metadata file');
  t.same(entriesOf(b, 'grow'), ['grow-0', 'grow-1', 'grow-4'], 'the new partitions made before the failure are gone');

  await b.restart();
  const admin2 = await adminFor(t, b);
  t.same((await admin2.listTopics()).sort(), ['grow'], 'the broker restarts on the data dir with the topics it had');
  const producer = new Kafka({ brokers: [b.bootstrap], logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  t.teardown(() => producer.disconnect());
  const sent = await producer.send({ topic: 'grow', messages: [{ partition: 1, value: 'after the failure' }] });
  t.equal(sent[0]!.errorCode, 0, 'and serves the topic');

  rmSync(join(dataDir, 'broken-3'));
  rmSync(join(dataDir, 'grow-4'));
  t.equal(await admin2.createTopics({ topics: [{ topic: 'broken', numPartitions: 6 }] }), true, 'with the way clear the topic is created');
  await admin2.createPartitions({ topicPartitions: [{ topic: 'grow', count: 6 }] });
  t.equal((await admin2.fetchTopicMetadata({ topics: ['grow'] })).topics[0]!.partitions.length, 6, 'and the partitions added');
  t.same(entriesOf(b, 'broken').length, 6, 'every partition has its directory');
});

t.test('internal topics are held to max.broker.partitions too: a refused __consumer_offsets fails the commit, not the broker', async (t) => {
  const b = await testBroker(t, { 'max.broker.partitions': '30', 'offsets.topic.num.partitions': '50' });
  if (b.external) { t.pass('skipped against an external broker: needs our broker: it sets the limits'); return; }
  const admin = await adminFor(t, b);
  t.equal(await admin.createTopics({ topics: [{ topic: 'events', numPartitions: 1 }] }), true, 'a topic to consume');
  const kafka = new Kafka({ brokers: [b.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
  const producer = kafka.producer();
  await producer.connect();
  t.teardown(() => producer.disconnect());
  await producer.send({ topic: 'events', messages: [{ value: 'one' }] });
  const consumer = kafka.consumer({ groupId: 'g', retry: { retries: 0 } });
  const crashed = new Promise<Error>((resolve) => consumer.on(consumer.events.CRASH, (e) => resolve(e.payload.error)));
  await consumer.connect();
  t.teardown(() => consumer.disconnect());
  await consumer.subscribe({ topic: 'events', fromBeginning: true });
  await consumer.run({ eachMessage: async () => {} });
  let timer: NodeJS.Timeout | undefined;
  const crash = await Promise.race([crashed, new Promise<string>((resolve) => { timer = setTimeout(() => resolve('no error within 20 s'), 20_000); })]);
  clearTimeout(timer);
  // As Kafka answers when it cannot create __consumer_offsets: FindCoordinator gets COORDINATOR_NOT_AVAILABLE, and kafkajs gives up finding one.
  t.match(String(crash), /Failed to find group coordinator/, 'the group that needs __consumer_offsets (50 partitions > 30) finds no coordinator');
  const wire = await WireClient.connect(b.host, b.port);
  t.teardown(() => wire.close());
  const found = await wire.request(ApiKey.FindCoordinator, 3, (w) => encodeFindCoordinatorRequest(w, { key: 'g', keyType: 0 }, 3), (r) => decodeFindCoordinatorResponse(r, 3));
  t.equal(found.errorCode, ErrorCode.COORDINATOR_NOT_AVAILABLE, 'FindCoordinator: COORDINATOR_NOT_AVAILABLE');
  t.match(found.errorMessage, /__consumer_offsets could not be created: .*partitions/, 'saying why');
  t.same(entriesOf(b, '__consumer_offsets'), [], 'no __consumer_offsets directory');
  t.same(await admin.listTopics(), ['events'], 'nor topic');
  t.equal((await admin.fetchTopicMetadata({ topics: ['events'] })).topics[0]!.partitions.length, 1, 'the broker answers on');
});
