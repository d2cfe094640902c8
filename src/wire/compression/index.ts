/** The codecs by Kafka's compression id (RecordBatch attributes bits 0-2). */
import { Compression } from '../records/batch-header.js';
import type { Codec } from './codec.js';
import { gzip } from './gzip.js';
import { snappy } from './snappy.js';
import { lz4 } from './lz4.js';
import { zstd } from './zstd.js';

export { DecompressionLimitError, type Codec } from './codec.js';

const none: Codec = { name: 'none', compress: (d) => d, decompress: (d) => d };

const BY_ID: Record<Compression, Codec> = {
  [Compression.None]: none,
  [Compression.Gzip]: gzip,
  [Compression.Snappy]: snappy,
  [Compression.Lz4]: lz4,
  [Compression.Zstd]: zstd,
};

export function codecFor(id: Compression): Codec {
  const c = BY_ID[id];
  if (!c) throw new Error(`unknown compression codec id ${id}`);
  return c;
}
