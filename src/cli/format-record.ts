/**
 * How `samsa topic consume` prints a record: rpk's -f format strings (with
 * kcat's spellings of the same escapes) compiled once into a function, or
 * the default JSON object per line.
 */
import { UsageError } from './cluster.js';

export interface RecordHeader { key: string; value: Buffer | null }

export interface PrintableRecord {
  topic: string;
  partition: number;
  offset: number;
  /** Epoch ms. */
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: readonly RecordHeader[];
}

/** `count` is how many records were printed before this one (%i). */
export type RecordFormatter = (r: PrintableRecord, count: number) => Buffer;

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '0': '\0' };

/** Backslash escapes as rpk and kcat take them: \n \t \r \\ \xNN (anything else stands for itself). */
export function unescapeFormat(s: string): string {
  return s.replace(/\\(x[0-9a-fA-F]{2}|.)/g, (_, c: string) => (c.length === 3 ? String.fromCharCode(parseInt(c.slice(1), 16)) : ESCAPES[c] ?? c));
}

/** The index of the `}` closing the `{` at `open`, skipping %{ and %} and nested pairs. */
function closingBrace(f: string, open: number): number {
  let depth = 0;
  for (let i = open; i < f.length; i++) {
    if (f[i] === '%' && (f[i + 1] === '{' || f[i + 1] === '}' || f[i + 1] === '%')) { i++; continue; }
    if (f[i] === '{') depth++;
    else if (f[i] === '}' && --depth === 0) return i;
  }
  throw new UsageError(`-f ${JSON.stringify(f)}: a { is not closed`);
}

function encodeText(b: Buffer | null, modifier: string | undefined, what: string): Buffer {
  if (b === null) return Buffer.alloc(0);
  switch (modifier) {
    case undefined: return b;
    case 'hex': return Buffer.from(b.toString('hex'));
    case 'base64': return Buffer.from(b.toString('base64'));
    default: throw new UsageError(`%${what}{${modifier}}: text takes {hex} or {base64}`);
  }
}

function timestampText(ms: number, modifier: string | undefined): string {
  if (modifier === undefined || modifier === 'ms') return String(ms);
  if (modifier === 'iso' || modifier === 'rfc3339') return new Date(ms).toISOString();
  if (modifier === 's') return String(Math.floor(ms / 1000));
  throw new UsageError(`%T{${modifier}}: a timestamp takes {ms}, {s} or {iso}`);
}

type Piece = (r: PrintableRecord, count: number, header?: RecordHeader) => Buffer;

const KNOWN = '%t %p %o %k %v %s %T %d %h %H %K %V %S %i %% %{ %}';

/** Pieces that print `f`: literal text (UTF-8, \xNN as that byte) between the percent escapes. */
function compile(f: string, inHeader: boolean): Piece[] {
  const pieces: Piece[] = [];
  let text: Buffer[] = [];
  let run = '';
  const endRun = () => { if (run) text.push(Buffer.from(run)); run = ''; };
  const flush = () => {
    endRun();
    if (!text.length) return;
    const b = Buffer.concat(text);
    pieces.push(() => b);
    text = [];
  };
  for (let i = 0; i < f.length; i++) {
    const c = f[i]!;
    if (c === '\\' && i + 1 < f.length) {
      const hex = /^x([0-9a-fA-F]{2})/.exec(f.slice(i + 1, i + 4));
      endRun();
      if (hex) { text.push(Buffer.from([parseInt(hex[1]!, 16)])); i += 3; } else { run += ESCAPES[f[i + 1]!] ?? f[i + 1]; i++; }
      continue;
    }
    if (c !== '%') { run += c; continue; }
    const esc = f[++i];
    if (esc === undefined) throw new UsageError(`-f ${JSON.stringify(f)}: ends with a lone %`);
    if (esc === '%' || esc === '{' || esc === '}') { run += esc; continue; }
    let modifier: string | undefined;
    if (f[i + 1] === '{') {
      const close = closingBrace(f, i + 1);
      modifier = f.slice(i + 2, close);
      i = close;
    }
    flush();
    // Modifiers are checked now rather than at the first record.
    if ('tkvs'.includes(esc)) encodeText(Buffer.alloc(0), modifier, esc);
    // Inside %h{...}, %k and %v are the header's.
    if (inHeader && (esc === 'k' || esc === 'v' || esc === 'K' || esc === 'V')) {
      const key = esc === 'k' || esc === 'K';
      if (esc === 'k' || esc === 'v') pieces.push((_r, _n, h) => encodeText(key ? Buffer.from(h!.key) : h!.value, modifier, esc));
      else pieces.push((_r, _n, h) => Buffer.from(String(key ? Buffer.byteLength(h!.key) : h!.value?.length ?? 0)));
      continue;
    }
    switch (esc) {
      case 't': pieces.push((r) => encodeText(Buffer.from(r.topic), modifier, 't')); break;
      case 'k': pieces.push((r) => encodeText(r.key, modifier, 'k')); break;
      case 'v': case 's': pieces.push((r) => encodeText(r.value, modifier, esc)); break;
      case 'p': pieces.push((r) => Buffer.from(String(r.partition))); break;
      case 'o': pieces.push((r) => Buffer.from(String(r.offset))); break;
      case 'T': case 'd': timestampText(0, modifier); pieces.push((r) => Buffer.from(timestampText(r.timestamp, modifier))); break;
      case 'K': pieces.push((r) => Buffer.from(String(r.key?.length ?? 0))); break;
      case 'V': case 'S': pieces.push((r) => Buffer.from(String(r.value?.length ?? 0))); break;
      case 'H': pieces.push((r) => Buffer.from(String(r.headers.length))); break;
      case 'i': pieces.push((_r, n) => Buffer.from(String(n))); break;
      case 'h': {
        if (inHeader) throw new UsageError('%h inside %h{...}');
        if (modifier === undefined) {
          // kcat's %h: name=value pairs separated by commas.
          const comma = Buffer.from(',');
          pieces.push((r) => Buffer.concat(r.headers.flatMap((h, j) => [...(j ? [comma] : []), Buffer.from(`${h.key}=`), h.value ?? Buffer.alloc(0)])));
        } else {
          const inner = compile(modifier, true);
          pieces.push((r, n) => Buffer.concat(r.headers.flatMap((h) => inner.map((p) => p(r, n, h)))));
        }
        break;
      }
      default: throw new UsageError(`-f ${JSON.stringify(f)}: unknown escape %${esc} (known: ${KNOWN})`);
    }
  }
  flush();
  return pieces;
}

/** Compiles a -f format (its backslash escapes included); a UsageError for an unknown escape. */
export function compileRecordFormat(format: string): RecordFormatter {
  const pieces = compile(format, false);
  return (r, count) => Buffer.concat(pieces.map((p) => p(r, count)));
}

const text = (b: Buffer | null) => (b === null ? null : b.toString('utf8'));

/** The default output: one JSON object per record, the fields rpk prints. */
export function jsonRecordFormatter(opts: { pretty?: boolean; metaOnly?: boolean } = {}): RecordFormatter {
  return (r) => {
    const o: Record<string, unknown> = { topic: r.topic, key: text(r.key) };
    if (opts.metaOnly) o.value_size = r.value?.length ?? 0;
    else o.value = text(r.value);
    o.headers = r.headers.map((h) => ({ key: h.key, value: text(h.value) }));
    o.timestamp = r.timestamp;
    o.partition = r.partition;
    o.offset = r.offset;
    return Buffer.from(`${opts.pretty ? JSON.stringify(o, null, 2) : JSON.stringify(o)}\n`);
  };
}
