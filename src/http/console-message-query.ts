/**
 * The message browser's query (GET /api/topics/:topic/messages?...) read
 * and checked, the filter it asks for, and bytes as the console shows them
 * (text when they are valid UTF-8, always base64).
 */
import type { Bytes, MessageQuery } from './console-api-types.js';
import { HttpError } from './route.js';

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;

export interface RawRecord { key: Buffer | null; value: Buffer | null; headers: { key: string; value: Buffer | null }[] }

export interface ParsedMessageQuery {
  partitions?: number[];
  /** 'from' when the query continues from positions (live tail). */
  start: 'oldest' | 'newest' | 'offset' | 'timestamp' | 'from';
  offset?: number;
  timestamp?: number;
  from?: Map<number, number>;
  limit: number;
  /** Tests a record's raw bytes (their UTF-8 text; bytes that are not text never match), before anything is encoded for the page. */
  filter?: (r: RawRecord) => boolean;
}

const bad = (message: string) => new HttpError(400, 'BAD_QUERY', message);

function wholeNumber(raw: string, what: string, min = 0): number {
  if (!/^-?\d+$/.test(raw.trim())) throw bad(`${what} must be a whole number, got ${JSON.stringify(raw)}`);
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < min) throw bad(`${what} must be a whole number of at least ${min}, got ${raw}`);
  return n;
}

export function parseMessageQuery(q: URLSearchParams): ParsedMessageQuery {
  const known = new Set(['partitions', 'start', 'offset', 'timestamp', 'from', 'limit', 'filter', 'regex', 'filterOn']);
  for (const k of q.keys()) if (!known.has(k)) throw bad(`unknown query parameter ${k} (known: ${[...known].join(', ')})`);
  const out: ParsedMessageQuery = { start: 'newest', limit: DEFAULT_LIMIT };
  const partitions = q.get('partitions');
  if (partitions !== null && partitions.trim() !== '') out.partitions = [...new Set(partitions.split(',').map((p) => wholeNumber(p, 'a partition')))];
  const limit = q.get('limit');
  if (limit !== null && limit !== '') {
    out.limit = wholeNumber(limit, 'limit', 1);
    if (out.limit > MAX_LIMIT) throw bad(`limit is at most ${MAX_LIMIT}, got ${out.limit}`);
  }
  const from = q.get('from');
  const start = q.get('start');
  if (from !== null && from.trim() !== '') {
    if (start !== null && start !== '') throw bad('give start or from, not both');
    out.start = 'from';
    out.from = new Map();
    for (const pair of from.split(',')) {
      const m = /^\s*(\d+):(\d+)\s*$/.exec(pair);
      if (!m) throw bad(`from is partition:offset pairs (0:120,1:77), got ${JSON.stringify(pair)}`);
      out.from.set(Number(m[1]), Number(m[2]));
    }
  } else if (start !== null && start !== '') {
    const starts: MessageQuery['start'][] = ['oldest', 'newest', 'offset', 'timestamp'];
    if (!starts.includes(start as MessageQuery['start'])) throw bad(`start is one of ${starts.join(', ')}, got ${JSON.stringify(start)}`);
    out.start = start as ParsedMessageQuery['start'];
  }
  if (out.start === 'offset') {
    const offset = q.get('offset');
    if (offset === null || offset === '') throw bad('start=offset needs offset=N');
    out.offset = wholeNumber(offset, 'offset');
  }
  if (out.start === 'timestamp') {
    const ts = q.get('timestamp');
    if (ts === null || ts === '') throw bad('start=timestamp needs timestamp=<epoch ms>');
    out.timestamp = wholeNumber(ts, 'timestamp');
  }
  const filter = q.get('filter');
  if (filter !== null && filter !== '') {
    const on = q.get('filterOn') || 'any';
    if (!['any', 'key', 'value', 'headers'].includes(on)) throw bad(`filterOn is one of any, key, value, headers, got ${JSON.stringify(on)}`);
    const regexFlag = q.get('regex');
    if (regexFlag !== null && !['true', 'false', ''].includes(regexFlag)) throw bad(`regex is true or false, got ${JSON.stringify(regexFlag)}`);
    out.filter = matcher(filter, regexFlag === 'true', on as 'any' | 'key' | 'value' | 'headers');
  }
  return out;
}

function matcher(filter: string, regex: boolean, on: 'any' | 'key' | 'value' | 'headers'): NonNullable<ParsedMessageQuery['filter']> {
  let test: (s: string) => boolean;
  if (regex) {
    let re: RegExp;
    try {
      re = new RegExp(filter, 'i');
    } catch (e) {
      throw bad(`filter is not a valid regular expression: ${(e as Error).message}`);
    }
    test = (s) => re.test(s);
  } else {
    const needle = filter.toLowerCase();
    test = (s) => s.toLowerCase().includes(needle);
  }
  const bytes = (b: Buffer | null) => { const text = b === null ? null : textOf(b); return text !== null && test(text); };
  return (m) =>
    ((on === 'any' || on === 'key') && bytes(m.key)) ||
    ((on === 'any' || on === 'value') && bytes(m.value)) ||
    ((on === 'any' || on === 'headers') && m.headers.some((h) => test(h.key) || bytes(h.value)));
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The bytes as UTF-8 text, null when they are not valid UTF-8. */
function textOf(b: Uint8Array): string | null {
  try {
    return utf8.decode(b);
  } catch {
    return null;
  }
}

export function toBytes(b: Buffer | Uint8Array | null | undefined): Bytes | null {
  if (b === null || b === undefined) return null;
  const buf = Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  return { text: textOf(buf), base64: buf.toString('base64'), size: buf.length };
}
