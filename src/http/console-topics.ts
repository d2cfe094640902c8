/**
 * The console's topic routes: the list (partitions, messages, size,
 * retention), a topic's partitions and configs, create, delete and config
 * changes. Everything goes through src/client as the logged-in user, so a
 * topic the user may not DESCRIBE is not listed (the broker leaves it out of
 * Metadata).
 */
import type { KafkaClient } from '../client/kafka-client.js';
import {
  alterTopicConfigs, createTopic, deleteTopic, describeTopic, describeTopicConfigs, listOffsets, listTopics, logDirSizes, partitionSizes,
  tpKey, KafkaClientError, type TopicPartition,
} from '../client/topics.js';
import { ErrorCode } from '../wire/errors.js';
import type { AlterConfigsRequest, ConfigEntry, CreateTopicRequest, TopicDetail, TopicSummary } from './console-api-types.js';
import { HttpError } from './route.js';

/** What a user without the rights to see sizes or configs gets instead of an error for the whole list. */
const REFUSALS = new Set<number>([ErrorCode.CLUSTER_AUTHORIZATION_FAILED, ErrorCode.TOPIC_AUTHORIZATION_FAILED]);
const isRefusal = (e: unknown) => e instanceof KafkaClientError && REFUSALS.has(e.code);

/** Partition sizes by tpKey; empty when the user may not describe log dirs (DESCRIBE on the cluster). */
async function sizes(client: KafkaClient, topics: string[] | null): Promise<Map<string, number>> {
  try {
    return partitionSizes(await logDirSizes(client, topics));
  } catch (e) {
    if (isRefusal(e)) return new Map();
    throw e;
  }
}

/** Start and end offsets by tpKey; a partition that cannot answer now (no leader) is left out rather than failing the list. */
async function startAndEnd(client: KafkaClient, tps: TopicPartition[]): Promise<Map<string, { start: number; end: number }>> {
  const out = new Map<string, { start: number; end: number }>();
  const add = async (some: TopicPartition[]) => {
    const [start, end] = await Promise.all([listOffsets(client, some, 'earliest'), listOffsets(client, some, 'latest')]);
    some.forEach((p, i) => out.set(tpKey(p.topic, p.partition), { start: start[i]!.offset, end: end[i]!.offset }));
  };
  if (tps.length === 0) return out;
  try {
    await add(tps);
  } catch (e) {
    if (!(e instanceof KafkaClientError)) throw e;
    // One partition's error fails the whole request: ask topic by topic so the others still show.
    const byTopic = new Map<string, TopicPartition[]>();
    for (const p of tps) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p]);
    await Promise.all([...byTopic.values()].map((some) => add(some).catch((err) => { if (!(err instanceof KafkaClientError)) throw err; })));
  }
  return out;
}

async function retentionMs(client: KafkaClient, topic: string): Promise<number> {
  try {
    const [e] = await describeTopicConfigs(client, topic, ['retention.ms']);
    return e?.value ? Number(e.value) : -1;
  } catch (e) {
    // Without DESCRIBE_CONFIGS on the topic the list still shows it.
    if (isRefusal(e)) return -1;
    throw e;
  }
}

export async function topicSummaries(client: KafkaClient, internal: boolean): Promise<TopicSummary[]> {
  const topics = await listTopics(client, { internal });
  const tps = topics.flatMap((t) => Array.from({ length: t.partitions }, (_, partition) => ({ topic: t.name, partition })));
  const [offsets, size, retention] = await Promise.all([
    startAndEnd(client, tps),
    sizes(client, topics.length ? topics.map((t) => t.name) : null),
    Promise.all(topics.map((t) => retentionMs(client, t.name))),
  ]);
  return topics.map((t, i) => {
    let messages = 0, sizeBytes = 0;
    for (let p = 0; p < t.partitions; p++) {
      const o = offsets.get(tpKey(t.name, p));
      if (o) messages += Math.max(0, o.end - o.start);
      sizeBytes += size.get(tpKey(t.name, p)) ?? 0;
    }
    return {
      name: t.name, internal: t.internal, partitions: t.partitions, replicationFactor: t.replicationFactor,
      messages, sizeBytes, retentionMs: retention[i]!, underReplicatedPartitions: t.underReplicatedPartitions,
    };
  });
}

export async function topicDetail(client: KafkaClient, topic: string): Promise<TopicDetail> {
  const d = await describeTopic(client, topic);
  const [offsets, size, configs] = await Promise.all([
    startAndEnd(client, d.partitions.map((p) => ({ topic, partition: p.partition }))),
    sizes(client, [topic]),
    describeTopicConfigs(client, topic).catch((e) => { if (isRefusal(e)) return []; throw e; }),
  ]);
  return {
    name: d.name,
    topicId: d.topicId,
    internal: d.internal,
    partitions: d.partitions.map((p) => {
      const o = offsets.get(tpKey(topic, p.partition));
      return { ...p, startOffset: o?.start ?? -1, endOffset: o?.end ?? -1, sizeBytes: size.get(tpKey(topic, p.partition)) ?? 0 };
    }),
    configs,
  };
}

const badBody = (message: string) => new HttpError(400, 'BAD_REQUEST', message);

function positiveInt(v: unknown, what: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw badBody(`${what} must be a whole number of at least 1, got ${JSON.stringify(v)}`);
  return v;
}

/** Config values as strings; numbers and booleans are taken as they print (retention.ms: 60000). */
function configMap(v: unknown, what: string): Record<string, string> | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw badBody(`${what} must be an object of config names to values`);
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) {
    if (typeof x !== 'string' && typeof x !== 'number' && typeof x !== 'boolean') throw badBody(`${what}.${k} must be a string, got ${JSON.stringify(x)}`);
    out[k] = String(x);
  }
  return out;
}

export async function createTopicFromBody(client: KafkaClient, body: unknown): Promise<TopicDetail> {
  const b = (body ?? {}) as Partial<Record<keyof CreateTopicRequest, unknown>>;
  if (typeof b !== 'object' || typeof b.name !== 'string' || b.name.trim() === '') throw badBody('body must be {"name": "...", "partitions"?: n, "replicationFactor"?: n, "configs"?: {...}}');
  const name = b.name;
  await createTopic(client, { name, partitions: positiveInt(b.partitions, 'partitions'), replicationFactor: positiveInt(b.replicationFactor, 'replicationFactor'), configs: configMap(b.configs, 'configs') });
  // Every broker of this process reads one metadata image, but leaders may take a moment to be elected: ask again briefly.
  for (let attempt = 0; ; attempt++) {
    const d = await topicDetail(client, name).catch((e) => { if (attempt < 20 && e instanceof KafkaClientError && e.retriable) return undefined; throw e; });
    if (d && (d.partitions.every((p) => p.leader >= 0) || attempt >= 20)) return d;
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function deleteTopicByName(client: KafkaClient, topic: string): Promise<{ deleted: string }> {
  await deleteTopic(client, topic);
  return { deleted: topic };
}

export async function alterConfigsFromBody(client: KafkaClient, topic: string, body: unknown): Promise<ConfigEntry[]> {
  const b = (body ?? {}) as Partial<Record<keyof AlterConfigsRequest, unknown>>;
  const set = configMap(b.set, 'set');
  if (b.delete !== undefined && (!Array.isArray(b.delete) || b.delete.some((x) => typeof x !== 'string'))) throw badBody('delete must be an array of config names');
  const del = b.delete as string[] | undefined;
  if (!set && !del) throw badBody('body must be {"set"?: {name: value}, "delete"?: [names]}');
  // A topic that does not exist is a 404 before the configs are looked at.
  await describeTopic(client, topic);
  await alterTopicConfigs(client, topic, { set, delete: del });
  return describeTopicConfigs(client, topic);
}
