/**
 * Transactions and producers seen through src/client while kafkajs runs a
 * transaction against an in-process broker: listed and described while open
 * (its partitions, start time), the LSO held back at the partition leader,
 * and all of it cleared once kafkajs commits.
 */
import t from 'tap';
import kafkajs from 'kafkajs';
import { testBroker } from '../../compat-tests/helpers/broker.js';
import { KafkaClient } from '../../src/client/kafka-client.js';
import { createTopic, KafkaClientError } from '../../src/client/topics.js';
import { describeProducers, describeTransactions, listTransactions } from '../../src/client/transactions.js';

const { Kafka, logLevel } = kafkajs;

t.test('transactions: list, describe, producers and the LSO hold', async (t) => {
  const b = await testBroker(t);
  const client = await KafkaClient.open({ bootstrap: [b.bootstrap] });
  t.teardown(() => client.close());
  await createTopic(client, { name: 'pay', partitions: 2 });
  const kafka = new Kafka({ brokers: [b.bootstrap], logLevel: logLevel.NOTHING });

  t.same(await listTransactions(client), [], 'none yet');
  const txp = kafka.producer({ transactionalId: 'payments-1', idempotent: true, maxInFlightRequests: 1, transactionTimeout: 45_000 });
  await txp.connect();
  t.teardown(() => txp.disconnect());
  const before = Date.now();
  const tx = await txp.transaction();
  await tx.send({ topic: 'pay', messages: [{ partition: 1, value: 'a' }, { partition: 1, value: 'b' }] });

  const listed = await listTransactions(client);
  t.equal(listed.length, 1, 'one transactional id');
  t.match(listed[0], { transactionalId: 'payments-1', state: 'Ongoing', coordinator: 0 }, 'Ongoing at its coordinator');
  t.same(await listTransactions(client, { states: ['CompleteCommit'] }), [], 'the state filter');

  const [d] = await describeTransactions(client, ['payments-1']);
  t.match(d, { transactionalId: 'payments-1', state: 'Ongoing', timeoutMs: 45_000, partitions: [{ topic: 'pay', partition: 1 }], producerId: listed[0]!.producerId }, 'described with its partition');
  t.ok(d!.startTimeMs >= before - 1000, 'a start time');
  const unknown = await describeTransactions(client, ['nope']).catch((e: unknown) => e);
  t.equal((unknown as KafkaClientError).errorName, 'TRANSACTIONAL_ID_NOT_FOUND', 'an unknown id');

  const producers = await describeProducers(client, 'pay');
  t.equal(producers.length, 2, 'both partitions');
  t.same(producers[0]!.producers, [], 'no producer on partition 0');
  t.match(producers[1], { partition: 1, highWatermark: 2, lastStableOffset: 0 }, 'the open transaction holds the LSO at its first offset');
  t.match(producers[1]!.producers, [{ producerId: d!.producerId, currentTxnStartOffset: 0, lastSequence: 1 }], 'the producer, its open transaction and last sequence');

  await tx.commit();
  t.match((await describeTransactions(client, ['payments-1']))[0], { state: 'CompleteCommit', partitions: [] }, 'CompleteCommit after the commit');
  const after = await describeProducers(client, 'pay', [1]);
  t.match(after[0], { highWatermark: 3, lastStableOffset: 3 }, 'the LSO moves to the end');
  t.equal(after[0]!.producers[0]!.currentTxnStartOffset, -1, 'no open transaction');
});
