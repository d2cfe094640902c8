import { crc32, crc32c } from '@node-rs/crc32';

/**
 * Builds an uncompressed RecordBatch v2 (records without keys or headers) so
 * compat tests can send exact bytes; independent of src/wire/records so a bug
 * there cannot hide one in the broker.
 */
export function recordBatch(opts: { values: string[]; producerId?: bigint; producerEpoch?: number; baseSequence?: number; timestamp?: number }): Buffer {
  const ts = opts.timestamp ?? Date.now();
  const records = opts.values.map((value, i) => {
    const v = Buffer.from(value);
    const body = Buffer.alloc(4 + 10 + v.length + 1);
    let at = 0;
    body[at++] = 0; // attributes
    body[at++] = 0; // timestamp delta 0
    at = writeVarint(body, at, i); // offset delta
    body[at++] = 1; // key length -1
    at = writeVarint(body, at, v.length);
    v.copy(body, at); at += v.length;
    body[at++] = 0; // no headers
    const len = Buffer.alloc(5);
    return Buffer.concat([len.subarray(0, writeVarint(len, 0, at)), body.subarray(0, at)]);
  });
  const payload = Buffer.concat(records);
  const out = Buffer.alloc(61 + payload.length);
  out.writeInt32BE(out.length - 12, 8);
  out.writeInt8(2, 16);
  out.writeInt32BE(opts.values.length - 1, 23);
  out.writeBigInt64BE(BigInt(ts), 27);
  out.writeBigInt64BE(BigInt(ts), 35);
  out.writeBigInt64BE(opts.producerId ?? -1n, 43);
  out.writeInt16BE(opts.producerEpoch ?? -1, 51);
  out.writeInt32BE(opts.baseSequence ?? -1, 53);
  out.writeInt32BE(opts.values.length, 57);
  payload.copy(out, 61);
  out.writeUInt32BE(crc32c(out.subarray(21)), 17);
  return out;
}

/** One uncompressed RecordBatch v2 holding one record with `value`. */
export function oneRecordBatch(value: string, timestamp = Date.now()): Buffer {
  return recordBatch({ values: [value], timestamp });
}

function writeVarint(buf: Buffer, at: number, n: number): number {
  let z = ((n << 1) ^ (n >> 31)) >>> 0;
  while (z >= 0x80) { buf[at++] = (z & 0x7f) | 0x80; z >>>= 7; }
  buf[at++] = z;
  return at;
}

/** One uncompressed legacy message (magic 0 or 1) with its offset and size, as Produce v0-v2 carry them. */
export function legacyMessage(offset: number, magic: 0 | 1, key: string | null, value: string | null, timestamp = 0): Buffer {
  const k = key === null ? null : Buffer.from(key);
  const v = value === null ? null : Buffer.from(value);
  const size = 4 + 2 + (magic ? 8 : 0) + 4 + (k?.length ?? 0) + 4 + (v?.length ?? 0);
  const m = Buffer.alloc(12 + size);
  m.writeBigInt64BE(BigInt(offset), 0);
  m.writeInt32BE(size, 8);
  let p = 16;
  m.writeInt8(magic, p++);
  m.writeInt8(0, p++);
  if (magic) { m.writeBigInt64BE(BigInt(timestamp), p); p += 8; }
  m.writeInt32BE(k ? k.length : -1, p); p += 4;
  if (k) { k.copy(m, p); p += k.length; }
  m.writeInt32BE(v ? v.length : -1, p); p += 4;
  if (v) v.copy(m, p);
  m.writeUInt32BE(crc32(m.subarray(16)), 12);
  return m;
}
