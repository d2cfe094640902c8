import { crc32c } from '@node-rs/crc32';

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
