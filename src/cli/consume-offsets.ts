/**
 * `samsa topic consume -o SPEC` as rpk reads it: where to start in each
 * partition and, optionally, where to stop (exclusive). Parsing is pure; the
 * positions are resolved per partition once its start and end offsets (and,
 * for times, the offset ListOffsets gives for the time) are known.
 */
import { UsageError } from './cluster.js';

export type Position =
  /** The log start offset plus `delta`. */
  | { kind: 'start'; delta: number }
  /** The end offset (high watermark, or LSO when reading committed) minus `delta`. */
  | { kind: 'end'; delta: number }
  | { kind: 'offset'; offset: number }
  /** The first record at or after `ms` (ListOffsets by timestamp). */
  | { kind: 'time'; ms: number };

export interface OffsetSpec {
  from: Position;
  /** Stop before this position; undefined: follow the partition. */
  until?: Position;
}

const START: Position = { kind: 'start', delta: 0 };
const END: Position = { kind: 'end', delta: 0 };

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `1h30m`, `-15m`, `500ms`, `2d` as milliseconds (signed); undefined when it is not a duration. */
export function parseDuration(s: string): number | undefined {
  const m = /^([+-]?)((?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+)$/.exec(s);
  if (!m) return undefined;
  let total = 0;
  for (const part of m[2]!.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)) total += Number(part[1]) * UNIT_MS[part[2]!]!;
  return m[1] === '-' ? -total : total;
}

/**
 * A time at the start of `s` (a time may contain colons, so the caller
 * cannot split first): 13 digits (or any other count but 10) ms since the
 * epoch, 10 digits seconds (as rpk), RFC 3339 with Z or an offset,
 * YYYY-MM-DD (UTC midnight), or a duration from `base`. Returns the ms and
 * how many characters it took, or undefined.
 */
export function parseTimePrefix(s: string, base: number): { ms: number; length: number; absolute: boolean } | undefined {
  const rfc = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[Zz]|[+-]\d{2}:\d{2})/.exec(s);
  if (rfc) {
    const ms = Date.parse(rfc[0].replace(' ', 'T'));
    if (Number.isNaN(ms)) throw new UsageError(`not a valid RFC 3339 time: ${rfc[0]}`);
    return { ms, length: rfc[0].length, absolute: true };
  }
  const date = /^(\d{4})-(\d{2})-(\d{2})(?=:|$)/.exec(s);
  if (date) {
    const ms = Date.UTC(Number(date[1]), Number(date[2]) - 1, Number(date[3]));
    if (new Date(ms).toISOString().slice(0, 10) !== date[0]) throw new UsageError(`not a valid date: ${date[0]}`);
    return { ms, length: 10, absolute: true };
  }
  const digits = /^\d+(?=:|$)/.exec(s);
  if (digits) return { ms: digits[0].length === 10 ? Number(digits[0]) * 1000 : Number(digits[0]), length: digits[0].length, absolute: true };
  const word = /^[^:]+/.exec(s)?.[0] ?? '';
  const d = parseDuration(word);
  if (d !== undefined) return { ms: base + d, length: word.length, absolute: false };
  return undefined;
}

/** A whole time (no range): @'s argument in `group seek --to @T`. */
export function parseTime(s: string, now = Date.now()): number {
  const t = parseTimePrefix(s, now);
  if (!t || t.length !== s.length) throw new UsageError(`not a time: ${s} (ms since the epoch, RFC 3339 such as 2024-05-01T12:00:00Z, YYYY-MM-DD, or a duration from now such as -1h)`);
  return t.ms;
}

function timeSpec(s: string, now: number): OffsetSpec {
  if (s.startsWith(':')) {
    const rest = s.slice(1);
    if (rest === 'end') return { from: START, until: END };
    return { from: START, until: { kind: 'time', ms: parseTime(rest, now) } };
  }
  const first = parseTimePrefix(s, now);
  if (!first) throw new UsageError(`-o @${s}: not a time (ms since the epoch, RFC 3339, YYYY-MM-DD or a duration such as -1h)`);
  const from: Position = { kind: 'time', ms: first.ms };
  const rest = s.slice(first.length);
  if (rest === '' || rest === ':') return { from };
  if (!rest.startsWith(':')) throw new UsageError(`-o @${s}: unexpected ${rest} after the time`);
  const second = rest.slice(1);
  if (second === 'end') return { from, until: END };
  // A duration after a timestamp counts from it (@2024-05-01:1h); after a duration, from now.
  const t2 = parseTimePrefix(second, first.absolute ? first.ms : now);
  if (!t2 || t2.length !== second.length) throw new UsageError(`-o @${s}: ${second} is not a time`);
  if (t2.ms <= first.ms) throw new UsageError(`-o @${s}: the end time is not after the start time`);
  return { from, until: { kind: 'time', ms: t2.ms } };
}

function fromPart(s: string, spec: string): Position {
  if (s === '' || s === 'start' || s === 'oldest' || s === 'beginning' || s === 'earliest') return START;
  if (s === 'end' || s === 'newest' || s === 'latest') return END;
  if (/^\+\d+$/.test(s)) return { kind: 'start', delta: Number(s.slice(1)) };
  if (/^-\d+$/.test(s)) return { kind: 'end', delta: Number(s.slice(1)) };
  if (/^\d+$/.test(s)) return { kind: 'offset', offset: Number(s) };
  throw new UsageError(`-o ${spec}: expected start, end, -N, +N, an offset, N1:N2 or @TIME`);
}

function untilPart(s: string, spec: string): Position | undefined {
  if (s === '') return undefined;
  if (s === 'end') return END;
  if (/^-\d+$/.test(s)) return { kind: 'end', delta: Number(s.slice(1)) };
  if (/^\d+$/.test(s)) return { kind: 'offset', offset: Number(s) };
  throw new UsageError(`-o ${spec}: after the colon, expected an offset or end`);
}

export function parseOffsetSpec(spec: string, now = Date.now()): OffsetSpec {
  const s = spec.trim();
  if (s.startsWith('@')) return timeSpec(s.slice(1), now);
  const range = /^(\d+)-(\d+)$/.exec(s);
  const colon = s.indexOf(':');
  const [a, b] = range ? [range[1]!, range[2]!] : colon < 0 ? [s, undefined] : [s.slice(0, colon), s.slice(colon + 1)];
  const from = fromPart(a, spec);
  const until = b === undefined ? undefined : untilPart(b, spec);
  if (from.kind === 'offset' && until?.kind === 'offset' && until.offset <= from.offset) throw new UsageError(`-o ${spec}: the end offset ${until.offset} is not after the start ${from.offset}`);
  if (from.kind === 'end' && from.delta === 0 && until) throw new UsageError(`-o ${spec}: from the end there is nothing to read up to ${b}`);
  return until ? { from, until } : { from };
}

/** What one partition has: its offsets, and the offsets ListOffsets gave for the spec's times (-1: none at or after). */
export interface PartitionBounds {
  start: number;
  end: number;
  fromTimeOffset?: number;
  untilTimeOffset?: number;
}

/** The times a spec needs looked up (ListOffsets by timestamp), so the caller asks once per partition. */
export function specTimes(spec: OffsetSpec): { from?: number; until?: number } {
  return { from: spec.from.kind === 'time' ? spec.from.ms : undefined, until: spec.until?.kind === 'time' ? spec.until.ms : undefined };
}

function resolve(p: Position, b: PartitionBounds, timeOffset: number | undefined): number {
  const clamp = (o: number) => Math.max(b.start, Math.min(b.end, o));
  switch (p.kind) {
    case 'start': return clamp(b.start + p.delta);
    case 'end': return clamp(b.end - p.delta);
    case 'offset': return clamp(p.offset);
    case 'time': return timeOffset === undefined || timeOffset < 0 ? b.end : clamp(timeOffset);
  }
}

/** The partition's first offset to read and the offset to stop before (undefined: follow); from >= until means nothing to read. */
export function resolveSpec(spec: OffsetSpec, b: PartitionBounds): { from: number; until?: number } {
  const from = resolve(spec.from, b, b.fromTimeOffset);
  if (!spec.until) return { from };
  // An exact end beyond the current end stops at the current end, as rpk does.
  return { from, until: resolve(spec.until, b, b.untilTimeOffset) };
}
