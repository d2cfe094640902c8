/**
 * Seeded random values for any message of the specs at one version: only the
 * fields the version has, nulls only where the version allows them, tagged
 * fields sometimes, unknown tagged fields in flexible versions sometimes.
 */
import { collectStructs, elementType, intersect, isEmpty, isStructType, type Field, type MessageSpec, type Range } from '../../../src/wire/codegen/spec.js';
import { camel } from '../../../src/wire/codegen/emit.js';

const inRange = (r: Range, v: number) => v >= r.lo && v <= r.hi;

export class Rng {
  constructor(private s: number) {}
  next(): number { this.s = (this.s * 1664525 + 1013904223) >>> 0; return this.s / 2 ** 32; }
  int(lo: number, hi: number): number { return lo + Math.floor(this.next() * (hi - lo + 1)); }
  bool(p = 0.5): boolean { return this.next() < p; }
  bytes(n: number): Buffer { return Buffer.from(Array.from({ length: n }, () => this.int(0, 255))); }
}

const STRINGS = ['', 'a', 'topic-1', 'ümlaut ✓', 'x'.repeat(40)];

export function randomMessage(msg: MessageSpec, version: number, rng: Rng): Record<string, unknown> {
  const structs = collectStructs(msg);
  const flexible = inRange(msg.flexibleVersions, version);

  const primitive = (t: string): unknown => {
    switch (t) {
      case 'bool': return rng.bool();
      case 'int8': return rng.int(-128, 127);
      case 'int16': return rng.int(-32768, 32767);
      case 'uint16': return rng.int(0, 65535);
      case 'int32': return rng.int(-2147483648, 2147483647);
      case 'uint32': return rng.int(0, 4294967295);
      case 'int64': return BigInt.asIntN(64, (BigInt(rng.int(0, 2 ** 31)) << 33n) ^ BigInt(rng.int(0, 2 ** 31))) * (rng.bool() ? -1n : 1n);
      case 'float64': return rng.next() * 1e6 - 5e5;
      case 'string': return STRINGS[rng.int(0, STRINGS.length - 1)];
      case 'bytes': case 'records': return rng.bytes(rng.int(0, 20));
      case 'uuid': return rng.bytes(16).toString('base64url');
      default: throw new Error(`no generator for ${t}`);
    }
  };

  const value = (f: Field, depth: number): unknown => {
    if (inRange(f.nullableVersions, version) && rng.bool(0.2)) return null;
    const el = elementType(f.type);
    if (el) return Array.from({ length: depth > 3 ? 0 : rng.int(0, 3) }, () => (isStructType(el) ? struct(el, depth + 1) : primitive(el)));
    if (isStructType(f.type)) return struct(f.type, depth + 1);
    return primitive(f.type);
  };

  const struct = (name: string, depth: number): Record<string, unknown> => fields(structs.get(name)!.fields, depth);

  const fields = (list: Field[], depth: number): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    let maxTag = -1;
    for (const f of list) {
      if (!inRange(f.versions, version)) continue;
      if (f.tag !== undefined) {
        maxTag = Math.max(maxTag, f.tag);
        if (!inRange(f.taggedVersions, version) || rng.bool()) continue;
      }
      out[camel(f.name)] = value(f, depth);
    }
    if (flexible && rng.bool(0.2)) out.unknownTaggedFields = [{ tag: 1000 + rng.int(0, 50), data: rng.bytes(rng.int(0, 5)) }];
    return out;
  };

  return fields(msg.fields, 0);
}

/** The versions a message can be encoded at. */
export function versionsOf(msg: MessageSpec): number[] {
  const out: number[] = [];
  for (let v = msg.validVersions.lo; v <= msg.validVersions.hi; v++) out.push(v);
  return out;
}

export { isEmpty, intersect };
