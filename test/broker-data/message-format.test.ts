import t from 'tap';
import { crc32 } from '@node-rs/crc32';
import { upConvert, downConvert, isLegacyMessageSet } from '../../src/broker/message-format.js';
import { BatchHeader, Compression } from '../../src/wire/records/batch-header.js';
import { readRecords } from '../../src/wire/records/record-reader.js';
import { buildBatch } from '../../src/wire/records/batch-builder.js';
import { codecFor } from '../../src/wire/compression/index.js';
import { Reader } from '../../src/wire/protocol/reader.js';

/** A legacy message (offset, size, crc, magic, attributes, [timestamp], key, value). */
function message(offset: number, magic: 0 | 1, key: string | null, value: Buffer | string | null, attributes = 0, timestamp = 0): Buffer {
  const k = key === null ? null : Buffer.from(key);
  const v = value === null ? null : Buffer.isBuffer(value) ? value : Buffer.from(value);
  const size = 4 + 2 + (magic ? 8 : 0) + 4 + (k?.length ?? 0) + 4 + (v?.length ?? 0);
  const m = Buffer.alloc(12 + size);
  m.writeBigInt64BE(BigInt(offset), 0);
  m.writeInt32BE(size, 8);
  let p = 16;
  m.writeInt8(magic, p++); m.writeInt8(attributes, p++);
  if (magic) { m.writeBigInt64BE(BigInt(timestamp), p); p += 8; }
  m.writeInt32BE(k ? k.length : -1, p); p += 4; if (k) { k.copy(m, p); p += k.length; }
  m.writeInt32BE(v ? v.length : -1, p); p += 4; if (v) { v.copy(m, p); p += v.length; }
  m.writeUInt32BE(crc32(m.subarray(16)), 12);
  return m;
}

/** Parses an uncompressed legacy message set. */
function parse(buf: Buffer) {
  const r = new Reader(buf);
  const out: { offset: number; magic: number; timestamp: number; key: string | null; value: string | null; crcOk: boolean }[] = [];
  while (r.remaining() > 0) {
    const offset = Number(r.int64()); const size = r.int32(); const start = r.pos;
    const crc = r.uint32(); const crcOk = crc32(buf.subarray(start + 4, start + size)) === crc;
    const magic = r.int8(); r.int8();
    const timestamp = magic ? Number(r.int64()) : -1;
    const key = r.nullableBytes(); const value = r.nullableBytes();
    out.push({ offset, magic, timestamp, key: key?.toString() ?? null, value: value?.toString() ?? null, crcOk });
  }
  return out;
}

t.test('up-conversion: magic 0 and 1, plain and compressed, to one v2 batch', async (t) => {
  const plain1 = Buffer.concat([message(0, 1, 'k1', 'v1', 0, 1000), message(1, 1, null, null, 0, 2000)]);
  t.ok(isLegacyMessageSet(plain1));
  const b1 = new BatchHeader(upConvert(plain1));
  t.same([b1.magic, b1.recordCount, b1.compression, b1.isCrcValid()], [2, 2, 0, true]);
  t.same(readRecords(b1).map((r) => [r.key?.toString() ?? null, r.value?.toString() ?? null, r.timestamp]), [['k1', 'v1', 1000], [null, null, 2000]]);

  const plain0 = message(0, 0, 'k', 'old');
  t.same(readRecords(new BatchHeader(upConvert(plain0))).map((r) => [r.value!.toString(), r.timestamp]), [['old', -1]]);

  for (const codec of [Compression.Gzip, Compression.Snappy, Compression.Lz4]) {
    const inner = Buffer.concat([0, 1, 2].map((i) => message(i, 1, `k${i}`, `value-${i}`, 0, 5000 + i)));
    const wrapper = message(2, 1, null, codecFor(codec).compress(inner), codec, 5002);
    const b = new BatchHeader(upConvert(wrapper));
    t.same([b.compression, b.recordCount, b.isCrcValid()], [codec, 3, true], `${Compression[codec]} wrapper keeps its codec`);
    t.same(readRecords(b).map((r) => r.value!.toString()), ['value-0', 'value-1', 'value-2']);
  }
  const gz = message(0, 0, null, codecFor(Compression.Gzip).compress(Buffer.concat([message(0, 0, 'a', 'x'), message(1, 0, 'b', 'y')])), Compression.Gzip);
  t.same(readRecords(new BatchHeader(upConvert(gz))).map((r) => r.key!.toString()), ['a', 'b']);
});

t.test('up-conversion refuses bad CRCs and garbage', async (t) => {
  const bad = message(0, 1, 'k', 'v', 0, 1);
  bad[bad.length - 1] ^= 1;
  t.throws(() => upConvert(bad), /CRC/);
  t.throws(() => upConvert(Buffer.alloc(40, 7)));
  t.throws(() => upConvert(Buffer.alloc(5)));
});

t.test('down-conversion: records of v2 batches become messages of the asked magic with absolute offsets', async (t) => {
  const b1 = buildBatch([{ key: 'a', value: '1', timestamp: 10, headers: [{ key: 'h', value: 'dropped' }] }, { key: null, value: null, timestamp: 11 }], { baseOffset: 40 });
  const b2 = buildBatch([{ key: 'c', value: '3', timestamp: 12 }], { baseOffset: 42 });
  const both = Buffer.concat([b1, b2]);
  for (const magic of [0, 1] as const) {
    const ms = parse(downConvert(both, magic));
    t.same(ms.map((m) => [m.offset, m.magic, m.key, m.value, m.crcOk]), [[40, magic, 'a', '1', true], [41, magic, null, null, true], [42, magic, 'c', '3', true]]);
    t.same(ms.map((m) => m.timestamp), magic ? [10, 11, 12] : [-1, -1, -1]);
  }
  const back = new BatchHeader(upConvert(downConvert(both, 1)));
  t.same(readRecords(back).map((r) => r.value?.toString() ?? null), ['1', null, '3'], 'round trip');
});

t.test('down-conversion keeps a compressed batch compressed with its codec, as Kafka does', async (t) => {
  const records = [{ key: 'a', value: 'one', timestamp: 100 }, { key: 'b', value: 'two', timestamp: 300 }, { key: 'c', value: 'three', timestamp: 200 }];
  for (const codec of [Compression.Gzip, Compression.Snappy, Compression.Lz4]) {
    const batch = buildBatch(records.map((r, i) => ({ ...r, offsetDelta: i * 2 })), { baseOffset: 70, compression: codec, lastOffsetDelta: 4 });
    for (const magic of [0, 1] as const) {
      const out = downConvert(batch, magic);
      const wrappers = parse(out);
      const kept = codec !== Compression.Lz4 || magic === 1;
      if (!kept) {
        t.same(wrappers.map((m) => [m.offset, m.value]), [[70, 'one'], [72, 'two'], [74, 'three']], `magic 0 lz4 goes uncompressed (${Compression[codec]})`);
        continue;
      }
      t.equal(wrappers.length, 1, `${Compression[codec]} magic ${magic}: one wrapper message`);
      const w = wrappers[0]!;
      t.same([w.offset, w.key, w.crcOk, out.readInt8(17) & 7], [74, null, true, codec], 'at the last offset, keyless, with the codec in its attributes');
      if (magic === 1) t.equal(w.timestamp, 300, "the wrapper's timestamp is the largest inside");
      const valueAt = 12 + 4 + 2 + (magic ? 8 : 0) + 4;
      const inner = parse(codecFor(codec).decompress(out.subarray(valueAt + 4, valueAt + 4 + out.readInt32BE(valueAt)), 1 << 20));
      t.same(inner.map((m) => [m.offset, m.key, m.value, m.crcOk]), magic === 1
        ? [[0, 'a', 'one', true], [2, 'b', 'two', true], [4, 'c', 'three', true]]
        : [[70, 'a', 'one', true], [72, 'b', 'two', true], [74, 'c', 'three', true]], 'inner offsets: relative in magic 1 (KIP-31), absolute in magic 0');
      t.same(readRecords(new BatchHeader(upConvert(out))).map((r) => r.value!.toString()), ['one', 'two', 'three'], 'and it up-converts back');
    }
  }
});
