import { crc32c } from '@node-rs/crc32';
import { Writer } from '../../src/wire/protocol/writer.js';
import { BatchHeader, BATCH_HEADER_SIZE } from '../../src/wire/records/batch-header.js';
import type { PartitionLogView } from '../../src/broker/replica-manager.js';

/** Test-only RecordBatch v2 builder (uncompressed), independent of src/wire/records. */
export function makeBatch(opts: {
  values: (string | null)[]; key?: string | null; producerId?: number; producerEpoch?: number; baseSequence?: number;
  timestamp?: number; attributes?: number; partitionLeaderEpoch?: number;
}): Buffer {
  const ts = opts.timestamp ?? 1_700_000_000_000;
  const body = new Writer();
  opts.values.forEach((v, i) => {
    const r = new Writer();
    r.int8(0);
    r.varlong(0);
    r.varint(i);
    const key = opts.key === undefined || opts.key === null ? null : Buffer.from(opts.key);
    if (key === null) r.varint(-1); else { r.varint(key.length); r.raw(key); }
    if (v === null) r.varint(-1); else { const b = Buffer.from(v); r.varint(b.length); r.raw(b); }
    r.varint(0);
    const rb = r.toBuffer();
    body.varint(rb.length);
    body.raw(rb);
  });
  const records = body.toBuffer();
  const out = Buffer.alloc(BATCH_HEADER_SIZE + records.length);
  out.writeBigInt64BE(0n, 0);
  out.writeInt32BE(out.length - 12, 8);
  out.writeInt32BE(opts.partitionLeaderEpoch ?? 0, 12);
  out.writeInt8(2, 16);
  out.writeInt16BE(opts.attributes ?? 0, 21);
  out.writeInt32BE(opts.values.length - 1, 23);
  out.writeBigInt64BE(BigInt(ts), 27);
  out.writeBigInt64BE(BigInt(ts), 35);
  out.writeBigInt64BE(BigInt(opts.producerId ?? -1), 43);
  out.writeInt16BE(opts.producerEpoch ?? -1, 51);
  out.writeInt32BE(opts.baseSequence ?? -1, 53);
  out.writeInt32BE(opts.values.length, 57);
  records.copy(out, 61);
  out.writeUInt32BE(crc32c(out.subarray(21)), 17);
  return out;
}

/** In-memory PartitionLogView: batches kept as copies; `done` resolves on the next tick (or when released). */
export class MemoryLog implements PartitionLogView {
  batches: Buffer[] = [];
  logStartOffset = 0;
  logEndOffset = 0;
  hold = false;
  private held: (() => void)[] = [];

  append(records: Buffer, leaderEpoch: number) {
    const b = Buffer.from(records);
    const h = new BatchHeader(b);
    h.baseOffset = this.logEndOffset;
    h.partitionLeaderEpoch = leaderEpoch;
    this.batches.push(b);
    const baseOffset = this.logEndOffset;
    this.logEndOffset += h.lastOffsetDelta + 1;
    const done = new Promise<void>((resolve) => (this.hold ? this.held.push(resolve) : setImmediate(resolve)));
    return { baseOffset, lastOffset: this.logEndOffset - 1, done };
  }
  release(): void { for (const r of this.held.splice(0)) r(); }
  read(fetchOffset: number, maxBytes: number, upperBound: number) {
    const chunks: Buffer[] = [];
    let bytes = 0;
    for (const b of this.batches) {
      const h = new BatchHeader(b);
      if (h.lastOffset < fetchOffset || h.lastOffset < this.logStartOffset) continue;
      if (h.baseOffset >= upperBound) break;
      if (bytes > 0 && bytes + b.length > maxBytes) break;
      chunks.push(b);
      bytes += b.length;
      if (bytes >= maxBytes) break;
    }
    return { chunks, bytes };
  }
  offsetForTimestamp(ts: number) {
    for (const b of this.batches) {
      const h = new BatchHeader(b);
      if (h.maxTimestamp >= ts) return { offset: h.baseOffset, timestamp: h.maxTimestamp };
    }
    return null;
  }
  maxTimestampOffset() {
    let best: { offset: number; timestamp: number } | null = null;
    for (const b of this.batches) {
      const h = new BatchHeader(b);
      if (!best || h.maxTimestamp > best.timestamp) best = { offset: h.lastOffset, timestamp: h.maxTimestamp };
    }
    return best;
  }
  deleteRecordsBefore(offset: number) { this.logStartOffset = Math.max(this.logStartOffset, offset); }
  *scanBatches(from: number) { for (const b of this.batches) { const h = new BatchHeader(b); if (h.lastOffset >= from) yield h; } }
}
