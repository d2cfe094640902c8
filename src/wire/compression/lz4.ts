/**
 * LZ4 in the frame format Kafka requires (magic 0x184D2204), via lz4-napi.
 *
 * lz4-napi's frame decoder has no output cap, so the frame's block headers
 * are walked first (no decompression): every compressed block decodes to at
 * most the frame's block maximum size (the decoder refuses more), so their
 * sum bounds the output. Within the limit the frame is decoded in one call.
 * Past it (a bomb, or a frame of many part-filled large blocks, which no
 * Kafka client writes) the blocks are decoded one by one and the decoding
 * stops at the limit; that path does not verify the optional xxHash
 * checksums, which the batch's CRC32C already covers. Only the first frame
 * is read, as Kafka and lz4-napi read only the first.
 */
import { createRequire } from 'node:module';
import { DecompressionLimitError, type Codec } from './codec.js';

// The native addon loads on first use: a broker that never sees this codec never pays its load time at start-up.
let native: typeof import('lz4-napi') | undefined;
const lib = (): typeof import('lz4-napi') => (native ??= createRequire(import.meta.url)('lz4-napi') as typeof import('lz4-napi'));

const FRAME_MAGIC = 0x184d2204;
const BLOCK_MAX = [64 << 10, 256 << 10, 1 << 20, 4 << 20];
/** A linked block may copy from the 64 KiB decoded before it. */
const WINDOW = 64 << 10;

interface Frame {
  /** Offsets of the blocks' size fields, in order. */
  blocks: number[];
  blockMax: number;
  linked: boolean;
  /** An upper bound of the decoded size. */
  bound: number;
  /** The content size the frame declares, 0 when it does not. */
  declared: number;
}

/** Walks the first frame's header and block headers; throws on a malformed frame. */
function readFrame(data: Buffer): Frame {
  if (data.length < 7 || data.readUInt32LE(0) !== FRAME_MAGIC) throw new Error('not an LZ4 frame');
  const flg = data[4]!;
  const bd = data[5]!;
  if (flg >> 6 !== 1) throw new Error(`unsupported LZ4 frame version ${flg >> 6}`);
  const sizeId = (bd >> 4) & 7;
  if (sizeId < 4) throw new Error(`invalid LZ4 block maximum size id ${sizeId}`);
  const blockMax = BLOCK_MAX[sizeId - 4]!;
  const blockChecksums = (flg & 0x10) !== 0;
  const contentSize = (flg & 0x08) !== 0;
  let at = 6 + (contentSize ? 8 : 0) + ((flg & 0x01) !== 0 ? 4 : 0) + 1;
  const declared = contentSize && data.length >= 14 ? Number(data.readBigUInt64LE(6)) : 0;
  const blocks: number[] = [];
  let bound = 0;
  for (;;) {
    if (at + 4 > data.length) throw new Error('truncated LZ4 frame');
    const word = data.readUInt32LE(at);
    if (word === 0) break;
    const size = word & 0x7fffffff;
    if (size > blockMax) throw new Error(`LZ4 block of ${size} bytes exceeds the frame's ${blockMax}`);
    blocks.push(at);
    bound += word >>> 31 ? size : blockMax;
    at += 4 + size + (blockChecksums ? 4 : 0);
  }
  return { blocks, blockMax, linked: (flg & 0x20) === 0, bound, declared };
}

/** Decodes block by block, refusing as soon as the output passes `maxOutput`. */
function decodeBlocks(data: Buffer, frame: Frame, maxOutput: number): Buffer {
  const out: Buffer[] = [];
  let total = 0;
  const hinted = Buffer.allocUnsafe(4 + frame.blockMax);
  for (const at of frame.blocks) {
    const word = data.readUInt32LE(at);
    const size = word & 0x7fffffff;
    const body = data.subarray(at + 4, at + 4 + size);
    let block: Buffer;
    if (word >>> 31) {
      block = body;
    } else {
      // lz4-napi's block decoder reads the output capacity from a 4-byte prefix.
      hinted.writeUInt32LE(frame.blockMax, 0);
      body.copy(hinted, 4);
      const dict = frame.linked && total > 0 ? tail(out, total, WINDOW) : undefined;
      block = lib().uncompressSync(hinted.subarray(0, 4 + size), dict);
    }
    total += block.length;
    if (total > maxOutput) throw new DecompressionLimitError('lz4', maxOutput);
    out.push(block);
  }
  return Buffer.concat(out, total);
}

/** The last `n` bytes of the output so far (a linked block's dictionary). */
function tail(parts: Buffer[], total: number, n: number): Buffer {
  const last = parts[parts.length - 1]!;
  if (last.length >= n) return last.subarray(last.length - n);
  return Buffer.concat(parts).subarray(Math.max(0, total - n));
}

export const lz4: Codec = {
  name: 'lz4',
  compress: (data) => lib().compressFrameSync(data),
  decompress(data, maxOutput) {
    const frame = readFrame(data);
    // A decoder may size its output by the declared content size, and a true declaration past the limit is refused anyway.
    if (frame.declared > maxOutput) throw new DecompressionLimitError('lz4', maxOutput);
    if (frame.bound <= maxOutput) return lib().decompressFrameSync(data);
    return decodeBlocks(data, frame, maxOutput);
  },
};
