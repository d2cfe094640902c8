/**
 * Produce validation over the wire (issue 10): batches whose header and CRC
 * are fine but whose records are not (garbage, a count of 2^31-1, offset
 * deltas out of order) and compressed batches that inflate to 128-512 MiB
 * get INVALID_RECORD; a bad CRC or a stream the codec cannot read gets
 * CORRUPT_MESSAGE. The log end offset stays where the good records put it,
 * and kcat, a Fetch v11 and a down-converting Fetch v3 still read exactly the
 * good records (a garbage batch used to break down-conversion and hang kcat).
 * Batches from real producers (librdkafka with every codec, kafkajs plain,
 * gzip and idempotent) pass the record walk.
 */
import t from 'tap';
import { crc32c } from '@node-rs/crc32';
import { Kafka, logLevel, CompressionTypes } from 'kafkajs';
import { ApiKey } from '../src/wire/generated/api-keys.js';
import { encodeProduceRequest, decodeProduceResponse } from '../src/wire/generated/produce.js';
import { encodeListOffsetsRequest, decodeListOffsetsResponse } from '../src/wire/generated/list-offsets.js';
import { encodeFetchRequest, decodeFetchResponse } from '../src/wire/generated/fetch.js';
import { WireClient } from './helpers/wire-client.js';
import { kcatConsumeAll, kcatProduce } from './helpers/kcat.js';
import { testBroker } from './helpers/broker.js';
import { recordBatch } from './helpers/data-path.js';
import { gzipBomb, zstdBombDeclared, lz4Bomb } from '../test/wire/helpers/bombs.js';

const INVALID_RECORD = 87;
const CORRUPT_MESSAGE = 2;

/** `batch` with its records section replaced by `section` and the codec bits, count and last offset delta given; CRC made valid. */
function rebuilt(batch: Buffer, section: Buffer, opts: { codec?: number; count?: number; lastOffsetDelta?: number } = {}): Buffer {
  const out = Buffer.concat([batch.subarray(0, 61), section]);
  out.writeInt32BE(out.length - 12, 8);
  if (opts.codec !== undefined) out.writeInt16BE(opts.codec, 21);
  if (opts.lastOffsetDelta !== undefined) out.writeInt32BE(opts.lastOffsetDelta, 23);
  if (opts.count !== undefined) out.writeInt32BE(opts.count, 57);
  out.writeUInt32BE(crc32c(out.subarray(21)), 17);
  return out;
}

t.test('bad records are refused with Kafka error codes; the log and its consumers see only the good ones', async (t) => {
  const b = await testBroker(t);
  const kafka = new Kafka({ clientId: 'compat-validation', brokers: [b.bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  const c = await WireClient.connect(b.host, b.port);
  t.teardown(() => c.close());
  const topic = `validation-${process.pid}-${Math.floor(Math.random() * 1e9)}`;
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });

  const produce = (records: Buffer) => c.request(ApiKey.Produce, 9,
    (w) => encodeProduceRequest(w, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] }, 9),
    (r) => decodeProduceResponse(r, 9).responses[0]!.partitionResponses[0]!);
  const logEndOffset = async () => Number((await c.request(ApiKey.ListOffsets, 3,
    (w) => encodeListOffsetsRequest(w, { replicaId: -1, isolationLevel: 0, topics: [{ name: topic, partitions: [{ partitionIndex: 0, timestamp: -1n }] }] }, 3),
    (r) => decodeListOffsetsResponse(r, 3))).topics[0]!.partitions[0]!.offset);

  const first = await produce(recordBatch({ values: ['a', 'b'] }));
  t.same([first.errorCode, first.baseOffset], [0, 0n], 'a good batch');

  const two = recordBatch({ values: ['x', 'y'] });
  const garbage = Buffer.from(Array.from({ length: 40 }, (_, i) => (i * 97 + 13) & 0xff));
  const outOfOrder = Buffer.from(two);
  outOfOrder[61 + 3] = 4; // the first record's offset delta (zigzag 2) instead of 0
  const bad: [string, Buffer, number, boolean][] = [
    ['garbage records behind a valid CRC', rebuilt(two, garbage), INVALID_RECORD, true],
    ['a count of 2^31-1 over two records', rebuilt(two, two.subarray(61), { count: 2 ** 31 - 1, lastOffsetDelta: 2 ** 31 - 2 }), INVALID_RECORD, true],
    ['a count of 3 over two records', rebuilt(two, two.subarray(61), { count: 3, lastOffsetDelta: 2 }), INVALID_RECORD, true],
    ['offset deltas out of order', rebuilt(outOfOrder, outOfOrder.subarray(61)), INVALID_RECORD, false],
    ['a gzip bomb (512 MiB)', rebuilt(two, gzipBomb(512), { codec: 1, count: 1000, lastOffsetDelta: 999 }), INVALID_RECORD, true],
    ['an lz4 bomb (128 MiB)', rebuilt(two, lz4Bomb(128), { codec: 3, count: 1000, lastOffsetDelta: 999 }), INVALID_RECORD, true],
    ['a zstd bomb (512 MiB)', rebuilt(two, zstdBombDeclared(512), { codec: 4, count: 1000, lastOffsetDelta: 999 }), INVALID_RECORD, true],
    ['a gzip stream the codec cannot read', rebuilt(two, garbage, { codec: 1 }), CORRUPT_MESSAGE, false],
  ];
  const crcBad = Buffer.from(two);
  crcBad[crcBad.length - 1] ^= 0xff;
  bad.push(['a CRC mismatch', crcBad, CORRUPT_MESSAGE, true]);
  for (const [what, batch, code, asKafka] of bad) {
    const r = await produce(batch);
    // Kafka accepts stray offset deltas and answers UNKNOWN_SERVER_ERROR to an unreadable stream; Samsa differs on purpose.
    if (asKafka || !b.external) t.equal(r.errorCode, code, `${what}: error ${r.errorCode} (${r.errorMessage})`);
    t.equal(await logEndOffset(), 2, `${what}: the log end offset stays at 2`);
  }

  const next = await produce(recordBatch({ values: ['c'] }));
  t.same([next.errorCode, next.baseOffset], [0, 2n], 'the next good batch follows the first');
  const got = await kcatConsumeAll(b.bootstrap, topic);
  t.same(got.map((m) => [m.offset, m.payload]), [[0, 'a'], [1, 'b'], [2, 'c']], 'kcat reads exactly the good records');

  for (const version of [11, 3]) {
    const f = await c.request(ApiKey.Fetch, version, (w) => encodeFetchRequest(w, {
      replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, forgottenTopicsData: [], rackId: '',
      topics: [{ topic, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }],
    }, version), (r) => decodeFetchResponse(r, version));
    const p = f.responses[0]!.partitions[0]!;
    t.equal(p.errorCode, 0, `Fetch v${version}: no error`);
    t.equal(p.highWatermark, 3n, `Fetch v${version}: high watermark 3`);
    if (version === 3) t.same(legacyOffsets(p.records!), [0, 1, 2], 'Fetch v3: the good records down-converted to magic 1');
  }
});

t.test('batches from real producers pass: librdkafka with every codec, kafkajs', async (t) => {
  const b = await testBroker(t);
  const kafka = new Kafka({ clientId: 'compat-validation', brokers: [b.bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  const topic = `producers-${process.pid}-${Math.floor(Math.random() * 1e9)}`;
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  // Keyed lines with headers, enough of them for batches of several compression blocks.
  const lines = Array.from({ length: 3000 }, (_, i) => `key-${i}\t${'value '.repeat(i % 40)}${i}`);
  for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd']) {
    await kcatProduce(b.bootstrap, topic, lines, ['-z', codec, '-K', '\t', '-H', `codec=${codec}`, '-H', 'empty=']);
  }
  for (const [compression, idempotent] of [[CompressionTypes.None, false], [CompressionTypes.GZIP, false], [CompressionTypes.None, true]] as const) {
    const producer = kafka.producer({ idempotent, maxInFlightRequests: idempotent ? 1 : undefined });
    await producer.connect();
    await producer.send({ topic, compression, messages: Array.from({ length: 500 }, (_, i) => ({ key: i % 3 ? `k${i}` : null, value: `v${i}`, headers: { h: `x${i}` } })) });
    await producer.disconnect();
  }
  const got = await kcatConsumeAll(b.bootstrap, topic);
  t.equal(got.length, 5 * 3000 + 3 * 500, 'every record stored');
  t.same(got.map((m) => m.offset), got.map((_, i) => i), 'offsets dense from 0');
});

/** The offsets of an uncompressed legacy message set (offset int64, size int32, message). */
function legacyOffsets(set: Buffer): number[] {
  const offsets: number[] = [];
  for (let at = 0; at + 12 <= set.length; at += 12 + set.readInt32BE(at + 8)) offsets.push(Number(set.readBigInt64BE(at)));
  return offsets;
}
