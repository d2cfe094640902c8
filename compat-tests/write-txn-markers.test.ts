/**
 * WriteTxnMarkers (API 27), the broker-to-broker request a transaction
 * coordinator sends to the leaders of its transaction's partitions: markers
 * end the transaction in each partition (read_committed sees it, the last
 * stable offset moves), per-partition errors for unknown partitions and stale
 * producer epochs, and a marker in the group's __consumer_offsets partition
 * settles the offsets committed in the transaction, as Kafka does.
 */
import t from 'tap';
import { ApiKey } from '../src/wire/generated/api-keys.js';
import { encodeCreateTopicsRequest, decodeCreateTopicsResponse } from '../src/wire/generated/create-topics.js';
import { encodeFindCoordinatorRequest, decodeFindCoordinatorResponse } from '../src/wire/generated/find-coordinator.js';
import { encodeInitProducerIdRequest, decodeInitProducerIdResponse } from '../src/wire/generated/init-producer-id.js';
import { encodeAddPartitionsToTxnRequest, decodeAddPartitionsToTxnResponse } from '../src/wire/generated/add-partitions-to-txn.js';
import { encodeAddOffsetsToTxnRequest, decodeAddOffsetsToTxnResponse } from '../src/wire/generated/add-offsets-to-txn.js';
import { encodeTxnOffsetCommitRequest, decodeTxnOffsetCommitResponse } from '../src/wire/generated/txn-offset-commit.js';
import { encodeOffsetFetchRequest, decodeOffsetFetchResponse } from '../src/wire/generated/offset-fetch.js';
import { encodeProduceRequest, decodeProduceResponse } from '../src/wire/generated/produce.js';
import { encodeFetchRequest, decodeFetchResponse } from '../src/wire/generated/fetch.js';
import { encodeWriteTxnMarkersRequest, decodeWriteTxnMarkersResponse, type WriteTxnMarkersRequestWritableTxnMarker } from '../src/wire/generated/write-txn-markers.js';
import { buildBatch } from '../src/wire/records/batch-builder.js';
import { partitionFor } from '../src/coordinator/internal-topic.js';
import { WireClient } from './helpers/wire-client.js';
import { testBroker } from './helpers/broker.js';

const NONE = 0, UNKNOWN_TOPIC_OR_PARTITION = 3, INVALID_PRODUCER_EPOCH = 47, UNSTABLE_OFFSET_COMMIT = 88;

t.test('WriteTxnMarkers over the wire', async (t) => {
  const b = await testBroker(t, { 'offsets.topic.num.partitions': '5' });
  const c = await WireClient.connect(b.host, b.port);
  t.teardown(() => c.close());
  const created = await c.request(ApiKey.CreateTopics, 4,
    (w) => encodeCreateTopicsRequest(w, { topics: [{ name: 'wtm', numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false }, 4),
    (r) => decodeCreateTopicsResponse(r, 4).topics[0]!.errorCode);
  t.equal(created, NONE);

  const findCoordinator = (key: string, keyType: number) => c.request(ApiKey.FindCoordinator, 3, (w) => encodeFindCoordinatorRequest(w, { key, keyType }, 3), (r) => decodeFindCoordinatorResponse(r, 3));
  const init = async (id: string) => {
    const found = await findCoordinator(id, 1);
    t.same([found.errorCode, found.port], [NONE, b.port], 'the transaction coordinator is this broker');
    return c.request(ApiKey.InitProducerId, 4,
      (w) => encodeInitProducerIdRequest(w, { transactionalId: id, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 }, 4), (r) => decodeInitProducerIdResponse(r, 4));
  };
  const addPartitions = (id: string, pid: bigint, epoch: number, partitions: number[]) => c.request(ApiKey.AddPartitionsToTxn, 3,
    (w) => encodeAddPartitionsToTxnRequest(w, { v3AndBelowTransactionalId: id, v3AndBelowProducerId: pid, v3AndBelowProducerEpoch: epoch, v3AndBelowTopics: [{ name: 'wtm', partitions }] }, 3),
    (r) => decodeAddPartitionsToTxnResponse(r, 3).resultsByTopicV3AndBelow!.flatMap((x) => x.resultsByPartition.map((p) => p.partitionErrorCode)));
  const produce = (id: string, pid: bigint, epoch: number, partition: number, value: string) => c.request(ApiKey.Produce, 9,
    (w) => encodeProduceRequest(w, { transactionalId: id, acks: -1, timeoutMs: 5000,
      topicData: [{ name: 'wtm', partitionData: [{ index: partition, records: buildBatch([{ value }], { producerId: Number(pid), producerEpoch: epoch, baseSequence: 0, transactional: true }) }] }] }, 9),
    (r) => decodeProduceResponse(r, 9).responses[0]!.partitionResponses[0]!.errorCode);
  const fetchCommitted = (partition: number) => c.request(ApiKey.Fetch, 11,
    (w) => encodeFetchRequest(w, { replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 1, sessionId: 0, sessionEpoch: -1, rackId: '', forgottenTopicsData: [],
      topics: [{ topic: 'wtm', partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }] }, 11),
    (r) => decodeFetchResponse(r, 11).responses[0]!.partitions[0]!);
  const markers = (v: number, list: WriteTxnMarkersRequestWritableTxnMarker[]) => c.request(ApiKey.WriteTxnMarkers, v,
    (w) => encodeWriteTxnMarkersRequest(w, { markers: list }, v),
    (r) => decodeWriteTxnMarkersResponse(r, v).markers.map((m) => [m.producerId, m.topics.flatMap((x) => x.partitions.map((p) => [x.name, p.partitionIndex, p.errorCode]))]));

  for (const v of [0, 1]) {
    t.test(`v${v}: a commit marker ends the transaction in each partition`, async (t) => {
      const id = `tx-wtm-${v}`;
      const { producerId: pid, producerEpoch: epoch } = await init(id);
      t.same(await addPartitions(id, pid, epoch, [0, 1]), [NONE, NONE]);
      t.equal(await produce(id, pid, epoch, 0, 'a'), NONE);
      t.equal(await produce(id, pid, epoch, 1, 'b'), NONE);
      const before = await fetchCommitted(0);
      t.ok((before.lastStableOffset ?? -1n) < before.highWatermark, 'read_committed waits behind the open transaction');
      const res = await markers(v, [{ producerId: pid, producerEpoch: epoch, transactionResult: true, coordinatorEpoch: 0, topics: [{ name: 'wtm', partitionIndexes: [0, 1] }, { name: 'wtm-missing', partitionIndexes: [0] }] }]);
      t.same(res, [[pid, [['wtm', 0, NONE], ['wtm', 1, NONE], ['wtm-missing', 0, UNKNOWN_TOPIC_OR_PARTITION]]]], 'NONE per partition, UNKNOWN_TOPIC_OR_PARTITION for a partition not here');
      for (const p of [0, 1]) {
        const after = await fetchCommitted(p);
        t.equal(after.lastStableOffset, after.highWatermark, `partition ${p}: the last stable offset reaches the marker`);
        t.same(after.abortedTransactions, [], 'nothing aborted');
      }
      const stale = await markers(v, [{ producerId: pid, producerEpoch: epoch - 1, transactionResult: false, coordinatorEpoch: 0, topics: [{ name: 'wtm', partitionIndexes: [0] }] }]);
      t.same(stale, [[pid, [['wtm', 0, INVALID_PRODUCER_EPOCH]]]], 'an older producer epoch is refused');
    });
  }

  t.test('a marker in the group partition of __consumer_offsets settles the transaction offsets', async (t) => {
    const id = 'tx-wtm-offsets';
    const group = 'g-wtm';
    const { producerId: pid, producerEpoch: epoch } = await init(id);
    const found = await findCoordinator(group, 0);
    t.same([found.errorCode, found.port], [NONE, b.port], 'the group coordinator is this broker');
    const added = await c.request(ApiKey.AddOffsetsToTxn, 3, (w) => encodeAddOffsetsToTxnRequest(w, { transactionalId: id, producerId: pid, producerEpoch: epoch, groupId: group }, 3), (r) => decodeAddOffsetsToTxnResponse(r, 3).errorCode);
    t.equal(added, NONE);
    const committed = await c.request(ApiKey.TxnOffsetCommit, 3,
      (w) => encodeTxnOffsetCommitRequest(w, { transactionalId: id, groupId: group, producerId: pid, producerEpoch: epoch, generationId: -1, memberId: '', groupInstanceId: null,
        topics: [{ name: 'wtm', partitions: [{ partitionIndex: 0, committedOffset: 11n, committedLeaderEpoch: -1, committedMetadata: '' }] }] }, 3),
      (r) => decodeTxnOffsetCommitResponse(r, 3).topics[0]!.partitions[0]!.errorCode);
    t.equal(committed, NONE);
    const offsetFetch = () => c.request(ApiKey.OffsetFetch, 7,
      (w) => encodeOffsetFetchRequest(w, { groupId: group, topics: [{ name: 'wtm', partitionIndexes: [0] }], requireStable: true }, 7),
      (r) => decodeOffsetFetchResponse(r, 7).topics![0]!.partitions[0]!);
    t.equal((await offsetFetch()).errorCode, UNSTABLE_OFFSET_COMMIT, 'pending until the marker');
    const partition = partitionFor(group, 5);
    const res = await markers(1, [{ producerId: pid, producerEpoch: epoch, transactionResult: true, coordinatorEpoch: 0, topics: [{ name: '__consumer_offsets', partitionIndexes: [partition] }] }]);
    t.same(res, [[pid, [['__consumer_offsets', partition, NONE]]]]);
    const after = await offsetFetch();
    t.same([after.errorCode, after.committedOffset], [NONE, 11n], 'the commit marker makes the offset visible');
  });
});
