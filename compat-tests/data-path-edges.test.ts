/**
 * Data path behaviour clients rely on without a client library hiding it:
 * idempotent sequence checks (also after a restart), LogAppendTime topics,
 * DeleteRecords, incremental fetch sessions, the first batch of a fetch
 * coming whole even past max_bytes, a fetch in the middle of a batch.
 */
import t from 'tap';
import { Kafka, logLevel } from 'kafkajs';
import { ApiKey } from '../src/wire/generated/api-keys.js';
import { encodeFetchRequest, decodeFetchResponse, type FetchRequest } from '../src/wire/generated/fetch.js';
import { encodeProduceRequest, decodeProduceResponse } from '../src/wire/generated/produce.js';
import { encodeInitProducerIdRequest, decodeInitProducerIdResponse } from '../src/wire/generated/init-producer-id.js';
import { encodeOffsetForLeaderEpochRequest, decodeOffsetForLeaderEpochResponse } from '../src/wire/generated/offset-for-leader-epoch.js';
import { BatchHeader } from '../src/wire/records/batch-header.js';
import { WireClient } from './helpers/wire-client.js';
import { kcatConsumeAll, kcatProduce } from './helpers/kcat.js';
import { testBroker } from './helpers/broker.js';
import { recordBatch, legacyMessage } from './helpers/data-path.js';

const uniq = (name: string) => `${name}-${process.pid}-${Math.floor(Math.random() * 1e9)}`;

const produceOn = (c: WireClient, topic: string, records: Buffer, partition = 0) =>
  c.request(ApiKey.Produce, 9, (w) => encodeProduceRequest(w, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] }, 9), (r) => decodeProduceResponse(r, 9).responses[0]!.partitionResponses[0]!);

const fetchOn = (c: WireClient, version: number, req: Partial<FetchRequest> & { topics: FetchRequest['topics'] }) =>
  c.request(ApiKey.Fetch, version, (w) => encodeFetchRequest(w, { replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, forgottenTopicsData: [], rackId: '', ...req }, version), (r) => decodeFetchResponse(r, version));

const part = (partition: number, fetchOffset: bigint, partitionMaxBytes = 1 << 20) =>
  ({ partition, currentLeaderEpoch: -1, fetchOffset, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes });

t.test('data path edges', async (t) => {
  const b = await testBroker(t);
  const kafka = new Kafka({ clientId: 'compat-edges', brokers: [b.bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  let c = await WireClient.connect(b.host, b.port);
  t.teardown(() => c.close());

  t.test('idempotence: a retried batch gets its original offset, a gap OUT_OF_ORDER_SEQUENCE_NUMBER, also after a restart', async (t) => {
    const topic = uniq('seq');
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    const init = await c.request(ApiKey.InitProducerId, 4, (w) => encodeInitProducerIdRequest(w, { transactionalId: null, transactionTimeoutMs: 60000, producerId: -1n, producerEpoch: -1 }, 4), (r) => decodeInitProducerIdResponse(r, 4));
    t.equal(init.errorCode, 0);
    t.equal(init.producerEpoch, 0);
    const batch = (seq: number, n: number) => recordBatch({ values: Array.from({ length: n }, (_, i) => `s${seq + i}`), producerId: init.producerId, producerEpoch: 0, baseSequence: seq });
    t.same([(await produceOn(c, topic, batch(0, 3))).baseOffset, (await produceOn(c, topic, batch(3, 2))).baseOffset], [0n, 3n]);
    const dup = await produceOn(c, topic, batch(0, 3));
    t.same([dup.errorCode, dup.baseOffset], [0, 0n], 'retry acknowledged with the original offset');
    t.equal((await produceOn(c, topic, batch(9, 1))).errorCode, 45, 'OUT_OF_ORDER_SEQUENCE_NUMBER');
    const next5 = await produceOn(c, topic, recordBatch({ values: ['x'], producerId: init.producerId, producerEpoch: 0, baseSequence: 5 }));
    t.same([next5.errorCode, next5.baseOffset], [0, 5n], "the next sequence after the refused gap is accepted");
    if (!b.external) {
      c.close();
      await b.restart();
      c = await WireClient.connect(b.host, b.port);
      const again = await produceOn(c, topic, batch(3, 2));
      t.same([again.errorCode, again.baseOffset], [0, 3n], 'duplicate still recognised after a restart');
      t.equal((await produceOn(c, topic, batch(6, 1))).baseOffset, 6n);
      const next = await c.request(ApiKey.InitProducerId, 4, (w) => encodeInitProducerIdRequest(w, { transactionalId: null, transactionTimeoutMs: 60000, producerId: -1n, producerEpoch: -1 }, 4), (r) => decodeInitProducerIdResponse(r, 4));
      t.not(next.producerId, init.producerId, 'producer ids are not reused after a restart');
    }
    const got = await kcatConsumeAll(b.bootstrap, topic);
    t.equal(got.length, b.external ? 6 : 7, 'no duplicates in the log');
  });

  t.test('LogAppendTime topics: the broker time, visible to consumers', async (t) => {
    const topic = uniq('lat');
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }] }], waitForLeaders: true });
    const before = Date.now();
    const r = await produceOn(c, topic, recordBatch({ values: ['a', 'b'], timestamp: 1000 }));
    t.equal(r.errorCode, 0);
    t.ok(Number(r.logAppendTimeMs) >= before - 5, 'log_append_time_ms in the response');
    const got = await kcatConsumeAll(b.bootstrap, topic);
    t.same(got.map((m) => m.tstype), ['logappend', 'logappend']);
    t.ok(got[0]!.ts >= before - 5);
  });

  t.test('DeleteRecords through kafkajs: the low watermark moves, earlier records are gone', async (t) => {
    const topic = uniq('delrec');
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    const producer = kafka.producer();
    await producer.connect();
    t.teardown(() => producer.disconnect());
    for (let i = 0; i < 5; i++) await producer.send({ topic, messages: [{ value: `d${i}` }] });
    await admin.fetchTopicOffsets(topic); // kafkajs looks the leader up before loading the topic's metadata
    await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '3' }] });
    const offsets = await admin.fetchTopicOffsets(topic);
    t.same([offsets[0]!.low, offsets[0]!.high], ['3', '5']);
    const got = await kcatConsumeAll(b.bootstrap, topic);
    t.same(got.map((m) => m.payload), ['d3', 'd4']);
    const oor = await fetchOn(c, 11, { topics: [{ topic, partitions: [part(0, 1n)] }] });
    t.equal(oor.responses[0]!.partitions[0]!.errorCode, 1, 'OFFSET_OUT_OF_RANGE below the log start offset');
    t.equal(oor.responses[0]!.partitions[0]!.logStartOffset, 3n);
  });

  t.test('fetch: the middle of a batch returns the whole batch; the first batch comes whole past max_bytes', async (t) => {
    const topic = uniq('fetchsize');
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
    await produceOn(c, topic, recordBatch({ values: ['a', 'b', 'c', 'd'] }), 0);
    await produceOn(c, topic, recordBatch({ values: ['x'.repeat(3000)] }), 0);
    await produceOn(c, topic, recordBatch({ values: ['y'.repeat(3000)] }), 1);
    const mid = await fetchOn(c, 11, { topics: [{ topic, partitions: [part(0, 2n)] }] });
    const h = new BatchHeader(mid.responses[0]!.partitions[0]!.records!);
    t.same([h.baseOffset, h.recordCount], [0, 4]);
    const small = await fetchOn(c, 11, { maxBytes: 10, topics: [{ topic, partitions: [part(0, 4n, 10), part(1, 0n, 10)] }] });
    const [p0, p1] = small.responses[0]!.partitions;
    t.equal(new BatchHeader(p0!.records!).baseOffset, 4, 'first batch whole although larger than both limits');
    t.equal(p0!.records!.length, new BatchHeader(p0!.records!).sizeInBytes, 'only that batch');
    t.same([p1!.errorCode, p1!.records!.length, p1!.highWatermark], [0, 0, 1n], 'next partition empty (limit used up), not null');
  });

  t.test('incremental fetch sessions (KIP-227) over the wire', { skip: b.external ? 'session details differ between brokers' : false }, async (t) => {
    const topic = uniq('session');
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
    await produceOn(c, topic, recordBatch({ values: ['one'] }), 0);
    const full = await fetchOn(c, 12, { sessionId: 0, sessionEpoch: 0, topics: [{ topic, partitions: [part(0, 0n), part(1, 0n)] }] });
    t.ok(full.sessionId! > 0, 'a session was created');
    t.equal(full.responses[0]!.partitions.length, 2);
    const inc = await fetchOn(c, 12, { sessionId: full.sessionId, sessionEpoch: 1, topics: [{ topic, partitions: [part(0, 1n)] }] });
    t.same([inc.errorCode, inc.sessionId, inc.responses.length], [0, full.sessionId, 0], 'nothing changed: no partitions');
    await produceOn(c, topic, recordBatch({ values: ['two'] }), 1);
    const inc2 = await fetchOn(c, 12, { sessionId: full.sessionId, sessionEpoch: 2, topics: [] });
    t.same(inc2.responses[0]!.partitions.map((p) => [p.partitionIndex, p.highWatermark]), [[1, 1n]], 'only the partition with new data');
    const bad = await fetchOn(c, 12, { sessionId: full.sessionId, sessionEpoch: 7, topics: [] });
    t.same([bad.errorCode, bad.responses.length], [71, 0], 'INVALID_FETCH_SESSION_EPOCH');
    const unknown = await fetchOn(c, 12, { sessionId: 12345, sessionEpoch: 1, topics: [] });
    t.equal(unknown.errorCode, 70, 'FETCH_SESSION_ID_NOT_FOUND');
  });

  t.test('compression.type=lz4 stores what producers send as lz4; consumers read it back', async (t) => {
    const topic = uniq('recompress');
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'compression.type', value: 'lz4' }] }], waitForLeaders: true });
    const r = await produceOn(c, topic, recordBatch({ values: ['plain-1', 'plain-2'] }));
    t.equal(r.errorCode, 0);
    const f = await fetchOn(c, 11, { topics: [{ topic, partitions: [part(0, 0n)] }] });
    const h = new BatchHeader(f.responses[0]!.partitions[0]!.records!);
    t.same([h.compression, h.recordCount, h.isCrcValid()], [3, 2, true], 'stored as lz4 with a valid CRC');
    const got = await kcatConsumeAll(b.bootstrap, topic);
    t.same(got.map((m) => m.payload), ['plain-1', 'plain-2']);
  });

  t.test('compacted topics refuse records without a key (INVALID_RECORD)', async (t) => {
    const topic = uniq('compact');
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }], waitForLeaders: true });
    const r = await produceOn(c, topic, recordBatch({ values: ['no key'] }));
    t.equal(r.errorCode, 87);
  });

  t.test('old clients: Produce v2 with a magic 1 message set, Fetch v0/v3 answered in message format v0/v1', async (t) => {
    const topic = uniq('legacy');
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    const set = Buffer.concat([legacyMessage(0, 1, 'k0', 'old-0', 1111), legacyMessage(1, 1, null, 'old-1', 2222)]);
    const r = await c.request(ApiKey.Produce, 2, (w) => encodeProduceRequest(w, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records: set }] }] }, 2), (r) => decodeProduceResponse(r, 2).responses[0]!.partitionResponses[0]!);
    t.same([r.errorCode, r.baseOffset], [0, 0n]);
    const got = await kcatConsumeAll(b.bootstrap, topic);
    t.same(got.map((m) => [m.key, m.payload, m.ts]), [['k0', 'old-0', 1111], [null, 'old-1', 2222]], 'stored as a v2 batch that current clients read');
    for (const [version, magic] of [[0, 0], [3, 1]] as const) {
      const f = await fetchOn(c, version, { topics: [{ topic, partitions: [part(0, 0n)] }] });
      const records = f.responses[0]!.partitions[0]!.records!;
      t.equal(records.readInt8(16), magic, `Fetch v${version} answers magic ${magic}`);
      t.equal(records.readBigInt64BE(0), 0n);
    }
  });

  t.test('librdkafka 2.0.2 (kcat) sends every codec compressed: it sees Produce v2/Fetch v2 and FindCoordinator served', async (t) => {
    for (const [codec, id] of [['gzip', 1], ['snappy', 2], ['lz4', 3], ['zstd', 4]] as const) {
      const topic = uniq(`rd-${codec}`);
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
      await kcatProduce(b.bootstrap, topic, Array.from({ length: 20 }, (_, i) => `${codec}-${i}-${'x'.repeat(50)}`), ['-z', codec]);
      const f = await fetchOn(c, 11, { topics: [{ topic, partitions: [part(0, 0n)] }] });
      t.equal(new BatchHeader(f.responses[0]!.partitions[0]!.records!).compression, id, `kcat -z ${codec} arrives ${codec}-compressed`);
    }
  });

  t.test('OffsetForLeaderEpoch: the current epoch ends at the log end offset', async (t) => {
    const topic = uniq('ofle');
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    await produceOn(c, topic, recordBatch({ values: ['a', 'b'] }));
    const r = await c.request(ApiKey.OffsetForLeaderEpoch, 3, (w) => encodeOffsetForLeaderEpochRequest(w, { replicaId: -1, topics: [{ topic, partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }] }] }, 3), (r) => decodeOffsetForLeaderEpochResponse(r, 3));
    t.same(r.topics[0]!.partitions.map((p) => [p.errorCode, p.leaderEpoch, p.endOffset]), [[0, 0, 2n]]);
  });
});
