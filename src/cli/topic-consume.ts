/**
 * `samsa topic consume TOPIC...`: records printed from where -o says, with
 * src/client/records.ts's fetchRecords (or, with -g, as a group member:
 * topic-consume-group.ts). Each partition's start (and end, for a range) is
 * resolved once at start-up from its offsets, as rpk does; without an end the
 * partitions are followed with long-polling fetches until --num records or
 * an interrupt.
 */
import { fetchRecords, type FetchedRecord } from '../client/records.js';
import { describeTopic, listOffsets, partitionOffsets } from '../client/topics.js';
import type { KafkaClient } from '../client/kafka-client.js';
import type { ParsedFlags } from './cli-flags.js';
import { UsageError } from './client-options.js';
import type { CliIo } from './cli-output.js';
import { parseOffsetSpec, resolveSpec, specTimes, type OffsetSpec } from './consume-offsets.js';
import { compileRecordFormat, jsonRecordFormatter, type RecordFormatter } from './format-record.js';
import { TOPIC_CONSUME } from './help-topic.js';
import { requireTopics, runKafkaCommand, withClient } from './topic-client.js';
import { processStreams, type RecordStreams } from './topic-streams.js';
import { RecordOutput } from './topic-output.js';

/** A following fetch waits this long for new records: short enough to notice an interrupt and the other topics. */
const FOLLOW_WAIT_MS = 1000;
const PAGE = 500;

export interface ConsumeSettings {
  topics: string[];
  spec: OffsetSpec;
  partitions?: number[];
  /** 0: no limit. */
  num: number;
  committed: boolean;
  format: RecordFormatter;
}

export function consumeSettings(f: ParsedFlags): ConsumeSettings {
  const topics = f.operands;
  if (topics.length === 0) throw new UsageError('which topic? samsa topic consume TOPIC...');
  const spec = parseOffsetSpec(f.value('offset') ?? 'start');
  if (f.has('exit-at-end') && !spec.until) spec.until = { kind: 'end', delta: 0 };
  const partitions = f.has('partitions') ? f.list('partitions').map((p) => {
    if (!/^\d+$/.test(p)) throw new UsageError(`--partitions takes partition numbers, not ${p}`);
    return Number(p);
  }) : undefined;
  const n = f.value('num') ?? '0';
  if (!/^\d+$/.test(n)) throw new UsageError(`--num takes a whole number, not ${n}`);
  const fmt = f.value('format') ?? 'json';
  if (fmt !== 'json' && (f.has('pretty-print') || f.has('meta-only'))) throw new UsageError('--pretty-print and --meta-only go with -f json');
  const format = fmt === 'json' ? jsonRecordFormatter({ pretty: f.has('pretty-print'), metaOnly: f.has('meta-only') }) : compileRecordFormat(fmt);
  return { topics, spec, partitions, num: Number(n), committed: f.has('read-committed'), format };
}

export interface PartitionRange { partition: number; from: number; until?: number }

/** Each chosen partition's first offset and end (exclusive) under the spec; partitions with nothing to read are left out. */
export async function planTopic(c: KafkaClient, topic: string, s: Pick<ConsumeSettings, 'spec' | 'partitions' | 'committed'>): Promise<PartitionRange[]> {
  const all = (await describeTopic(c, topic)).partitions.map((p) => p.partition);
  const missing = s.partitions?.filter((p) => !all.includes(p)) ?? [];
  if (missing.length) throw new UsageError(`topic ${topic} has partitions 0 to ${all.length - 1}, not ${missing.join(', ')}`);
  const ps = s.partitions ?? all;
  const offsets = await partitionOffsets(c, topic, ps);
  const times = specTimes(s.spec);
  const tps = ps.map((partition) => ({ topic, partition }));
  const [fromT, untilT] = await Promise.all([
    times.from === undefined ? undefined : listOffsets(c, tps, times.from),
    times.until === undefined ? undefined : listOffsets(c, tps, times.until),
  ]);
  const out: PartitionRange[] = [];
  offsets.forEach((o, i) => {
    const r = resolveSpec(s.spec, {
      start: o.startOffset,
      end: s.committed ? o.lastStableOffset : o.endOffset,
      fromTimeOffset: fromT?.[i]?.offset,
      untilTimeOffset: untilT?.[i]?.offset,
    });
    if (r.until === undefined || r.from < r.until) out.push({ partition: o.partition, ...r });
  });
  return out;
}

export const printable = (topic: string, r: FetchedRecord) => ({ topic, partition: r.partition, offset: r.offset, timestamp: r.timestamp, key: r.key, value: r.value, headers: r.headers });

export function topicConsume(args: string[], io: CliIo, streams: RecordStreams = processStreams()): Promise<number> {
  return runKafkaCommand(io, TOPIC_CONSUME, args, async (f) => {
    const s = consumeSettings(f);
    if (f.has('group')) {
      if (s.partitions) throw new UsageError('--partitions and --group do not go together: the group assigns the partitions');
      if (s.spec.until) throw new UsageError('a group consumes without an end: give --num, or leave out the end of -o (and -e)');
      return (await import('./topic-consume-group.js')).consumeAsGroup(f, s, io, streams);
    }
    return withClient(f, async (c) => {
      await requireTopics(c, s.topics);
      const plans = new Map<string, Map<number, PartitionRange>>();
      for (const t of s.topics) plans.set(t, new Map((await planTopic(c, t, s)).map((p) => [p.partition, p])));
      const out = new RecordOutput(streams.stdout, s.format);
      const stop = out.stopOnInterrupt();
      try {
        const positions = new Map([...plans].map(([t, ps]) => [t, new Map([...ps.values()].map((p) => [p.partition, p.from]))]));
        const following = [...plans.values()].some((ps) => [...ps.values()].some((p) => p.until === undefined));
        while (!out.stopped) {
          const active = [...plans].filter(([, ps]) => ps.size > 0);
          if (active.length === 0) break;
          for (const [topic, ps] of active) {
            const left = s.num ? s.num - out.printed : PAGE;
            if (left <= 0 || out.stopped) break;
            const pos = positions.get(topic)!;
            const r = await fetchRecords(c, {
              topic, positions: pos, partitions: [...ps.keys()], maxRecords: Math.min(PAGE, left),
              isolation: s.committed ? 'read_committed' : 'read_uncommitted',
              maxWaitMs: following ? Math.floor(FOLLOW_WAIT_MS / active.length) : 0,
              offsetReset: 'earliest',
            });
            for (const rec of r.records) {
              const until = ps.get(rec.partition)?.until;
              if (until !== undefined && rec.offset >= until) continue;
              await out.print(printable(topic, rec));
              if (s.num && out.printed >= s.num) break;
            }
            await out.flush();
            for (const [p, next] of Object.entries(r.next)) {
              const part = Number(p);
              pos.set(part, next);
              const until = ps.get(part)?.until;
              if (until !== undefined && next >= until) ps.delete(part);
            }
          }
          if (s.num && out.printed >= s.num) break;
        }
      } finally {
        stop();
        await out.flush();
      }
      return 0;
    });
  });
}
