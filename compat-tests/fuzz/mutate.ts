/**
 * Mutations of a request frame and of the byte stream that carries it.
 *
 * Frame mutations (the body after the size prefix): bit flips, interesting
 * bytes, int16/int32/varint lengths that lie (huge, negative, -1 where null is
 * not allowed), truncation, extension, inserted and deleted spans, random API
 * keys and versions, a neighbouring version (the same bytes read with another
 * layout), and a header spliced onto another request's body.
 *
 * Stream mutations: size prefixes that lie (a little or a lot, larger or
 * smaller than the frame), negative and oversized sizes, zero and short
 * frames, and TCP writes split at random points (inside the size prefix too).
 */
import type { Rng } from '../../test/wire/helpers/random-message.js';
import { HANDLERS } from '../../src/broker/handlers/index.js';

type FrameMutation = (f: Buffer, rng: Rng, other: () => Buffer) => [Buffer, string];

const INT16_LIES = [0x7fff, 0xffff, 0x8000, 0xfffe, 0x0000, 0x0100];
const INT32_LIES = [0x7fffffff, 0xffffffff, 0xfffffffe, 0x80000000, 0x00100000, 0x00000000, 0x0000ffff];
const VARINT_LIES = [[0xff, 0xff, 0xff, 0xff, 0x0f], [0x80, 0x80, 0x80, 0x80, 0x80, 0x01], [0xfe, 0xff, 0xff, 0xff, 0x07], [0x80]];
const INTERESTING_BYTES = [0x00, 0xff, 0x7f, 0x80, 0x01, 0xfe];

const at = (f: Buffer, rng: Rng, width = 1) => rng.int(0, Math.max(0, f.length - width));

const FRAME_MUTATIONS: FrameMutation[] = [
  (f, rng) => {
    const m = Buffer.from(f);
    const n = rng.int(1, 8);
    for (let i = 0; i < n && m.length > 0; i++) m[at(m, rng)] ^= 1 << rng.int(0, 7);
    return [m, `flip ${n} bits`];
  },
  (f, rng) => {
    const m = Buffer.from(f);
    const i = at(m, rng);
    if (m.length > 0) m[i] = rng.pick(INTERESTING_BYTES);
    return [m, `byte ${i} = ${m[i]}`];
  },
  (f, rng) => {
    if (f.length < 2) return [f, 'int16 lie (too short)'];
    const m = Buffer.from(f);
    const i = at(m, rng, 2);
    const v = rng.pick(INT16_LIES);
    m.writeUInt16BE(v, i);
    return [m, `int16 at ${i} = 0x${v.toString(16)}`];
  },
  (f, rng) => {
    if (f.length < 4) return [f, 'int32 lie (too short)'];
    const m = Buffer.from(f);
    const i = at(m, rng, 4);
    const v = rng.pick(INT32_LIES);
    m.writeUInt32BE(v, i);
    return [m, `int32 at ${i} = 0x${v.toString(16)}`];
  },
  (f, rng) => {
    const i = at(f, rng);
    const v = Buffer.from(rng.pick(VARINT_LIES));
    return [Buffer.concat([f.subarray(0, i), v, f.subarray(i + 1)]), `varint at ${i} = ${v.toString('hex')}`];
  },
  (f, rng) => {
    const n = rng.int(0, Math.max(0, f.length - 1));
    return [f.subarray(0, n), `truncate to ${n}`];
  },
  (f, rng) => {
    const n = rng.int(1, 64);
    return [Buffer.concat([f, rng.bytes(n)]), `extend by ${n}`];
  },
  (f, rng) => {
    const i = at(f, rng);
    const n = rng.int(1, 16);
    return [Buffer.concat([f.subarray(0, i), rng.bytes(n), f.subarray(i)]), `insert ${n} at ${i}`];
  },
  (f, rng) => {
    const i = at(f, rng);
    const n = rng.int(1, 16);
    return [Buffer.concat([f.subarray(0, i), f.subarray(i + n)]), `delete ${n} at ${i}`];
  },
  (f, rng) => {
    if (f.length < 2) return [f, 'api key (too short)'];
    const m = Buffer.from(f);
    const key = rng.pick([rng.int(-3, 80), rng.pick(HANDLERS).apiKey, 1000, -1, 32767, -32768]);
    m.writeInt16BE(key, 0);
    return [m, `api key ${key}`];
  },
  (f, rng) => {
    if (f.length < 4) return [f, 'version (too short)'];
    const m = Buffer.from(f);
    const near = (d: number) => ((m.readInt16BE(2) + d) << 16) >> 16; // wraps within int16
    const v = rng.pick([rng.int(-1, 20), near(1), near(-1), 32767, -32768]);
    m.writeInt16BE(v, 2);
    return [m, `version ${v}`];
  },
  (f, rng, other) => {
    // This frame's header (key, version, correlation id) on another request's bytes.
    const o = other();
    const cut = rng.int(8, Math.max(8, o.length));
    return [Buffer.concat([f.subarray(0, 8), o.subarray(Math.min(cut, o.length))]), `spliced onto another body at ${cut}`];
  },
];

/** One to three mutations of a frame (without its size prefix); `other` gives another valid frame to splice from. */
export function mutateFrame(f: Buffer, rng: Rng, other: () => Buffer): [Buffer, string[]] {
  const notes: string[] = [];
  let m = f;
  // Mostly one mutation, so most mutants still decode and reach a handler with one odd value.
  const n = rng.pick([1, 1, 1, 2, 2, 3]);
  for (let i = 0; i < n; i++) {
    const [next, note] = rng.pick(FRAME_MUTATIONS)(m, rng, other);
    m = next;
    notes.push(note);
  }
  return [m, notes];
}

/** The size prefix for a frame: mostly the truth, sometimes a lie. */
export function sizePrefix(len: number, rng: Rng, maxRequestBytes: number): [Buffer, string] {
  const b = Buffer.alloc(4);
  let size = len;
  let note = '';
  if (rng.bool(0.12)) {
    const choices: [number, string][] = [
      [len + rng.int(1, 16), 'size larger than the frame'],
      [len + (1 << 20), 'size 1 MiB larger than the frame'],
      [Math.max(1, len - rng.int(1, 16)), 'size smaller than the frame'],
      [-1, 'size -1'],
      [-0x80000000, 'size -2^31'],
      [maxRequestBytes + 1, 'size above socket.request.max.bytes'],
      [0x7fffffff, 'size 2^31-1'],
      [0, 'size 0'],
    ];
    [size, note] = rng.pick(choices);
  }
  b.writeInt32BE(size);
  return [b, note];
}

/** A short frame (1 to 7 bytes: too short for a request header), with its true size. */
export function shortFrame(rng: Rng): Buffer {
  const n = rng.int(1, 7);
  const b = Buffer.alloc(4 + n);
  b.writeInt32BE(n);
  rng.bytes(n).copy(b, 4);
  return b;
}

/**
 * Splits a stream into TCP writes: usually one; sometimes one per part (each
 * size prefix and each frame body on its own, as a client writing them
 * separately does); sometimes several cut at random points.
 * `boundaries` are the offsets where the parts meet.
 */
export function splitWrites(stream: Buffer, rng: Rng, boundaries: number[]): Buffer[] {
  if (stream.length < 2 || rng.bool(0.7)) return [stream];
  const cuts = new Set<number>();
  if (rng.bool(0.3)) {
    for (const b of boundaries) if (b > 0 && b < stream.length) cuts.add(b);
  } else {
    const n = rng.int(1, 5);
    for (let i = 0; i < n; i++) cuts.add(rng.int(1, stream.length - 1));
  }
  const sorted = [...cuts].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const c of sorted) { out.push(stream.subarray(prev, c)); prev = c; }
  out.push(stream.subarray(prev));
  return out;
}
