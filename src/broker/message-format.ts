/**
 * Conversion between RecordBatch v2 (what the log stores) and the legacy
 * message sets of magic 0 and 1, for Produce v0-v2 and Fetch v0-v3, which
 * carry those formats (Kafka 3.x's up- and down-conversion).
 *
 * Legacy message set: repeated { offset int64, size int32, message }, where
 * message = crc uint32 (CRC32 IEEE of the rest) | magic int8 | attributes int8
 * (bits 0-2 codec, bit 3 LogAppendTime for magic 1) | timestamp int64 (magic
 * 1 only) | key bytes | value bytes (int32 lengths, -1 = null). A compressed
 * message's value is a compressed inner message set; with magic 1 the inner
 * offsets are relative (0..n-1) and the wrapper carries the absolute offset
 * of the last one (KIP-31).
 *
 * Up-conversion (produce): every message becomes a record of one v2 batch
 * (magic 0 messages have no timestamp: -1), compressed again with the
 * wrapper's codec. Down-conversion (fetch): records become messages of the
 * requested magic, a compressed batch a wrapper message with its codec
 * (headers, which legacy formats cannot carry, are dropped, as Kafka drops
 * them; control batches are skipped).
 * Only clients on those old versions pay for this.
 */
import { crc32 } from '../wire/records/crc.js';
import { Reader } from '../wire/protocol/reader.js';
import { BatchHeader, BATCH_HEADER_SIZE, Compression, TimestampType } from '../wire/records/batch-header.js';
import { readRecords, MAX_DECOMPRESSED as STORED_MAX_DECOMPRESSED } from '../wire/records/record-reader.js';
import { buildBatch, type RecordInput } from '../wire/records/batch-builder.js';
import { codecFor } from '../wire/compression/index.js';

const CODEC_MASK = 0x07;
const LOG_APPEND_TIME_BIT = 0x08;
const MAX_DECOMPRESSED = 64 << 20;

interface LegacyMessage { timestamp: number; key: Buffer | null; value: Buffer | null }

/** Parses a legacy message set (inner sets of compressed messages included); throws on bad bytes or CRCs. */
function readMessageSet(buf: Buffer, out: LegacyMessage[], codecSeen: { codec: Compression }, depth = 0): void {
  const r = new Reader(buf);
  while (r.remaining() >= 12) {
    r.int64();
    const size = r.int32();
    if (size < 14 || size > r.remaining()) {
      if (depth === 0 && size > r.remaining()) return; // a trailing partial message is ignored, as Kafka does
      r.fail(`message size ${size} is invalid`);
    }
    const start = r.pos;
    const crc = r.uint32();
    if (crc32(buf.subarray(r.pos, start + size)) !== crc) r.fail('message CRC mismatch');
    const magic = r.int8();
    if (magic !== 0 && magic !== 1) r.fail(`message magic ${magic} inside a legacy message set`);
    const attributes = r.int8();
    const timestamp = magic === 1 ? Number(r.int64()) : -1;
    const key = r.nullableBytes();
    const value = r.nullableBytes();
    if (r.pos !== start + size) r.fail('message size disagrees with its fields');
    const codec = (attributes & CODEC_MASK) as Compression;
    if (codec === Compression.None) {
      out.push({ timestamp, key, value });
    } else {
      if (depth > 0 || value === null) return r.fail('nested or empty compressed message');
      codecSeen.codec = codec;
      const inner: LegacyMessage[] = [];
      readMessageSet(codecFor(codec).decompress(value, MAX_DECOMPRESSED), inner, codecSeen, depth + 1);
      const logAppend = magic === 1 && (attributes & LOG_APPEND_TIME_BIT) !== 0;
      for (const m of inner) out.push(logAppend ? { ...m, timestamp } : m);
    }
  }
}

/**
 * Up-converts a Produce v0-v2 message set to one RecordBatch v2 compressed
 * with the codec the producer used. Throws (DecodeError or codec errors) on
 * bad bytes; the caller answers CORRUPT_MESSAGE.
 */
export function upConvert(messageSet: Buffer): Buffer {
  const messages: LegacyMessage[] = [];
  const seen = { codec: Compression.None };
  readMessageSet(messageSet, messages, seen);
  if (messages.length === 0) throw new Error('no complete message in the message set');
  const records: RecordInput[] = messages.map((m) => ({ key: m.key, value: m.value, timestamp: m.timestamp }));
  const batch = buildBatch(records);
  if (seen.codec === Compression.None) return batch;
  const body = codecFor(seen.codec).compress(batch.subarray(BATCH_HEADER_SIZE));
  const out = Buffer.concat([batch.subarray(0, BATCH_HEADER_SIZE), body]);
  out.writeInt32BE(out.length - 12, 8);
  out.writeInt16BE(out.readInt16BE(21) | seen.codec, 21);
  new BatchHeader(out).updateCrc();
  return out;
}

/** True when the records start with a legacy (magic 0/1) message. */
export function isLegacyMessageSet(records: Buffer): boolean {
  return records.length >= 17 && records.readInt8(16) !== 2;
}

/** One legacy message with its offset and size prefix. */
function legacyMessage(offset: number, magic: 0 | 1, attributes: number, timestamp: number, key: Buffer | null, value: Buffer | null): Buffer {
  const keyLen = key === null ? 0 : key.length;
  const valueLen = value === null ? 0 : value.length;
  const size = 4 + 1 + 1 + (magic === 1 ? 8 : 0) + 4 + keyLen + 4 + valueLen;
  const m = Buffer.allocUnsafe(12 + size);
  m.writeBigInt64BE(BigInt(offset), 0);
  m.writeInt32BE(size, 8);
  let p = 16;
  m.writeInt8(magic, p++);
  m.writeInt8(attributes, p++);
  if (magic === 1) { m.writeBigInt64BE(BigInt(timestamp), p); p += 8; }
  m.writeInt32BE(key === null ? -1 : keyLen, p); p += 4;
  if (key !== null) { key.copy(m, p); p += keyLen; }
  m.writeInt32BE(value === null ? -1 : valueLen, p); p += 4;
  if (value !== null) value.copy(m, p);
  m.writeUInt32BE(crc32(m.subarray(16)), 12);
  return m;
}

/** Codecs an old fetcher of `magic` reads; lz4 in magic 0 used a broken frame checksum (KAFKA-3160), so it goes uncompressed. */
const keepsCodec = (codec: Compression, magic: 0 | 1) => codec === Compression.Gzip || codec === Compression.Snappy || (codec === Compression.Lz4 && magic === 1);

/**
 * Down-converts whole v2 batches (as read from the log) to a message set of
 * `magic` 0 or 1 with absolute offsets. A compressed batch becomes one
 * wrapper message compressed with the same codec, as Kafka converts it: its
 * offset is the last record's, and magic 1 inner messages carry offsets
 * relative to the first (KIP-31); zstd (never sent below Fetch v10) and
 * magic 0 lz4 become uncompressed messages.
 */
export function downConvert(batches: Buffer, magic: 0 | 1): Buffer {
  const parts: Buffer[] = [];
  for (let at = 0; at + BATCH_HEADER_SIZE <= batches.length;) {
    const h = new BatchHeader(batches, at);
    if (at + h.sizeInBytes > batches.length) break;
    at += h.sizeInBytes;
    if (h.isControl) continue;
    const logAppend = h.timestampType === TimestampType.LogAppendTime;
    const attributes = magic === 1 && logAppend ? LOG_APPEND_TIME_BIT : 0;
    // A stored batch: whatever produce accepted (up to its own 1 GiB ceiling) must convert.
    const records = readRecords(h, STORED_MAX_DECOMPRESSED);
    if (records.length === 0) continue;
    const timestampOf = (ts: number) => (logAppend ? h.maxTimestamp : ts);
    if (!keepsCodec(h.compression, magic)) {
      for (const rec of records) parts.push(legacyMessage(rec.offset, magic, attributes, timestampOf(rec.timestamp), rec.key, rec.value));
      continue;
    }
    const first = records[0]!.offset;
    const inner = Buffer.concat(records.map((rec) => legacyMessage(magic === 1 ? rec.offset - first : rec.offset, magic, attributes, timestampOf(rec.timestamp), rec.key, rec.value)));
    const maxTimestamp = records.reduce((m, rec) => Math.max(m, timestampOf(rec.timestamp)), -1);
    parts.push(legacyMessage(records[records.length - 1]!.offset, magic, attributes | h.compression, maxTimestamp, null, codecFor(h.compression).compress(inner)));
  }
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}
