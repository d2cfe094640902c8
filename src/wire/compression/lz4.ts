/** LZ4 in the frame format Kafka requires (magic 0x184D2204), via lz4-napi. */
import { compressFrameSync, decompressFrameSync } from 'lz4-napi';
import { checkLimit, type Codec } from './codec.js';

export const lz4: Codec = {
  name: 'lz4',
  compress: (data) => compressFrameSync(data),
  // lz4-napi has no output cap; the result is checked after decoding.
  decompress: (data, maxOutput) => checkLimit('lz4', decompressFrameSync(data), maxOutput),
};
