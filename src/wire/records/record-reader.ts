/**
 * Records of one RecordBatch v2: decompressed when the batch is, then each
 * record's zigzag-varint fields (length, attributes, timestamp delta, offset
 * delta, key, value, headers) read with bounds checks (DecodeError on bad
 * bytes). Used where the broker must look inside a batch: compaction keys,
 * ListOffsets by time inside compressed batches, tests and tools; never on the
 * plain produce/fetch path.
 */
import { Reader } from '../protocol/reader.js';
import { codecFor } from '../compression/index.js';
import { BATCH_HEADER_SIZE, type BatchHeader } from './batch-header.js';

export interface RecordHeader { key: string; value: Buffer | null }

export interface Record {
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

/** 64 MiB: more than any sane batch decompresses to; a bomb is refused. */
export const DEFAULT_MAX_DECOMPRESSED = 64 << 20;

/**
 * 1 GiB: the most a batch the broker accepted can decompress to (the produce
 * path's limit grows with max.message.bytes up to this). Reads of stored
 * batches use it, so a batch that was appended can always be read back.
 */
export const MAX_DECOMPRESSED = 1 << 30;

export function readRecords(batch: BatchHeader, maxDecompressed = DEFAULT_MAX_DECOMPRESSED): Record[] {
  const raw = batch.buf.subarray(batch.at + BATCH_HEADER_SIZE, batch.at + batch.sizeInBytes);
  const body = codecFor(batch.compression).decompress(raw, maxDecompressed);
  const r = new Reader(body);
  const out: Record[] = [];
  const count = batch.recordCount;
  if (count < 0 || count > body.length) r.fail(`record count ${count} does not fit the batch`);
  const nullable = (): Buffer | null => {
    const n = r.varint();
    if (n < -1) r.fail(`invalid length ${n}`);
    return n === -1 ? null : r.take(n);
  };
  for (let i = 0; i < count; i++) {
    const len = r.varint();
    if (len < 0 || len > r.remaining()) r.fail(`record length ${len} exceeds the batch`);
    const end = r.pos + len;
    r.int8();
    const timestamp = batch.baseTimestamp + r.varlong();
    const offset = batch.baseOffset + r.varint();
    const key = nullable();
    const value = nullable();
    const headerCount = r.varint();
    if (headerCount < 0 || headerCount > r.remaining()) r.fail(`header count ${headerCount} exceeds the record`);
    const headers: RecordHeader[] = [];
    for (let h = 0; h < headerCount; h++) {
      const k = nullable() ?? r.fail('null header key');
      headers.push({ key: k.toString('utf8'), value: nullable() });
    }
    if (r.pos !== end) r.fail(`record ${i} length ${len} disagrees with its fields`);
    out.push({ offset, timestamp, key, value, headers });
  }
  return out;
}
