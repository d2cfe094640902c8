/**
 * The console's transactions and producers routes with a kafkajs
 * transactional producer left open: the transaction is listed as Ongoing with
 * its partition, the partition's last stable offset is held back below the
 * high watermark with the open transaction's first offset, the message
 * browser marks the record transactional; after the commit the LSO catches up.
 */
import t from 'tap';
import kafkajs from 'kafkajs';
import { testBroker } from './helpers/broker.js';
import { kcat } from './helpers/kcat.js';
import { consoleHttp } from './helpers/console-http.js';
import type { MessagePage, PartitionProducers, TransactionSummary } from '../src/http/console-api-types.js';

const { Kafka, logLevel } = kafkajs;

t.test('an open kafkajs transaction: Ongoing, LSO held back; committed: LSO caught up', async (t) => {
  const b = await testBroker(t);
  const c = await consoleHttp(t, b.samsa!, true);
  await c.api('POST', '/api/topics', { name: 'txt', partitions: 2 });
  await kcat(['-P', '-b', b.bootstrap, '-t', 'txt', '-p', '0'], 'before\n');

  t.same((await c.api('GET', '/api/transactions')).body, [], 'no transactions yet');

  const kafka = new Kafka({ brokers: [b.bootstrap], logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ transactionalId: 'tx-console', maxInFlightRequests: 1, idempotent: true, transactionTimeout: 60_000 });
  await producer.connect();
  t.teardown(() => producer.disconnect());
  const txn = await producer.transaction();
  await txn.send({ topic: 'txt', messages: [{ partition: 0, value: 'in-txn-1' }, { partition: 0, value: 'in-txn-2' }] });

  const txns = await c.api<TransactionSummary[]>('GET', '/api/transactions');
  t.equal(txns.status, 200);
  t.equal(txns.body.length, 1, 'one transaction');
  const open = txns.body[0]!;
  t.match(open, { transactionalId: 'tx-console', state: 'Ongoing', timeoutMs: 60_000, coordinator: 0 }, 'listed as Ongoing');
  t.same(open.partitions, [{ topic: 'txt', partition: 0 }], 'with its partition');
  t.ok(open.producerId >= 0 && open.producerEpoch >= 0, 'a producer id and epoch');
  t.ok(open.startTimeMs > Date.now() - 600_000 && open.startTimeMs <= Date.now(), 'started just now');

  const held = await c.api<PartitionProducers[]>('GET', '/api/producers?topic=txt');
  t.equal(held.status, 200);
  const p0 = held.body.find((p) => p.partition === 0)!;
  t.match(p0, { topic: 'txt', partition: 0, highWatermark: 3, lastStableOffset: 1 }, 'the LSO is held at the transaction\'s first offset');
  const mine = p0.producers.find((p) => p.producerId === open.producerId);
  t.ok(mine, 'the transactional producer is listed on the partition');
  t.equal(mine?.currentTxnStartOffset, 1, 'with its open transaction\'s first offset');
  t.ok(held.body.find((p) => p.partition === 1)?.producers.length === 0, 'partition 1 has no producer');

  const page = await c.api<MessagePage>('GET', '/api/topics/txt/messages?start=oldest&partitions=0');
  t.same(page.body.messages.map((m) => [m.value?.text, m.transactional ?? false]), [['before', false], ['in-txn-1', true], ['in-txn-2', true]], 'the browser marks the records of the transaction');

  await txn.commit();
  const after = await c.api<TransactionSummary[]>('GET', '/api/transactions');
  t.match(after.body[0], { transactionalId: 'tx-console', state: /^(CompleteCommit|Empty)$/ }, `committed (${after.body[0]?.state})`);
  const caught = (await c.api<PartitionProducers[]>('GET', '/api/producers?topic=txt')).body.find((p) => p.partition === 0)!;
  t.equal(caught.lastStableOffset, caught.highWatermark, 'the LSO caught up with the high watermark');
  t.equal(caught.producers.find((p) => p.producerId === open.producerId)?.currentTxnStartOffset, -1, 'no open transaction');

  t.equal((await c.api('GET', '/api/producers?topic=nope')).status, 404, 'an unknown topic: 404');
  const all = await c.api<PartitionProducers[]>('GET', '/api/producers');
  t.ok(all.body.some((p) => p.topic === 'txt'), 'without a topic: every topic');
});
