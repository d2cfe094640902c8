/**
 * Reading Kafka's JSON message specs into a model the emitter walks. The files
 * carry `//` comments (stripped string-aware), `default` values come as
 * strings, numbers or booleans (normalised to strings here), and struct names
 * are only unique within one file.
 */
import { readFileSync } from 'node:fs';

/** An inclusive version range; `hi` is Infinity for "N+", and lo > hi when empty ("none"). */
export interface Range { lo: number; hi: number }

export const NONE: Range = { lo: 1, hi: 0 };

export function parseRange(text: string | undefined, fallback: Range = NONE): Range {
  if (text === undefined) return fallback;
  const t = text.trim();
  if (t === 'none') return NONE;
  let m = /^(\d+)\+$/.exec(t);
  if (m) return { lo: Number(m[1]), hi: Infinity };
  m = /^(\d+)-(\d+)$/.exec(t);
  if (m) return { lo: Number(m[1]), hi: Number(m[2]) };
  m = /^(\d+)$/.exec(t);
  if (m) return { lo: Number(m[1]), hi: Number(m[1]) };
  throw new Error(`bad version range "${text}"`);
}

export const isEmpty = (r: Range) => r.lo > r.hi;
export const intersect = (a: Range, b: Range): Range => ({ lo: Math.max(a.lo, b.lo), hi: Math.min(a.hi, b.hi) });
export const covers = (outer: Range, inner: Range) => isEmpty(inner) || (outer.lo <= inner.lo && outer.hi >= inner.hi);

export interface Field {
  name: string;
  /** The spec's type text: a primitive, `Foo` or `[]T`. */
  type: string;
  versions: Range;
  nullableVersions: Range;
  /** Normalised to a string; undefined when the spec gives none. */
  default: string | undefined;
  ignorable: boolean;
  tag: number | undefined;
  taggedVersions: Range;
  /** Field-level override (only RequestHeader.ClientId: none). */
  flexibleVersions: Range | undefined;
  fields: Field[] | undefined;
}

export interface StructSpec { name: string; versions: Range; fields: Field[] }

export interface MessageSpec {
  name: string;
  type: 'request' | 'response' | 'header' | 'data';
  apiKey: number | undefined;
  validVersions: Range;
  flexibleVersions: Range;
  latestVersionUnstable: boolean;
  listeners: string[];
  fields: Field[];
  commonStructs: StructSpec[];
}

/** Removes `//` comments outside string literals. */
export function stripComments(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      out += c;
      if (c === '\\') out += text[++i] ?? '';
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else {
      out += c;
    }
  }
  return out;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

function readField(j: Json): Field {
  return {
    name: j.name,
    type: j.type,
    versions: parseRange(j.versions),
    nullableVersions: parseRange(j.nullableVersions),
    default: j.default === undefined ? undefined : String(j.default),
    ignorable: j.ignorable === true,
    tag: j.tag === undefined ? undefined : Number(j.tag),
    taggedVersions: parseRange(j.taggedVersions),
    flexibleVersions: j.flexibleVersions === undefined ? undefined : parseRange(j.flexibleVersions),
    fields: j.fields?.map(readField),
  };
}

export function readSpec(path: string): MessageSpec {
  const j: Json = JSON.parse(stripComments(readFileSync(path, 'utf8')));
  return {
    name: j.name,
    type: j.type,
    apiKey: j.apiKey,
    validVersions: parseRange(j.validVersions),
    flexibleVersions: parseRange(j.flexibleVersions),
    latestVersionUnstable: j.latestVersionUnstable === true,
    listeners: j.listeners ?? [],
    fields: (j.fields ?? []).map(readField),
    commonStructs: (j.commonStructs ?? []).map((c: Json) => ({ name: c.name, versions: parseRange(c.versions), fields: c.fields.map(readField) })),
  };
}

export const PRIMITIVES = new Set(['bool', 'int8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'float64', 'string', 'bytes', 'records', 'uuid']);

export function elementType(type: string): string | undefined {
  return type.startsWith('[]') ? type.slice(2) : undefined;
}

export function isStructType(type: string): boolean {
  const t = elementType(type) ?? type;
  return !PRIMITIVES.has(t);
}

/**
 * Every struct of a message with the versions it can appear in: inline structs
 * (a field with `fields`) and commonStructs, keyed by spec name.
 */
export function collectStructs(msg: MessageSpec): Map<string, StructSpec> {
  const out = new Map<string, StructSpec>();
  for (const c of msg.commonStructs) out.set(c.name, { ...c, versions: intersect(c.versions, msg.validVersions) });
  const walk = (fields: Field[], within: Range) => {
    for (const f of fields) {
      const range = intersect(within, f.versions);
      if (f.fields) {
        const name = elementType(f.type) ?? f.type;
        out.set(name, { name, versions: range, fields: f.fields });
        walk(f.fields, range);
      }
    }
  };
  walk(msg.fields, msg.validVersions);
  for (const c of msg.commonStructs) walk(c.fields, intersect(c.versions, msg.validVersions));
  return out;
}
