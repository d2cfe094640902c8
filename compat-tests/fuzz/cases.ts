/**
 * One fuzz case: a few request frames (valid seeds, most of them mutated), an
 * ApiVersions "sentinel" request after them whose answer says the broker got
 * through the rest, all framed (sometimes with lying sizes) and cut into TCP
 * writes. A case depends only on (seed, index), so any case can be rebuilt
 * and replayed alone: FUZZ_SEED=<seed> FUZZ_CASE=<index>.
 */
import { Rng } from '../../test/wire/helpers/random-message.js';
import { ApiKey } from '../../src/wire/generated/api-keys.js';
import type { Seeds } from './seeds.js';
import { mutateFrame, shortFrame, sizePrefix, splitWrites } from './mutate.js';
import { predict, type Prediction } from './framing.js';

export interface FuzzCase {
  seed: number;
  index: number;
  /** The bytes as they go to the socket, one element per write. */
  writes: Buffer[];
  /** What the broker will make of them. */
  prediction: Prediction;
  /** How the frames were made, for the log. */
  notes: string[];
}

/** A 32-bit seed for case `index` of a run (a murmur3-style mix, so neighbouring cases differ everywhere). */
function caseSeed(seed: number, index: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35);
  h ^= h >>> 16; h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15; h = Math.imul(h, 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Chance that a seed frame is mutated (the rest go through whole, to build state the mutants then meet). */
const MUTATE = 0.7;

/** The frame size bounds the broker's connection enforces (sizes outside close it at once). */
export interface SizeBounds { min: number; max: number }

export function makeCase(seeds: Seeds, seed: number, index: number, sizes: SizeBounds): FuzzCase {
  const rng = new Rng(caseSeed(seed, index));
  const notes: string[] = [];
  const parts: Buffer[] = [];
  // Correlation ids unique within the run (the top bits say "case", the low three the frame), mutations aside.
  const cid = (k: number) => ((index * 8 + k) & 0x7fffffff);
  const n = rng.int(1, 3);
  for (let k = 0; k < n; k++) {
    if (rng.bool(0.03)) {
      parts.push(shortFrame(rng));
      notes.push(`frame ${k}: short frame`);
      continue;
    }
    let f = seeds.frame(rng, cid(k));
    const what = `frame ${k}: API ${f.readInt16BE(0)} v${f.readInt16BE(2)}`;
    if (rng.bool(MUTATE)) {
      const [m, how] = mutateFrame(f, rng, () => seeds.frame(rng, cid(k)));
      f = m;
      notes.push(`${what}, ${how.join(', ')}`);
    } else {
      notes.push(`${what}, valid`);
    }
    const [size, lie] = sizePrefix(f.length, rng, sizes.max);
    if (lie) notes.push(`frame ${k}: ${lie}`);
    parts.push(size, f);
  }
  const sentinel = seeds.request(rng, ApiKey.ApiVersions, 0, cid(7));
  const len = Buffer.alloc(4);
  len.writeInt32BE(sentinel.length);
  parts.push(len, sentinel);
  const stream = Buffer.concat(parts);
  const boundaries: number[] = [];
  parts.reduce((at, p) => { boundaries.push(at + p.length); return at + p.length; }, 0);
  return { seed, index, writes: splitWrites(stream, rng, boundaries), prediction: predict(stream, sizes.max, sizes.min), notes };
}

/** A case for the log: how to replay it and its bytes (hex, one line per write). */
export function describeCase(c: FuzzCase): string {
  return [
    `  reproduce: FUZZ_SEED=${c.seed} FUZZ_CASE=${c.index} make fuzz`,
    ...c.notes.map((n) => `  ${n}`),
    ...c.writes.map((w, i) => `  write ${i} (${w.length} bytes): ${w.toString('hex')}`),
  ].join('\n');
}
