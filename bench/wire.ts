/**
 * `make bench-wire`: encode/decode MB/s of a 1 MiB ProduceRequest and a
 * 1 MiB FetchResponse through the generated codecs, CRC32C GB/s, and each
 * codec's compress/decompress MB/s on record-like data, and produce-path batch
 * validation throughput. A benchmark, not a test.
 */
import { crc32c } from '@node-rs/crc32';
import { Writer } from '../src/wire/protocol/writer.js';
import { Reader } from '../src/wire/protocol/reader.js';
import { encodeProduceRequest, decodeProduceRequest } from '../src/wire/generated/produce.js';
import { encodeFetchResponse, decodeFetchResponse } from '../src/wire/generated/fetch.js';
import { buildBatch } from '../src/wire/records/batch-builder.js';
import { codecFor } from '../src/wire/compression/index.js';
import { Compression } from '../src/wire/records/batch-header.js';
import { validateProduceRecords } from '../src/broker/log-validator.js';

const MiB = 1 << 20;

function rate(label: string, bytes: number, fn: () => void, minMs = 500): void {
  fn();
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < minMs) { fn(); n++; }
  const secs = (performance.now() - t0) / 1000;
  const mbps = (bytes * n) / MiB / secs;
  console.log(`${label.padEnd(38)} ${mbps >= 1024 ? `${(mbps / 1024).toFixed(2)} GB/s` : `${mbps.toFixed(0)} MB/s`}`);
}

// 1 MiB of records: 16 partitions x 64 KiB batches of 1 KiB values.
const value = Buffer.from('x'.repeat(1000) + '\n'.repeat(24));
const batch = buildBatch(Array.from({ length: 63 }, (_, i) => ({ key: `key-${i}`, value })));
const partitions = Array.from({ length: 16 }, (_, i) => ({ index: i, records: batch }));
const produce = { transactionalId: null, acks: -1, timeoutMs: 30000, topicData: [{ name: 'bench', partitionData: partitions }] };
const fetch = {
  throttleTimeMs: 0, errorCode: 0, sessionId: 0,
  responses: [{ topic: 'bench', partitions: partitions.map((p) => ({ partitionIndex: p.index, errorCode: 0, highWatermark: 100n, lastStableOffset: 100n, logStartOffset: 0n, abortedTransactions: [], preferredReadReplica: -1, records: p.records })) }],
};
const total = batch.length * 16;
console.log(`payload: ${(total / MiB).toFixed(2)} MiB of record batches per message\n`);

for (const v of [7, 9]) {
  const w = new Writer(2 * MiB);
  encodeProduceRequest(w, produce, v);
  const bytes = w.toBuffer();
  rate(`ProduceRequest v${v} encode`, total, () => { const x = new Writer(2 * MiB); encodeProduceRequest(x, produce, v); x.toBuffer(); });
  rate(`ProduceRequest v${v} decode`, total, () => decodeProduceRequest(new Reader(bytes), v));
}
for (const v of [11, 12]) {
  const w = new Writer(4096);
  encodeFetchResponse(w, fetch, v);
  const bytes = w.toBuffer();
  rate(`FetchResponse v${v} encode (chunks, no copy)`, total, () => { const x = new Writer(4096); encodeFetchResponse(x, fetch, v); x.chunks(); });
  rate(`FetchResponse v${v} decode`, total, () => decodeFetchResponse(new Reader(bytes), v));
}
const big = Buffer.alloc(16 * MiB, 3);
rate('CRC32C (16 MiB)', big.length, () => crc32c(big));

const sample = Buffer.concat(Array.from({ length: 1024 }, (_, i) => Buffer.from(`{"id":${i},"user":"user-${i % 97}","event":"page_view","path":"/items/${i * 7}","ts":${1700000000000 + i}}\n`)));
const data = Buffer.concat(Array.from({ length: Math.ceil(MiB / sample.length) }, () => sample)).subarray(0, MiB);
for (const id of [Compression.Gzip, Compression.Snappy, Compression.Lz4, Compression.Zstd]) {
  const c = codecFor(id);
  const packed = c.compress(data);
  rate(`${c.name} compress (ratio ${(data.length / packed.length).toFixed(1)})`, data.length, () => c.compress(data));
  rate(`${c.name} decompress`, data.length, () => c.decompress(packed, 2 * MiB));
}

// Produce-path validation (src/broker/log-validator.ts): the work the broker does on one
// partition's batch before appending it, for 1,000 records of 100 B values, uncompressed
// and with each codec. Figures are records/s and MB/s of uncompressed record bytes.
console.log('');
const topicConfig = { maxMessageBytes: 1048588, logAppendTime: false, compressionType: 'producer', minInsyncReplicas: 1, compactOnly: false, segmentBytes: 1 << 30 };
const records100 = Array.from({ length: 1000 }, (_, i) => ({ value: `{"id":${i},"user":"user-${i % 97}","event":"page_view","path":"/items/${i * 7}"}`.padEnd(100, ' ') }));
const recordBytes = buildBatch(records100).length - 61;
for (const id of [Compression.None, Compression.Gzip, Compression.Snappy, Compression.Lz4, Compression.Zstd]) {
  const b = buildBatch(records100, { compression: id });
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < 1000) {
    if ('errorCode' in validateProduceRecords(b, 9, topicConfig, 'bench-0')) throw new Error('bench batch refused');
    n++;
  }
  const secs = (performance.now() - t0) / 1000;
  const label = `validate 1000 x 100 B, ${id === Compression.None ? 'uncompressed' : codecFor(id).name}`;
  console.log(`${label.padEnd(38)} ${((n * 1000) / secs / 1e6).toFixed(2)} M records/s  ${((n * recordBytes) / MiB / secs).toFixed(0)} MB/s`);
}
