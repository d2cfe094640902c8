/**
 * produceRecords: records to a topic, each partition's records in one v2
 * batch per request (several batches in turn when they exceed a request),
 * each leader's partitions together in requests of at most ~1 MB, leaders in
 * parallel. A partition has at most one batch in flight, so its records keep
 * their order; a batch a leader refused because leadership moved is sent
 * again to the new leader (without idempotence, as acks=1/all producers do).
 */
import { ApiKey } from '../wire/generated/api-keys.js';
import { decodeProduceResponse, encodeProduceRequest } from '../wire/generated/produce.js';
import { Compression } from '../wire/records/batch-header.js';
import { ErrorCode } from '../wire/errors.js';
import { AdminError, type AdminConnection } from '../cli/admin-connection.js';
import type { KafkaClient } from './kafka-client.js';
import { KafkaClientError } from './errors.js';
import { routeToLeaders, type Outcome } from './leader-routing.js';
import { StickyPartitioner, keyPartition } from './partitioner.js';
import { encodeBatch, type EncodedRecord } from './batch-encoder.js';

export interface ProduceRecord {
  /** Default: the key's partition (murmur2), or a sticky partition for a record without a key. */
  partition?: number;
  key?: Buffer | string | null;
  value: Buffer | string | null;
  headers?: { key: string; value: Buffer | string | null }[];
  /** Epoch ms (default: now). */
  timestamp?: number;
}

export type CompressionName = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

export interface ProduceOptions {
  /** 1: the leader wrote it; -1 or 'all' (default): every in-sync replica has it. acks=0 is not offered: this client waits for every answer. */
  acks?: 1 | -1 | 'all';
  compression?: CompressionName | Compression;
  /** How long the broker may wait for the in-sync replicas (default 30 s). */
  timeoutMs?: number;
  /** The largest request (default 1 MiB); a single larger record still goes, alone. */
  maxRequestBytes?: number;
  /** Called after each acknowledged round with the records acknowledged so far. */
  onProgress?: (acknowledged: number, total: number) => void;
}

export interface ProducedRecord { partition: number; offset: number; timestamp: number }

/** Below Kafka's default max.message.bytes (1048588) with room for the batch's own framing. */
const MAX_BATCH_BYTES = 1_000_000;

const COMPRESSIONS: Record<CompressionName, Compression> = { none: Compression.None, gzip: Compression.Gzip, snappy: Compression.Snappy, lz4: Compression.Lz4, zstd: Compression.Zstd };

/** Keyless placement state per client and topic, so successive calls spread over the partitions. */
const sticky = new WeakMap<KafkaClient, Map<string, StickyPartitioner>>();

const bytesOf = (v: Buffer | string | null | undefined): Buffer | null => (v === null || v === undefined ? null : typeof v === 'string' ? Buffer.from(v) : v);

interface Batch { partition: number; indices: number[]; bytes: Buffer; timestamps: number[] }
interface Sent { topic: string; partition: number; batch: Batch }

export async function produceRecords(client: KafkaClient, topic: string, records: ProduceRecord[], opts: ProduceOptions = {}): Promise<ProducedRecord[]> {
  if ((opts.acks as number) === 0) throw new AdminError('acks=0 is not supported by this client: use 1 or all');
  const acks = opts.acks === undefined || opts.acks === 'all' ? -1 : opts.acks;
  const compression = typeof opts.compression === 'string' ? COMPRESSIONS[opts.compression] : opts.compression ?? Compression.None;
  if (compression === undefined) throw new AdminError(`unknown compression ${String(opts.compression)}: none, gzip, snappy, lz4 or zstd`);
  const maxRequest = opts.maxRequestBytes ?? 1 << 20;
  if (records.length === 0) return [];

  const partitions = await partitionCountOf(client, topic);
  const batches = plan(client, topic, records, partitions, compression, Math.min(maxRequest, MAX_BATCH_BYTES));
  const results: ProducedRecord[] = new Array(records.length);
  let acknowledged = 0;

  // One batch per partition per round: a partition's next batch goes only after the previous one was acknowledged.
  const queues = [...batches.values()];
  while (queues.some((q) => q.length > 0)) {
    const round: Sent[] = queues.filter((q) => q.length > 0).map((q) => ({ topic, partition: q[0]!.partition, batch: q.shift()! }));
    const outcomes = await routeToLeaders<Sent, { baseOffset: number; logAppendTime: number }>(client, round, (conn, mine) => sendToLeader(conn, topic, mine, acks, opts.timeoutMs ?? 30_000, maxRequest));
    for (const o of outcomes) {
      if (o.errorCode !== ErrorCode.NONE) {
        throw new KafkaClientError(o.errorCode, `produce to ${topic}-${o.item.partition}`, o.errorMessage ?? null);
      }
      const { baseOffset, logAppendTime } = o.value!;
      o.item.batch.indices.forEach((index, j) => {
        results[index] = { partition: o.item.partition, offset: baseOffset + j, timestamp: logAppendTime >= 0 ? logAppendTime : o.item.batch.timestamps[j]! };
      });
      acknowledged += o.item.batch.indices.length;
    }
    opts.onProgress?.(acknowledged, records.length);
  }
  return results;
}

async function partitionCountOf(client: KafkaClient, topic: string): Promise<number> {
  const md = await client.metadata([topic]);
  const t = md.topics.find((x) => x.name === topic);
  if (!t) throw new KafkaClientError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic ${topic}`);
  if (t.errorCode !== ErrorCode.NONE) throw new KafkaClientError(t.errorCode, `topic ${topic}`);
  return t.partitions.length;
}

/** Each record's partition, then each partition's records cut into batches of at most `maxBatch` bytes, in input order. */
function plan(client: KafkaClient, topic: string, records: ProduceRecord[], partitions: number, compression: Compression, maxBatch: number): Map<number, Batch[]> {
  let byTopic = sticky.get(client);
  if (!byTopic) sticky.set(client, (byTopic = new Map()));
  let keyless = byTopic.get(topic);
  if (!keyless) byTopic.set(topic, (keyless = new StickyPartitioner()));

  const now = Date.now();
  const inputs: EncodedRecord[] = [];
  const open = new Map<number, { indices: number[]; size: number }>();
  const out = new Map<number, Batch[]>();
  const close = (p: number) => {
    const o = open.get(p);
    if (!o || o.indices.length === 0) return;
    const recs = o.indices.map((i) => inputs[i]!);
    const batch = { partition: p, indices: o.indices, timestamps: recs.map((r) => r.timestamp), bytes: encodeBatch(recs, compression) };
    out.set(p, [...(out.get(p) ?? []), batch]);
    open.delete(p);
  };
  records.forEach((r, i) => {
    const key = bytesOf(r.key);
    const value = bytesOf(r.value);
    const headers = (r.headers ?? []).map((h) => ({ key: Buffer.from(h.key), value: bytesOf(h.value) }));
    // An upper bound of the record's encoded size: its bytes plus the varints around them.
    const size = 24 + (key?.length ?? 0) + (value?.length ?? 0) + headers.reduce((n, h) => n + 10 + h.key.length + (h.value?.length ?? 0), 0);
    let p: number;
    if (r.partition !== undefined) {
      if (!Number.isInteger(r.partition) || r.partition < 0 || r.partition >= partitions) {
        throw new KafkaClientError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${topic}-${r.partition}`, `topic ${topic} has partitions 0 to ${partitions - 1}`);
      }
      p = r.partition;
    } else {
      p = key !== null ? keyPartition(key, partitions) : keyless.partition(partitions, size);
    }
    inputs.push({ key, value, headers, timestamp: r.timestamp ?? now });
    const o = open.get(p);
    if (o && o.size + size > maxBatch) close(p);
    const cur = open.get(p) ?? { indices: [], size: 61 };
    cur.indices.push(i);
    cur.size += size;
    open.set(p, cur);
  });
  for (const p of [...open.keys()]) close(p);
  // The next call's keyless records start on the next partition (round robin for one record per call).
  keyless.endRun();
  return out;
}

/** One leader's batches in requests of at most `maxRequest` bytes, sent together on its connection. */
async function sendToLeader(conn: AdminConnection, topic: string, mine: Sent[], acks: number, timeoutMs: number, maxRequest: number): Promise<Outcome<Sent, { baseOffset: number; logAppendTime: number }>[]> {
  const v = conn.version(ApiKey.Produce, 11, 'Produce', 3);
  const requests: Sent[][] = [];
  let cur: Sent[] = [];
  let size = 0;
  for (const s of mine) {
    if (cur.length > 0 && size + s.batch.bytes.length > maxRequest) { requests.push(cur); cur = []; size = 0; }
    cur.push(s);
    size += s.batch.bytes.length;
  }
  if (cur.length > 0) requests.push(cur);
  const answers = await Promise.all(requests.map(async (req) => {
    const r = await conn.request(ApiKey.Produce, v, (w) => encodeProduceRequest(w, {
      transactionalId: null,
      acks,
      timeoutMs,
      topicData: [{ name: topic, partitionData: req.map((s) => ({ index: s.partition, records: s.batch.bytes })) }],
    }, v), (rd) => decodeProduceResponse(rd, v));
    return req.map((item): Outcome<Sent, { baseOffset: number; logAppendTime: number }> => {
      const p = r.responses.find((t) => t.name === topic)?.partitionResponses.find((x) => x.index === item.partition);
      if (!p) return { item, errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: 'the broker answered Produce without this partition' };
      const why = p.errorMessage ?? p.recordErrors?.map((e) => `record ${e.batchIndex}: ${e.batchIndexErrorMessage}`).join('; ') ?? null;
      return { item, errorCode: p.errorCode, errorMessage: why || null, value: { baseOffset: Number(p.baseOffset), logAppendTime: Number(p.logAppendTimeMs ?? -1n) } };
    });
  }));
  return answers.flat();
}
