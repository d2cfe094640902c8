import t from 'tap';
import { validateProduceRecords, targetCompression, recompress } from '../../src/broker/log-validator.js';
import type { DataPathTopicConfig } from '../../src/broker/replica-manager.js';
import { BatchHeader, Compression } from '../../src/wire/records/batch-header.js';
import { readRecords } from '../../src/wire/records/record-reader.js';
import { codecFor } from '../../src/wire/compression/index.js';
import { ErrorCode } from '../../src/wire/errors.js';
import { makeBatch } from './test-batches.js';

const cfg: DataPathTopicConfig = { maxMessageBytes: 1048588, logAppendTime: false, compressionType: 'producer', minInsyncReplicas: 1, compactOnly: false, segmentBytes: 1 << 30 };

/** A batch whose records section is compressed with `codec`. */
function compressed(codec: Compression, values: string[], opts: { key?: string | null } = {}): Buffer {
  const plain = makeBatch({ values, producerId: 9, producerEpoch: 2, baseSequence: 40, timestamp: 1234, ...opts });
  const body = codecFor(codec).compress(plain.subarray(61));
  const out = Buffer.concat([plain.subarray(0, 61), body]);
  out.writeInt32BE(out.length - 12, 8);
  out.writeInt16BE(codec, 21);
  new BatchHeader(out).updateCrc();
  return out;
}

t.test('compression.type: producer keeps the bytes, a fixed codec recompresses when it differs', async (t) => {
  const values = Array.from({ length: 50 }, (_, i) => `value-${i}-${'abc'.repeat(20)}`);
  for (const source of [Compression.None, Compression.Gzip, Compression.Snappy, Compression.Lz4, Compression.Zstd]) {
    const batch = compressed(source, values, { key: 'k' });
    const v = validateProduceRecords(batch, 9, cfg, 't-0');
    if ('errorCode' in v) { t.fail(v.message); continue; }
    t.equal(targetCompression(cfg, v.batch), undefined, 'producer: as sent');
    for (const [name, target] of [['uncompressed', Compression.None], ['gzip', Compression.Gzip], ['snappy', Compression.Snappy], ['lz4', Compression.Lz4], ['zstd', Compression.Zstd]] as const) {
      const c = { ...cfg, compressionType: name };
      const want = targetCompression(c, v.batch);
      if (target === source) { t.equal(want, undefined, `${name} on a ${Compression[source]} batch keeps it`); continue; }
      t.equal(want, target);
      const r = recompress(v.batch, target, c, 't-0');
      if ('errorCode' in r) { t.fail(r.message); continue; }
      const h = r.batch;
      t.ok(h.isCrcValid(), `${Compression[source]} -> ${name}: CRC valid`);
      t.equal(h.compression, target);
      t.same([h.producerId, h.producerEpoch, h.baseSequence, h.recordCount, h.baseTimestamp, h.lastOffsetDelta], [9, 2, 40, 50, 1234, 49]);
      t.same(readRecords(h).map((x) => x.value!.toString()), values);
    }
  }
});

t.test('recompression that outgrows max.message.bytes is MESSAGE_TOO_LARGE', async (t) => {
  const values = Array.from({ length: 200 }, () => 'a'.repeat(100));
  const batch = compressed(Compression.Zstd, values);
  const c = { ...cfg, compressionType: 'uncompressed', maxMessageBytes: batch.length + 100 };
  const v = validateProduceRecords(batch, 9, c, 't-0');
  t.equal('errorCode' in v && v.errorCode, ErrorCode.MESSAGE_TOO_LARGE, 'the validator recompresses for the topic and checks the size again');
  const r = recompress(new BatchHeader(batch), Compression.None, c, 't-0');
  t.equal('errorCode' in r && r.errorCode, ErrorCode.MESSAGE_TOO_LARGE);
});

t.test('compacted topics refuse records without a key, compressed or not', async (t) => {
  const compact = { ...cfg, compactOnly: true };
  const keyed = validateProduceRecords(makeBatch({ values: ['x'], key: 'k' }), 9, compact, 't-0');
  t.notOk('errorCode' in keyed);
  const bare = validateProduceRecords(makeBatch({ values: ['x'] }), 9, compact, 't-0');
  t.equal('errorCode' in bare && bare.errorCode, ErrorCode.INVALID_RECORD);
  const gz = validateProduceRecords(compressed(Compression.Gzip, ['x', 'y']), 9, { ...cfg, compacted: true }, 't-0');
  t.equal('errorCode' in gz && gz.errorCode, ErrorCode.INVALID_RECORD);
  t.same('errorCode' in gz && gz.recordErrors?.map((e) => e.batchIndex), [0, 1], 'record_errors name each keyless record');
  t.match('errorCode' in gz && gz.message, /rejected due to 2 record errors/);
  t.notOk('errorCode' in validateProduceRecords(makeBatch({ values: ['x'] }), 9, cfg, 't-0'), 'delete topics do not look at keys');
});

t.test('random and mutated bytes never throw: every outcome is a batch or a Kafka error code', async (t) => {
  const base = compressed(Compression.Gzip, ['a', 'b', 'c'], { key: 'k' });
  const plain = makeBatch({ values: ['x', 'y'], key: 'k' });
  let seed = 42;
  const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
  const configs = [cfg, { ...cfg, compactOnly: true }, { ...cfg, compressionType: 'zstd' }];
  let errors = 0;
  for (let i = 0; i < 3000; i++) {
    let buf: Buffer;
    if (i % 3 === 0) buf = Buffer.from(Array.from({ length: rnd(200) }, () => rnd(256)));
    else {
      buf = Buffer.from(i % 2 ? base : plain);
      for (let k = 0, n = 1 + rnd(4); k < n; k++) buf[rnd(buf.length)] = rnd(256);
      if (rnd(4) === 0) buf = buf.subarray(0, rnd(buf.length));
      // keep the CRC right half of the time so the checks behind it run too
      if (rnd(2) === 0 && buf.length >= 61) { try { new BatchHeader(buf).updateCrc(); } catch { /* lengths may lie */ } }
    }
    const c = configs[i % configs.length]!;
    const v = validateProduceRecords(buf, 9, c, 't-0');
    if ('errorCode' in v) { errors++; continue; }
    const target = targetCompression(c, v.batch);
    if (target !== undefined) {
      const r = recompress(v.batch, target, c, 't-0');
      if ('errorCode' in r) errors++;
    }
  }
  t.ok(errors > 1000, `${errors} refused, none threw`);
});
