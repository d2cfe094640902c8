/**
 * `samsa topic produce` input: bytes from stdin or a file turned into records,
 * a chunk at a time so a large input never sits whole in memory. Three ways
 * to read it: rpk's -f format for delimited text (%k %v %t %p between
 * literal separators, the text after the last field ending a record), kcat's
 * -K key separator on lines, and JSON lines (-f json).
 */
import { UsageError } from './cluster.js';
import type { RecordHeader } from './format-record.js';
import { unescapeFormat } from './format-record.js';

export interface InputRecord {
  /** Set when the input names it (%t, or "topic" in JSON). */
  topic?: string;
  partition?: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
  timestamp?: number;
}

/** Feed it chunks; it returns the records each completes. A UsageError names the record that does not parse. */
export interface RecordReader {
  push(chunk: Buffer): InputRecord[];
  /** The input ended: whatever is left is the last record. */
  end(): InputRecord[];
}

type Token = { kind: 'text'; bytes: Buffer } | { kind: 'field'; field: 't' | 'k' | 'v' | 'p'; modifier?: string };

/** rpk's input format, the delimiter subset: literal text and %t %k %v %p fields with {hex}, {base64} or {json}. */
export function parseInputFormat(format: string): Token[] {
  const f = unescapeFormat(format);
  const tokens: Token[] = [];
  let text = '';
  const flush = () => { if (text) tokens.push({ kind: 'text', bytes: Buffer.from(text, 'latin1') }); text = ''; };
  for (let i = 0; i < f.length; i++) {
    if (f[i] !== '%') {
      // Escapes were turned into single chars; other chars are the user's text, as UTF-8.
      text += f.charCodeAt(i) < 256 ? f[i] : Buffer.from(f[i]!).toString('latin1');
      continue;
    }
    const esc = f[++i];
    if (esc === '%' || esc === '{' || esc === '}') { text += esc; continue; }
    if (esc !== 't' && esc !== 'k' && esc !== 'v' && esc !== 'p') {
      throw new UsageError(`-f ${JSON.stringify(format)}: %${esc ?? ''} is not an input field here (fields: %t topic, %k key, %v value, %p partition; headers: -H or -f json; sizes such as %K{4} are not supported)`);
    }
    let modifier: string | undefined;
    if (f[i + 1] === '{') {
      const close = f.indexOf('}', i + 2);
      if (close < 0) throw new UsageError(`-f ${JSON.stringify(format)}: a { is not closed`);
      modifier = f.slice(i + 2, close);
      if (!['hex', 'base64', 'json'].includes(modifier) || (esc === 'p' && modifier)) throw new UsageError(`-f ${JSON.stringify(format)}: %${esc}{${modifier}}: text fields take {hex}, {base64} or {json}`);
      i = close;
    }
    flush();
    if (tokens.at(-1)?.kind === 'field') throw new UsageError(`-f ${JSON.stringify(format)}: two fields with nothing between them cannot be told apart`);
    tokens.push({ kind: 'field', field: esc, modifier });
  }
  flush();
  if (!tokens.some((t) => t.kind === 'field')) throw new UsageError(`-f ${JSON.stringify(format)}: no field to read (%v, %k, ...)`);
  return tokens;
}

/** Splits input into pieces ending with `terminator`; at the end, a last piece without it counts too. */
class Splitter {
  private pending: Buffer = Buffer.alloc(0);
  constructor(private readonly terminator: Buffer | null) {}

  push(chunk: Buffer): Buffer[] {
    if (this.terminator === null) {
      this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
      return [];
    }
    const buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const out: Buffer[] = [];
    let p = 0;
    for (let i = buf.indexOf(this.terminator, p); i >= 0; i = buf.indexOf(this.terminator, p)) {
      out.push(buf.subarray(p, i));
      p = i + this.terminator.length;
    }
    // A copy, so the chunk's memory is not held by a small leftover.
    this.pending = Buffer.from(buf.subarray(p));
    return out;
  }

  end(): Buffer[] {
    const last = this.pending;
    this.pending = Buffer.alloc(0);
    return this.terminator === null || last.length ? [last] : [];
  }
}

function decodeField(b: Buffer, modifier: string | undefined, where: string): Buffer {
  switch (modifier) {
    case undefined: return b;
    case 'hex': {
      const s = b.toString('latin1');
      if (!/^(?:[0-9a-fA-F]{2})*$/.test(s)) throw new UsageError(`${where}: not hex`);
      return Buffer.from(s, 'hex');
    }
    case 'base64': return Buffer.from(b.toString('latin1'), 'base64');
    default:
      try {
        return Buffer.from(JSON.stringify(JSON.parse(b.toString('utf8'))));
      } catch {
        throw new UsageError(`${where}: not JSON`);
      }
  }
}

function formatReader(format: string): RecordReader {
  const tokens = parseInputFormat(format);
  const last = tokens.at(-1)!;
  const terminator = last.kind === 'text' ? last.bytes : null;
  const inner = terminator ? tokens.slice(0, -1) : tokens;
  const splitter = new Splitter(terminator);
  let n = 0;
  const parse = (rec: Buffer): InputRecord => {
    n++;
    const where = `record ${n}`;
    const r: InputRecord = { key: null, value: null, headers: [] };
    let p = 0;
    for (let i = 0; i < inner.length; i++) {
      const t = inner[i]!;
      if (t.kind === 'text') {
        if (!rec.subarray(p, p + t.bytes.length).equals(t.bytes)) throw new UsageError(`${where} does not match -f ${JSON.stringify(format)}: expected ${JSON.stringify(t.bytes.toString())} at byte ${p}`);
        p += t.bytes.length;
        continue;
      }
      const next = inner[i + 1];
      const stop = next?.kind === 'text' ? rec.indexOf(next.bytes, p) : rec.length;
      if (stop < 0) throw new UsageError(`${where} does not match -f ${JSON.stringify(format)}: no ${JSON.stringify(next!.kind === 'text' ? next.bytes.toString() : '')} after %${t.field}`);
      const b = decodeField(rec.subarray(p, stop), t.modifier, `${where}, %${t.field}`);
      p = stop;
      if (t.field === 'k') r.key = b;
      else if (t.field === 'v') r.value = b;
      else if (t.field === 't') r.topic = b.toString('utf8');
      else {
        const s = b.toString('latin1');
        if (!/^\d+$/.test(s)) throw new UsageError(`${where}: partition ${JSON.stringify(s)} is not a number`);
        r.partition = Number(s);
      }
    }
    if (r.value === null) r.value = Buffer.alloc(0);
    return r;
  };
  return { push: (c) => splitter.push(c).map(parse), end: () => splitter.end().map(parse) };
}

function keySeparatorReader(separator: string): RecordReader {
  const sep = Buffer.from(unescapeFormat(separator), 'latin1');
  if (sep.length === 0) throw new UsageError('--key-separator is empty');
  const splitter = new Splitter(Buffer.from('\n'));
  const parse = (line: Buffer): InputRecord => {
    const i = line.indexOf(sep);
    // As kcat -K: a line without the separator is a value without a key.
    return i < 0 ? { key: null, value: line, headers: [] } : { key: line.subarray(0, i), value: line.subarray(i + sep.length), headers: [] };
  };
  return { push: (c) => splitter.push(c).map(parse), end: () => splitter.end().map(parse) };
}

function bytesOf(v: unknown, where: string): Buffer | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return Buffer.from(v);
  if (typeof v === 'object' || typeof v === 'number' || typeof v === 'boolean') return Buffer.from(JSON.stringify(v));
  throw new UsageError(`${where} cannot be produced`);
}

/** One JSON line: {key, value, headers, partition, topic, timestamp}, all optional but value. */
export function jsonInputRecord(line: string, n: number): InputRecord {
  let o: unknown;
  try {
    o = JSON.parse(line);
  } catch (e) {
    throw new UsageError(`line ${n} is not JSON (${(e as Error).message})`);
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new UsageError(`line ${n}: expected an object such as {"key": "k", "value": "v"}`);
  const j = o as Record<string, unknown>;
  const unknown = Object.keys(j).filter((k) => !['key', 'value', 'headers', 'partition', 'topic', 'timestamp', 'offset', 'value_size'].includes(k));
  if (unknown.length) throw new UsageError(`line ${n}: unknown field ${unknown[0]} (fields: key, value, headers, partition, topic, timestamp)`);
  const r: InputRecord = { key: bytesOf(j.key, `line ${n}: key`), value: bytesOf(j.value, `line ${n}: value`), headers: [] };
  if (j.headers !== undefined && j.headers !== null) {
    const hs = Array.isArray(j.headers) ? j.headers.map((h) => [h?.key, h?.value]) : typeof j.headers === 'object' ? Object.entries(j.headers as object) : undefined;
    if (!hs) throw new UsageError(`line ${n}: headers must be an object or a list of {key, value}`);
    for (const [k, v] of hs) {
      if (typeof k !== 'string') throw new UsageError(`line ${n}: a header needs a string key`);
      r.headers.push({ key: k, value: bytesOf(v, `line ${n}: header ${k}`) });
    }
  }
  if (j.partition !== undefined && j.partition !== null) {
    if (!Number.isInteger(j.partition) || (j.partition as number) < 0) throw new UsageError(`line ${n}: partition must be a whole number`);
    r.partition = j.partition as number;
  }
  if (j.topic !== undefined) {
    if (typeof j.topic !== 'string' || !j.topic) throw new UsageError(`line ${n}: topic must be a name`);
    r.topic = j.topic;
  }
  if (j.timestamp !== undefined && j.timestamp !== null) {
    const t = typeof j.timestamp === 'string' ? Date.parse(j.timestamp) : j.timestamp;
    if (typeof t !== 'number' || !Number.isFinite(t)) throw new UsageError(`line ${n}: timestamp must be ms since the epoch or an ISO time`);
    r.timestamp = t;
  }
  return r;
}

function jsonReader(): RecordReader {
  const splitter = new Splitter(Buffer.from('\n'));
  let n = 0;
  const parse = (lines: Buffer[]) => lines.flatMap((l) => {
    n++;
    const s = l.toString('utf8').trim();
    return s ? [jsonInputRecord(s, n)] : [];
  });
  return { push: (c) => parse(splitter.push(c)), end: () => parse(splitter.end()) };
}

export function recordReader(opts: { format?: string; keySeparator?: string }): RecordReader {
  if (opts.keySeparator !== undefined) {
    if (opts.format !== undefined) throw new UsageError('give --key-separator or --format, not both');
    return keySeparatorReader(opts.keySeparator);
  }
  const format = opts.format ?? '%v\\n';
  return format === 'json' ? jsonReader() : formatReader(format);
}
