import { createRequire } from 'node:module';
import { DecompressionLimitError, type Codec } from './codec.js';

// node:zlib loads on first use, like the native codecs: most brokers never see gzip.
let zlib: typeof import('node:zlib') | undefined;
const lib = (): typeof import('node:zlib') => (zlib ??= createRequire(import.meta.url)('node:zlib') as typeof import('node:zlib'));

export const gzip: Codec = {
  name: 'gzip',
  compress: (data) => lib().gzipSync(data),
  decompress(data, maxOutput) {
    try {
      return lib().gunzipSync(data, { maxOutputLength: Math.max(1, maxOutput) });
    } catch (err) {
      if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw new DecompressionLimitError('gzip', maxOutput);
      throw err;
    }
  },
};
