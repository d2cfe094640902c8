/**
 * The message browser (GET /api/topics/:topic/messages) and produce (POST).
 *
 * Reading forward (start=oldest|offset|timestamp, or from=positions for the
 * live tail) merges the chosen partitions by timestamp: a partition's records
 * are taken in offset order, the oldest head first, and the merge waits for
 * a partition whose buffer ran dry to be read again, so a page is the
 * globally oldest `limit` matches after the start and each partition's
 * `next` is exactly where its shown records end. start=newest reads each
 * partition's tail backwards in chunks and keeps the newest `limit` matches;
 * its `next` is each partition's end, to tail from. With a filter, reading
 * goes on until `limit` matches or SCAN_BUDGET records were looked at (then
 * the page is short and `next` says where to go on).
 */
import type { KafkaClient } from '../client/kafka-client.js';
import { fetchRecords, produceRecords, type FetchedRecord } from '../client/records.js';
import { describeTopic, listOffsets } from '../client/topics.js';
import type { Message, MessagePage, ProduceRequest, ProduceResult } from './console-api-types.js';
import { parseMessageQuery, toBytes, type ParsedMessageQuery } from './console-message-query.js';
import { HttpError } from './route.js';

/** Records looked at for one page at most: a filter that matches nothing does not read a whole topic. */
export const SCAN_BUDGET = 20_000;
/** The most records read from one partition in one round. */
const MAX_CHUNK = 5_000;
/** Reads for one page at most, whatever they return. */
const MAX_ROUNDS = 20;

function toMessage(r: FetchedRecord): Message {
  const m: Message = {
    partition: r.partition,
    offset: r.offset,
    timestamp: r.timestamp,
    timestampType: r.timestampType,
    key: toBytes(r.key),
    value: toBytes(r.value),
    headers: r.headers.map((h) => ({ key: h.key, value: toBytes(h.value) })),
  };
  if (r.transactional) m.transactional = true;
  return m;
}

const byTime = (a: { timestamp: number; partition: number; offset: number }, b: { timestamp: number; partition: number; offset: number }) => a.timestamp - b.timestamp || a.partition - b.partition || a.offset - b.offset;

interface Range { start: number; end: number }

async function chosenPartitions(client: KafkaClient, topic: string, q: ParsedMessageQuery): Promise<number[]> {
  const all = (await describeTopic(client, topic)).partitions.map((p) => p.partition);
  const wanted = q.partitions ?? (q.from ? [...q.from.keys()] : all);
  const missing = wanted.filter((p) => !all.includes(p));
  if (missing.length) throw new HttpError(400, 'BAD_QUERY', `topic ${topic} has no partition ${missing.join(', ')} (it has ${all.length})`);
  return [...wanted].sort((a, b) => a - b);
}

async function ranges(client: KafkaClient, topic: string, partitions: number[]): Promise<Map<number, Range>> {
  const tps = partitions.map((partition) => ({ topic, partition }));
  const [start, end] = await Promise.all([listOffsets(client, tps, 'earliest'), listOffsets(client, tps, 'latest')]);
  return new Map(partitions.map((p, i) => [p, { start: start[i]!.offset, end: end[i]!.offset }]));
}

const clamp = (o: number, r: Range) => Math.min(Math.max(o, r.start), r.end);

export async function readMessages(client: KafkaClient, topic: string, query: URLSearchParams): Promise<MessagePage> {
  const q = parseMessageQuery(query);
  const partitions = await chosenPartitions(client, topic, q);
  if (partitions.length === 0) return { messages: [], next: {}, filteredOut: 0 };
  const r = await ranges(client, topic, partitions);
  if (q.start === 'newest') return newest(client, topic, partitions, r, q);
  const positions = new Map<number, number>();
  if (q.start === 'timestamp') {
    const found = await listOffsets(client, partitions.map((partition) => ({ topic, partition })), q.timestamp!);
    // -1: nothing at or after the timestamp, so the page starts at the end (and tails from there).
    partitions.forEach((p, i) => positions.set(p, found[i]!.offset < 0 ? r.get(p)!.end : clamp(found[i]!.offset, r.get(p)!)));
  } else {
    for (const p of partitions) {
      const at = q.start === 'oldest' ? r.get(p)!.start : q.start === 'offset' ? q.offset! : q.from!.get(p) ?? r.get(p)!.end;
      positions.set(p, clamp(at, r.get(p)!));
    }
  }
  return forward(client, topic, partitions, positions, q);
}

async function forward(client: KafkaClient, topic: string, partitions: number[], positions: Map<number, number>, q: ParsedMessageQuery): Promise<MessagePage> {
  const buffers = new Map<number, FetchedRecord[]>(partitions.map((p) => [p, []]));
  const pos = new Map(positions);
  const finished = new Set<number>();
  const messages: Message[] = [];
  let filteredOut = 0;
  let scanned = 0;
  // Records read per partition per round: a page's worth first, growing when a filter drops most of them (fewer, larger reads).
  let chunk = q.limit;
  let rounds = 0;
  for (;;) {
    const dry = partitions.filter((p) => !finished.has(p) && buffers.get(p)!.length === 0);
    if (dry.length > 0) {
      if (scanned >= SCAN_BUDGET) break;
      const f = await fetchRecords(client, { topic, positions: new Map(dry.map((p) => [p, pos.get(p)!])), maxRecords: chunk * dry.length, offsetReset: 'earliest' });
      chunk = Math.min(chunk * 4, MAX_CHUNK);
      scanned += f.records.length;
      for (const rec of f.records) buffers.get(rec.partition)!.push(rec);
      for (const p of dry) {
        pos.set(p, f.next[p] ?? pos.get(p)!);
        // Not at its end yet with nothing read (left out of a response other partitions filled): read again next round.
        if (pos.get(p)! >= (f.highWatermarks[p] ?? 0)) finished.add(p);
      }
      rounds++;
    }
    // Merge while every partition that may still hold older records has some buffered.
    while (messages.length < q.limit) {
      if (partitions.some((p) => !finished.has(p) && buffers.get(p)!.length === 0)) break;
      let best: number | undefined;
      for (const p of partitions) {
        const head = buffers.get(p)![0];
        if (!head) continue;
        const b = best === undefined ? undefined : buffers.get(best)![0]!;
        if (!b || head.timestamp < b.timestamp || (head.timestamp === b.timestamp && p < best!)) best = p;
      }
      if (best === undefined) break;
      const rec = buffers.get(best)!.shift()!;
      if (!q.filter || q.filter(rec)) messages.push(toMessage(rec)); else filteredOut++;
    }
    const drained = partitions.every((p) => finished.has(p) && buffers.get(p)!.length === 0);
    if (messages.length >= q.limit || drained || rounds >= MAX_ROUNDS) break;
  }
  const next: Record<number, number> = {};
  for (const p of partitions) next[p] = buffers.get(p)![0]?.offset ?? pos.get(p)!;
  return { messages: messages.sort(byTime), next, filteredOut };
}

async function newest(client: KafkaClient, topic: string, partitions: number[], r: Map<number, Range>, q: ParsedMessageQuery): Promise<MessagePage> {
  // lo: the lowest offset read so far in each partition, reading backwards from its end.
  const lo = new Map(partitions.map((p) => [p, r.get(p)!.end]));
  const next: Record<number, number> = Object.fromEntries(partitions.map((p) => [p, r.get(p)!.end]));
  const matches: FetchedRecord[] = [];
  let filteredOut = 0;
  let scanned = 0;
  let chunk = q.limit;
  for (;;) {
    const open = partitions.filter((p) => lo.get(p)! > r.get(p)!.start);
    if (open.length === 0 || scanned >= SCAN_BUDGET) break;
    const from = new Map(open.map((p) => [p, Math.max(r.get(p)!.start, lo.get(p)! - chunk)]));
    const f = await fetchRecords(client, { topic, positions: from, maxRecords: chunk * open.length, offsetReset: 'earliest' });
    for (const rec of f.records) {
      if (rec.offset >= lo.get(rec.partition)!) continue;
      scanned++;
      if (!q.filter || q.filter(rec)) matches.push(rec); else filteredOut++;
    }
    for (const p of open) lo.set(p, from.get(p)!);
    // The first chunk is the whole page without a filter; a filter reads further back in growing chunks.
    if (!q.filter || matches.length >= q.limit) break;
    chunk = Math.min(chunk * 4, MAX_CHUNK);
  }
  matches.sort(byTime);
  const page = matches.slice(Math.max(0, matches.length - q.limit)).map(toMessage);
  return { messages: page, next, filteredOut };
}

const badBody = (message: string) => new HttpError(400, 'BAD_REQUEST', message);
const stringOrNull = (v: unknown) => v === null || typeof v === 'string';

export async function produceFromBody(client: KafkaClient, topic: string, body: unknown): Promise<ProduceResult> {
  const b = (body ?? {}) as Partial<Record<keyof ProduceRequest, unknown>>;
  if (typeof b !== 'object' || !('value' in b) || !stringOrNull(b.value)) throw badBody('body must be {"value": "..." or null, "key"?: "...", "headers"?: [{"key", "value"}], "partition"?: n}');
  if (b.key !== undefined && !stringOrNull(b.key)) throw badBody('key must be a string or null');
  const headers = b.headers ?? [];
  if (!Array.isArray(headers) || headers.some((h) => typeof h !== 'object' || h === null || typeof h.key !== 'string' || !stringOrNull(h.value ?? null))) {
    throw badBody('headers must be [{"key": "...", "value": "..." or null}]');
  }
  if (b.partition !== undefined && b.partition !== null) {
    if (typeof b.partition !== 'number' || !Number.isInteger(b.partition) || b.partition < 0) throw badBody(`partition must be a whole number, got ${JSON.stringify(b.partition)}`);
    const count = (await describeTopic(client, topic)).partitions.length;
    if (b.partition >= count) throw badBody(`topic ${topic} has no partition ${b.partition} (it has ${count})`);
  }
  const [r] = await produceRecords(client, topic, [{
    partition: (b.partition ?? undefined) as number | undefined,
    key: (b.key ?? null) as string | null,
    value: b.value as string | null,
    headers: (headers as { key: string; value?: string | null }[]).map((h) => ({ key: h.key, value: h.value ?? null })),
  }], { acks: 'all' });
  if (!r) throw new HttpError(502, 'BROKER_UNREACHABLE', 'the broker did not acknowledge the record');
  return r;
}
