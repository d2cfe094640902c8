/**
 * Every data-path handler at every version it advertises: the request goes
 * through the real codec at that version, the handler answers, and the
 * answer encodes and decodes at that version with the values intact.
 */
import t from 'tap';
import { ReplicaManager, type DataPathTopicConfig } from '../../src/broker/replica-manager.js';
import { FetchSessionCache } from '../../src/broker/fetch-session-cache.js';
import { ProducerIdManager } from '../../src/broker/producer-id-manager.js';
import type { DataPathContext } from '../../src/broker/handlers/data-path-context.js';
import { produce } from '../../src/broker/handlers/produce.js';
import { fetch } from '../../src/broker/handlers/fetch.js';
import { listOffsets } from '../../src/broker/handlers/list-offsets.js';
import { deleteRecords } from '../../src/broker/handlers/delete-records.js';
import { offsetForLeaderEpoch } from '../../src/broker/handlers/offset-for-leader-epoch.js';
import { initProducerId } from '../../src/broker/handlers/init-producer-id.js';
import { CODECS } from '../../src/wire/generated/index.js';
import { Writer } from '../../src/wire/protocol/writer.js';
import { Reader } from '../../src/wire/protocol/reader.js';
import { makeBatch, MemoryLog } from './test-batches.js';

const cfg: DataPathTopicConfig = { maxMessageBytes: 1048588, logAppendTime: false, compressionType: 'producer', minInsyncReplicas: 1, compactOnly: false, segmentBytes: 1 << 30 };
const TOPIC_ID = 'AAAAAAAAAAAAAAAAAAAAAQ';

function roundTrip<T>(apiKey: number, kind: 'request' | 'response', m: T, v: number): T {
  const w = new Writer();
  CODECS[apiKey]![kind].encode(w, m as never, v);
  const r = new Reader(w.toBuffer());
  const out = CODECS[apiKey]![kind].decode(r, v) as T;
  if (r.remaining() !== 0) throw new Error(`${r.remaining()} bytes left`);
  return out;
}

t.test('each handler at each advertised version', async (t) => {
  const log = new MemoryLog();
  const rm = new ReplicaManager((topic, p) => (topic === 't' && p === 0 ? { log, config: cfg, leaderEpoch: 0 } : undefined));
  const ctx: DataPathContext = {
    replicaManager: rm, fetchSessions: new FetchSessionCache(), producerIds: new ProducerIdManager(t.testdir({})),
    topicId: (n) => (n === 't' ? TOPIC_ID : undefined), topicName: (id) => (id === TOPIC_ID ? 't' : undefined),
  };
  const call = async (h: { apiKey: number; handle: (...a: never[]) => unknown }, req: unknown, v: number) => {
    const decoded = roundTrip(h.apiKey, 'request', req, v);
    const res = await (h.handle as (c: DataPathContext, r: unknown, v: number) => unknown)(ctx, decoded, v);
    return roundTrip(h.apiKey, 'response', res, v) as never;
  };

  for (let v = produce.minVersion; v <= produce.maxVersion; v++) {
    const res: { responses: { partitionResponses: { errorCode: number; baseOffset: bigint }[] }[] } = await call(produce,
      { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: 't', partitionData: [{ index: 0, records: makeBatch({ values: [`v${v}`] }) }] }] }, v);
    t.same(res.responses[0]!.partitionResponses[0]!.errorCode, 0, `Produce v${v}`);
  }
  const end = BigInt(log.logEndOffset);
  for (let v = fetch.minVersion; v <= fetch.maxVersion; v++) {
    const res: { responses: { partitions: { errorCode: number; highWatermark: bigint; records: Buffer | null }[] }[] } = await call(fetch, {
      clusterId: null, replicaId: -1, replicaState: { replicaId: -1, replicaEpoch: -1n }, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 1,
      sessionId: 0, sessionEpoch: -1, topics: [{ topic: 't', topicId: TOPIC_ID, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }],
      forgottenTopicsData: [], rackId: '',
    }, v);
    const p = res.responses[0]!.partitions[0]!;
    t.same([p.errorCode, p.highWatermark, p.records!.length > 0], [0, end, true], `Fetch v${v}`);
    t.equal(p.records!.readInt8(16), v <= 1 ? 0 : v <= 3 ? 1 : 2, `Fetch v${v}: message format`);
  }
  for (let v = listOffsets.minVersion; v <= listOffsets.maxVersion; v++) {
    const res: { topics: { partitions: { errorCode: number; offset?: bigint; oldStyleOffsets?: bigint[] }[] }[] } = await call(listOffsets,
      { replicaId: -1, isolationLevel: 0, timeoutMs: 1000, topics: [{ name: 't', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }] }] }, v);
    const p = res.topics[0]!.partitions[0]!;
    t.same([p.errorCode, v === 0 ? p.oldStyleOffsets : p.offset], [0, v === 0 ? [end] : end], `ListOffsets v${v}`);
  }
  for (let v = offsetForLeaderEpoch.minVersion; v <= offsetForLeaderEpoch.maxVersion; v++) {
    const res: { topics: { partitions: { errorCode: number; endOffset: bigint }[] }[] } = await call(offsetForLeaderEpoch,
      { replicaId: -1, topics: [{ topic: 't', partitions: [{ partition: 0, currentLeaderEpoch: 0, leaderEpoch: 0 }] }] }, v);
    t.same([res.topics[0]!.partitions[0]!.errorCode, res.topics[0]!.partitions[0]!.endOffset], [0, end], `OffsetForLeaderEpoch v${v}`);
  }
  for (let v = initProducerId.minVersion; v <= initProducerId.maxVersion; v++) {
    const res: { errorCode: number; producerEpoch: number } = await call(initProducerId, { transactionalId: null, transactionTimeoutMs: 1000, producerId: -1n, producerEpoch: -1 }, v);
    t.same([res.errorCode, res.producerEpoch], [0, 0], `InitProducerId v${v}`);
  }
  for (let v = deleteRecords.minVersion; v <= deleteRecords.maxVersion; v++) {
    const res: { topics: { partitions: { errorCode: number; lowWatermark: bigint }[] }[] } = await call(deleteRecords,
      { timeoutMs: 1000, topics: [{ name: 't', partitions: [{ partitionIndex: 0, offset: BigInt(v) }] }] }, v);
    t.same([res.topics[0]!.partitions[0]!.errorCode, res.topics[0]!.partitions[0]!.lowWatermark], [0, BigInt(v)], `DeleteRecords v${v}`);
  }
});
