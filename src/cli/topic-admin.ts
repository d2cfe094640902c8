/**
 * `samsa topic create|list|describe|delete|alter-config`: topic admin on the
 * Kafka protocol (src/client/topics.ts), as tables like rpk's or JSON.
 */
import { ErrorCode } from '../wire/errors.js';
import type { KafkaClient } from '../client/kafka-client.js';
import {
  KafkaClientError, alterTopicConfigs, createTopics, deleteTopics, describeTopic, describeTopicConfigs, listTopics, partitionOffsets,
  type ConfigEntry, type PartitionInfo, type PartitionOffsets,
} from '../client/topics.js';
import type { ParsedFlags } from './cli-flags.js';
import { UsageError, outputFormat } from './client-options.js';
import { table, type CliIo } from './cli-output.js';
import { TOPIC_ALTER_CONFIG, TOPIC_CREATE, TOPIC_DELETE, TOPIC_DESCRIBE, TOPIC_LIST } from './help-topic.js';
import { isUnknownTopic, printJson, runKafkaCommand, unknownTopicMessage, withClient } from './topic-client.js';

function wholeNumber(f: ParsedFlags, name: string, min: number): number | undefined {
  const v = f.value(name);
  if (v === undefined) return undefined;
  if (!/^-?\d+$/.test(v) || Number(v) < min) throw new UsageError(`--${name} takes a whole number${min > 0 ? ` >= ${min}` : ''}, not ${v}`);
  return Number(v);
}

/** KEY=VALUE flags as a record; a value may contain = itself. */
export function keyValues(values: readonly string[], flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of values) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new UsageError(`--${flag} takes KEY=VALUE, not ${kv}`);
    out[kv.slice(0, eq).trim()] = kv.slice(eq + 1);
  }
  return out;
}

function needTopics(f: ParsedFlags, verb: string): string[] {
  const names = f.operands;
  if (names.length === 0) throw new UsageError(`which topic${verb === 'describe' ? '' : 's'} to ${verb}?`);
  return names;
}

/** A refusal as the STATUS column prints it: the broker's message, and the suggestion for an unknown topic. */
async function statusOf(client: KafkaClient, topic: string, e: KafkaClientError): Promise<string> {
  if (e.code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) return await unknownTopicMessage(client, topic);
  return `${e.errorName}${e.brokerMessage ? `: ${e.brokerMessage}` : ''}`;
}

export function topicCreate(args: string[], io: CliIo): Promise<number> {
  return runKafkaCommand(io, TOPIC_CREATE, args, async (f) => {
    const format = outputFormat(f);
    const names = needTopics(f, 'create');
    const partitions = wholeNumber(f, 'partitions', 1);
    const replicationFactor = wholeNumber(f, 'replicas', 1);
    const configs = keyValues([...f.list('topic-config'), ...f.list('config')], 'topic-config');
    return withClient(f, async (c) => {
      const results = await createTopics(c, names.map((name) => ({ name, partitions, replicationFactor, configs })));
      const rows = [];
      let failed = false;
      for (const r of results) {
        const exists = r.error?.code === ErrorCode.TOPIC_ALREADY_EXISTS && f.has('if-not-exists');
        if (r.error && !exists) failed = true;
        rows.push({
          topic: r.name,
          status: !r.error ? 'created' : exists ? 'exists' : 'error',
          partitions: r.error ? null : r.partitions,
          replicationFactor: r.error ? null : r.replicationFactor,
          error: r.error && !exists ? `${r.error.errorName}${r.error.brokerMessage ? `: ${r.error.brokerMessage}` : ''}` : null,
        });
      }
      if (format === 'json') printJson(io, rows);
      else io.out(table(['TOPIC', 'PARTITIONS', 'REPLICAS', 'STATUS'], rows.map((r) => [r.topic, String(r.partitions ?? ''), String(r.replicationFactor ?? ''), r.error ?? (r.status === 'created' ? 'OK' : 'OK (exists)')])));
      return failed ? 1 : 0;
    });
  });
}

export function topicList(args: string[], io: CliIo): Promise<number> {
  return runKafkaCommand(io, TOPIC_LIST, args, async (f) => {
    const format = outputFormat(f);
    if (f.operands.length) throw new UsageError(`topic list takes no names (got ${f.operands.join(' ')})`);
    return withClient(f, async (c) => {
      const topics = await listTopics(c, { internal: f.has('internal') });
      if (format === 'json') printJson(io, topics);
      else {
        const headers = ['NAME', 'PARTITIONS', 'REPLICAS', ...(f.has('internal') ? ['INTERNAL'] : [])];
        io.out(table(headers, topics.map((t) => [t.name, String(t.partitions), String(t.replicationFactor), ...(f.has('internal') ? [String(t.internal)] : [])])));
      }
      return 0;
    });
  });
}

interface DescribedPartition extends PartitionInfo {
  startOffset: number;
  endOffset: number;
  lastStableOffset: number;
}

function partitionRows(ps: readonly DescribedPartition[]): string[][] {
  return ps.map((p) => [
    String(p.partition), String(p.leader), String(p.leaderEpoch), p.replicas.join(','), p.isr.join(','),
    p.offlineReplicas.join(',') || '-', String(p.startOffset), String(p.endOffset),
  ]);
}

function section(title: string, body: string): string {
  return `${title}\n${'='.repeat(title.length)}\n${body}`;
}

export function topicDescribe(args: string[], io: CliIo): Promise<number> {
  return runKafkaCommand(io, TOPIC_DESCRIBE, args, async (f) => {
    const format = outputFormat(f);
    const names = needTopics(f, 'describe');
    const chosen = ['print-summary', 'print-configs', 'print-partitions'].filter((s) => f.has(s));
    const want = (s: string) => chosen.length === 0 || chosen.includes(s);
    return withClient(f, async (c) => {
      const out: unknown[] = [];
      const blocks: string[] = [];
      let failed = false;
      for (const name of names) {
        let d;
        try {
          d = await describeTopic(c, name);
        } catch (e) {
          if (!isUnknownTopic(e)) throw e;
          io.err(`samsa: ${await unknownTopicMessage(c, name)}`);
          failed = true;
          continue;
        }
        const [configs, offsets] = await Promise.all([
          want('print-configs') ? describeTopicConfigs(c, name) : Promise.resolve([] as ConfigEntry[]),
          want('print-partitions') && d.partitions.length ? partitionOffsets(c, name, d.partitions.map((p) => p.partition)) : Promise.resolve([] as PartitionOffsets[]),
        ]);
        const byPartition = new Map(offsets.map((o) => [o.partition, o]));
        const partitions: DescribedPartition[] = d.partitions.map((p) => {
          const o = byPartition.get(p.partition);
          return { ...p, startOffset: o?.startOffset ?? -1, endOffset: o?.endOffset ?? -1, lastStableOffset: o?.lastStableOffset ?? -1 };
        });
        const replicas = d.partitions[0]?.replicas.length ?? 0;
        if (format === 'json') {
          out.push({
            name, topicId: d.topicId, internal: d.internal, partitionCount: d.partitions.length, replicationFactor: replicas,
            ...(want('print-configs') ? { configs } : {}),
            ...(want('print-partitions') ? { partitions } : {}),
          });
          continue;
        }
        const parts: string[] = [];
        if (want('print-summary')) {
          parts.push(section('SUMMARY', table(['NAME', name], [['ID', d.topicId], ['INTERNAL', String(d.internal)], ['PARTITIONS', String(d.partitions.length)], ['REPLICAS', String(replicas)]])));
        }
        if (want('print-configs')) {
          parts.push(section('CONFIGS', table(['KEY', 'VALUE', 'SOURCE'], configs.map((e) => [e.name, e.sensitive ? '(sensitive)' : e.value ?? '', e.source]))));
        }
        if (want('print-partitions')) {
          parts.push(section('PARTITIONS', table(['PARTITION', 'LEADER', 'EPOCH', 'REPLICAS', 'ISR', 'OFFLINE', 'LOG-START-OFFSET', 'HIGH-WATERMARK'], partitionRows(partitions))));
        }
        blocks.push(parts.join('\n\n'));
      }
      if (format === 'json') printJson(io, out);
      else if (blocks.length) io.out(blocks.join('\n\n'));
      return failed ? 1 : 0;
    });
  });
}

export function topicDelete(args: string[], io: CliIo): Promise<number> {
  return runKafkaCommand(io, TOPIC_DELETE, args, async (f) => {
    const format = outputFormat(f);
    const names = needTopics(f, 'delete');
    return withClient(f, async (c) => {
      const results = await deleteTopics(c, names);
      const rows = await Promise.all(results.map(async (r) => ({ topic: r.name, status: r.error ? 'error' : 'deleted', error: r.error ? await statusOf(c, r.name, r.error) : null })));
      if (format === 'json') printJson(io, rows);
      else io.out(table(['TOPIC', 'STATUS'], rows.map((r) => [r.topic, r.error ?? 'OK'])));
      return rows.some((r) => r.error) ? 1 : 0;
    });
  });
}

export function topicAlterConfig(args: string[], io: CliIo): Promise<number> {
  return runKafkaCommand(io, TOPIC_ALTER_CONFIG, args, async (f) => {
    const format = outputFormat(f);
    const names = needTopics(f, 'alter');
    const set = keyValues(f.list('set'), 'set');
    const del = f.list('delete');
    if (Object.keys(set).length === 0 && del.length === 0) throw new UsageError('topic alter-config needs --set KEY=VALUE or --delete KEY');
    const both = del.find((k) => k in set);
    if (both) throw new UsageError(`${both} is both set and deleted`);
    return withClient(f, async (c) => {
      const rows = [];
      for (const topic of names) {
        try {
          await alterTopicConfigs(c, topic, { set, delete: del });
          rows.push({ topic, status: 'altered', error: null as string | null });
        } catch (e) {
          if (!(e instanceof KafkaClientError)) throw e;
          rows.push({ topic, status: 'error', error: await statusOf(c, topic, e) });
        }
      }
      if (format === 'json') printJson(io, rows);
      else io.out(table(['TOPIC', 'STATUS'], rows.map((r) => [r.topic, r.error ?? 'OK'])));
      return rows.some((r) => r.error) ? 1 : 0;
    });
  });
}
