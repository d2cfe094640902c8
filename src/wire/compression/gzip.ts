import { gzipSync, gunzipSync } from 'node:zlib';
import { DecompressionLimitError, type Codec } from './codec.js';

export const gzip: Codec = {
  name: 'gzip',
  compress: (data) => gzipSync(data),
  decompress(data, maxOutput) {
    try {
      return gunzipSync(data, { maxOutputLength: Math.max(1, maxOutput) });
    } catch (err) {
      if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw new DecompressionLimitError('gzip', maxOutput);
      throw err;
    }
  },
};
