/**
 * Transactions with kafkajs 2.2.4 (InitProducerId, AddPartitionsToTxn,
 * AddOffsetsToTxn, TxnOffsetCommit, EndTxn) against a broker: read_committed
 * and read_uncommitted consumers, fencing by a second producer, the
 * transaction timeout, a consume-transform-produce loop that crashes mid
 * transaction, and a broker restart with a transaction open.
 */
import t from 'tap';
import kafkajs from 'kafkajs';
import { testBroker } from './helpers/broker.js';
import { until } from './helpers/until.js';

const { Kafka, logLevel } = kafkajs;
type KafkaClient = InstanceType<typeof Kafka>;

/** Every value a consumer of `topic` (from the beginning) sees within `ms` after `expected` arrive or time runs out. */
async function readAll(kafka: KafkaClient, topic: string, opts: { readUncommitted?: boolean; expected: number; settleMs?: number }): Promise<string[]> {
  const consumer = kafka.consumer({ groupId: `reader-${topic}-${Math.random()}`, readUncommitted: opts.readUncommitted ?? false, maxWaitTimeInMs: 100 });
  const seen: string[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => { seen.push(message.value!.toString()); } });
    await until(() => seen.length >= opts.expected, 20_000, `${opts.expected} messages from ${topic}`).catch(() => {});
    // Wait a little longer: anything that should not be there would show up now.
    await new Promise((r) => setTimeout(r, opts.settleMs ?? 500));
  } finally {
    await consumer.disconnect();
  }
  return seen.sort();
}

const txnProducer = (kafka: KafkaClient, transactionalId: string, transactionTimeout = 60_000) =>
  kafka.producer({ transactionalId, maxInFlightRequests: 1, idempotent: true, transactionTimeout });

t.test('a committed transaction is seen by read_committed, an aborted one only by read_uncommitted', async (t) => {
  const b = await testBroker(t);
  const kafka = new Kafka({ brokers: [b.bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  await admin.createTopics({ topics: [{ topic: 'tx-basic', numPartitions: 2 }] });
  const producer = txnProducer(kafka, 'tx-basic-producer');
  await producer.connect();
  t.teardown(() => producer.disconnect());

  const committed = await producer.transaction();
  await committed.send({ topic: 'tx-basic', messages: [{ value: 'c1', partition: 0 }, { value: 'c2', partition: 1 }] });
  await committed.commit();
  const aborted = await producer.transaction();
  await aborted.send({ topic: 'tx-basic', messages: [{ value: 'a1', partition: 0 }, { value: 'a2', partition: 1 }] });
  await aborted.abort();
  const last = await producer.transaction();
  await last.send({ topic: 'tx-basic', messages: [{ value: 'c3', partition: 0 }] });
  await last.commit();

  t.same(await readAll(kafka, 'tx-basic', { expected: 3 }), ['c1', 'c2', 'c3'], 'read_committed: the committed records, none of the aborted');
  t.same(await readAll(kafka, 'tx-basic', { expected: 5, readUncommitted: true }), ['a1', 'a2', 'c1', 'c2', 'c3'], 'read_uncommitted: everything');

  const txns = await describeTransactions(b.bootstrap, ['tx-basic-producer', 'nobody']);
  t.equal(txns[0]!.state, 'CompleteCommit', 'DescribeTransactions: the last transaction committed');
  t.equal(txns[1]!.errorCode, 105, 'DescribeTransactions: an unknown id is TRANSACTIONAL_ID_NOT_FOUND');
});

t.test('an open transaction holds read_committed consumers back until it commits', async (t) => {
  const b = await testBroker(t);
  const kafka = new Kafka({ brokers: [b.bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  await admin.createTopics({ topics: [{ topic: 'tx-open', numPartitions: 1 }] });
  const plain = kafka.producer();
  await plain.connect();
  t.teardown(() => plain.disconnect());
  const producer = txnProducer(kafka, 'tx-open-producer');
  await producer.connect();
  t.teardown(() => producer.disconnect());

  const txn = await producer.transaction();
  await txn.send({ topic: 'tx-open', messages: [{ value: 'in-txn' }] });
  await plain.send({ topic: 'tx-open', messages: [{ value: 'after-txn-start' }] });
  const consumer = kafka.consumer({ groupId: 'tx-open-reader', maxWaitTimeInMs: 100 });
  const seen: string[] = [];
  await consumer.connect();
  t.teardown(() => consumer.disconnect());
  await consumer.subscribe({ topic: 'tx-open', fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => { seen.push(message.value!.toString()); } });
  await new Promise((r) => setTimeout(r, 1500));
  t.same(seen, [], 'nothing at or after the open transaction is visible');
  await txn.commit();
  await until(() => seen.length >= 2, 10_000, 'both records after the commit');
  t.same(seen, ['in-txn', 'after-txn-start'], 'both records, in offset order, once the transaction commits');
});

t.test('a second producer with the same transactional id fences the first and aborts its transaction', async (t) => {
  const b = await testBroker(t);
  const kafka = new Kafka({ brokers: [b.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 2, initialRetryTime: 50 } });
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  await admin.createTopics({ topics: [{ topic: 'tx-fence', numPartitions: 1 }] });
  const zombie = txnProducer(kafka, 'tx-fence-id');
  await zombie.connect();
  t.teardown(() => zombie.disconnect());
  const zombieTxn = await zombie.transaction();
  await zombieTxn.send({ topic: 'tx-fence', messages: [{ value: 'zombie' }] });

  const successor = txnProducer(kafka, 'tx-fence-id');
  await successor.connect();
  t.teardown(() => successor.disconnect());
  const txn = await successor.transaction();
  await txn.send({ topic: 'tx-fence', messages: [{ value: 'successor' }] });
  await txn.commit();

  const err = await zombieTxn.commit().then(() => null, (e: Error & { type?: string }) => e);
  t.ok(err, 'the fenced producer cannot commit');
  t.match(String(err?.type ?? err?.message), /PRODUCER_FENCED|INVALID_PRODUCER_EPOCH|epoch/i, `fenced by epoch (${err?.type ?? err?.message})`);
  t.same(await readAll(kafka, 'tx-fence', { expected: 1 }), ['successor'], "read_committed sees only the successor's record");
});

t.test('a transaction left open past its timeout is aborted', async (t) => {
  const b = await testBroker(t, { 'transaction.abort.timed.out.transaction.cleanup.interval.ms': '200' });
  const kafka = new Kafka({ brokers: [b.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 1, initialRetryTime: 50 } });
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  await admin.createTopics({ topics: [{ topic: 'tx-timeout', numPartitions: 1 }] });
  const producer = txnProducer(kafka, 'tx-timeout-id', 1000);
  await producer.connect();
  t.teardown(() => producer.disconnect());
  const txn = await producer.transaction();
  await txn.send({ topic: 'tx-timeout', messages: [{ value: 'abandoned' }] });
  let state = '';
  await until(() => false, 2500, 'the timeout').catch(() => {});
  state = (await describeTransactions(b.bootstrap, ['tx-timeout-id']))[0]!.state;
  t.equal(state, 'CompleteAbort', 'the coordinator aborted the transaction');
  const err = await txn.commit().then(() => null, (e: Error) => e);
  t.ok(err, 'committing the timed-out transaction fails (the producer was fenced)');
  const plain = kafka.producer();
  await plain.connect();
  t.teardown(() => plain.disconnect());
  await plain.send({ topic: 'tx-timeout', messages: [{ value: 'later' }] });
  t.same(await readAll(kafka, 'tx-timeout', { expected: 1 }), ['later'], 'read_committed skips the aborted record and is not held back by it');
});

t.test('consume-transform-produce with sendOffsets processes every input exactly once across a crash', async (t) => {
  const b = await testBroker(t);
  const kafka = new Kafka({ brokers: [b.bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  await admin.createTopics({ topics: [{ topic: 'eos-in', numPartitions: 1 }, { topic: 'eos-out', numPartitions: 1 }] });
  const input = kafka.producer();
  await input.connect();
  t.teardown(() => input.disconnect());
  const N = 30;
  await input.send({ topic: 'eos-in', messages: Array.from({ length: N }, (_, i) => ({ value: `m${i}` })) });

  /** One processor incarnation: up to `limit` inputs per transaction; `crashAfter` transactions commit, then one is left open. */
  const runProcessor = async (crashAfter: number): Promise<void> => {
    const producer = txnProducer(kafka, 'eos-processor');
    await producer.connect();
    const consumer = kafka.consumer({ groupId: 'eos-group', maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic: 'eos-in', fromBeginning: true });
    let committedTxns = 0;
    let done = false;
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset }) => {
        if (done) return;
        const messages = batch.messages.slice(0, 5);
        if (messages.length === 0) return;
        const txn = await producer.transaction();
        await txn.send({ topic: 'eos-out', messages: messages.map((m) => ({ value: `out-${m.value!.toString()}` })) });
        if (committedTxns === crashAfter) {
          // The crash: the transaction is never ended and the process "dies" (no commit, no abort).
          done = true;
          return;
        }
        const next = (BigInt(messages[messages.length - 1]!.offset) + 1n).toString();
        await txn.sendOffsets({ consumerGroupId: 'eos-group', topics: [{ topic: 'eos-in', partitions: [{ partition: batch.partition, offset: next }] }] });
        await txn.commit();
        committedTxns++;
        for (const m of messages) resolveOffset(m.offset);
        if (Number(next) >= N) done = true;
      },
    });
    await until(() => done, 30_000, 'the processor to stop');
    await consumer.disconnect();
    // The crashed incarnation's producer just goes away; its open transaction stays until fenced.
    await producer.disconnect();
  };
  await runProcessor(2);
  const offsets = await admin.fetchOffsets({ groupId: 'eos-group', topics: ['eos-in'] });
  t.equal(offsets[0]!.partitions[0]!.offset, '10', 'two transactions committed their offsets (5 inputs each)');
  await runProcessor(Infinity);

  const out = await readAll(kafka, 'eos-out', { expected: N });
  t.same(out, Array.from({ length: N }, (_, i) => `out-m${i}`).sort(), 'every input produced exactly one output');
  const final = await admin.fetchOffsets({ groupId: 'eos-group', topics: ['eos-in'] });
  t.equal(final[0]!.partitions[0]!.offset, String(N), 'the group committed every input');
});

t.test('a broker restart with a transaction open: the transaction is still open, then commits', async (t) => {
  const b = await testBroker(t);
  if (b.external) return t.plan(0, 'BROKER=host:port cannot be restarted from here');
  const kafka = new Kafka({ brokers: [b.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 } });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'tx-restart', numPartitions: 1 }] });
  await admin.disconnect();
  const producer = txnProducer(kafka, 'tx-restart-id');
  await producer.connect();
  t.teardown(() => producer.disconnect());
  const before = await producer.transaction();
  await before.send({ topic: 'tx-restart', messages: [{ value: 'committed-before' }] });
  await before.commit();
  const txn = await producer.transaction();
  await txn.send({ topic: 'tx-restart', messages: [{ value: 'open-across-restart' }] });

  await b.restart();
  t.equal((await describeTransactions(b.bootstrap, ['tx-restart-id']))[0]!.state, 'Ongoing', 'the transaction is open after the restart');
  t.same(await readAll(kafka, 'tx-restart', { expected: 1, settleMs: 1000 }), ['committed-before'], 'read_committed stops at the open transaction');
  await txn.commit();
  t.same(await readAll(kafka, 'tx-restart', { expected: 2 }), ['committed-before', 'open-across-restart'], 'the commit after the restart makes it visible');
});

/** DescribeTransactions over the raw protocol (kafkajs's admin has no call for it). */
async function describeTransactions(bootstrap: string, ids: string[]): Promise<{ errorCode: number; state: string }[]> {
  const { WireClient } = await import('./helpers/wire-client.js');
  const { encodeDescribeTransactionsRequest, decodeDescribeTransactionsResponse } = await import('../src/wire/generated/describe-transactions.js');
  const { ApiKey } = await import('../src/wire/generated/api-keys.js');
  const [host, port] = bootstrap.split(':');
  const c = await WireClient.connect(host!, Number(port));
  try {
    const r = await c.request(ApiKey.DescribeTransactions, 0, (w) => encodeDescribeTransactionsRequest(w, { transactionalIds: ids }, 0), (r) => decodeDescribeTransactionsResponse(r, 0));
    return r.transactionStates.map((s) => ({ errorCode: s.errorCode, state: s.transactionState }));
  } finally {
    c.close();
  }
}
