/**
 * Writes a RecordBatch v2 from records: for internal topics, compaction,
 * tests and tools. Lengths, lastOffsetDelta, maxTimestamp and CRC32C are
 * computed; the records section is compressed with the codec asked for.
 */
import { Writer } from '../protocol/writer.js';
import { BatchHeader, BATCH_HEADER_SIZE, LOG_OVERHEAD, attributesOf, Compression } from './batch-header.js';
import { codecFor } from '../compression/index.js';

export interface RecordInput {
  key?: Buffer | string | null;
  value: Buffer | string | null;
  headers?: { key: string; value: Buffer | string | null }[];
  timestamp?: number;
  /** Offset relative to the batch's base offset (default: the record's index); compaction keeps the originals. */
  offsetDelta?: number;
}

export interface BatchOptions {
  baseOffset?: number;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  transactional?: boolean;
  control?: boolean;
  partitionLeaderEpoch?: number;
  compression?: Compression;
  /** Kept as given by compaction so offsets after the batch do not move (default: the last record's delta). */
  lastOffsetDelta?: number;
  baseTimestamp?: number;
}

const asBuf = (v: Buffer | string | null | undefined): Buffer | null => (v === null || v === undefined ? null : typeof v === 'string' ? Buffer.from(v) : v);

export function buildBatch(records: RecordInput[], opts: BatchOptions = {}): Buffer {
  if (records.length === 0) throw new Error('a batch needs at least one record');
  const now = Date.now();
  const baseTimestamp = opts.baseTimestamp ?? records[0]!.timestamp ?? now;
  let maxTimestamp = baseTimestamp;
  const body = new Writer(256);
  records.forEach((r, i) => {
    const ts = r.timestamp ?? now;
    if (ts > maxTimestamp) maxTimestamp = ts;
    const rec = new Writer(64);
    rec.int8(0);
    rec.varlong(ts - baseTimestamp);
    rec.varint(r.offsetDelta ?? i);
    const key = asBuf(r.key);
    if (key === null) rec.varint(-1); else { rec.varint(key.length); rec.raw(key); }
    const value = asBuf(r.value);
    if (value === null) rec.varint(-1); else { rec.varint(value.length); rec.raw(value); }
    const headers = r.headers ?? [];
    rec.varint(headers.length);
    for (const h of headers) {
      const hk = Buffer.from(h.key);
      rec.varint(hk.length); rec.raw(hk);
      const hv = asBuf(h.value);
      if (hv === null) rec.varint(-1); else { rec.varint(hv.length); rec.raw(hv); }
    }
    const bytes = rec.toBuffer();
    body.varint(bytes.length);
    body.raw(bytes);
  });
  const compression = opts.compression ?? Compression.None;
  const recordBytes = compression === Compression.None ? body.toBuffer() : codecFor(compression).compress(body.toBuffer());
  const out = Buffer.alloc(BATCH_HEADER_SIZE + recordBytes.length);
  out.writeBigInt64BE(BigInt(opts.baseOffset ?? 0), 0);
  out.writeInt32BE(out.length - LOG_OVERHEAD, 8);
  out.writeInt32BE(opts.partitionLeaderEpoch ?? -1, 12);
  out.writeInt8(2, 16);
  out.writeInt16BE(attributesOf({ compression, transactional: opts.transactional, control: opts.control }), 21);
  out.writeInt32BE(opts.lastOffsetDelta ?? records[records.length - 1]!.offsetDelta ?? records.length - 1, 23);
  out.writeBigInt64BE(BigInt(baseTimestamp), 27);
  out.writeBigInt64BE(BigInt(maxTimestamp), 35);
  out.writeBigInt64BE(BigInt(opts.producerId ?? -1), 43);
  out.writeInt16BE(opts.producerEpoch ?? -1, 51);
  out.writeInt32BE(opts.baseSequence ?? -1, 53);
  out.writeInt32BE(records.length, 57);
  recordBytes.copy(out, BATCH_HEADER_SIZE);
  new BatchHeader(out).updateCrc();
  return out;
}
