import t from 'tap';
import { randomBytes } from 'node:crypto';
import { codecFor, DecompressionLimitError } from '../../src/wire/compression/index.js';
import { Compression, BatchHeader } from '../../src/wire/records/batch-header.js';
import { buildBatch } from '../../src/wire/records/batch-builder.js';
import { readRecords } from '../../src/wire/records/record-reader.js';
import { DecodeError } from '../../src/wire/protocol/decode-error.js';

const codecs = [Compression.Gzip, Compression.Snappy, Compression.Lz4, Compression.Zstd];
const text = Buffer.from('the quick brown fox jumps over the lazy dog '.repeat(3000));

for (const id of codecs) {
  const c = codecFor(id);
  t.test(`${c.name}: round trip, empty input, and a decompression limit`, async (t) => {
    for (const input of [text, randomBytes(70_000), Buffer.alloc(0)]) {
      t.same(c.decompress(c.compress(input), input.length), input, `${input.length} bytes round trip`);
    }
    t.ok(c.compress(text).length < text.length / 5, 'text compresses');
    t.throws(() => c.decompress(c.compress(text), text.length - 1), DecompressionLimitError, 'output over the limit is refused');
  });
}

t.test('snappy reads plain blocks as well as the xerial framing', async (t) => {
  const { compressSync } = await import('snappy');
  t.same(codecFor(Compression.Snappy).decompress(compressSync(text), text.length), text);
  t.same(codecFor(Compression.Snappy).compress(text).subarray(0, 8), Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0]), 'writes the xerial magic as the Java client does');
});

t.test('batch builder and record reader agree on keys, values, nulls and headers', async (t) => {
  const records = [
    { key: 'a', value: 'one', headers: [{ key: 'h', value: 'x' }, { key: 'n', value: null }], timestamp: 1000 },
    { key: null, value: null, timestamp: 1005 },
    { key: 'c', value: Buffer.alloc(300, 7), timestamp: 999 },
  ];
  const batch = new BatchHeader(buildBatch(records, { baseOffset: 40 }));
  t.ok(batch.isCrcValid());
  t.equal(batch.recordCount, 3);
  t.equal(batch.lastOffsetDelta, 2);
  t.equal(batch.maxTimestamp, 1005);
  const got = readRecords(batch);
  t.same(got.map((r) => r.offset), [40, 41, 42]);
  t.same(got.map((r) => r.timestamp), [1000, 1005, 999]);
  t.same(got[0]!.headers, [{ key: 'h', value: Buffer.from('x') }, { key: 'n', value: null }]);
  t.equal(got[1]!.key, null);
  t.equal(got[1]!.value, null);
  t.same(got[2]!.value, Buffer.alloc(300, 7));
});

t.test('a corrupt record section is a DecodeError, never a RangeError', async (t) => {
  const buf = buildBatch([{ key: 'k', value: 'v' }]);
  for (let i = 61; i < buf.length; i++) {
    const bad = Buffer.from(buf);
    bad[i] = 0xff;
    try { readRecords(new BatchHeader(bad)); } catch (err) { t.type(err, DecodeError, `byte ${i} flipped`); }
  }
});

t.test('control batches carry commit and abort markers', async (t) => {
  const { buildControlBatch, controlType, ControlType } = await import('../../src/wire/records/control-records.js');
  const commit = new BatchHeader(buildControlBatch(ControlType.Commit, 42, 3, 7));
  t.ok(commit.isControl && commit.isTransactional, 'control and transactional bits');
  t.equal(commit.producerId, 42);
  t.equal(commit.producerEpoch, 3);
  t.equal(controlType(commit), ControlType.Commit);
  t.equal(controlType(new BatchHeader(buildControlBatch(ControlType.Abort, 42, 3, 7))), ControlType.Abort);
  t.equal(controlType(new BatchHeader(buildBatch([{ value: 'x' }]))), undefined, 'a data batch is no marker');
  t.equal(readRecords(commit)[0]!.value!.readInt32BE(2), 7, 'coordinator epoch in the value');
});
