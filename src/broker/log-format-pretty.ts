/**
 * The pretty log format, one line per event for people reading a terminal or
 * a CI log:
 *
 *   2026-12-03T10:00:00.000Z INFO  topic created topic=orders partitions=3 broker=0
 *
 * ISO time, the level padded to five characters (so messages line up), the
 * message, then the fields as key=value. A value with spaces, quotes or `=`
 * is JSON-quoted, so a line still splits on spaces; lists of plain values are
 * comma-joined, anything else is compact JSON.
 */
import type { LineLevel, LogFields } from './logger.js';

const LABEL: Record<LineLevel, string> = { debug: 'DEBUG', info: 'INFO ', warn: 'WARN ', error: 'ERROR' };

export function prettyLine(time: Date, level: LineLevel, msg: string, fields: LogFields | undefined, bound: string): string {
  return `${time.toISOString()} ${LABEL[level]} ${msg}${fields ? prettyFields(fields) : ''}${bound}\n`;
}

/** ` key=value` for each field with a value (undefined ones are left out). */
export function prettyFields(fields: LogFields): string {
  let out = '';
  for (const key in fields) {
    const v = prettyValue(fields[key]);
    if (v !== undefined) out += ` ${key}=${v}`;
  }
  return out;
}

const PLAIN = /^[^\s"=\\,[\]{}]+$/;

function prettyValue(v: unknown): string | undefined {
  switch (typeof v) {
    case 'undefined': return undefined;
    case 'string': return PLAIN.test(v) ? v : JSON.stringify(v);
    case 'number': case 'boolean': case 'bigint': return String(v);
    default:
  }
  if (v === null) return 'null';
  if (v instanceof Error) return JSON.stringify(v.message);
  if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'number' || (typeof x === 'string' && PLAIN.test(x)))) return v.join(',');
  try {
    return JSON.stringify(v, (_, x: unknown) => (typeof x === 'bigint' ? String(x) : x)) ?? String(v);
  } catch {
    return JSON.stringify(String(v)); // a cycle: still one token
  }
}
