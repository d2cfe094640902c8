/** LZ4 in the frame format Kafka requires (magic 0x184D2204), via lz4-napi. */
import { createRequire } from 'node:module';
import { checkLimit, type Codec } from './codec.js';

// The native addon loads on first use: a broker that never sees this codec never pays its load time at start-up.
let native: typeof import('lz4-napi') | undefined;
const lib = (): typeof import('lz4-napi') => (native ??= createRequire(import.meta.url)('lz4-napi') as typeof import('lz4-napi'));

export const lz4: Codec = {
  name: 'lz4',
  compress: (data) => lib().compressFrameSync(data),
  // lz4-napi has no output cap; the result is checked after decoding.
  decompress: (data, maxOutput) => checkLimit('lz4', lib().decompressFrameSync(data), maxOutput),
};
