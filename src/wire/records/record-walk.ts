/**
 * The framing check of a RecordBatch v2 records section, as Kafka's
 * DefaultRecord.readFrom and the batch's record iterator make it on produce:
 * exactly `count` records, each
 *
 *   length varint | attributes int8 | timestampDelta varlong | offsetDelta varint
 *   | key (varint length, -1 = null) | value (same) | header count varint
 *   | headers: key (varint length >= 0), value (varint length, -1 = null)
 *
 * with every length inside its record, the fields filling the record exactly,
 * and nothing after the last record. Offset deltas must be 0..count-1 in
 * order: Kafka does not check them on an uncompressed batch (and rewrites a
 * compressed one), but a record whose delta strays claims an offset of
 * another batch, so Samsa refuses it. Lengths below -1 are refused too, where
 * Kafka reads any negative length as null: our readers and librdkafka's
 * refuse them.
 *
 * This runs on every produced batch, so it is a walk over the bytes: no copy,
 * no object per record, values decoded only as far as the checks need. A
 * batch is first walked by `wellFormed`, which decodes one- and two-byte
 * varints inline and only answers yes or no; a no (or a record it does not
 * take the fast way: a visitor, sparse offsets) goes through the careful walk,
 * which finds the same defect and names it.
 */

import { BATCH_HEADER_SIZE, Compression, TimestampType, type BatchHeader } from './batch-header.js';
import { codecFor } from '../compression/index.js';

/** Called once per well-formed record when a topic needs to look inside (compaction keys, timestamps). */
export type RecordVisitor = (index: number, hasKey: boolean, timestampDelta: number, offsetDelta: number) => void;

/** The smallest record: a one-byte length and six one-byte fields. */
export const MIN_RECORD_SIZE = 7;

// The walk's cursor, shared by the readers below: each reads at `pos`,
// advances it and returns the value, or sets it to -1 when the bytes are
// malformed or run past `end`. Module state instead of returned pairs keeps
// the walk free of allocations (a position is always a small integer, so
// storing it boxes nothing); nothing here is re-entrant or async.
let pos = 0;

/** A zigzag varint of at most 32 bits. */
function varint(buf: Buffer, end: number): number {
  let p = pos;
  if (p >= end) return fail();
  let b = buf[p++]!;
  let u = b & 0x7f;
  if (b >= 0x80) {
    if (p >= end) return fail();
    b = buf[p++]!;
    u |= (b & 0x7f) << 7;
    if (b >= 0x80) {
      for (let shift = 14; ; shift += 7) {
        if (p >= end) return fail();
        b = buf[p++]!;
        if (shift === 28) {
          if (b > 0x0f) return fail(); // past 32 bits, or a sixth byte
          u |= b << 28;
          break;
        }
        u |= (b & 0x7f) << shift;
        if (b < 0x80) break;
      }
    }
  }
  pos = p;
  return (u >>> 1) ^ -(u & 1);
}

/** A zigzag varint of at most 64 bits, exact up to 2^53 (enough for a timestamp check). */
function varlong(buf: Buffer, end: number): number {
  let u = 0;
  let scale = 1;
  for (let p = pos, i = 0; i < 10; i++, scale *= 128) {
    if (p >= end) break;
    const b = buf[p++]!;
    u += (b & 0x7f) * scale;
    if (b < 0x80) {
      pos = p;
      return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
    }
  }
  return fail();
}

/** Steps over a varint of at most 64 bits without decoding it. */
function skipVarlong(buf: Buffer, end: number): number {
  for (let p = pos, i = 0; i < 10 && p < end; i++) {
    if (buf[p++]! < 0x80) { pos = p; return 0; }
  }
  return fail();
}

function fail(): number {
  pos = -1;
  return 0;
}

/** Steps over a nullable byte field (key, value, header value): its varint length (-1 = null) and bytes. */
function skipNullableBytes(buf: Buffer, end: number): void {
  const n = varint(buf, end);
  if (pos < 0) return;
  if (n < -1 || n > end - pos) fail();
  else if (n > 0) pos += n;
}

/**
 * Checks the `count` records in `buf[start, end)`. Returns undefined when
 * they are well formed, or why not in Kafka's words (an InvalidRecordException
 * in Kafka: INVALID_RECORD). `denseOffsets` false accepts any offset deltas,
 * for stored batches compaction left gaps in.
 */
export function walkRecords(buf: Buffer, start: number, end: number, count: number, visit?: RecordVisitor, denseOffsets = true): string | undefined {
  if (visit === undefined && denseOffsets && wellFormed(buf, start, end, count)) return undefined;
  if (count < 0) return `Found invalid record count ${count} in magic v2 batch`;
  // Each record takes at least MIN_RECORD_SIZE bytes: a count that cannot fit fails here, not after a long walk.
  if (count > (end - start) / MIN_RECORD_SIZE) return 'Incorrect declared batch size, premature EOF reached';
  pos = start;
  for (let i = 0; i < count; i++) {
    if (pos >= end) return 'Incorrect declared batch size, premature EOF reached';
    const size = varint(buf, end);
    if (pos < 0) return at(i, 'Incorrect declared batch size, premature EOF reached');
    if (size < 0 || size > end - pos) return at(i, `Invalid record size: expected ${size} bytes in record payload, but instead the buffer has only ${end - pos} remaining bytes.`);
    const bodyStart = pos;
    const recordEnd = pos + size;
    pos++; // attributes: unused in v2, Kafka ignores them
    const timestampDelta = visit === undefined ? skipVarlong(buf, recordEnd) : varlong(buf, recordEnd);
    if (pos < 0) return at(i, 'Found invalid record structure');
    const offsetDelta = varint(buf, recordEnd);
    if (pos < 0) return at(i, 'Found invalid record structure');
    if (denseOffsets && offsetDelta !== i) return at(i, `Record offset delta ${offsetDelta} does not match its position ${i} in the batch`);
    const keyLength = varint(buf, recordEnd);
    if (pos < 0 || keyLength < -1 || keyLength > recordEnd - pos) return at(i, 'Found invalid record structure');
    if (keyLength > 0) pos += keyLength;
    skipNullableBytes(buf, recordEnd);
    if (pos < 0) return at(i, 'Found invalid record structure');
    const headers = varint(buf, recordEnd);
    if (pos < 0) return at(i, 'Found invalid record structure');
    if (headers < 0) return at(i, `Found invalid number of record headers ${headers}`);
    if (headers > recordEnd - pos) return at(i, `Found invalid number of record headers. ${headers} is larger than the remaining size of the buffer`);
    for (let h = 0; h < headers; h++) {
      const keySize = varint(buf, recordEnd);
      if (pos < 0) return at(i, 'Found invalid record structure');
      if (keySize < 0) return at(i, `Invalid negative header key size ${keySize}`);
      if (keySize > recordEnd - pos) return at(i, 'Found invalid record structure');
      pos += keySize;
      skipNullableBytes(buf, recordEnd);
      if (pos < 0) return at(i, 'Found invalid record structure');
    }
    if (pos !== recordEnd) return at(i, `Invalid record size: expected to read ${size} bytes in record payload, but instead read ${pos - bodyStart}`);
    if (visit !== undefined) visit(i, keyLength >= 0, timestampDelta, offsetDelta);
  }
  if (pos !== end) return 'Incorrect declared batch size, records still remaining in file';
  return undefined;
}

const at = (index: number, message: string) => `${message} (record ${index})`;

/**
 * A zigzag varint at `p` whose first byte has the high bit set (so it is at
 * least two bytes long), of at most 32 bits and ending before `end`; sets
 * `pos` after it, or to -1 when it is malformed.
 */
function longVarint(buf: Buffer, p: number, end: number): number {
  let u = 0;
  for (let shift = 0; shift <= 28 && p < end; shift += 7) {
    const b = buf[p++]!;
    if (shift === 28 && b > 0x0f) break;
    u |= (b & 0x7f) << shift;
    if (b < 0x80) { pos = p; return (u >>> 1) ^ -(u & 1); }
  }
  pos = -1;
  return 0;
}

/**
 * Whether the `count` records in `buf[start, end)` pass every check of
 * walkRecords with dense offsets and no visitor. The same checks, made the
 * fast way: varints of one and two bytes (all fields of small records) are
 * decoded inline, longer ones by longVarint, and nothing is explained. The
 * repeated varint blocks are written out by hand on purpose: a helper
 * returning a value and a position would need an object or module state per
 * field, which costs more than the walk itself.
 *
 * It may say no to a well-formed section (the careful walk then accepts it),
 * never yes to a malformed one. So where a field is always followed by more
 * bytes of its record (every varint but a header value's), two bytes are
 * required before it is read, one bounds check for both of a two-byte
 * varint's bytes; and a record body is at least MIN_RECORD_SIZE - 1 bytes.
 */
function wellFormed(buf: Buffer, start: number, end: number, count: number): boolean {
  if (count < 0 || count > (end - start) / MIN_RECORD_SIZE) return false;
  let p = start;
  let b = 0;
  let b1 = 0;
  let n = 0;
  for (let i = 0; i < count; i++) {
    // Length.
    if (p + 1 >= end) return false;
    b = buf[p]!;
    if (b < 0x80) { n = (b >>> 1) ^ -(b & 1); p++; }
    else if ((b1 = buf[p + 1]!) < 0x80) { n = (b & 0x7f) | (b1 << 7); n = (n >>> 1) ^ -(n & 1); p += 2; }
    else { n = longVarint(buf, p, end); if (pos < 0) return false; p = pos; }
    if (n < MIN_RECORD_SIZE - 1 || n > end - p) return false;
    const recordEnd = p + n;
    // Attributes, then the timestamp delta: a varlong of at most 10 bytes, stepped over.
    const ts = ++p;
    while (buf[p++]! >= 0x80) if (p - ts >= 10 || p >= recordEnd) return false;
    // Offset delta: must be i.
    if (p + 1 >= recordEnd) return false;
    b = buf[p]!;
    if (b < 0x80) { n = (b >>> 1) ^ -(b & 1); p++; }
    else if ((b1 = buf[p + 1]!) < 0x80) { n = (b & 0x7f) | (b1 << 7); n = (n >>> 1) ^ -(n & 1); p += 2; }
    else { n = longVarint(buf, p, recordEnd); if (pos < 0) return false; p = pos; }
    if (n !== i) return false;
    // Key: a length (-1 = null) and its bytes.
    if (p + 1 >= recordEnd) return false;
    b = buf[p]!;
    if (b < 0x80) { n = (b >>> 1) ^ -(b & 1); p++; }
    else if ((b1 = buf[p + 1]!) < 0x80) { n = (b & 0x7f) | (b1 << 7); n = (n >>> 1) ^ -(n & 1); p += 2; }
    else { n = longVarint(buf, p, recordEnd); if (pos < 0) return false; p = pos; }
    if (n < -1 || n > recordEnd - p) return false;
    if (n > 0) p += n;
    // Value: the same.
    if (p + 1 >= recordEnd) return false;
    b = buf[p]!;
    if (b < 0x80) { n = (b >>> 1) ^ -(b & 1); p++; }
    else if ((b1 = buf[p + 1]!) < 0x80) { n = (b & 0x7f) | (b1 << 7); n = (n >>> 1) ^ -(n & 1); p += 2; }
    else { n = longVarint(buf, p, recordEnd); if (pos < 0) return false; p = pos; }
    if (n < -1 || n > recordEnd - p) return false;
    if (n > 0) p += n;
    // Headers: a count (usually 0), then each a key (length >= 0) and a value (-1 = null).
    if (p >= recordEnd) return false;
    b = buf[p]!;
    if (b === 0) p++;
    else {
      if (b < 0x80) { n = (b >>> 1) ^ -(b & 1); p++; }
      else { n = longVarint(buf, p, recordEnd); if (pos < 0) return false; p = pos; }
      if (n < 0 || n > recordEnd - p) return false;
      for (let h = n; h > 0; h--) {
        if (p + 1 >= recordEnd) return false;
        b = buf[p]!;
        if (b < 0x80) { n = (b >>> 1) ^ -(b & 1); p++; }
        else if ((b1 = buf[p + 1]!) < 0x80) { n = (b & 0x7f) | (b1 << 7); n = (n >>> 1) ^ -(n & 1); p += 2; }
        else { n = longVarint(buf, p, recordEnd); if (pos < 0) return false; p = pos; }
        if (n < 0 || n > recordEnd - p) return false;
        p += n;
        // A header value may end the record: one byte may be all there is.
        if (p >= recordEnd) return false;
        b = buf[p]!;
        if (b < 0x80) { n = (b >>> 1) ^ -(b & 1); p++; }
        else if (p + 1 < recordEnd && (b1 = buf[p + 1]!) < 0x80) { n = (b & 0x7f) | (b1 << 7); n = (n >>> 1) ^ -(n & 1); p += 2; }
        else { n = longVarint(buf, p, recordEnd); if (pos < 0) return false; p = pos; }
        if (n < -1 || n > recordEnd - p) return false;
        if (n > 0) p += n;
      }
    }
    if (p !== recordEnd) return false;
  }
  return p === end;
}

/**
 * The first record of a v2 batch whose timestamp is >= `timestamp` and whose
 * offset is >= `minOffset`, as Kafka's FileRecords.searchForTimestamp looks
 * inside a batch: a compressed batch is decompressed (at most
 * `maxDecompressed` bytes, DecompressionLimitError past it), a LogAppendTime
 * batch's records all carry its max timestamp, control records count like
 * any other. Null when no record qualifies. Throws an Error naming why when
 * the records are malformed.
 */
export function firstRecordAtOrAfter(h: BatchHeader, timestamp: number, minOffset: number, maxDecompressed: number): { offset: number; timestamp: number } | null {
  const raw = h.buf.subarray(h.at + BATCH_HEADER_SIZE, h.at + h.sizeInBytes);
  const body = h.compression === Compression.None ? raw : codecFor(h.compression).decompress(raw, maxDecompressed);
  const fixed = h.timestampType === TimestampType.LogAppendTime ? h.maxTimestamp : undefined;
  const base = h.baseTimestamp;
  let found = -1;
  let foundTimestamp = -1;
  // Offset deltas as stored: a compacted batch keeps its records' offsets, with gaps.
  const why = walkRecords(body, 0, body.length, h.recordCount, (_index, _hasKey, delta, offsetDelta) => {
    if (found >= 0) return;
    const ts = fixed ?? base + delta;
    if (ts >= timestamp && h.baseOffset + offsetDelta >= minOffset) { found = h.baseOffset + offsetDelta; foundTimestamp = ts; }
  }, false);
  if (why !== undefined) throw new Error(`batch at offset ${h.baseOffset}: ${why}`);
  return found < 0 ? null : { offset: found, timestamp: foundTimestamp };
}
