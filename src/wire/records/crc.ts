/**
 * CRC32C (RecordBatch v2) and CRC32 (message format v0/v1) from
 * @node-rs/crc32, loaded on the first checksum: the native module costs about
 * 10 ms of start-up, and a broker answers its first requests (ApiVersions,
 * Metadata) without one.
 *
 * CRC32C of a small input is computed here instead: a produce request of one
 * small record (acks=all at a steady rate, one request per record) checks a
 * batch of ~70 bytes, and a broker profile put the native call at ~2 us each
 * there, ~2.5% of its CPU, the call crossing into the addon costing more than
 * the sum. The table below does such an input in well under 0.1 us; from
 * TABLE_MAX_BYTES up the native code (hardware CRC instructions) is faster.
 */
import { createRequire } from 'node:module';

type Native = typeof import('@node-rs/crc32');
let native: Native | undefined;
const load = (): Native => (native ??= createRequire(import.meta.url)('@node-rs/crc32') as Native);

/** Below this many bytes the table is faster than the addon (measured: even at ~200 bytes, well ahead at 70). */
const TABLE_MAX_BYTES = 160;

/** Slicing-by-8 tables for CRC32C (reflected polynomial 0x82f63b78), built on first use. */
let tables: Int32Array | undefined;

function buildTables(): Int32Array {
  const t = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    for (let k = 1; k < 8; k++) {
      const prev = t[(k - 1) * 256 + n]!;
      t[k * 256 + n] = (prev >>> 8) ^ t[prev & 0xff]!;
    }
  }
  return t;
}

/** CRC32C by table, eight bytes a step; `initial` continues an earlier checksum as the addon's does. */
export function crc32cByTable(b: Uint8Array, initial = 0): number {
  const t = (tables ??= buildTables());
  let c = ~initial;
  let i = 0;
  const n = b.length;
  for (const end = n - (n % 8); i < end; i += 8) {
    const lo = c ^ (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24));
    c = t[1792 + (lo & 0xff)]! ^ t[1536 + ((lo >>> 8) & 0xff)]! ^ t[1280 + ((lo >>> 16) & 0xff)]! ^ t[1024 + (lo >>> 24)]!
      ^ t[768 + b[i + 4]!]! ^ t[512 + b[i + 5]!]! ^ t[256 + b[i + 6]!]! ^ t[b[i + 7]!]!;
  }
  for (; i < n; i++) c = t[(c ^ b[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

export const crc32c = (input: Uint8Array, initial?: number): number =>
  input.length < TABLE_MAX_BYTES ? crc32cByTable(input, initial) : load().crc32c(input, initial);
export const crc32 = (input: Uint8Array, initial?: number): number => load().crc32(input, initial);
