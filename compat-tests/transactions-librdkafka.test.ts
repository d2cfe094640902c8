/**
 * Transactions with librdkafka 2.0.2 (Debian's python3-confluent-kafka, installed
 * by `make system-deps`), a client independent of kafkajs: commit and abort
 * seen by read_committed and read_uncommitted consumers (librdkafka's and
 * kcat's), send_offsets_to_transaction in a consume-transform-produce loop,
 * and fencing by a second producer with the same transactional.id.
 *
 * The librdkafka side is compat-tests/helpers/txn_librdkafka.py, run as a
 * child process with the broker's address; it prints one JSON object. Set
 * RDKAFKA_DEBUG=eos,protocol to get librdkafka's debug log in a failure.
 */
import { fileURLToPath } from 'node:url';
import t from 'tap';
import kafkajs from 'kafkajs';
import { runJsonChildOk } from './helpers/json-child.js';
import { testBroker, type TestBroker } from './helpers/broker.js';
import { kcatConsumeAll } from './helpers/kcat.js';

const { Kafka, logLevel } = kafkajs;

// Debian's python3 (where python3-confluent-kafka installs), not the first python3 on PATH.
const PYTHON = process.env.PYTHON ?? '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./helpers/txn_librdkafka.py', import.meta.url));
const SCRIPT_TIMEOUT_S = 60;

/** Runs one command of txn_librdkafka.py; rejects (with its output) on a non-zero exit, bad JSON or a hung script. */
async function librdkafka<T>(bootstrap: string, command: string, args: object): Promise<T> {
  // The script ends itself after SCRIPT_TIMEOUT_S; the kill is the backstop if even that hangs.
  return runJsonChildOk<T>(PYTHON, [SCRIPT, bootstrap, command, JSON.stringify(args)], {
    killAfterMs: (SCRIPT_TIMEOUT_S + 10) * 1000, env: { ...process.env, TXN_SCRIPT_TIMEOUT: String(SCRIPT_TIMEOUT_S) }, what: `txn_librdkafka.py ${command} ${JSON.stringify(args)}`,
  });
}

interface Consumed { records: [partition: number, offset: number, value: string][] }
interface KafkaErrorJson { code: number; name: string; str: string; fatal: boolean; retriable: boolean; txn_requires_abort: boolean }

/** The values librdkafka's consumer reads from every partition of `topic`, from the beginning to the end, sorted. */
async function values(bootstrap: string, topic: string, isolation: 'read_committed' | 'read_uncommitted'): Promise<string[]> {
  const { records } = await librdkafka<Consumed>(bootstrap, 'consume', { topic, isolation });
  return records.map(([, , v]) => v).sort();
}

async function createTopics(b: TestBroker, topics: { topic: string; numPartitions: number }[]): Promise<void> {
  const admin = new Kafka({ brokers: [b.bootstrap], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics, waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

t.test('librdkafka: a committed transaction is seen by read_committed, an aborted one only by read_uncommitted', async (t) => {
  const b = await testBroker(t);
  await createTopics(b, [{ topic: 'rdk-tx-basic', numPartitions: 2 }]);

  const run = await librdkafka<{ results: string[] }>(b.bootstrap, 'transactions', {
    topic: 'rdk-tx-basic',
    transactional_id: 'rdk-tx-basic-producer',
    transactions: [
      { records: [[0, 'c1'], [1, 'c2']], end: 'commit' },
      { records: [[0, 'a1'], [1, 'a2']], end: 'abort' },
      { records: [[0, 'c3']], end: 'commit' },
    ],
  });
  t.same(run.results, ['committed', 'aborted', 'committed'], 'init_transactions, two commits and an abort succeed');

  t.same(await values(b.bootstrap, 'rdk-tx-basic', 'read_committed'), ['c1', 'c2', 'c3'], 'librdkafka read_committed: the committed records only');
  t.same(await values(b.bootstrap, 'rdk-tx-basic', 'read_uncommitted'), ['a1', 'a2', 'c1', 'c2', 'c3'], 'librdkafka read_uncommitted: everything');

  // kcat consumes with read_committed unless told otherwise.
  const kcatCommitted = (await kcatConsumeAll(b.bootstrap, 'rdk-tx-basic')).map((m) => m.payload).sort();
  t.same(kcatCommitted, ['c1', 'c2', 'c3'], 'kcat (default isolation): the committed records only');
  const kcatAll = (await kcatConsumeAll(b.bootstrap, 'rdk-tx-basic', ['-X', 'isolation.level=read_uncommitted'])).map((m) => m.payload).sort();
  t.same(kcatAll, ['a1', 'a2', 'c1', 'c2', 'c3'], 'kcat read_uncommitted: everything');

  // The record offsets leave room for the markers: partition 0 holds c1, marker, a1, marker, c3, marker.
  const { records } = await librdkafka<Consumed>(b.bootstrap, 'consume', { topic: 'rdk-tx-basic', isolation: 'read_uncommitted' });
  t.same(records.filter(([p]) => p === 0).map(([, o, v]) => [o, v]), [[0, 'c1'], [2, 'a1'], [4, 'c3']], 'partition 0: each transaction ends with a control record');
});

t.test('librdkafka: send_offsets_to_transaction commits the group offset with the transaction, and an abort discards it', async (t) => {
  const b = await testBroker(t);
  await createTopics(b, [{ topic: 'rdk-ctp-in', numPartitions: 1 }, { topic: 'rdk-ctp-out', numPartitions: 1 }]);
  const kafka = new Kafka({ brokers: [b.bootstrap], logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: 'rdk-ctp-in', messages: ['m0', 'm1', 'm2', 'm3', 'm4', 'm5'].map((value) => ({ value, partition: 0 })) });
  await producer.disconnect();

  const run = await librdkafka<{ sent: [number, number][][]; committed: [number, number][] }>(b.bootstrap, 'transform', {
    input: 'rdk-ctp-in',
    output: 'rdk-ctp-out',
    group: 'rdk-ctp-group',
    transactional_id: 'rdk-ctp-txn',
    transactions: [{ count: 3, end: 'commit' }, { count: 2, end: 'abort' }],
  });
  t.same(run.sent, [[[0, 3]], [[0, 5]]], 'the offsets sent: after m2 (committed), after m4 (aborted)');
  t.same(run.committed, [[0, 3]], "librdkafka's Consumer.committed: the committed transaction's offset, not the aborted one's");

  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  const offsets = await admin.fetchOffsets({ groupId: 'rdk-ctp-group', topics: ['rdk-ctp-in'] });
  t.same(offsets.map((o) => ({ topic: o.topic, partitions: o.partitions.map((p) => [p.partition, p.offset]) })),
    [{ topic: 'rdk-ctp-in', partitions: [[0, '3']] }], 'kafkajs admin.fetchOffsets: the group committed offset 3');

  t.same(await values(b.bootstrap, 'rdk-ctp-out', 'read_committed'), ['M0', 'M1', 'M2'], 'read_committed: the committed transaction\'s output only');
  t.same(await values(b.bootstrap, 'rdk-ctp-out', 'read_uncommitted'), ['M0', 'M1', 'M2', 'M3', 'M4'], 'read_uncommitted: the aborted output too');
});

t.test('librdkafka: a second producer with the same transactional.id fences the first', async (t) => {
  const b = await testBroker(t);
  await createTopics(b, [{ topic: 'rdk-fence', numPartitions: 1 }]);

  const run = await librdkafka<{ b: string; a_commit: KafkaErrorJson | null; a_after: KafkaErrorJson | null }>(b.bootstrap, 'fence', {
    topic: 'rdk-fence', transactional_id: 'rdk-fence-id',
  });
  t.equal(run.b, 'committed', 'the second producer commits');
  t.ok(run.a_commit, "the first producer's commit fails");
  t.comment(`librdkafka says on the fenced commit: ${JSON.stringify(run.a_commit)}`);
  t.equal(run.a_commit?.fatal, true, 'and the error is fatal');
  t.equal(run.a_commit?.name, '_FENCED', 'librdkafka reports the producer as fenced (_FENCED)');
  t.equal(run.a_after?.fatal, true, 'a fenced producer cannot begin another transaction');

  t.same(await values(b.bootstrap, 'rdk-fence', 'read_committed'), ['b1'], "read_committed: only the second producer's record");
  t.same(await values(b.bootstrap, 'rdk-fence', 'read_uncommitted'), ['a1', 'b1'], "read_uncommitted: the first producer's aborted record too");
});
