/**
 * Snappy as Kafka clients write it: the Java client and kafkajs-snappy use
 * the xerial framing (magic 0x82 "SNAPPY" 0x00, int32 version, int32
 * compatible version, then int32-length-prefixed snappy blocks); librdkafka
 * reads both and some clients write plain snappy blocks. We read both and
 * write the xerial framing, as the Java client does.
 */
import { createRequire } from 'node:module';
import { DecompressionLimitError, type Codec } from './codec.js';

// The native addon loads on first use: a broker that never sees this codec never pays its load time at start-up.
let native: typeof import('snappy') | undefined;
const lib = (): typeof import('snappy') => (native ??= createRequire(import.meta.url)('snappy') as typeof import('snappy'));

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER = 16;
const BLOCK = 32 * 1024;

/** The uncompressed length a snappy block declares (its leading varint), without decompressing. */
function declaredLength(block: Buffer): number {
  let n = 0;
  for (let i = 0, shift = 0; i < 5 && i < block.length; i++, shift += 7) {
    n += (block[i]! & 0x7f) * 2 ** shift;
    if ((block[i]! & 0x80) === 0) return n;
  }
  throw new Error('snappy block has a bad length header');
}

/** Decompresses one block, refusing before allocating when it declares more than `budget` bytes. */
function block(data: Buffer, budget: number): Buffer {
  if (declaredLength(data) > budget) throw new DecompressionLimitError('snappy', budget);
  return lib().uncompressSync(data, { asBuffer: true }) as Buffer;
}

export const snappy: Codec = {
  name: 'snappy',
  compress(data) {
    const parts: Buffer[] = [XERIAL_MAGIC, Buffer.from([0, 0, 0, 1, 0, 0, 0, 1])];
    for (let at = 0; at < data.length || at === 0; at += BLOCK) {
      const c = lib().compressSync(data.subarray(at, at + BLOCK));
      const len = Buffer.alloc(4);
      len.writeInt32BE(c.length);
      parts.push(len, c);
      if (data.length === 0) break;
    }
    return Buffer.concat(parts);
  },
  decompress(data, maxOutput) {
    if (data.length < XERIAL_HEADER || !data.subarray(0, 8).equals(XERIAL_MAGIC)) return block(data, maxOutput);
    const out: Buffer[] = [];
    let total = 0;
    for (let at = XERIAL_HEADER; at < data.length;) {
      if (at + 4 > data.length) throw new Error('truncated xerial snappy block header');
      const len = data.readInt32BE(at);
      if (len < 0 || at + 4 + len > data.length) throw new Error('xerial snappy block overruns the data');
      const b = block(data.subarray(at + 4, at + 4 + len), maxOutput - total);
      total += b.length;
      out.push(b);
      at += 4 + len;
    }
    return Buffer.concat(out, total);
  },
};
