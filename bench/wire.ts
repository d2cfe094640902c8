/**
 * `make bench-wire`: encode/decode MB/s of a 1 MiB ProduceRequest and a
 * 1 MiB FetchResponse through the generated codecs, CRC32C GB/s, and each
 * codec's compress/decompress MB/s on record-like data. A benchmark, not a test.
 */
import { crc32c } from '@node-rs/crc32';
import { Writer } from '../src/wire/protocol/writer.js';
import { Reader } from '../src/wire/protocol/reader.js';
import { encodeProduceRequest, decodeProduceRequest } from '../src/wire/generated/produce.js';
import { encodeFetchResponse, decodeFetchResponse } from '../src/wire/generated/fetch.js';
import { buildBatch } from '../src/wire/records/batch-builder.js';
import { codecFor } from '../src/wire/compression/index.js';
import { Compression } from '../src/wire/records/batch-header.js';

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
