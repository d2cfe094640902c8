/**
 * Int64 fields as JS numbers without BigInt: the append path reads and writes
 * a few int64s per batch (base offset, timestamps), and BigInt conversions
 * showed up in its profile. Exact for |v| < 2^53, far beyond any real offset or
 * millisecond timestamp.
 */
const TWO_32 = 4294967296;

export function readInt64(buf: Buffer, at: number): number {
  return buf.readInt32BE(at) * TWO_32 + buf.readUInt32BE(at + 4);
}

export function writeInt64(buf: Buffer, at: number, v: number): void {
  // `v >>> 0` is v mod 2^32 (two's complement low word), also for negatives.
  buf.writeInt32BE(Math.floor(v / TWO_32), at);
  buf.writeUInt32BE(v >>> 0, at + 4);
}
