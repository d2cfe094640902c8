/**
 * A RecordBatch v2 for a producer, written straight into one buffer: each
 * record's size is worked out first, then every field goes in place, no
 * object or buffer per record. The wire layer's buildBatch makes a Writer per
 * record, which is fine for internal topics and tests but was half the time
 * of a 100k-line produce.
 */
import { BATCH_HEADER_SIZE, BatchHeader, LOG_OVERHEAD, attributesOf, Compression } from '../wire/records/batch-header.js';
import { codecFor } from '../wire/compression/index.js';

export interface EncodedRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers: { key: Buffer; value: Buffer | null }[];
  timestamp: number;
}

/** Bytes of a zigzag varint (values of at most 53 bits). */
function varintSize(v: number): number {
  let u = v >= 0 ? v * 2 : -v * 2 - 1;
  let n = 1;
  while (u >= 128) { u = Math.floor(u / 128); n++; }
  return n;
}

function writeVarint(buf: Buffer, at: number, v: number): number {
  let u = v >= 0 ? v * 2 : -v * 2 - 1;
  while (u >= 128) {
    buf[at++] = (u % 128) | 0x80;
    u = Math.floor(u / 128);
  }
  buf[at++] = u;
  return at;
}

const bytesSize = (b: Buffer | null) => (b === null ? 1 : varintSize(b.length) + b.length);

function writeBytes(buf: Buffer, at: number, b: Buffer | null): number {
  if (b === null) return writeVarint(buf, at, -1);
  at = writeVarint(buf, at, b.length);
  b.copy(buf, at);
  return at + b.length;
}

/** One batch of `records` (offset deltas 0..n-1), compressed as asked, CRC set. */
export function encodeBatch(records: EncodedRecord[], compression: Compression): Buffer {
  const baseTimestamp = records[0]!.timestamp;
  let maxTimestamp = baseTimestamp;
  const sizes = new Array<number>(records.length);
  let total = 0;
  records.forEach((r, i) => {
    if (r.timestamp > maxTimestamp) maxTimestamp = r.timestamp;
    let body = 1 + varintSize(r.timestamp - baseTimestamp) + varintSize(i) + bytesSize(r.key) + bytesSize(r.value) + varintSize(r.headers.length);
    for (const h of r.headers) body += bytesSize(h.key) + bytesSize(h.value);
    sizes[i] = body;
    total += varintSize(body) + body;
  });
  const compressed = compression !== Compression.None;
  const out = Buffer.allocUnsafe(compressed ? total : BATCH_HEADER_SIZE + total);
  let at = compressed ? 0 : BATCH_HEADER_SIZE;
  records.forEach((r, i) => {
    at = writeVarint(out, at, sizes[i]!);
    out[at++] = 0;
    at = writeVarint(out, at, r.timestamp - baseTimestamp);
    at = writeVarint(out, at, i);
    at = writeBytes(out, at, r.key);
    at = writeBytes(out, at, r.value);
    at = writeVarint(out, at, r.headers.length);
    for (const h of r.headers) {
      at = writeBytes(out, at, h.key);
      at = writeBytes(out, at, h.value);
    }
  });
  let batch = out;
  if (compressed) {
    const body = codecFor(compression).compress(out);
    batch = Buffer.allocUnsafe(BATCH_HEADER_SIZE + body.length);
    body.copy(batch, BATCH_HEADER_SIZE);
  }
  batch.writeBigInt64BE(0n, 0);
  batch.writeInt32BE(batch.length - LOG_OVERHEAD, 8);
  batch.writeInt32BE(-1, 12);
  batch.writeInt8(2, 16);
  batch.writeInt16BE(attributesOf({ compression }), 21);
  batch.writeInt32BE(records.length - 1, 23);
  batch.writeBigInt64BE(BigInt(baseTimestamp), 27);
  batch.writeBigInt64BE(BigInt(maxTimestamp), 35);
  batch.writeBigInt64BE(-1n, 43);
  batch.writeInt16BE(-1, 51);
  batch.writeInt32BE(-1, 53);
  batch.writeInt32BE(records.length, 57);
  new BatchHeader(batch).updateCrc();
  return batch;
}
