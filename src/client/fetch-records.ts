/**
 * fetchRecords: a topic's records from given positions, read at each
 * partition's leader and decoded. Fetch rounds go on until `maxRecords` are
 * read or every partition reached its end (the high watermark, or the last
 * stable offset with read_committed), so a caller gets a page, not whatever
 * one response happened to hold. Control batches (transaction markers) are
 * skipped but move the position past them; under read_committed the records
 * of aborted transactions are dropped as the Java consumer drops them, from
 * the response's aborted transactions and the abort markers.
 */
import { ApiKey } from '../wire/generated/api-keys.js';
import { decodeFetchResponse, encodeFetchRequest, type FetchResponseAbortedTransaction } from '../wire/generated/fetch.js';
import { BATCH_HEADER_SIZE, BatchHeader, LOG_OVERHEAD, MAGIC_OFFSET, TimestampType } from '../wire/records/batch-header.js';
import { readRecords, type RecordHeader } from '../wire/records/record-reader.js';
import { ControlType, controlType } from '../wire/records/control-records.js';
import { ErrorCode } from '../wire/errors.js';
import type { KafkaClient } from './kafka-client.js';
import { KafkaClientError } from './errors.js';
import { routeToLeaders, type Outcome } from './leader-routing.js';
import { listOffsets, type Isolation } from './offsets.js';

export interface FetchedRecord {
  partition: number;
  offset: number;
  /** Epoch ms: the producer's (CreateTime) or the broker's (LogAppendTime). */
  timestamp: number;
  timestampType: 'CreateTime' | 'LogAppendTime';
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
  /** The record came in a transactional batch. */
  transactional: boolean;
  producerId: number;
  leaderEpoch: number;
}

export interface FetchOptions {
  topic: string;
  /** Where to read each partition from (the offset of the first record wanted). */
  positions: Record<number, number> | Map<number, number>;
  /** Only these partitions of `positions` (default: all of them). */
  partitions?: number[];
  /** Stop after this many records (default 500). */
  maxRecords?: number;
  /** Bytes per Fetch response (default 8 MiB) and per partition in it (default 1 MiB); a batch larger than either still comes whole. */
  maxBytes?: number;
  partitionMaxBytes?: number;
  /** read_uncommitted (default) reads to the high watermark; read_committed to the last stable offset, without aborted records. */
  isolation?: Isolation;
  /** When no partition has a record, wait this long for one (default 0: answer at once). */
  maxWaitMs?: number;
  /**
   * A position outside the log (OFFSET_OUT_OF_RANGE): 'error' (default)
   * throws a KafkaClientError naming the log's range; 'earliest'/'latest'
   * move there (auto.offset.reset) and say so in `reset`.
   */
  offsetReset?: 'error' | 'earliest' | 'latest';
}

export interface FetchResult {
  /** Partition by partition, each in offset order. */
  records: FetchedRecord[];
  /** Where each partition's next read starts: after the last record returned, or past skipped markers and aborted records. */
  next: Record<number, number>;
  /** From the last Fetch of each partition. */
  highWatermarks: Record<number, number>;
  lastStableOffsets: Record<number, number>;
  logStartOffsets: Record<number, number>;
  /** Positions that were out of range and moved (offsetReset earliest/latest). */
  reset: { partition: number; from: number; to: number }[];
}

interface Wanted { topic: string; partition: number; offset: number }

interface Fetched {
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
  aborted: FetchResponseAbortedTransaction[];
  records: Buffer | null;
}

/** A magic v0/v1 message set: Samsa stores only v2, a Kafka broker may have old data. */
const LEGACY_MAGIC = 'records in the message format v0/v1 (magic < 2) are not decoded by this client';

export async function fetchRecords(client: KafkaClient, opts: FetchOptions): Promise<FetchResult> {
  const positions = new Map<number, number>(opts.positions instanceof Map ? opts.positions : Object.entries(opts.positions).map(([p, o]) => [Number(p), o]));
  const chosen = opts.partitions ?? [...positions.keys()];
  const maxRecords = opts.maxRecords ?? 500;
  const committed = opts.isolation === 'read_committed';
  const result: FetchResult = { records: [], next: {}, highWatermarks: {}, lastStableOffsets: {}, logStartOffsets: {}, reset: [] };
  const pos = new Map<number, number>();
  for (const p of chosen) {
    const o = positions.get(p);
    if (o === undefined || !Number.isInteger(o) || o < 0) throw new KafkaClientError(ErrorCode.OFFSET_OUT_OF_RANGE, `${opts.topic}-${p}`, `no valid position to read from (${o})`);
    pos.set(p, o);
  }
  const done = new Set<number>();
  const perPartition = new Map<number, FetchedRecord[]>();
  let wanted = maxRecords;
  // The first round may wait for data; later ones only collect what is already there.
  let waitMs = Math.max(0, Math.min(opts.maxWaitMs ?? 0, client.requestTimeoutMs - 2_000));

  while (wanted > 0) {
    const active = chosen.filter((p) => !done.has(p));
    if (active.length === 0) break;
    const outcomes = await fetchOnce(client, opts, active.map((partition) => ({ topic: opts.topic, partition, offset: pos.get(partition)! })), waitMs);
    waitMs = 0;
    let progress = false;
    for (const o of outcomes) {
      const p = o.item.partition;
      if (o.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
        const to = await outOfRange(client, opts, p, o.item.offset);
        result.reset.push({ partition: p, from: o.item.offset, to });
        pos.set(p, to);
        progress = true;
        continue;
      }
      if (o.errorCode !== ErrorCode.NONE) throw new KafkaClientError(o.errorCode, `${opts.topic}-${p}`, o.errorMessage ?? null);
      const f = o.value!;
      result.highWatermarks[p] = f.highWatermark;
      result.lastStableOffsets[p] = f.lastStableOffset;
      result.logStartOffsets[p] = f.logStartOffset;
      const before = pos.get(p)!;
      const { records, next } = decodePartition(p, before, f, committed);
      if (records.length > 0) perPartition.set(p, [...(perPartition.get(p) ?? []), ...records]);
      pos.set(p, next);
      if (next > before) progress = true;
      const end = committed ? f.lastStableOffset : f.highWatermark;
      if (next >= end) done.add(p);
    }
    wanted = maxRecords - [...perPartition.values()].reduce((n, rs) => n + rs.length, 0);
    if (!progress) break;
  }

  // Over the limit: keep the first records of each partition in turn, so every partition gets its share and its next position stays exact.
  const kept = new Map<number, number>();
  let budget = maxRecords;
  for (let round = 0, more = true; budget > 0 && more; round++) {
    more = false;
    for (const p of chosen) {
      const rs = perPartition.get(p);
      if (!rs || round >= rs.length || budget === 0) continue;
      kept.set(p, round + 1);
      budget--;
      more = true;
    }
  }
  for (const p of chosen) {
    const rs = perPartition.get(p) ?? [];
    const n = kept.get(p) ?? 0;
    result.records.push(...rs.slice(0, n));
    result.next[p] = n < rs.length ? rs[n]!.offset : pos.get(p)!;
  }
  return result;
}

async function fetchOnce(client: KafkaClient, opts: FetchOptions, items: Wanted[], maxWaitMs: number): Promise<Outcome<Wanted, Fetched>[]> {
  return routeToLeaders<Wanted, Fetched>(client, items, async (conn, mine) => {
    const v = conn.version(ApiKey.Fetch, 12, 'Fetch', 4);
    const r = await conn.request(ApiKey.Fetch, v, (w) => encodeFetchRequest(w, {
      replicaId: -1,
      maxWaitMs,
      minBytes: 1,
      maxBytes: opts.maxBytes ?? 8 << 20,
      isolationLevel: opts.isolation === 'read_committed' ? 1 : 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [{ topic: opts.topic, partitions: mine.map((m) => ({ partition: m.partition, currentLeaderEpoch: -1, fetchOffset: BigInt(m.offset), lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: opts.partitionMaxBytes ?? 1 << 20 })) }],
      forgottenTopicsData: [],
      rackId: '',
    }, v), (rd) => decodeFetchResponse(rd, v));
    if (r.errorCode && r.errorCode !== ErrorCode.NONE) return mine.map((item) => ({ item, errorCode: r.errorCode! }));
    const byPartition = new Map<number, Outcome<Wanted, Fetched>>();
    for (const t of r.responses) {
      if (t.topic !== undefined && t.topic !== opts.topic) continue;
      for (const p of t.partitions) {
        const item = mine.find((m) => m.partition === p.partitionIndex);
        if (!item) continue;
        byPartition.set(p.partitionIndex, {
          item,
          errorCode: p.errorCode,
          value: {
            highWatermark: Number(p.highWatermark),
            lastStableOffset: Number(p.lastStableOffset ?? p.highWatermark),
            logStartOffset: Number(p.logStartOffset ?? -1n),
            aborted: p.abortedTransactions ?? [],
            records: p.records,
          },
        });
      }
    }
    return mine.map((item) => byPartition.get(item.partition) ?? { item, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
  });
}

/** OFFSET_OUT_OF_RANGE: the new position (offsetReset) or an error that says where the log is. */
async function outOfRange(client: KafkaClient, opts: FetchOptions, partition: number, offset: number): Promise<number> {
  const tp = [{ topic: opts.topic, partition }];
  const [start, end] = await Promise.all([listOffsets(client, tp, 'earliest'), listOffsets(client, tp, 'latest', opts.isolation)]);
  const s = start[0]!.offset, e = end[0]!.offset;
  if (opts.offsetReset === 'earliest') return s;
  if (opts.offsetReset === 'latest') return e;
  throw new KafkaClientError(ErrorCode.OFFSET_OUT_OF_RANGE, `${opts.topic}-${partition}`, `offset ${offset} is out of range: the partition holds offsets ${s} to ${e - 1}${s === e ? ' (it is empty)' : ''}, its end is ${e}`);
}

/** The records at or after `from` in one partition's fetched bytes, and the position after what was read. */
function decodePartition(partition: number, from: number, f: Fetched, committed: boolean): { records: FetchedRecord[]; next: number } {
  const out: FetchedRecord[] = [];
  let next = from;
  const buf = f.records;
  if (!buf) return { records: out, next };
  const aborted = [...f.aborted].map((a) => ({ producerId: Number(a.producerId), firstOffset: Number(a.firstOffset) })).sort((a, b) => a.firstOffset - b.firstOffset);
  const abortedProducers = new Set<number>();
  for (let at = 0; at + MAGIC_OFFSET < buf.length;) {
    const size = buf.readInt32BE(at + 8) + LOG_OVERHEAD;
    // A response cut at max bytes may end in a partial batch: the next fetch reads it whole.
    if (at + size > buf.length) break;
    if (buf.readInt8(at + MAGIC_OFFSET) < 2) throw new KafkaClientError(ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT, `partition ${partition}`, LEGACY_MAGIC);
    if (size < BATCH_HEADER_SIZE) throw new KafkaClientError(ErrorCode.CORRUPT_MESSAGE, `partition ${partition}`, `a batch at byte ${at} of the response claims ${size} bytes`);
    const h = new BatchHeader(buf, at);
    at += size;
    if (h.lastOffset < next) continue;
    if (!h.isCrcValid()) throw new KafkaClientError(ErrorCode.CORRUPT_MESSAGE, `partition ${partition}`, `batch at offset ${h.baseOffset} fails its CRC check`);
    if (committed && h.isTransactional) {
      while (aborted.length > 0 && aborted[0]!.firstOffset <= h.lastOffset) abortedProducers.add(aborted.shift()!.producerId);
      if (h.isControl) {
        if (controlType(h) === ControlType.Abort) abortedProducers.delete(h.producerId);
      } else if (abortedProducers.has(h.producerId)) {
        next = h.lastOffset + 1;
        continue;
      }
    }
    if (h.isControl) {
      next = h.lastOffset + 1;
      continue;
    }
    const logAppend = h.timestampType === TimestampType.LogAppendTime;
    for (const r of readRecords(h)) {
      if (r.offset < next) continue;
      out.push({
        partition,
        offset: r.offset,
        timestamp: logAppend ? h.maxTimestamp : r.timestamp,
        timestampType: logAppend ? 'LogAppendTime' : 'CreateTime',
        key: r.key,
        value: r.value,
        headers: r.headers,
        transactional: h.isTransactional,
        producerId: h.producerId,
        leaderEpoch: h.partitionLeaderEpoch,
      });
    }
    // Compaction can leave a batch's last offsets empty: the position still moves past the whole batch.
    next = h.lastOffset + 1;
  }
  return { records: out, next };
}
