/**
 * The record-level checks of produce validation: counts against the records
 * present, each record's framing, offset deltas, compressed contents within
 * the decompression limit, and the one decompression shared by the checks
 * and recompression. Batches are built byte by byte here (with a valid CRC)
 * so each defect is exactly the one named.
 */
import t from 'tap';
import { crc32 } from '@node-rs/crc32';
import { validateProduceRecords, decompressionLimit } from '../../src/broker/log-validator.js';
import { ReplicaManager, type DataPathTopicConfig } from '../../src/broker/replica-manager.js';
import { BatchHeader, Compression } from '../../src/wire/records/batch-header.js';
import { readRecords } from '../../src/wire/records/record-reader.js';
import { codecFor, type Codec } from '../../src/wire/compression/index.js';
import { Writer } from '../../src/wire/protocol/writer.js';
import { ErrorCode as E } from '../../src/wire/errors.js';
import { MemoryLog } from './test-batches.js';
import { gzipBomb, zstdBombDeclared, zstdBombStreamed, lz4Bomb, snappyRawBomb, snappyXerialBomb, maxRssMiB } from '../wire/helpers/bombs.js';

const cfg: DataPathTopicConfig = { maxMessageBytes: 1048588, logAppendTime: false, compressionType: 'producer', minInsyncReplicas: 1, compactOnly: false, segmentBytes: 1 << 30 };
const NOW = Date.now();

/** Bytes from parts: numbers are zigzag varints, strings and buffers go in as they are. */
function bytes(...parts: (number | string | Buffer)[]): Buffer {
  const w = new Writer();
  for (const p of parts) {
    if (typeof p === 'number') w.varint(p);
    else w.raw(typeof p === 'string' ? Buffer.from(p) : p);
  }
  return w.toBuffer();
}

/** A record: its length prefix, then `body` as given. */
const record = (body: Buffer) => Buffer.concat([bytes(body.length), body]);

/** A well-formed record body: attributes, timestamp delta, offset delta, key, value, headers. */
function body(offsetDelta: number, opts: { key?: string; value?: string; timestampDelta?: number; headers?: [string, string | null][] } = {}): Buffer {
  const key = opts.key === undefined ? [-1] : [Buffer.byteLength(opts.key), opts.key];
  const value = opts.value ?? `value-${offsetDelta}`;
  const headers = (opts.headers ?? []).flatMap(([k, v]) => [Buffer.byteLength(k), k, ...(v === null ? [-1] : [Buffer.byteLength(v), v])]);
  return bytes(0, opts.timestampDelta ?? 0, offsetDelta, ...key, Buffer.byteLength(value), value, (opts.headers ?? []).length, ...headers);
}

const good = (n: number, opts: Parameters<typeof body>[1] = {}) => Buffer.concat(Array.from({ length: n }, (_, i) => record(body(i, opts))));

/** A v2 batch around a records section, with the header fields given and a valid CRC. */
function batch(records: Buffer, count: number, opts: { lastOffsetDelta?: number; compression?: Compression; timestamp?: number } = {}): Buffer {
  const section = opts.compression ? codecFor(opts.compression).compress(records) : records;
  return rawBatch(section, count, opts);
}

/** A v2 batch whose records section is `section` byte for byte (already compressed when the codec says so). */
function rawBatch(section: Buffer, count: number, opts: { lastOffsetDelta?: number; compression?: Compression; timestamp?: number } = {}): Buffer {
  const out = Buffer.alloc(61 + section.length);
  out.writeInt32BE(out.length - 12, 8);
  out.writeInt32BE(-1, 12);
  out.writeInt8(2, 16);
  out.writeInt16BE(opts.compression ?? 0, 21);
  out.writeInt32BE(opts.lastOffsetDelta ?? count - 1, 23);
  out.writeBigInt64BE(BigInt(opts.timestamp ?? NOW), 27);
  out.writeBigInt64BE(BigInt(opts.timestamp ?? NOW), 35);
  out.writeBigInt64BE(-1n, 43);
  out.writeInt16BE(-1, 51);
  out.writeInt32BE(-1, 53);
  out.writeInt32BE(count, 57);
  section.copy(out, 61);
  new BatchHeader(out).updateCrc();
  return out;
}

type Asserts = Pick<typeof t, 'equal' | 'match' | 'fail'>;

function check(t: Asserts, buf: Buffer, code: number, message: RegExp, what: string, config = cfg, version = 9): void {
  const v = validateProduceRecords(buf, version, config, 't-0');
  if (!('errorCode' in v)) { t.fail(`${what}: accepted`); return; }
  t.equal(v.errorCode, code, `${what}: error code`);
  t.match(v.message, message, `${what}: ${v.message}`);
}

const accepted = (buf: Buffer, config = cfg) => !('errorCode' in validateProduceRecords(buf, 9, config, 't-0'));

t.test('the header record count and offset range agree (Kafka validateBatch)', async (t) => {
  t.ok(accepted(batch(good(3), 3)), 'a well-formed batch passes');
  check(t, batch(good(3), 3, { lastOffsetDelta: 1 }), E.INVALID_RECORD, /^Inconsistent batch offset range \[0, 1\] and count of records 3 in topic partition t-0$/, 'count past the last offset delta');
  check(t, batch(good(3), 3, { lastOffsetDelta: 5 }), E.INVALID_RECORD, /Inconsistent batch offset range \[0, 5\] and count of records 3/, 'last offset delta past the count');
  check(t, batch(good(1), 0, { lastOffsetDelta: 0 }), E.INVALID_RECORD, /^Invalid reported count for record batch: 0 in topic partition t-0$/, 'count 0');
  check(t, batch(good(1), 1, { lastOffsetDelta: -1 }), E.INVALID_RECORD, /^Batch has an invalid offset range: \[0, -1\]/, 'negative last offset delta');
});

t.test('a batch claiming 2^31-1 records is refused and the log end offset does not move', async (t) => {
  const huge = batch(good(2), 2 ** 31 - 1);
  check(t, huge, E.INVALID_RECORD, /premature EOF/, 'header agrees with itself, records do not');
  const log = new MemoryLog();
  const rm = new ReplicaManager((topic, p) => (topic === 't' && p === 0 ? { log, config: cfg, leaderEpoch: 0 } : undefined));
  t.equal(rm.appendRecords('t', 0, batch(good(2), 2), 9, 1).errorCode, E.NONE);
  t.equal(rm.appendRecords('t', 0, huge, 9, 1).errorCode, E.INVALID_RECORD);
  t.equal(rm.appendRecords('t', 0, batch(good(2), 2 ** 31 - 1, { compression: Compression.Zstd }), 9, 1).errorCode, E.INVALID_RECORD, 'compressed too');
  t.equal(log.logEndOffset, 2, 'only the good batch moved the log end offset');
  t.equal(rm.appendRecords('t', 0, batch(good(1), 1), 9, 1).baseOffset, 2, 'the next good batch follows it');
});

t.test('the records present match the count: none missing, none trailing', async (t) => {
  check(t, batch(good(3), 5), E.INVALID_RECORD, /^Incorrect declared batch size, premature EOF reached in topic partition t-0$/, 'fewer records than the count');
  check(t, batch(good(3), 2), E.INVALID_RECORD, /^Incorrect declared batch size, records still remaining in file/, 'more records than the count');
  check(t, batch(Buffer.concat([good(2), Buffer.from([0])]), 2), E.INVALID_RECORD, /records still remaining/, 'one stray byte after the last record');
  check(t, batch(good(2).subarray(0, -1), 2), E.INVALID_RECORD, /Invalid record size: expected \d+ bytes in record payload, but instead the buffer has only \d+ remaining bytes\. \(record 1\)/, 'the last record cut short');
});

t.test('offset deltas are 0..count-1 in order', async (t) => {
  const deltas = (...d: number[]) => batch(Buffer.concat(d.map((x) => record(body(x)))), d.length);
  t.ok(accepted(deltas(0, 1, 2)));
  check(t, deltas(0, 2, 1), E.INVALID_RECORD, /Record offset delta 2 does not match its position 1 in the batch \(record 1\)/, 'out of order');
  check(t, deltas(1, 2, 3), E.INVALID_RECORD, /offset delta 1 does not match its position 0/, 'not starting at 0');
  check(t, deltas(0, 0), E.INVALID_RECORD, /offset delta 0 does not match its position 1/, 'repeated');
});

t.test('each record is well framed: varints, lengths inside the record, header counts, nothing left over', async (t) => {
  const one = (b: Buffer) => batch(Buffer.concat([record(body(0)), record(b)]), 2);
  t.ok(accepted(one(body(1, { key: 'k', headers: [['h', 'v'], ['n', null]] }))), 'keys, headers, null header values');
  check(t, one(bytes(0, 0, 1, 50, 'k', 1, 'v', 0)), E.INVALID_RECORD, /^Found invalid record structure \(record 1\)/, 'key length past the record');
  check(t, one(bytes(0, 0, 1, -1, 40, 'v', 0)), E.INVALID_RECORD, /invalid record structure/, 'value length past the record');
  check(t, one(bytes(0, 0, 1, -2, 1, 'v', 0)), E.INVALID_RECORD, /invalid record structure/, 'key length below -1');
  check(t, one(bytes(0, 0, 1, -1, 1, 'v', -1)), E.INVALID_RECORD, /^Found invalid number of record headers -1 \(record 1\)/, 'negative header count');
  check(t, one(bytes(0, 0, 1, -1, 1, 'v', 200)), E.INVALID_RECORD, /Found invalid number of record headers\. 200 is larger than the remaining size of the buffer/, 'header count past the record');
  check(t, one(bytes(0, 0, 1, -1, 1, 'v', 1, -1, 1, 'x')), E.INVALID_RECORD, /^Invalid negative header key size -1/, 'negative header key length');
  check(t, one(bytes(0, 0, 1, -1, 1, 'v', 1, 1, 'h', 9, 'x')), E.INVALID_RECORD, /invalid record structure/, 'header value past the record');
  check(t, one(Buffer.concat([body(1), Buffer.from([0, 0])])), E.INVALID_RECORD, /^Invalid record size: expected to read \d+ bytes in record payload, but instead read \d+ \(record 1\)/, 'bytes left inside the record');
  check(t, one(Buffer.from([0, 0x80, 0x80])), E.INVALID_RECORD, /invalid record structure/, 'timestamp varlong cut by the record end');
  check(t, one(Buffer.from([0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 2, 1, 1, 'v'.charCodeAt(0), 0])), E.INVALID_RECORD, /invalid record structure/, 'timestamp varlong longer than 10 bytes');
  check(t, one(Buffer.from([0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 1, 1, 0x76, 0])), E.INVALID_RECORD, /invalid record structure/, 'offset delta varint longer than 5 bytes');
  check(t, one(Buffer.from([0, 0, 2, 0x81])), E.INVALID_RECORD, /invalid record structure/, 'key length varint cut by the record end');
  // The length varint of the second record runs off the end of the batch.
  check(t, batch(Buffer.concat([record(body(0)), Buffer.from([0x80, 0x80])]), 2), E.INVALID_RECORD, /premature EOF/, 'record length varint cut by the batch end');
  check(t, batch(Buffer.concat([record(body(0)), record(Buffer.alloc(0)), Buffer.alloc(6)]), 2), E.INVALID_RECORD, /invalid record structure/, 'an empty record');
});

t.test('garbage records behind a valid CRC are INVALID_RECORD, never stored', async (t) => {
  let seed = 7;
  const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
  const outcomes = new Map<number, number>();
  for (let i = 0; i < 3000; i++) {
    const garbage = Buffer.from(Array.from({ length: 7 + rnd(120) }, () => rnd(256)));
    const v = validateProduceRecords(batch(garbage, 1 + rnd(4)), 9, cfg, 't-0');
    const code = 'errorCode' in v ? v.errorCode : E.NONE;
    outcomes.set(code, (outcomes.get(code) ?? 0) + 1);
  }
  t.same([...outcomes.keys()], [E.INVALID_RECORD], `all refused as INVALID_RECORD: ${JSON.stringify([...outcomes])}`);
});

const codecs = [Compression.Gzip, Compression.Snappy, Compression.Lz4, Compression.Zstd];

t.test('compressed batches: the same checks on the decompressed records', async (t) => {
  for (const c of codecs) {
    const name = Compression[c];
    t.ok(accepted(batch(good(50, { key: 'k' }), 50, { compression: c })), `${name}: a well-formed batch passes`);
    check(t, batch(good(3), 5, { compression: c }), E.INVALID_RECORD, /premature EOF/, `${name}: fewer records than the count`);
    check(t, batch(good(3), 2, { compression: c }), E.INVALID_RECORD, /records still remaining/, `${name}: more records than the count`);
    check(t, batch(Buffer.concat([record(body(0)), record(bytes(0, 0, 1, 50, 'k', 1, 'v', 0))]), 2, { compression: c }), E.INVALID_RECORD, /invalid record structure/, `${name}: a bad key length`);
    check(t, rawBatch(Buffer.from('these bytes are no compressed stream at all'), 2, { compression: c }), E.CORRUPT_MESSAGE, /cannot be decompressed/, `${name}: not the codec's format`);
  }
});

t.test('bombs are INVALID_RECORD at the decompression limit, without allocating their size', async (t) => {
  const big = { ...cfg, maxMessageBytes: 4 << 20 };
  t.equal(decompressionLimit(big), 64 << 20, 'the limit: 64 MiB for max.message.bytes up to 4 MiB');
  const bombs: [string, Compression, Buffer][] = [
    ['gzip', Compression.Gzip, gzipBomb(512)],
    ['zstd, declared sizes', Compression.Zstd, zstdBombDeclared(512)],
    ['zstd, streamed', Compression.Zstd, zstdBombStreamed(512)],
    ['lz4', Compression.Lz4, lz4Bomb(512)],
    ['snappy', Compression.Snappy, snappyRawBomb(512)],
    ['snappy, xerial', Compression.Snappy, snappyXerialBomb(512)],
  ];
  const before = maxRssMiB();
  for (const [name, c, bomb] of bombs) {
    check(t, rawBatch(bomb, 1000, { compression: c }), E.INVALID_RECORD, /decompresses to more than 67108864 bytes/, `${name} (${bomb.length} bytes, 512 MiB inflated)`, big);
  }
  t.ok(maxRssMiB() - before < 400, `peak RSS grew ${(maxRssMiB() - before).toFixed(0)} MiB over all bombs (one bomb decoded whole: 512)`);
  check(t, rawBatch(gzipBomb(1), 10_000_000, { compression: Compression.Gzip }), E.INVALID_RECORD, /Record count 10000000 cannot fit/, 'a count no decompressed batch could hold is refused before decompressing');
});

/** Counts decompress() calls of `codec` while `fn` runs. */
function decompressCalls(codec: Codec, fn: () => void): number {
  const original = codec.decompress;
  let calls = 0;
  codec.decompress = (data, max) => { calls++; return original.call(codec, data, max); };
  try { fn(); } finally { codec.decompress = original; }
  return calls;
}

t.test('one decompression serves the walk, the compacted-topic key check and recompression', async (t) => {
  const compactZstd = { ...cfg, compactOnly: true, compressionType: 'zstd' };
  const gzipped = batch(good(20, { key: 'k' }), 20, { compression: Compression.Gzip });
  const results: ReturnType<typeof validateProduceRecords>[] = [];
  t.equal(decompressCalls(codecFor(Compression.Gzip), () => results.push(validateProduceRecords(gzipped, 9, compactZstd, 't-0'))), 1, 'gzip decompressed once');
  const v = results[0]!;
  if ('errorCode' in v) return t.fail(v.message);
  t.equal(v.batch.compression, Compression.Zstd, 'recompressed for compression.type=zstd');
  t.ok(v.batch.isCrcValid());
  t.same(readRecords(v.batch).map((r) => r.value!.toString()), Array.from({ length: 20 }, (_, i) => `value-${i}`));
  const keyless = validateProduceRecords(batch(Buffer.concat([record(body(0, { key: 'k' })), record(body(1)), record(body(2))]), 3, { compression: Compression.Lz4 }), 9, compactZstd, 't-0');
  t.equal('errorCode' in keyless && keyless.errorCode, E.INVALID_RECORD);
  t.same('errorCode' in keyless && keyless.recordErrors?.map((e) => e.batchIndex), [1, 2], 'record_errors name the keyless records');
  const plain = validateProduceRecords(batch(good(3, { key: 'k' }), 3), 9, { ...cfg, compressionType: 'lz4' }, 't-0');
  t.equal(!('errorCode' in plain) && plain.batch.compression, Compression.Lz4, 'an uncompressed batch is compressed for the topic');
});

t.test('timestamps bounds are checked per record, not only at the batch header', async (t) => {
  const bounded = { ...cfg, timestampBeforeMaxMs: 60_000, timestampAfterMaxMs: 60_000 };
  // First and max timestamps in the header are fine; record 1 is two hours older than the first.
  const records = Buffer.concat([record(body(0)), record(body(1, { timestampDelta: -7_200_000 })), record(body(2))]);
  const v = validateProduceRecords(batch(records, 3), 9, bounded, 't-0');
  t.equal('errorCode' in v && v.errorCode, E.INVALID_TIMESTAMP);
  t.equal('errorCode' in v && v.message, 'One or more records have been rejected due to invalid timestamp');
  t.same('errorCode' in v && v.recordErrors?.map((e) => e.batchIndex), [1]);
  t.match('errorCode' in v && v.recordErrors?.[0]?.message, /^Timestamp \d+ of message with offset 1 is out of range\. The timestamp should be within \[\d+, \d+\]$/);
  t.ok(accepted(batch(records, 3), cfg), 'no bounds configured: no check');
  t.ok(accepted(batch(records, 3), { ...bounded, logAppendTime: true }), 'LogAppendTime topics replace the timestamps');
});

/** A legacy (magic 1) message with its offset and size prefix. */
function legacy(offset: number, value: Buffer | string, attributes = 0): Buffer {
  const v = Buffer.from(value);
  const m = Buffer.alloc(12 + 4 + 2 + 8 + 4 + 4 + v.length);
  m.writeBigInt64BE(BigInt(offset), 0);
  m.writeInt32BE(m.length - 12, 8);
  m.writeInt8(1, 16);
  m.writeInt8(attributes, 17);
  m.writeBigInt64BE(BigInt(NOW), 18);
  m.writeInt32BE(-1, 26);
  m.writeInt32BE(v.length, 30);
  v.copy(m, 34);
  m.writeUInt32BE(crc32(m.subarray(16)), 12);
  return m;
}

t.test('Produce v0-v2 message sets are validated after up-conversion', async (t) => {
  const plain = validateProduceRecords(Buffer.concat([legacy(0, 'a'), legacy(1, 'b')]), 2, cfg, 't-0');
  if ('errorCode' in plain) return t.fail(plain.message);
  t.same(readRecords(plain.batch).map((r) => r.value!.toString()), ['a', 'b']);
  for (const c of [Compression.Gzip, Compression.Snappy, Compression.Lz4]) {
    const inner = Buffer.concat([legacy(0, 'x'), legacy(1, 'y'), legacy(2, 'z')]);
    const v = validateProduceRecords(legacy(2, codecFor(c).compress(inner), c), 2, cfg, 't-0');
    if ('errorCode' in v) { t.fail(`${Compression[c]}: ${v.message}`); continue; }
    t.equal(v.batch.compression, c, `${Compression[c]}: kept compressed`);
    t.same([v.batch.recordCount, v.batch.lastOffsetDelta], [3, 2]);
    t.same(readRecords(v.batch).map((r) => r.value!.toString()), ['x', 'y', 'z']);
  }
  check(t, legacy(0, gzipBomb(512), Compression.Gzip), E.INVALID_RECORD, /decompresses past the limit/, 'a gzip bomb in a wrapper message', cfg, 2);
  const bad = legacy(0, 'a');
  bad[bad.length - 1] ^= 1;
  check(t, bad, E.CORRUPT_MESSAGE, /CRC/, 'a message CRC mismatch', cfg, 2);
});
