import { createRequire } from 'node:module';
import { checkLimit, DecompressionLimitError, type Codec } from './codec.js';

// The native addon loads on first use: a broker that never sees this codec never pays its load time at start-up.
let native: typeof import('zstd-napi') | undefined;
const lib = (): typeof import('zstd-napi') => (native ??= createRequire(import.meta.url)('zstd-napi') as typeof import('zstd-napi'));

/** The content size a zstd frame declares, when it does (frame header descriptor, RFC 8878 3.1.1.1). */
function declaredSize(data: Buffer): number | undefined {
  if (data.length < 6 || data.readUInt32LE(0) !== 0xfd2fb528) return undefined;
  const fhd = data[4]!;
  const fcsFlag = fhd >> 6;
  const single = (fhd >> 5) & 1;
  const dictFlag = fhd & 3;
  const at = 5 + (single ? 0 : 1) + [0, 1, 2, 4][dictFlag]!;
  const size = [single ? 1 : 0, 2, 4, 8][fcsFlag]!;
  if (size === 0 || at + size > data.length) return undefined;
  if (size === 1) return data[at]!;
  if (size === 2) return data.readUInt16LE(at) + 256;
  if (size === 4) return data.readUInt32LE(at);
  return Number(data.readBigUInt64LE(at));
}

export const zstd: Codec = {
  name: 'zstd',
  compress: (data) => lib().compress(data),
  decompress(data, maxOutput) {
    const declared = declaredSize(data);
    if (declared !== undefined && declared > maxOutput) throw new DecompressionLimitError('zstd', maxOutput);
    return checkLimit('zstd', lib().decompress(data), maxOutput);
  },
};
