/**
 * Decompression bombs: small inputs that inflate to `mib` MiB of zeros, built
 * without ever holding that output (each is a repetition of one compressed
 * piece of at most 4 MiB), for the codec, validator and produce tests.
 */
import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';

const require = createRequire(import.meta.url);
const MiB = 1 << 20;

/** Concatenated gzip members of 1 MiB of zeros each (gunzip reads them as one stream). */
export function gzipBomb(mib: number): Buffer {
  const member = gzipSync(Buffer.alloc(MiB));
  return Buffer.concat(Array.from({ length: mib }, () => member));
}

/** Concatenated zstd frames of 1 MiB of zeros each, every one declaring its content size. */
export function zstdBombDeclared(mib: number): Buffer {
  const { compress } = require('zstd-napi') as typeof import('zstd-napi');
  const frame = compress(Buffer.alloc(MiB));
  return Buffer.concat(Array.from({ length: mib }, () => frame));
}

/** One streamed zstd frame that does not declare its content size. */
export function zstdBombStreamed(mib: number, chunk: Buffer = Buffer.alloc(MiB)): Buffer {
  const b = require('zstd-napi/binding.js') as typeof import('zstd-napi/binding.js');
  const cctx = new b.CCtx();
  const dst = Buffer.alloc(1 << 17);
  const out: Buffer[] = [];
  for (let i = 0; i < mib; i++) {
    for (let src = chunk; src.length > 0;) {
      const [, produced, consumed] = cctx.compressStream2(dst, src, b.EndDirective.continue);
      out.push(Buffer.from(dst.subarray(0, produced)));
      src = src.subarray(consumed);
    }
  }
  for (;;) {
    const [remaining, produced] = cctx.compressStream2(dst, Buffer.alloc(0), b.EndDirective.end);
    out.push(Buffer.from(dst.subarray(0, produced)));
    if (remaining === 0) return Buffer.concat(out);
  }
}

/**
 * An LZ4 frame header: independent (or linked) blocks of at most 4 MiB, no
 * checksums or content size. The header checksum byte (0x73) is the one
 * lz4-napi writes for the independent-blocks descriptor.
 */
export function lz4Header(linked = false): Buffer {
  return Buffer.from([0x04, 0x22, 0x4d, 0x18, linked ? 0x40 : 0x60, 0x70, 0x73]);
}

/** One LZ4 frame block: size word and the compressed bytes (optionally against a dictionary). */
export function lz4Block(data: Buffer, dict?: Buffer): Buffer {
  const { compressSync } = require('lz4-napi') as typeof import('lz4-napi');
  const body = compressSync(data, dict).subarray(4); // lz4-napi prefixes the decoded size
  const size = Buffer.alloc(4);
  size.writeUInt32LE(body.length);
  return Buffer.concat([size, body]);
}

/** An LZ4 frame of `mib / 4` blocks of 4 MiB of zeros. */
export function lz4Bomb(mib: number): Buffer {
  const block = lz4Block(Buffer.alloc(4 * MiB));
  return Buffer.concat([lz4Header(), ...Array.from({ length: Math.ceil(mib / 4) }, () => block), Buffer.alloc(4)]);
}

/** A plain snappy block declaring `mib` MiB (its leading varint) over a few bytes of data. */
export function snappyRawBomb(mib: number): Buffer {
  const out: number[] = [];
  for (let n = mib * MiB; ; n = Math.floor(n / 128)) {
    if (n < 128) { out.push(n); break; }
    out.push(0x80 | (n % 128));
  }
  return Buffer.concat([Buffer.from(out), Buffer.alloc(16)]);
}

/** The xerial framing (Java client) around one block declaring `mib` MiB. */
export function snappyXerialBomb(mib: number): Buffer {
  const block = snappyRawBomb(mib);
  const len = Buffer.alloc(4);
  len.writeInt32BE(block.length);
  return Buffer.concat([Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0, 0, 0, 0, 1, 0, 0, 0, 1]), len, block]);
}

/** The highest resident set size this process has reached, in MiB. */
export const maxRssMiB = (): number => process.resourceUsage().maxRSS / 1024;
