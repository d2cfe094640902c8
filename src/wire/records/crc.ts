/**
 * CRC32C (RecordBatch v2) and CRC32 (message format v0/v1) from
 * @node-rs/crc32, loaded on the first checksum: the native module costs about
 * 10 ms of start-up, and a broker answers its first requests (ApiVersions,
 * Metadata) without one.
 */
import { createRequire } from 'node:module';

type Native = typeof import('@node-rs/crc32');
let native: Native | undefined;
const load = (): Native => (native ??= createRequire(import.meta.url)('@node-rs/crc32') as Native);

export const crc32c = (input: Uint8Array, initial?: number): number => load().crc32c(input, initial);
export const crc32 = (input: Uint8Array, initial?: number): number => load().crc32(input, initial);
