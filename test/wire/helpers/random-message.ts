/**
 * Seeded random values for any message of the specs at one version, built by
 * walking the parsed spec model: only the fields the version has, nulls only
 * where the version allows them, edge values of every numeric type, empty and
 * non-ASCII strings, tagged fields sometimes, and in flexible versions
 * sometimes unknown tagged fields (tags above every known tag of the struct).
 */
import { collectStructs, elementType, intersect, isEmpty, isStructType, type Field, type MessageSpec, type Range } from '../../../src/wire/codegen/spec.js';
import { camel } from '../../../src/wire/codegen/emit.js';

const inRange = (r: Range, v: number) => v >= r.lo && v <= r.hi;

/** A small deterministic generator (LCG): the same seed gives the same values. */
export class Rng {
  constructor(private s: number) {}
  next(): number { this.s = (Math.imul(this.s, 1664525) + 1013904223) >>> 0; return this.s / 2 ** 32; }
  int(lo: number, hi: number): number { return lo + Math.floor(this.next() * (hi - lo + 1)); }
  bool(p = 0.5): boolean { return this.next() < p; }
  pick<T>(a: readonly T[]): T { return a[this.int(0, a.length - 1)]!; }
  bytes(n: number): Buffer { const b = Buffer.allocUnsafe(n); for (let i = 0; i < n; i++) b[i] = this.int(0, 255); return b; }
}

const STRINGS = ['', 'a', 'topic-1', 'ümlaut ✓', '日本語のトピック', 'emoji 🦀🚀', 'x'.repeat(40), 'long-'.repeat(40)];

const INT_RANGES: Record<string, [number, number]> = {
  int8: [-128, 127], int16: [-32768, 32767], uint16: [0, 65535], int32: [-2147483648, 2147483647], uint32: [0, 4294967295],
};

const INT64_EDGES = [0n, -1n, 1n, -(2n ** 63n), 2n ** 63n - 1n, -(2n ** 31n), 2n ** 32n];
const FLOAT_EDGES = [0, -1.5, 1e308, -1e-308, Number.MAX_SAFE_INTEGER, Infinity, -Infinity];

/** A random value of primitive type `t` (never null). */
export function randomPrimitive(t: string, rng: Rng): unknown {
  const range = INT_RANGES[t];
  if (range) {
    const [lo, hi] = range;
    return rng.bool(0.25) ? rng.pick([lo, hi, 0, lo < 0 ? -1 : 1]) : rng.int(lo, hi);
  }
  switch (t) {
    case 'bool': return rng.bool();
    case 'int64':
      if (rng.bool(0.25)) return rng.pick(INT64_EDGES);
      return BigInt.asIntN(64, (BigInt(rng.int(0, 2 ** 31)) << 33n) ^ BigInt(rng.int(0, 2 ** 32 - 1))) * (rng.bool() ? -1n : 1n);
    case 'float64': return rng.bool(0.25) ? rng.pick(FLOAT_EDGES) : rng.next() * 1e6 - 5e5;
    case 'string': return rng.pick(STRINGS);
    case 'bytes': case 'records': return rng.bytes(rng.bool(0.1) ? rng.int(128, 300) : rng.int(0, 20));
    case 'uuid': return rng.bytes(16).toString('base64url');
    default: throw new Error(`no generator for ${t}`);
  }
}

export function randomMessage(msg: MessageSpec, version: number, rng: Rng): Record<string, unknown> {
  const structs = collectStructs(msg);
  const flexible = inRange(msg.flexibleVersions, version);

  const value = (f: Field, depth: number): unknown => {
    if (inRange(f.nullableVersions, version) && rng.bool(0.2)) return null;
    const el = elementType(f.type);
    if (el) return Array.from({ length: depth > 3 ? 0 : rng.int(0, 3) }, () => (isStructType(el) ? struct(el, depth + 1) : randomPrimitive(el, rng)));
    if (isStructType(f.type)) return struct(f.type, depth + 1);
    return randomPrimitive(f.type, rng);
  };

  const struct = (name: string, depth: number): Record<string, unknown> => {
    const s = structs.get(name);
    if (!s) throw new Error(`${msg.name}: no struct ${name}`);
    return fields(s.fields, depth);
  };

  const fields = (list: Field[], depth: number): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    let maxTag = -1;
    for (const f of list) if (f.tag !== undefined) maxTag = Math.max(maxTag, f.tag);
    for (const f of list) {
      if (!inRange(f.versions, version)) continue;
      if (f.tag !== undefined && (!inRange(f.taggedVersions, version) || rng.bool())) continue;
      out[camel(f.name)] = value(f, depth);
    }
    if (flexible && rng.bool(0.25)) {
      // Ascending tags, as the encoder sorts them and the decoder returns them in wire order.
      const first = Math.max(1000, maxTag + 1) + rng.int(0, 50);
      const unknown = [{ tag: first, data: rng.bytes(rng.int(0, 5)) }];
      if (rng.bool(0.3)) unknown.push({ tag: first + 1 + rng.int(0, 200000), data: rng.bytes(rng.int(0, 140)) });
      out.unknownTaggedFields = unknown;
    }
    return out;
  };

  return fields(msg.fields, 0);
}

/** The versions a message can be encoded at (unstable ones included). */
export function versionsOf(msg: MessageSpec): number[] {
  const out: number[] = [];
  for (let v = msg.validVersions.lo; v <= msg.validVersions.hi; v++) out.push(v);
  return out;
}

/**
 * Where `got` differs from `sent` in a field `sent` sets (fields not set come
 * back as defaults and are not compared), as a path like `topics[0].name`; null when equal.
 */
export function diffWhereSet(sent: unknown, got: unknown, path = ''): string | null {
  if (Buffer.isBuffer(sent)) return Buffer.isBuffer(got) && sent.equals(got) ? null : `${path || '<root>'}: sent ${show(sent)}, got ${show(got)}`;
  if (Array.isArray(sent)) {
    if (!Array.isArray(got) || got.length !== sent.length) return `${path}: sent ${sent.length} elements, got ${show(got)}`;
    for (let i = 0; i < sent.length; i++) {
      const d = diffWhereSet(sent[i], got[i], `${path}[${i}]`);
      if (d) return d;
    }
    return null;
  }
  if (sent !== null && typeof sent === 'object') {
    if (got === null || typeof got !== 'object') return `${path}: sent a struct, got ${show(got)}`;
    for (const [k, v] of Object.entries(sent)) {
      const d = diffWhereSet(v, (got as Record<string, unknown>)[k], path ? `${path}.${k}` : k);
      if (d) return d;
    }
    return null;
  }
  return Object.is(sent, got) ? null : `${path}: sent ${show(sent)}, got ${show(got)}`;
}

function show(x: unknown): string {
  if (Buffer.isBuffer(x)) return `<${x.length} bytes ${x.subarray(0, 8).toString('hex')}>`;
  if (typeof x === 'bigint') return `${x}n`;
  if (x === undefined) return 'undefined';
  try { return JSON.stringify(x)?.slice(0, 60) ?? String(x); } catch { return String(x); }
}

export { isEmpty, intersect };
