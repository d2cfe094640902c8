/**
 * Transactions at the protocol level, where client libraries hide the
 * details: the error codes of each API in each situation (as Apache Kafka
 * answers them), the last stable offset and aborted_transactions in Fetch,
 * UNSTABLE_OFFSET_COMMIT from OffsetFetch require_stable, and the admin APIs
 * (FindCoordinator key type 1, DescribeProducers, ListTransactions).
 */
import t from 'tap';
import kafkajs from 'kafkajs';
import { ApiKey } from '../src/wire/generated/api-keys.js';
import { encodeFindCoordinatorRequest, decodeFindCoordinatorResponse } from '../src/wire/generated/find-coordinator.js';
import { encodeInitProducerIdRequest, decodeInitProducerIdResponse } from '../src/wire/generated/init-producer-id.js';
import { encodeAddPartitionsToTxnRequest, decodeAddPartitionsToTxnResponse } from '../src/wire/generated/add-partitions-to-txn.js';
import { encodeAddOffsetsToTxnRequest, decodeAddOffsetsToTxnResponse } from '../src/wire/generated/add-offsets-to-txn.js';
import { encodeEndTxnRequest, decodeEndTxnResponse } from '../src/wire/generated/end-txn.js';
import { encodeTxnOffsetCommitRequest, decodeTxnOffsetCommitResponse } from '../src/wire/generated/txn-offset-commit.js';
import { encodeOffsetFetchRequest, decodeOffsetFetchResponse } from '../src/wire/generated/offset-fetch.js';
import { encodeProduceRequest, decodeProduceResponse } from '../src/wire/generated/produce.js';
import { encodeFetchRequest, decodeFetchResponse } from '../src/wire/generated/fetch.js';
import { encodeListOffsetsRequest, decodeListOffsetsResponse } from '../src/wire/generated/list-offsets.js';
import { encodeDescribeProducersRequest, decodeDescribeProducersResponse } from '../src/wire/generated/describe-producers.js';
import { encodeListTransactionsRequest, decodeListTransactionsResponse } from '../src/wire/generated/list-transactions.js';
import { buildBatch } from '../src/wire/records/batch-builder.js';
import { WireClient } from './helpers/wire-client.js';
import { testBroker } from './helpers/broker.js';

const { Kafka, logLevel } = kafkajs;

const NONE = 0, UNKNOWN_TOPIC_OR_PARTITION = 3, INVALID_REQUEST = 42, INVALID_PRODUCER_EPOCH = 47, INVALID_TXN_STATE = 48,
  INVALID_PRODUCER_ID_MAPPING = 49, INVALID_TRANSACTION_TIMEOUT = 50, OPERATION_NOT_ATTEMPTED = 55, UNSTABLE_OFFSET_COMMIT = 88, PRODUCER_FENCED = 90,
  TRANSACTION_ABORTABLE = 120;

t.test('transactions over the wire', async (t) => {
  const b = await testBroker(t);
  const kafka = new Kafka({ brokers: [b.bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  await admin.createTopics({ topics: [{ topic: 'txw', numPartitions: 2 }] });
  const c = await WireClient.connect(b.host, b.port);
  t.teardown(() => c.close());

  const init = (id: string | null, timeoutMs = 60_000, v = 4) => c.request(ApiKey.InitProducerId, v,
    (w) => encodeInitProducerIdRequest(w, { transactionalId: id, transactionTimeoutMs: timeoutMs, producerId: -1n, producerEpoch: -1 }, v), (r) => decodeInitProducerIdResponse(r, v));
  const addPartitions = (id: string, pid: bigint, epoch: number, topics: { name: string; partitions: number[] }[], v = 3) => c.request(ApiKey.AddPartitionsToTxn, v,
    (w) => encodeAddPartitionsToTxnRequest(w, { v3AndBelowTransactionalId: id, v3AndBelowProducerId: pid, v3AndBelowProducerEpoch: epoch, v3AndBelowTopics: topics }, v),
    (r) => decodeAddPartitionsToTxnResponse(r, v).resultsByTopicV3AndBelow!.flatMap((x) => x.resultsByPartition.map((p) => [x.name, p.partitionIndex, p.partitionErrorCode])));
  const endTxn = (id: string, pid: bigint, epoch: number, committed: boolean, v = 3) => c.request(ApiKey.EndTxn, v,
    (w) => encodeEndTxnRequest(w, { transactionalId: id, producerId: pid, producerEpoch: epoch, committed }, v), (r) => decodeEndTxnResponse(r, v).errorCode);
  const produce = (records: Buffer, partition = 0, transactionalId: string | null = null) => c.request(ApiKey.Produce, 9,
    (w) => encodeProduceRequest(w, { transactionalId, acks: -1, timeoutMs: 5000, topicData: [{ name: 'txw', partitionData: [{ index: partition, records }] }] }, 9),
    (r) => decodeProduceResponse(r, 9).responses[0]!.partitionResponses[0]!);
  const txnBatch = (pid: bigint, epoch: number, seq: number, value: string) => buildBatch([{ value }], { producerId: Number(pid), producerEpoch: epoch, baseSequence: seq, transactional: true });

  t.test('FindCoordinator answers transactional ids (key type 1)', async (t) => {
    const one = await c.request(ApiKey.FindCoordinator, 3, (w) => encodeFindCoordinatorRequest(w, { key: 'tx-a', keyType: 1 }, 3), (r) => decodeFindCoordinatorResponse(r, 3));
    t.same([one.errorCode, one.port], [NONE, b.port]);
    const many = await c.request(ApiKey.FindCoordinator, 4, (w) => encodeFindCoordinatorRequest(w, { keyType: 1, coordinatorKeys: ['tx-a', ''] }, 4), (r) => decodeFindCoordinatorResponse(r, 4));
    t.same(many.coordinators!.map((x) => x.errorCode), [NONE, INVALID_REQUEST], 'an empty transactional id is INVALID_REQUEST');
  });

  t.test('InitProducerId: timeout bounds, epochs', async (t) => {
    t.equal((await init('tx-timeout', 900_001)).errorCode, INVALID_TRANSACTION_TIMEOUT, 'above transaction.max.timeout.ms');
    const a = await init('tx-init');
    const again = await init('tx-init');
    t.same([a.errorCode, again.errorCode, again.producerId, again.producerEpoch], [NONE, NONE, a.producerId, a.producerEpoch + 1], 'same producer id, bumped epoch');
    const v4 = await c.request(ApiKey.InitProducerId, 4, (w) => encodeInitProducerIdRequest(w, { transactionalId: 'tx-init', transactionTimeoutMs: 60_000, producerId: a.producerId, producerEpoch: a.producerEpoch }, 4), (r) => decodeInitProducerIdResponse(r, 4));
    t.equal(v4.errorCode, PRODUCER_FENCED, 'v4: a stale epoch is PRODUCER_FENCED');
    const v3 = await c.request(ApiKey.InitProducerId, 3, (w) => encodeInitProducerIdRequest(w, { transactionalId: 'tx-init', transactionTimeoutMs: 60_000, producerId: a.producerId, producerEpoch: a.producerEpoch }, 3), (r) => decodeInitProducerIdResponse(r, 3));
    t.equal(v3.errorCode, INVALID_PRODUCER_EPOCH, 'v3: the same is INVALID_PRODUCER_EPOCH');
  });

  t.test('produce and AddPartitionsToTxn errors', async (t) => {
    const { producerId: pid, producerEpoch: epoch } = await init('tx-errors');
    t.equal((await produce(txnBatch(pid, epoch, 0, 'early'), 0, 'tx-errors')).errorCode, INVALID_TXN_STATE, 'a transactional batch before AddPartitionsToTxn');
    t.same(await addPartitions('tx-errors', pid, epoch, [{ name: 'txw', partitions: [0] }, { name: 'nope', partitions: [0] }]),
      [['txw', 0, OPERATION_NOT_ATTEMPTED], ['nope', 0, UNKNOWN_TOPIC_OR_PARTITION]], 'an unknown topic fails the request, the rest is not attempted');
    t.same(await addPartitions('tx-errors', pid + 1n, epoch, [{ name: 'txw', partitions: [0] }]), [['txw', 0, INVALID_PRODUCER_ID_MAPPING]], 'a producer id the id does not have');
    t.same(await addPartitions('tx-errors', pid, epoch + 1, [{ name: 'txw', partitions: [0] }]), [['txw', 0, PRODUCER_FENCED]], 'v3: a wrong epoch is PRODUCER_FENCED');
    t.same(await addPartitions('tx-errors', pid, epoch + 1, [{ name: 'txw', partitions: [0] }], 1), [['txw', 0, INVALID_PRODUCER_EPOCH]], 'v1: INVALID_PRODUCER_EPOCH');
    t.equal(await endTxn('tx-errors', pid, epoch, true), INVALID_TXN_STATE, 'EndTxn with no transaction open');
    t.same(await addPartitions('tx-errors', pid, epoch, [{ name: 'txw', partitions: [0] }]), [['txw', 0, NONE]]);
    t.equal((await produce(txnBatch(pid, epoch, 0, 'in'), 0, 'tx-errors')).errorCode, NONE, 'a transactional batch to an added partition');
    t.equal((await produce(txnBatch(pid, epoch, 0, 'other'), 1, 'tx-errors')).errorCode, INVALID_TXN_STATE, 'one to a partition not added');
    const plain = buildBatch([{ value: 'plain' }], { producerId: Number(pid), producerEpoch: epoch, baseSequence: 1 });
    t.equal((await produce(plain)).errorCode, INVALID_TXN_STATE, 'a plain batch from a producer with a transaction open in the partition');
    t.equal(await endTxn('tx-errors', pid, epoch, false), NONE, 'abort');
    t.equal(await endTxn('tx-errors', pid, epoch, true), INVALID_TXN_STATE, 'commit after abort');
    t.equal(await endTxn('tx-errors', pid, epoch, false), NONE, 'a retried abort');
  });

  t.test('Fetch and ListOffsets: last stable offset, aborted transactions', async (t) => {
    await admin.createTopics({ topics: [{ topic: 'txw-lso', numPartitions: 1 }] });
    const { producerId: pid, producerEpoch: epoch } = await init('tx-lso');
    const send = (records: Buffer) => c.request(ApiKey.Produce, 9,
      (w) => encodeProduceRequest(w, { transactionalId: 'tx-lso', acks: -1, timeoutMs: 5000, topicData: [{ name: 'txw-lso', partitionData: [{ index: 0, records }] }] }, 9),
      (r) => decodeProduceResponse(r, 9).responses[0]!.partitionResponses[0]!);
    const fetchLso = (isolationLevel: number) => c.request(ApiKey.Fetch, 11,
      (w) => encodeFetchRequest(w, { replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel, sessionId: 0, sessionEpoch: -1, rackId: '', forgottenTopicsData: [],
        topics: [{ topic: 'txw-lso', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }] }, 11),
      (r) => decodeFetchResponse(r, 11).responses[0]!.partitions[0]!);
    const latest = (isolationLevel: number, timestamp = -1n) => c.request(ApiKey.ListOffsets, 5,
      (w) => encodeListOffsetsRequest(w, { replicaId: -1, isolationLevel, topics: [{ name: 'txw-lso', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp }] }] }, 5),
      (r) => decodeListOffsetsResponse(r, 5).topics[0]!.partitions[0]!.offset);

    await addPartitions('tx-lso', pid, epoch, [{ name: 'txw-lso', partitions: [0] }]);
    await send(txnBatch(pid, epoch, 0, 'aborted-1'));
    await send(txnBatch(pid, epoch, 1, 'aborted-2'));
    const open = await fetchLso(1);
    t.same([open.highWatermark, open.lastStableOffset, open.records?.length], [2n, 0n, 0], 'read_committed: nothing past the open transaction, LSO at its first offset');
    t.same([await latest(1), await latest(0)], [0n, 2n], 'ListOffsets latest: the LSO for read_committed, the high watermark otherwise');
    t.same([await latest(1, 0n), await latest(0, 0n)], [-1n, 0n], 'ListOffsets by time: nothing at or past the LSO for read_committed');
    t.equal(await endTxn('tx-lso', pid, epoch, false), NONE);
    await addPartitions('tx-lso', pid, epoch, [{ name: 'txw-lso', partitions: [0] }]);
    await send(txnBatch(pid, epoch, 2, 'committed'));
    t.equal(await endTxn('tx-lso', pid, epoch, true), NONE);
    const done = await fetchLso(1);
    t.same([done.highWatermark, done.lastStableOffset], [5n, 5n], 'two data batches, an abort marker, a data batch, a commit marker');
    t.same(done.abortedTransactions?.map((a) => [a.producerId, a.firstOffset]), [[pid, 0n]], 'the aborted transaction is listed with its first offset');
    t.same((await fetchLso(0)).abortedTransactions, [], 'read_uncommitted gets no list');

    const producers = await c.request(ApiKey.DescribeProducers, 0, (w) => encodeDescribeProducersRequest(w, { topics: [{ name: 'txw-lso', partitionIndexes: [0] }, { name: 'nope', partitionIndexes: [0] }] }, 0), (r) => decodeDescribeProducersResponse(r, 0));
    const p0 = producers.topics[0]!.partitions[0]!;
    t.same(p0.activeProducers.map((p) => [p.producerId, p.producerEpoch, p.lastSequence, p.currentTxnStartOffset]), [[pid, epoch, 2, -1n]], 'DescribeProducers: the producer, its last sequence, no open transaction');
    t.equal(producers.topics[1]!.partitions[0]!.errorCode, UNKNOWN_TOPIC_OR_PARTITION);
  });

  t.test("the internal topics are compacted with Kafka's 100 MiB segments", async (t) => {
    await init('tx-internal');
    await c.request(ApiKey.AddOffsetsToTxn, 3, (w) => encodeAddOffsetsToTxnRequest(w, { transactionalId: 'tx-internal', producerId: 0n, producerEpoch: 0, groupId: 'g-internal' }, 3), (r) => decodeAddOffsetsToTxnResponse(r, 3));
    const { resources } = await admin.describeConfigs({ includeSynonyms: false, resources: ['__consumer_offsets', '__transaction_state'].map((name) => ({ type: 2, name, configNames: ['cleanup.policy', 'segment.bytes'] })) });
    for (const r of resources) {
      const v = Object.fromEntries(r.configEntries.map((e) => [e.configName, e.configValue]));
      t.same(v, { 'cleanup.policy': 'compact', 'segment.bytes': '104857600' }, r.resourceName);
    }
  });

  t.test('TxnOffsetCommit: needs AddOffsetsToTxn, stays pending (UNSTABLE_OFFSET_COMMIT) until the commit', async (t) => {
    const { producerId: pid, producerEpoch: epoch } = await init('tx-offsets');
    const txnCommit = (offset: bigint) => c.request(ApiKey.TxnOffsetCommit, 3,
      (w) => encodeTxnOffsetCommitRequest(w, { transactionalId: 'tx-offsets', groupId: 'g-tx', producerId: pid, producerEpoch: epoch, generationId: -1, memberId: '', groupInstanceId: null,
        topics: [{ name: 'txw', partitions: [{ partitionIndex: 1, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: '' }] }] }, 3),
      (r) => decodeTxnOffsetCommitResponse(r, 3).topics[0]!.partitions[0]!.errorCode);
    const offsetFetch = (requireStable: boolean) => c.request(ApiKey.OffsetFetch, 7,
      (w) => encodeOffsetFetchRequest(w, { groupId: 'g-tx', topics: [{ name: 'txw', partitionIndexes: [1] }], requireStable }, 7),
      (r) => decodeOffsetFetchResponse(r, 7).topics![0]!.partitions[0]!);
    t.equal(await txnCommit(7n), INVALID_TXN_STATE, "before AddOffsetsToTxn the group's partition is not in the transaction");
    const added = await c.request(ApiKey.AddOffsetsToTxn, 3, (w) => encodeAddOffsetsToTxnRequest(w, { transactionalId: 'tx-offsets', producerId: pid, producerEpoch: epoch, groupId: 'g-tx' }, 3), (r) => decodeAddOffsetsToTxnResponse(r, 3).errorCode);
    t.equal(added, NONE);
    t.equal(await txnCommit(7n), NONE);
    t.equal((await offsetFetch(true)).errorCode, UNSTABLE_OFFSET_COMMIT, 'require_stable: pending in an open transaction');
    t.same([(await offsetFetch(false)).errorCode, (await offsetFetch(false)).committedOffset], [NONE, -1n], 'without require_stable: not visible yet');
    const listed = await c.request(ApiKey.ListTransactions, 1, (w) => encodeListTransactionsRequest(w, { stateFilters: ['Ongoing', 'Bogus'], producerIdFilters: [], durationFilter: -1n }, 1), (r) => decodeListTransactionsResponse(r, 1));
    t.same(listed.unknownStateFilters, ['Bogus'], 'ListTransactions: unknown state names come back');
    t.same(listed.transactionStates.map((x) => [x.transactionalId, x.transactionState]), [['tx-offsets', 'Ongoing']], 'only the open transaction');
    t.equal(await endTxn('tx-offsets', pid, epoch, true), NONE);
    const after = await offsetFetch(true);
    t.same([after.errorCode, after.committedOffset], [NONE, 7n], 'committed with the transaction');
  });

  t.test('TxnOffsetCommit per version: verified by the transaction coordinator as in Kafka 3.6+ (KIP-890)', async (t) => {
    const { producerId: pid, producerEpoch: epoch } = await init('tx-verify');
    const commit = (v: number, transactionalId: string, producerId: bigint, producerEpoch: number, groupId = 'g-verify') => c.request(ApiKey.TxnOffsetCommit, v,
      (w) => encodeTxnOffsetCommitRequest(w, { transactionalId, groupId, producerId, producerEpoch, generationId: -1, memberId: '', groupInstanceId: null,
        topics: [{ name: 'txw', partitions: [{ partitionIndex: 0, committedOffset: 3n, committedLeaderEpoch: -1, committedMetadata: '' }, { partitionIndex: 9, committedOffset: 3n, committedLeaderEpoch: -1, committedMetadata: '' }] }] }, v),
      (r) => decodeTxnOffsetCommitResponse(r, v).topics[0]!.partitions.map((p) => p.errorCode));
    for (const v of [0, 1, 2, 3, 4]) {
      t.same(await commit(v, 'tx-never-initialized', 12345n, 0), [INVALID_PRODUCER_ID_MAPPING, UNKNOWN_TOPIC_OR_PARTITION], `v${v}: a transactional id the coordinator does not know`);
      t.same(await commit(v, 'tx-verify', pid + 1n, epoch), [INVALID_PRODUCER_ID_MAPPING, UNKNOWN_TOPIC_OR_PARTITION], `v${v}: a producer id the transactional id does not have`);
      t.same(await commit(v, 'tx-verify', pid, epoch + 1), [INVALID_PRODUCER_EPOCH, UNKNOWN_TOPIC_OR_PARTITION], `v${v}: another epoch (PRODUCER_FENCED as the append path maps it)`);
      t.same(await commit(v, '', pid, epoch), [INVALID_REQUEST, UNKNOWN_TOPIC_OR_PARTITION], `v${v}: an empty transactional id`);
      t.same(await commit(v, 'tx-verify', pid, epoch), [v >= 4 ? TRANSACTION_ABORTABLE : INVALID_TXN_STATE, UNKNOWN_TOPIC_OR_PARTITION],
        `v${v}: no AddOffsetsToTxn: ${v >= 4 ? 'TRANSACTION_ABORTABLE' : 'INVALID_TXN_STATE'}`);
    }
    t.same(await addPartitions('tx-verify', pid, epoch, [{ name: 'txw', partitions: [0] }]), [['txw', 0, NONE]]);
    t.same(await commit(4, 'tx-verify', pid, epoch), [TRANSACTION_ABORTABLE, UNKNOWN_TOPIC_OR_PARTITION], 'an open transaction without the group is no better');
    const added = await c.request(ApiKey.AddOffsetsToTxn, 3, (w) => encodeAddOffsetsToTxnRequest(w, { transactionalId: 'tx-verify', producerId: pid, producerEpoch: epoch, groupId: 'g-verify' }, 3), (r) => decodeAddOffsetsToTxnResponse(r, 3).errorCode);
    t.equal(added, NONE);
    for (const v of [0, 1, 2, 3, 4]) t.same(await commit(v, 'tx-verify', pid, epoch), [NONE, UNKNOWN_TOPIC_OR_PARTITION], `v${v}: after AddOffsetsToTxn`);
    t.equal(await endTxn('tx-verify', pid, epoch, false), NONE);
    t.same(await commit(0, 'tx-verify', pid, epoch), [INVALID_TXN_STATE, UNKNOWN_TOPIC_OR_PARTITION], 'v0: after the transaction ended the group is no longer in one');
    t.same(await commit(4, 'tx-verify', pid, epoch), [TRANSACTION_ABORTABLE, UNKNOWN_TOPIC_OR_PARTITION], 'v4: the same');
  });

});
