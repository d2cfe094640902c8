import t from 'tap';
import { ReplicaManager, type DataPathTopicConfig } from '../../src/broker/replica-manager.js';
import { FetchSessionCache } from '../../src/broker/fetch-session-cache.js';
import type { DataPathContext } from '../../src/broker/handlers/data-path-context.js';
import { produce } from '../../src/broker/handlers/produce.js';
import { fetch } from '../../src/broker/handlers/fetch.js';
import { listOffsets } from '../../src/broker/handlers/list-offsets.js';
import { initProducerId } from '../../src/broker/handlers/init-producer-id.js';
import { offsetForLeaderEpoch } from '../../src/broker/handlers/offset-for-leader-epoch.js';
import { deleteRecords } from '../../src/broker/handlers/delete-records.js';
import { Writer } from '../../src/wire/protocol/writer.js';
import { Reader } from '../../src/wire/protocol/reader.js';
import { encodeFetchResponse, decodeFetchResponse, type FetchRequest } from '../../src/wire/generated/fetch.js';
import { ProducerIdManager } from '../../src/broker/producer-id-manager.js';
import { makeBatch, MemoryLog } from './test-batches.js';

const cfg: DataPathTopicConfig = { maxMessageBytes: 1048588, logAppendTime: false, compressionType: 'producer', minInsyncReplicas: 1, compactOnly: false, segmentBytes: 1 << 30 };
const TOPIC_ID = 'AAAAAAAAAAAAAAAAAAAAAQ';

function setup(dir: string) {
  const logs = [new MemoryLog(), new MemoryLog()];
  const rm = new ReplicaManager((topic, p) => (topic === 't' && logs[p] ? { log: logs[p]!, config: cfg, leaderEpoch: 0 } : undefined));
  let closed = '';
  const ctx: DataPathContext = {
    replicaManager: rm, fetchSessions: new FetchSessionCache(), producerIds: new ProducerIdManager(dir),
    topicId: (n) => (n === 't' ? TOPIC_ID : undefined), topicName: (id) => (id === TOPIC_ID ? 't' : undefined),
    closeConnection: (r) => { closed = r; },
  };
  return { ctx, logs, rm, closed: () => closed };
}

const produceReq = (acks: number, partition = 0, topic = 't') => ({ transactionalId: null, acks, timeoutMs: 1000, topicData: [{ name: topic, partitionData: [{ index: partition, records: makeBatch({ values: ['hello'] }) }] }] });
const fetchReq = (o: Partial<FetchRequest> & { offset?: number }): FetchRequest => ({
  replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
  topics: [{ topic: 't', topicId: TOPIC_ID, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: BigInt(o.offset ?? 0), lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }],
  forgottenTopicsData: [], rackId: '', ...o,
});

t.test('produce: acks 1 answers after the write, acks 0 answers nothing, bad acks and topics', async (t) => {
  const { ctx, closed } = setup(t.testdir({}));
  const r = await produce.handle(ctx, produceReq(1), 9);
  t.equal(r!.responses[0]!.partitionResponses[0]!.errorCode, 0);
  t.equal(r!.responses[0]!.partitionResponses[0]!.baseOffset, 0n);
  t.equal(ctx.replicaManager.highWatermark('t', 0), 1, 'visible when acknowledged');
  t.equal(await produce.handle(ctx, produceReq(0), 9), null);
  t.equal(closed(), '');
  t.equal(await produce.handle(ctx, produceReq(0, 0, 'gone'), 9), null);
  t.match(closed(), /acks=0/);
  const bad = await produce.handle(ctx, produceReq(2), 9);
  t.equal(bad!.responses[0]!.partitionResponses[0]!.errorCode, 21);
  const unknown = await produce.handle(ctx, produceReq(-1, 5), 9);
  t.equal(unknown!.responses[0]!.partitionResponses[0]!.errorCode, 3);
});

t.test('produce acks=-1: a partition still waiting at timeout_ms answers REQUEST_TIMED_OUT, the others their own answer', async (t) => {
  const { ctx, rm } = setup(t.testdir({}));
  // Partition 1's acknowledgement never comes (a follower that stopped fetching); partition 0's does.
  const stuck = Object.create(rm) as ReplicaManager;
  stuck.appendRecords = (topic, partition, records, version, acks) => {
    const r = rm.appendRecords(topic, partition, records, version, acks);
    return partition === 1 ? { ...r, done: new Promise<number>(() => {}) } : r;
  };
  const req = { transactionalId: null, acks: -1, timeoutMs: 200, topicData: [{ name: 't', partitionData: [0, 1].map((index) => ({ index, records: makeBatch({ values: ['x'] }) })) }] };
  const r = await produce.handle({ ...ctx, replicaManager: stuck }, req, 9);
  const [p0, p1] = r!.responses[0]!.partitionResponses;
  t.same([p0!.errorCode, p0!.baseOffset], [0, 0n], 'the acknowledged partition keeps its answer');
  t.same([p1!.errorCode, p1!.baseOffset], [7, -1n], 'the waiting one times out (REQUEST_TIMED_OUT)');
  const none = await produce.handle(ctx, { ...req, topicData: [] }, 9);
  t.same(none!.responses, [], 'a request with no partitions is answered at once');
});

t.test('fetch: empty partition has an empty record set, never null; data round-trips through the codec', async (t) => {
  const { ctx } = setup(t.testdir({}));
  const empty = await fetch.handle(ctx, fetchReq({}), 11);
  const p = empty.responses[0]!.partitions[0]!;
  t.equal(p.errorCode, 0);
  t.ok(Buffer.isBuffer(p.records) && p.records.length === 0);
  const w = new Writer();
  encodeFetchResponse(w, empty, 11);
  t.same(decodeFetchResponse(new Reader(w.toBuffer()), 11).responses[0]!.partitions[0]!.records, Buffer.alloc(0));
  await produce.handle(ctx, produceReq(1), 9);
  const full = await fetch.handle(ctx, fetchReq({}), 11);
  t.equal(full.responses[0]!.partitions[0]!.highWatermark, 1n);
  t.ok(full.responses[0]!.partitions[0]!.records!.length > 61);
  const oor = await fetch.handle(ctx, fetchReq({ offset: 7 }), 11);
  t.equal(oor.responses[0]!.partitions[0]!.errorCode, 1);
  const byId = await fetch.handle(ctx, fetchReq({}), 13);
  t.equal(byId.responses[0]!.topicId, TOPIC_ID);
  const unknownId = await fetch.handle(ctx, fetchReq({ topics: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAg', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 100 }] }] }), 13);
  t.equal(unknownId.responses[0]!.partitions[0]!.errorCode, 100);
});

t.test('fetch: long poll wakes on produce, sessions answer only changes', async (t) => {
  const { ctx } = setup(t.testdir({}));
  const started = Date.now();
  const waiting = fetch.handle(ctx, fetchReq({ maxWaitMs: 5000, sessionEpoch: 0 }), 12);
  setTimeout(() => void produce.handle(ctx, produceReq(1), 9), 20);
  const r = await waiting;
  t.ok(Date.now() - started < 2000, 'woken by the append, not the timeout');
  t.ok(r.sessionId! > 0);
  t.ok(r.responses[0]!.partitions[0]!.records!.length > 0);
  // incremental fetch at epoch 1: nothing changed -> no partitions after max wait
  const inc = await fetch.handle(ctx, fetchReq({ maxWaitMs: 10, sessionId: r.sessionId, sessionEpoch: 1, topics: [{ topic: 't', partitions: [{ partition: 0, fetchOffset: 1n, partitionMaxBytes: 1 << 20 }] }] }), 12);
  t.same(inc.responses, []);
  const stale = await fetch.handle(ctx, fetchReq({ sessionId: r.sessionId, sessionEpoch: 1, topics: [] }), 12);
  t.equal(stale.errorCode, 71);
});

t.test('list offsets, delete records, offset for leader epoch, init producer id', async (t) => {
  const { ctx } = setup(t.testdir({}));
  await produce.handle(ctx, produceReq(1), 9);
  await produce.handle(ctx, produceReq(1), 9);
  const lo = listOffsets.handle(ctx, { replicaId: -1, isolationLevel: 0, topics: [{ name: 't', partitions: [{ partitionIndex: 0, timestamp: -1n }, { partitionIndex: 0, timestamp: -2n }] }] }, 5);
  t.same(lo.topics[0]!.partitions.map((p) => [p.errorCode, p.offset]), [[0, 2n], [42, -1n]]);
  const v0 = listOffsets.handle(ctx, { replicaId: -1, topics: [{ name: 't', partitions: [{ partitionIndex: 0, timestamp: -1n, maxNumOffsets: 1 }] }] }, 0);
  t.same(v0.topics[0]!.partitions[0]!.oldStyleOffsets, [2n]);
  const ofle = offsetForLeaderEpoch.handle(ctx, { replicaId: -1, topics: [{ topic: 't', partitions: [{ partition: 0, currentLeaderEpoch: 0, leaderEpoch: 0 }, { partition: 1, currentLeaderEpoch: 1, leaderEpoch: 0 }, { partition: 0, currentLeaderEpoch: -1, leaderEpoch: 3 }] }] });
  t.same(ofle.topics[0]!.partitions.map((p) => [p.errorCode, p.leaderEpoch, p.endOffset]), [[0, 0, 2n], [75, -1, -1n], [0, -1, -1n]]);
  const dr = deleteRecords.handle(ctx, { topics: [{ name: 't', partitions: [{ partitionIndex: 0, offset: 1n }, { partitionIndex: 9, offset: 1n }] }], timeoutMs: 100 });
  t.same(dr.topics[0]!.partitions.map((p) => [p.errorCode, p.lowWatermark]), [[0, 1n], [3, -1n]]);
  const txnCtx = { ...ctx, txns: undefined as never };
  const a = await initProducerId.handle(txnCtx, { transactionalId: null, transactionTimeoutMs: 0, producerId: -1n, producerEpoch: -1 }, 4);
  const b = await initProducerId.handle(txnCtx, { transactionalId: null, transactionTimeoutMs: 0, producerId: a.producerId, producerEpoch: 0 }, 4);
  t.same([a.errorCode, a.producerEpoch, b.errorCode, b.producerEpoch], [0, 0, 0, 0]);
  t.not(a.producerId, b.producerId);
  t.equal((await initProducerId.handle(txnCtx, { transactionalId: null, transactionTimeoutMs: 0, producerId: 5n, producerEpoch: -1 }, 4)).errorCode, 42);
  t.equal((await initProducerId.handle(txnCtx, { transactionalId: '', transactionTimeoutMs: 1000 }, 4)).errorCode, 42, 'an empty transactional id is INVALID_REQUEST');
});
