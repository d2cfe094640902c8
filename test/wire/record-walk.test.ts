/**
 * walkRecords answers every records section the way its careful walk does:
 * the fast check (wellFormed) may only say "well formed" where the careful
 * walk finds nothing, and anything else gets the careful walk's reason. A
 * visitor that does nothing forces the careful walk, so the two are compared
 * on random sections (every varint width, null and empty keys and values,
 * headers, records past 2^14 bytes) and on mutations of them (a byte
 * changed, bytes cut, inserted or dropped, a count off by one).
 */
import t from 'tap';
import { walkRecords } from '../../src/wire/records/record-walk.js';
import { Writer } from '../../src/wire/protocol/writer.js';
import { Rng } from './helpers/random-message.js';

const careful = (buf: Buffer, count: number) => walkRecords(buf, 0, buf.length, count, () => {});
const walked = (buf: Buffer, count: number) => walkRecords(buf, 0, buf.length, count);

function randomLength(rng: Rng, nullable: boolean): number {
  if (nullable && rng.bool(0.15)) return -1;
  return rng.pick([0, 1, rng.int(2, 63), rng.int(64, 200), rng.int(200, 2000), rng.bool(0.05) ? rng.int(16_384, 20_000) : 5]);
}

/** Contents do not matter to the walk, only lengths do: one random byte repeated. */
const filler = (rng: Rng, n: number) => Buffer.alloc(n, rng.int(0, 255));

/** A length field as written (`declared`) beside the bytes that follow it (`actual`, -1: none). */
interface Field { declared: number; actual: number }
interface RecordSpec { timestampDelta: bigint; offsetDelta: number; key: Field; value: Field; headers: [Field, Field][]; headerCount: number; lengthAdjust: number }

function field(rng: Rng, nullable: boolean): Field {
  const n = randomLength(rng, nullable);
  return { declared: n, actual: n };
}

function randomSpec(rng: Rng, offsetDelta: number): RecordSpec {
  const headers = rng.bool(0.7) ? [] : Array.from({ length: rng.int(1, 4) }, (): [Field, Field] => [field(rng, false), field(rng, true)]);
  return {
    timestampDelta: BigInt(rng.pick([0, 1, -1, rng.int(-100_000, 100_000), rng.int(0, 2 ** 40)])),
    offsetDelta, key: field(rng, true), value: field(rng, true), headers, headerCount: headers.length, lengthAdjust: 0,
  };
}

function encodeRecord(rng: Rng, r: RecordSpec): Buffer {
  const w = new Writer();
  const put = (f: Field) => { w.varint(f.declared); if (f.actual > 0) w.raw(filler(rng, f.actual)); };
  w.int8(0);
  w.varlong(r.timestampDelta);
  w.varint(r.offsetDelta);
  put(r.key);
  put(r.value);
  w.varint(r.headerCount);
  for (const [k, v] of r.headers) { put(k); put(v); }
  const body = w.toBuffer();
  const out = new Writer();
  out.varint(body.length + r.lengthAdjust);
  out.raw(body);
  return out.toBuffer();
}

const randomRecord = (rng: Rng, offsetDelta: number) => encodeRecord(rng, randomSpec(rng, offsetDelta));

/** A record with one field of its spec set to an edge value: lengths, counts and deltas that lie. */
function lyingRecord(rng: Rng, offsetDelta: number): Buffer {
  const r = randomSpec(rng, offsetDelta);
  const edge = (actual: number) => rng.pick([-2, -1, 0, 1, actual - 1, actual + 1, 2 ** 31 - 1, -(2 ** 31), 2 ** 14, 2 ** 21]);
  const fields = [r.key, r.value, ...r.headers.flat()];
  switch (rng.int(0, 3)) {
    case 0: {
      // The lie alone, or with bytes to match it (a key of length -1 and no bytes reads as well framed but for the sign).
      const f = rng.pick(fields);
      f.declared = edge(Math.max(f.actual, 0));
      if (rng.bool() && f.declared <= 300) f.actual = Math.max(f.declared, 0);
      break;
    }
    case 1: r.headerCount = edge(r.headers.length); break;
    case 2: r.offsetDelta = edge(offsetDelta); break;
    default: r.lengthAdjust = rng.pick([-2, -1, 1, 2]); break;
  }
  return encodeRecord(rng, r);
}

function randomSection(rng: Rng): { buf: Buffer; count: number } {
  const count = rng.pick([1, 2, rng.int(3, 80)]);
  return { buf: Buffer.concat(Array.from({ length: count }, (_, i) => randomRecord(rng, i))), count };
}

function mutate(rng: Rng, buf: Buffer): Buffer {
  const at = rng.int(0, Math.max(0, buf.length - 1));
  switch (rng.int(0, 4)) {
    case 0: { const b = Buffer.from(buf); b[at] = rng.int(0, 255); return b; }
    case 1: { const b = Buffer.from(buf); b[at] = b[at]! ^ (1 << rng.int(0, 7)); return b; }
    case 2: return buf.subarray(0, at);
    case 3: return Buffer.concat([buf.subarray(0, at), rng.bytes(rng.int(1, 3)), buf.subarray(at)]);
    default: return Buffer.concat([buf.subarray(0, at), buf.subarray(Math.min(buf.length, at + rng.int(1, 3)))]);
  }
}

t.test('well-formed sections pass both walks', async (t) => {
  const rng = new Rng(16);
  let passed = 0;
  for (let i = 0; i < 300; i++) {
    const { buf, count } = randomSection(rng);
    const a = careful(buf, count);
    const b = walked(buf, count);
    if (a !== undefined || b !== undefined) t.fail(`section ${i} (${count} records) refused: ${a ?? b}`);
    else passed++;
  }
  t.equal(passed, 300);
});

t.test('mutated sections get the careful walk\'s answer', async (t) => {
  const rng = new Rng(1616);
  let differ = 0;
  let refused = 0;
  for (let i = 0; i < 3000; i++) {
    const { buf, count } = randomSection(rng);
    const bad = mutate(rng, buf);
    const n = rng.bool(0.1) ? count + rng.pick([-1, 1]) : count;
    const a = careful(bad, n);
    const b = walked(bad, n);
    if (a !== b && differ++ < 5) t.fail(`case ${i}: careful walk says ${a}, walkRecords says ${b}`);
    if (a !== undefined) refused++;
  }
  t.equal(differ, 0, 'no answer differs');
  // Most mutations break the framing: the comparison covered refusals, not only passes.
  t.ok(refused > 1500, `${refused} of 3000 mutated sections refused`);
});

t.test('sections with a record that lies about a length, a count or its offset get the careful walk\'s answer', async (t) => {
  const rng = new Rng(4848);
  let differ = 0;
  let refused = 0;
  for (let i = 0; i < 3000; i++) {
    const count = rng.int(1, 20);
    const liar = rng.int(0, count - 1);
    const buf = Buffer.concat(Array.from({ length: count }, (_, k) => (k === liar ? lyingRecord(rng, k) : randomRecord(rng, k))));
    const a = careful(buf, count);
    const b = walked(buf, count);
    if (a !== b && differ++ < 5) t.fail(`case ${i}: careful walk says ${a}, walkRecords says ${b}`);
    if (a !== undefined) refused++;
  }
  t.equal(differ, 0, 'no answer differs');
  t.ok(refused > 2000, `${refused} of 3000 lying sections refused`);
});

t.test('a record whose offset delta is not its position is refused', async (t) => {
  const rng = new Rng(3);
  const buf = Buffer.concat([randomRecord(rng, 0), randomRecord(rng, 2)]);
  t.match(walked(buf, 2), /offset delta 2 does not match its position 1/);
});

t.test('hand-made records that read as well framed but for one field are refused with the careful walk\'s reason', async (t) => {
  /** A record: its length, then attributes 0, timestamp delta 0, offset delta 0 and `rest` as zigzag varints and raw bytes. */
  const rec = (...rest: (number | Buffer)[]) => {
    const w = new Writer();
    w.int8(0); w.varlong(0n); w.varint(0);
    for (const r of rest) if (typeof r === 'number') w.varint(r); else w.raw(r);
    const body = w.toBuffer();
    const out = new Writer();
    out.varint(body.length);
    out.raw(body);
    return out.toBuffer();
  };
  const cases: [string, Buffer, RegExp][] = [
    // Read as a key -1 long and a null value in place, the two bytes would pass for two headers.
    ['two headers in two bytes, keys -1 long', rec(-1, -1, 2, -1, -1), /Invalid negative header key size -1/],
    ['a header key -1 long, then a null value', rec(-1, -1, 1, -1, -1), /Invalid negative header key size -1/],
    ['a key -2 long', rec(-2, -1, 0), /invalid record structure/],
    ['a value -2 long', rec(-1, -2, 0), /invalid record structure/],
    ['a negative header count', rec(-1, -1, -1), /invalid number of record headers -1/],
    ['a header value running past the record', rec(-1, -1, 1, 1, Buffer.from('k'), 5, Buffer.from('v')), /invalid record structure/],
  ];
  for (const [what, buf, reason] of cases) {
    t.match(careful(buf, 1), reason, `${what}: the careful walk's reason`);
    t.equal(walked(buf, 1), careful(buf, 1), `${what}: walkRecords answers the same`);
  }
});
