import { crc32c } from '@node-rs/crc32';

/** One uncompressed RecordBatch v2 holding one record with `value` (no key, no headers). */
export function oneRecordBatch(value: string, timestamp = Date.now()): Buffer {
  const v = Buffer.from(value);
  const body = Buffer.alloc(1 + 1 + 1 + 1 + 5 + v.length + 1);
  let at = 0;
  body[at++] = 0; // attributes
  body[at++] = 0; // timestamp delta 0 (zigzag varint)
  body[at++] = 0; // offset delta 0
  body[at++] = 1; // key length -1 (zigzag)
  at = writeVarint(body, at, v.length);
  v.copy(body, at); at += v.length;
  body[at++] = 0; // no headers
  const record = body.subarray(0, at);
  const lenBuf = Buffer.alloc(5);
  const lenLen = writeVarint(lenBuf, 0, record.length);
  const out = Buffer.alloc(61 + lenLen + record.length);
  out.writeInt32BE(out.length - 12, 8);
  out.writeInt8(2, 16);
  out.writeInt32BE(0, 23);
  out.writeBigInt64BE(BigInt(timestamp), 27);
  out.writeBigInt64BE(BigInt(timestamp), 35);
  out.writeBigInt64BE(-1n, 43);
  out.writeInt16BE(-1, 51);
  out.writeInt32BE(-1, 53);
  out.writeInt32BE(1, 57);
  lenBuf.copy(out, 61, 0, lenLen);
  record.copy(out, 61 + lenLen);
  out.writeUInt32BE(crc32c(out.subarray(21)), 17);
  return out;
}

function writeVarint(buf: Buffer, at: number, n: number): number {
  let z = ((n << 1) ^ (n >> 31)) >>> 0;
  while (z >= 0x80) { buf[at++] = (z & 0x7f) | 0x80; z >>>= 7; }
  buf[at++] = z;
  return at;
}

