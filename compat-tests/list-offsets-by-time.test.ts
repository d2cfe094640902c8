/**
 * ListOffsets by timestamp inside compressed batches (issue 11, item 10).
 * librdkafka 2.0.2 (Debian's python3-confluent-kafka) produces 50 records one
 * second apart, with explicit timestamps, in one batch per codec (gzip,
 * snappy, lz4, zstd); a Fetch confirms it is one batch of that codec. Asked for
 * record 30's time, Kafka decompresses the batch and answers offset 30 with
 * record 30's timestamp (FileRecords.searchForTimestamp), so:
 *
 * - ListOffsets v7 over the wire answers 30 and its timestamp, also for a time
 *   between records 29 and 30;
 * - librdkafka's offsets_for_times answers 30, and a consumer assigned there
 *   reads record 30 first (not record 0 again).
 *
 * A stored compressed batch that no longer decompresses (bytes damaged on
 * disk) fails its own partition with CORRUPT_MESSAGE, as Kafka's
 * CorruptRecordException does; the other partitions of the request are
 * answered and the connection stays open.
 *
 * The librdkafka side is compat-tests/helpers/times_librdkafka.py, run as a
 * child process that prints one JSON object.
 */
import { openSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import kafkajs from 'kafkajs';
import { ApiKey } from '../src/wire/generated/api-keys.js';
import { encodeListOffsetsRequest, decodeListOffsetsResponse } from '../src/wire/generated/list-offsets.js';
import { encodeFetchRequest, decodeFetchResponse } from '../src/wire/generated/fetch.js';
import { BatchHeader, Compression } from '../src/wire/records/batch-header.js';
import { buildBatch } from '../src/wire/records/batch-builder.js';
import { encodeProduceRequest, decodeProduceResponse } from '../src/wire/generated/produce.js';
import { ErrorCode } from '../src/wire/errors.js';
import { runJsonChildOk } from './helpers/json-child.js';
import { WireClient } from './helpers/wire-client.js';
import { testBroker } from './helpers/broker.js';

const { Kafka, logLevel } = kafkajs;

// Debian's python3 (where python3-confluent-kafka installs), not the first python3 on PATH.
const PYTHON = process.env.PYTHON ?? '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./helpers/times_librdkafka.py', import.meta.url));

function librdkafka<T>(bootstrap: string, command: string, args: object): Promise<T> {
  return runJsonChildOk<T>(PYTHON, [SCRIPT, bootstrap, command, JSON.stringify(args)], { killAfterMs: 70_000, what: `times_librdkafka.py ${command} ${JSON.stringify(args)}` });
}

/** A broker with a WireClient and a kafkajs admin on it, all stopped in teardown. */
async function connectAll(t: Parameters<typeof testBroker>[0]) {
  const b = await testBroker(t);
  const c = await WireClient.connect(b.host, b.port);
  t.teardown(() => c.close());
  const admin = new Kafka({ brokers: [b.bootstrap], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  return { b, c, admin };
}

const uniq = (name: string) => `${name}-${process.pid}-${Math.floor(Math.random() * 1e9)}`;
const CODECS = [['gzip', Compression.Gzip], ['snappy', Compression.Snappy], ['lz4', Compression.Lz4], ['zstd', Compression.Zstd]] as const;

t.test('ListOffsets by time inside one compressed batch answers the record at or after it (librdkafka produce, offsets_for_times, consume)', async (t) => {
  const { b, c, admin } = await connectAll(t);
  // An hour ago, whole seconds: inside any message.timestamp bounds a broker may have.
  const T0 = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;
  const timestamps = Array.from({ length: 50 }, (_, i) => T0 + i * 1000);

  const listOffset = async (topic: string, timestamp: number) => (await c.request(ApiKey.ListOffsets, 7,
    (w) => encodeListOffsetsRequest(w, { replicaId: -1, isolationLevel: 0, topics: [{ name: topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: BigInt(timestamp), maxNumOffsets: 1 }] }] }, 7),
    (r) => decodeListOffsetsResponse(r, 7))).topics[0]!.partitions[0]!;

  for (const [name, compression] of CODECS) {
    const topic = uniq(`lo-time-${name}`);
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    const { delivered } = await librdkafka<{ delivered: number[] }>(b.bootstrap, 'produce', { topic, compression: name, timestamps });
    t.same(delivered, timestamps.map((_, i) => i), `${name}: librdkafka delivered offsets 0-49`);

    const fetched = await c.request(ApiKey.Fetch, 11, (w) => encodeFetchRequest(w, { replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, forgottenTopicsData: [], rackId: '',
      topics: [{ topic, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }] }, 11), (r) => decodeFetchResponse(r, 11));
    const records = fetched.responses[0]!.partitions[0]!.records!;
    const h = new BatchHeader(records, 0);
    t.match({ bytes: records.length, compression: h.compression, baseOffset: h.baseOffset, recordCount: h.recordCount },
      { bytes: h.sizeInBytes, compression, baseOffset: 0, recordCount: 50 }, `${name}: the 50 records are one ${name} batch`);

    const at30 = await listOffset(topic, T0 + 30_000);
    t.match({ errorCode: at30.errorCode, offset: at30.offset, timestamp: at30.timestamp }, { errorCode: 0, offset: 30n, timestamp: BigInt(T0 + 30_000) }, `${name}: ListOffsets for record 30's time answers offset 30 with its timestamp`);
    const between = await listOffset(topic, T0 + 29_500);
    t.match({ offset: between.offset, timestamp: between.timestamp }, { offset: 30n, timestamp: BigInt(T0 + 30_000) }, `${name}: a time between records 29 and 30 answers 30`);
    const first = await listOffset(topic, T0 - 1);
    t.match({ offset: first.offset, timestamp: first.timestamp }, { offset: 0n, timestamp: BigInt(T0) }, `${name}: a time before the batch answers record 0 with its own timestamp`);

    const seek = await librdkafka<{ offset: number; records: [number, number, string][] }>(b.bootstrap, 'seek', { topic, timestamp: T0 + 30_000, count: 3 });
    t.equal(seek.offset, 30, `${name}: librdkafka offsets_for_times answers 30`);
    t.same(seek.records, [[30, T0 + 30_000, 'v30'], [31, T0 + 31_000, 'v31'], [32, T0 + 32_000, 'v32']], `${name}: a librdkafka consumer started there reads record 30 first`);
  }
});

t.test('ListOffsets by time over a compressed batch damaged on disk: CORRUPT_MESSAGE for that partition, the rest answered', { skip: process.env.BROKER ? 'needs our own broker\'s data dir' : false }, async (t) => {
  const { b, c, admin } = await connectAll(t);
  const topic = uniq('lo-time-damaged');
  await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
  const T0 = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;
  const batch = () => buildBatch(Array.from({ length: 20 }, (_, i) => ({ value: `v${i}`, timestamp: T0 + i * 1000 })), { compression: Compression.Gzip });
  const produced = await c.request(ApiKey.Produce, 9, (w) => encodeProduceRequest(w, { transactionalId: null, acks: -1, timeoutMs: 5000,
    topicData: [{ name: topic, partitionData: [{ index: 0, records: batch() }, { index: 1, records: batch() }] }] }, 9), (r) => decodeProduceResponse(r, 9));
  t.same(produced.responses[0]!.partitionResponses.map((p) => p.errorCode), [0, 0], 'both partitions took their batch');

  // The gzip stream after its 10-byte header, in partition 0's segment: garbage.
  const fd = openSync(join(b.samsa!.dataDir, `${topic}-0`, '00000000000000000000.log'), 'r+');
  writeSync(fd, Buffer.alloc(16, 0x55), 0, 16, 61 + 10);
  closeSync(fd);

  const ask = () => c.request(ApiKey.ListOffsets, 7, (w) => encodeListOffsetsRequest(w, { replicaId: -1, isolationLevel: 0,
    topics: [{ name: topic, partitions: [0, 1].map((partitionIndex) => ({ partitionIndex, currentLeaderEpoch: -1, timestamp: BigInt(T0 + 10_000), maxNumOffsets: 1 })) }] }, 7),
  (r) => decodeListOffsetsResponse(r, 7).topics[0]!.partitions.map((p) => ({ errorCode: p.errorCode, offset: p.offset })));
  t.same(await ask(), [{ errorCode: ErrorCode.CORRUPT_MESSAGE, offset: -1n }, { errorCode: 0, offset: 10n }], 'partition 0 is CORRUPT_MESSAGE, partition 1 answers record 10');
  t.same(await ask(), [{ errorCode: ErrorCode.CORRUPT_MESSAGE, offset: -1n }, { errorCode: 0, offset: 10n }], 'the connection is still open and answers the same');
});
