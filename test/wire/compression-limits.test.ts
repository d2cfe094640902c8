/**
 * Decompression with a limit: bombs of 512 MiB are refused without the
 * process ever holding their size, and the bounded paths (LZ4 block by
 * block, zstd streamed or over several frames) still decode what is within
 * the limit exactly.
 */
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { codecFor, DecompressionLimitError } from '../../src/wire/compression/index.js';
import { Compression } from '../../src/wire/records/batch-header.js';
import { gzipBomb, zstdBombDeclared, zstdBombStreamed, lz4Bomb, lz4Header, lz4Block, snappyRawBomb, snappyXerialBomb, maxRssMiB } from './helpers/bombs.js';

const MiB = 1 << 20;
const LIMIT = 64 * MiB;

t.test('512 MiB bombs are refused at the limit without allocating their size', async (t) => {
  const bombs: [string, Compression, Buffer][] = [
    ['gzip (512 members)', Compression.Gzip, gzipBomb(512)],
    ['zstd (512 frames declaring 1 MiB each)', Compression.Zstd, zstdBombDeclared(512)],
    ['zstd (one streamed frame, no declared size)', Compression.Zstd, zstdBombStreamed(512)],
    ['lz4 (128 blocks of 4 MiB)', Compression.Lz4, lz4Bomb(512)],
    ['snappy (plain block declaring 512 MiB)', Compression.Snappy, snappyRawBomb(512)],
    ['snappy (xerial block declaring 512 MiB)', Compression.Snappy, snappyXerialBomb(512)],
  ];
  const before = maxRssMiB();
  for (const [name, id, bomb] of bombs) {
    t.ok(bomb.length < 4 * MiB, `${name}: ${bomb.length} bytes`);
    t.throws(() => codecFor(id).decompress(bomb, LIMIT), DecompressionLimitError, `${name}: refused`);
  }
  // Any one bomb decoded whole would add 512 MiB; the limit allows 64 MiB at a time.
  t.ok(maxRssMiB() - before < 400, `peak RSS grew ${(maxRssMiB() - before).toFixed(0)} MiB over all bombs`);
});

t.test('lz4: a frame whose blocks could exceed the limit is decoded block by block, independent or linked', async (t) => {
  const lz4 = codecFor(Compression.Lz4);
  const pieces = Array.from({ length: 20 }, (_, i) => Buffer.from(`piece ${i} `.repeat(50)));
  // 20 blocks of at most 4 MiB each could reach 80 MiB: more than the 1 MiB limit, so the block path runs.
  const independent = Buffer.concat([lz4Header(), ...pieces.map((p) => lz4Block(p)), Buffer.alloc(4)]);
  t.same(lz4.decompress(independent, MiB), Buffer.concat(pieces), 'independent blocks');
  const stored = Buffer.from('stored as is');
  const raw = Buffer.alloc(4);
  raw.writeUInt32LE((0x80000000 | stored.length) >>> 0);
  t.same(lz4.decompress(Buffer.concat([lz4Header(), lz4Block(pieces[0]!), raw, stored, Buffer.alloc(4)]), MiB), Buffer.concat([pieces[0]!, stored]), 'an uncompressed block is copied');
  // A linked block refers back into the previous block's output.
  const first = randomBytes(1000);
  const second = Buffer.concat([first.subarray(0, 500), first.subarray(0, 500)]);
  const linkedBlock = lz4Block(second, first);
  t.ok(linkedBlock.length < 200, 'the second block copies from the first');
  t.same(lz4.decompress(Buffer.concat([lz4Header(true), lz4Block(first), linkedBlock, Buffer.alloc(4)]), MiB), Buffer.concat([first, second]), 'linked blocks');
  t.throws(() => lz4.decompress(independent, 500), DecompressionLimitError, 'the block path stops at the limit');
  t.throws(() => lz4.decompress(independent.subarray(0, independent.length - 10), MiB), /truncated/, 'a truncated frame is refused');
});

t.test('zstd: several frames and streamed frames decode whole within the limit', async (t) => {
  const zstd = codecFor(Compression.Zstd);
  const a = Buffer.from('first frame '.repeat(100));
  const b = Buffer.from('second frame '.repeat(100));
  t.same(zstd.decompress(Buffer.concat([zstd.compress(a), zstd.compress(b)]), MiB), Buffer.concat([a, b]), 'two frames with declared sizes');
  t.throws(() => zstd.decompress(Buffer.concat([zstd.compress(a), zstd.compress(b)]), a.length + 10), DecompressionLimitError, 'declared sizes are summed over the frames');
  // 3 MiB through the 128 KiB streaming chunks, with data that does not repeat within a chunk.
  const text = randomBytes(96 * 1024);
  const streamed = zstdBombStreamed(32, text);
  t.same(zstd.decompress(streamed, 4 * MiB), Buffer.concat(Array.from({ length: 32 }, () => text)), 'a streamed frame (no declared size)');
  t.throws(() => zstd.decompress(streamed, 3 * MiB - 1), DecompressionLimitError, 'a streamed frame stops at the limit');
  t.throws(() => zstd.decompress(streamed.subarray(0, streamed.length - 3), 4 * MiB), 'a truncated streamed frame is refused');
});
