/**
 * `samsa topic produce [TOPIC]`: records read from stdin or a file (lines,
 * rpk's -f formats, kcat's -K, JSON lines) and produced with
 * src/client/records.ts. Each chunk the input gives is produced before the
 * next is read: a file or a pipe arrives in 64 KB chunks of many records
 * (batched per partition by produceRecords), a terminal a line at a time, so
 * a typed line is sent at once and a large input never sits whole in memory.
 */
import { createReadStream, statSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { produceRecords, type ProduceRecord } from '../client/records.js';
import type { KafkaClient } from '../client/kafka-client.js';
import type { ParsedFlags } from './cli-flags.js';
import { UsageError } from './client-options.js';
import type { CliIo } from './cli-output.js';
import { compileRecordFormat, type RecordFormatter, type RecordHeader } from './format-record.js';
import { TOPIC_PRODUCE } from './help-topic.js';
import { recordReader, type InputRecord } from './produce-input.js';
import { Progress, count, humanBytes } from './progress.js';
import { isUnknownTopic, requireTopics, runKafkaCommand, unknownTopicMessage, withClient } from './topic-client.js';
import { AdminError } from './admin-connection.js';
import { processStreams, type RecordStreams } from './topic-streams.js';

const COMPRESSIONS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
type CompressionName = typeof COMPRESSIONS[number];

/** Where a produced record is confirmed on an interactive terminal when no -o is given. */
const INTERACTIVE_OUTPUT = 'Produced to partition %p at offset %o.\\n';

interface ProduceSettings {
  topic?: string;
  key: Buffer | null;
  headers: RecordHeader[];
  partition?: number;
  tombstone: boolean;
  acks: 1 | -1;
  compression: CompressionName;
}

function settingsFrom(f: ParsedFlags): ProduceSettings {
  if (f.operands.length > 1) throw new UsageError(`produce takes one topic (got ${f.operands.join(' ')})`);
  const headers = f.list('header').map((h) => {
    const colon = h.indexOf(':');
    if (colon <= 0) throw new UsageError(`--header takes KEY:VALUE, not ${h}`);
    return { key: h.slice(0, colon), value: Buffer.from(h.slice(colon + 1)) };
  });
  const p = f.value('partition');
  if (p !== undefined && !/^\d+$/.test(p)) throw new UsageError(`--partition takes a partition number, not ${p}`);
  const acks = f.value('acks') ?? '-1';
  if (acks === '0') throw new UsageError('--acks 0 is not offered: this client waits for every answer (use 1 or -1)');
  if (!['-1', 'all', '1'].includes(acks)) throw new UsageError(`--acks takes -1 (all) or 1, not ${acks}`);
  const compression = (f.value('compression') ?? 'none') as CompressionName;
  if (!COMPRESSIONS.includes(compression)) throw new UsageError(`--compression takes ${COMPRESSIONS.join(', ')}, not ${compression}`);
  const key = f.value('key');
  return {
    topic: f.operands[0],
    key: key === undefined ? null : Buffer.from(key),
    headers,
    partition: p === undefined ? undefined : Number(p),
    tombstone: f.has('tombstone'),
    acks: acks === '1' ? 1 : -1,
    compression,
  };
}

/** The input: a file (with its size, for the bar) or stdin. */
function openInput(f: ParsedFlags, streams: RecordStreams): { input: Readable; size?: number; interactive: boolean } {
  const file = f.value('file');
  if (file === undefined || file === '-') return { input: streams.stdin, interactive: streams.stdin.isTTY === true };
  let size: number;
  try {
    const st = statSync(file);
    if (st.isDirectory()) throw new UsageError(`--file ${file} is a directory`);
    size = st.size;
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`cannot read --file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  // 64 KB reads (the default) made faster produce than 1 MB ones here (500,000 short lines: ~2x): smaller batches, and the next is parsed while one is in flight.
  return { input: createReadStream(file), size: size || undefined, interactive: false };
}

function toProduceRecord(r: InputRecord, s: ProduceSettings): ProduceRecord {
  const value = s.tombstone && r.value !== null && r.value.length === 0 ? null : r.value;
  return {
    partition: r.partition ?? s.partition,
    key: r.key ?? s.key,
    value,
    headers: [...s.headers, ...r.headers],
    timestamp: r.timestamp,
  };
}

export function topicProduce(args: string[], io: CliIo, streams: RecordStreams = processStreams()): Promise<number> {
  return runKafkaCommand(io, TOPIC_PRODUCE, args, async (f) => {
    const s = settingsFrom(f);
    const format = f.value('format');
    const reader = recordReader({ format, keySeparator: f.value('key-separator') });
    const namesTopic = format === 'json' || (format?.includes('%t') ?? false);
    if (s.topic === undefined && !namesTopic) throw new UsageError('which topic? samsa topic produce TOPIC (or %t in -f, or "topic" in -f json)');
    const { input, size, interactive } = openInput(f, streams);
    const outFormat = f.value('output-format') ?? (interactive ? INTERACTIVE_OUTPUT : undefined);
    const print: RecordFormatter | undefined = outFormat === undefined ? undefined : compileRecordFormat(outFormat);

    return withClient(f, async (c) => {
      if (s.topic !== undefined) await requireTopics(c, [s.topic]);
      const progress = new Progress({ sink: streams.stderr, totalBytes: size, force: f.has('progress') && !f.has('no-progress') });
      const quiet = f.has('no-progress') || interactive;
      let produced = 0;
      let bytes = 0;
      const topics = new Set<string>();

      const send = async (records: InputRecord[]) => {
        // Records naming their own topic (%t, JSON "topic") go in one call per topic, in input order within each.
        const byTopic = new Map<string, InputRecord[]>();
        for (const r of records) {
          const t = r.topic ?? s.topic;
          if (t === undefined) throw new UsageError(`record ${produced + 1} names no topic and no TOPIC was given`);
          const list = byTopic.get(t);
          if (list) list.push(r);
          else byTopic.set(t, [r]);
        }
        for (const [topic, rs] of byTopic) {
          const results = await produceTo(c, topic, rs.map((r) => toProduceRecord(r, s)), s);
          topics.add(topic);
          if (print) {
            const out = rs.map((r, i) => print({ topic, partition: results[i]!.partition, offset: results[i]!.offset, timestamp: results[i]!.timestamp, key: r.key ?? s.key, value: r.value, headers: r.headers }, produced + i));
            streams.stdout.write(Buffer.concat(out));
          }
          produced += rs.length;
        }
      };

      // One chunk is produced while the next is read and parsed; sends stay one at a time, so records keep their order.
      let inflight: Promise<void> = Promise.resolve();
      const enqueue = async (records: InputRecord[]) => {
        await inflight;
        inflight = send(records);
        inflight.catch(() => undefined); // awaited at the next chunk or at the end
      };
      try {
        for await (const chunk of input) {
          const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk as Buffer;
          bytes += buf.length;
          const records = reader.push(buf);
          if (records.length) await enqueue(records);
          if (!quiet) progress.update(produced, bytes);
        }
        const last = reader.end();
        if (last.length) await enqueue(last);
        await inflight;
      } catch (e) {
        progress.finish();
        // What was sent before a bad record stays produced: say how much.
        if (e instanceof UsageError) throw new UsageError(`${e.message} (${count(produced)} records before it were produced)`);
        throw e;
      }
      if (!quiet) progress.update(produced, bytes);
      progress.finish();
      const secs = progress.elapsed();
      if (!interactive) {
        io.err(`produced ${count(produced)} record${produced === 1 ? '' : 's'} (${humanBytes(bytes)}) to ${[...topics].join(', ') || s.topic} in ${secs.toFixed(2)} s` +
          (produced > 0 ? `: ${count(produced / Math.max(secs, 1e-3))} records/s, ${humanBytes(Math.round(bytes / Math.max(secs, 1e-3)))}/s` : ''));
      }
      return 0;
    });
  });
}

async function produceTo(c: KafkaClient, topic: string, records: ProduceRecord[], s: ProduceSettings) {
  try {
    return await produceRecords(c, topic, records, { acks: s.acks, compression: s.compression });
  } catch (e) {
    if (isUnknownTopic(e) && !/partitions 0 to/.test((e as Error).message)) throw new AdminError(await unknownTopicMessage(c, topic));
    throw e;
  }
}
