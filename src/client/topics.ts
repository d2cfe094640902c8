/**
 * Topic and cluster operations over the Kafka protocol: what Metadata says
 * about the cluster and its topics, CreateTopics and DeleteTopics. Configs,
 * offsets and log dir sizes are in their own files, re-exported here so the
 * CLI and the console import topic operations from one place.
 */
import { ApiKey } from '../wire/generated/api-keys.js';
import { decodeCreateTopicsResponse, encodeCreateTopicsRequest } from '../wire/generated/create-topics.js';
import { decodeDeleteTopicsResponse, encodeDeleteTopicsRequest } from '../wire/generated/delete-topics.js';
import type { MetadataResponseMetadataResponseTopic } from '../wire/generated/metadata.js';
import { ZERO_UUID } from '../wire/protocol/uuid.js';
import { ErrorCode } from '../wire/errors.js';
import type { KafkaClient } from './kafka-client.js';
import { KafkaClientError, check } from './errors.js';

export { describeTopicConfigs, alterTopicConfigs, type ConfigEntry, type ConfigChanges } from './topic-configs.js';
export { listOffsets, partitionOffsets, type OffsetSpec, type Isolation, type ListedOffset, type PartitionOffsets } from './offsets.js';
export { logDirSizes, partitionSizes, type LogDirPartition } from './log-dirs.js';
export { tpKey, type TopicPartition } from './leader-routing.js';
export { KafkaClientError } from './errors.js';

export interface BrokerDescription {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
  isController: boolean;
  /** Partitions this broker leads. */
  leaderCount: number;
}

export interface ClusterInfo {
  clusterId: string | null;
  controllerId: number;
  brokers: BrokerDescription[];
  /** Every topic, internal ones included. */
  topicCount: number;
  partitionCount: number;
  /** Partitions whose ISR is smaller than their replica set. */
  underReplicatedPartitions: number;
  /** Partitions without a leader. */
  offlinePartitions: number;
}

export interface PartitionInfo {
  partition: number;
  /** -1 when the partition has no leader (offline). */
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
  offlineReplicas: number[];
}

export interface TopicListing {
  name: string;
  topicId: string;
  internal: boolean;
  partitions: number;
  /** The replica count of partition 0 (Kafka's tools show that one too). */
  replicationFactor: number;
  underReplicatedPartitions: number;
  offlinePartitions: number;
}

export interface TopicDescription {
  name: string;
  topicId: string;
  internal: boolean;
  /** By partition number. */
  partitions: PartitionInfo[];
}

export interface NewTopic {
  name: string;
  /** Default (-1 or unset): the broker's num.partitions. */
  partitions?: number;
  /** Default (-1 or unset): the broker's default.replication.factor. */
  replicationFactor?: number;
  configs?: Record<string, string>;
}

export interface CreatedTopic {
  name: string;
  topicId: string;
  partitions: number;
  replicationFactor: number;
  /** Set when the broker refused this topic (the others may have been created). */
  error: KafkaClientError | null;
}

export interface DeletedTopic { name: string; error: KafkaClientError | null }

const partitionInfo = (p: MetadataResponseMetadataResponseTopic['partitions'][number]): PartitionInfo => ({
  partition: p.partitionIndex,
  leader: p.leaderId,
  leaderEpoch: p.leaderEpoch ?? -1,
  replicas: p.replicaNodes,
  isr: p.isrNodes,
  offlineReplicas: p.offlineReplicas ?? [],
});

const underReplicated = (p: PartitionInfo) => p.isr.length < p.replicas.length;
const offline = (p: PartitionInfo) => p.leader < 0;

/** The cluster from one Metadata of every topic: brokers, the controller, leader counts, partition health. */
export async function clusterInfo(client: KafkaClient): Promise<ClusterInfo> {
  const md = await client.metadata(null);
  const controllerId = md.controllerId ?? -1;
  const leaderCount = new Map<number, number>();
  let partitionCount = 0, underReplicatedPartitions = 0, offlinePartitions = 0, topicCount = 0;
  for (const t of md.topics) {
    if (t.errorCode !== ErrorCode.NONE) continue;
    topicCount++;
    for (const p of t.partitions.map(partitionInfo)) {
      partitionCount++;
      if (underReplicated(p)) underReplicatedPartitions++;
      if (offline(p)) offlinePartitions++;
      else leaderCount.set(p.leader, (leaderCount.get(p.leader) ?? 0) + 1);
    }
  }
  const brokers = md.brokers.map((b) => ({
    nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack ?? null,
    isController: b.nodeId === controllerId, leaderCount: leaderCount.get(b.nodeId) ?? 0,
  })).sort((a, b) => a.nodeId - b.nodeId);
  return { clusterId: md.clusterId ?? null, controllerId, brokers, topicCount, partitionCount, underReplicatedPartitions, offlinePartitions };
}

/** Every topic (internal ones only when asked), sorted by name. */
export async function listTopics(client: KafkaClient, opts: { internal?: boolean } = {}): Promise<TopicListing[]> {
  const md = await client.metadata(null);
  return md.topics
    .filter((t) => t.errorCode === ErrorCode.NONE && t.name !== null && (opts.internal || !t.isInternal))
    .map((t) => {
      const parts = t.partitions.map(partitionInfo).sort((a, b) => a.partition - b.partition);
      return {
        name: t.name!,
        topicId: t.topicId ?? ZERO_UUID,
        internal: t.isInternal ?? false,
        partitions: parts.length,
        replicationFactor: parts[0]?.replicas.length ?? 0,
        underReplicatedPartitions: parts.filter(underReplicated).length,
        offlinePartitions: parts.filter(offline).length,
      };
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** A topic's partitions (leader, epoch, replicas, ISR, offline replicas); UNKNOWN_TOPIC_OR_PARTITION when there is no such topic. */
export async function describeTopic(client: KafkaClient, topic: string): Promise<TopicDescription> {
  const md = await client.metadata([topic]);
  const t = md.topics.find((x) => x.name === topic);
  if (!t) throw new KafkaClientError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic ${topic}`);
  check(t.errorCode, `topic ${topic}`);
  return {
    name: topic,
    topicId: t.topicId ?? ZERO_UUID,
    internal: t.isInternal ?? false,
    partitions: t.partitions.map(partitionInfo).sort((a, b) => a.partition - b.partition),
  };
}

/** The number of partitions of a topic (UNKNOWN_TOPIC_OR_PARTITION when there is none). */
export async function partitionCount(client: KafkaClient, topic: string): Promise<number> {
  return (await describeTopic(client, topic)).partitions.length;
}

/**
 * CreateTopics: one result per topic, refused ones with their error (the
 * broker's message: an invalid config's "did you mean", a replication factor
 * larger than the cluster). `validateOnly` checks without creating.
 */
export async function createTopics(client: KafkaClient, topics: NewTopic[], opts: { validateOnly?: boolean; timeoutMs?: number } = {}): Promise<CreatedTopic[]> {
  const c = client.any;
  const v = c.version(ApiKey.CreateTopics, 7, 'CreateTopics', 4);
  const r = await c.request(ApiKey.CreateTopics, v, (w) => encodeCreateTopicsRequest(w, {
    topics: topics.map((t) => ({
      name: t.name,
      numPartitions: t.partitions ?? -1,
      replicationFactor: t.replicationFactor ?? -1,
      assignments: [],
      configs: Object.entries(t.configs ?? {}).map(([name, value]) => ({ name, value })),
    })),
    timeoutMs: opts.timeoutMs ?? 30_000,
    validateOnly: opts.validateOnly ?? false,
  }, v), (rd) => decodeCreateTopicsResponse(rd, v));
  return r.topics.map((t) => ({
    name: t.name,
    topicId: t.topicId ?? ZERO_UUID,
    partitions: t.numPartitions ?? -1,
    replicationFactor: t.replicationFactor ?? -1,
    error: t.errorCode === ErrorCode.NONE ? null : new KafkaClientError(t.errorCode, `topic ${t.name}`, t.errorMessage ?? null),
  }));
}

/** Creates one topic; throws the broker's refusal (TOPIC_ALREADY_EXISTS, INVALID_CONFIG with its message, ...). */
export async function createTopic(client: KafkaClient, topic: NewTopic, opts: { validateOnly?: boolean; timeoutMs?: number } = {}): Promise<CreatedTopic> {
  const [r] = await createTopics(client, [topic], opts);
  if (!r) throw new KafkaClientError(ErrorCode.UNKNOWN_SERVER_ERROR, `topic ${topic.name}`, 'the broker answered CreateTopics without this topic');
  if (r.error) throw r.error;
  return r;
}

/** DeleteTopics by name: one result per topic. */
export async function deleteTopics(client: KafkaClient, names: string[], opts: { timeoutMs?: number } = {}): Promise<DeletedTopic[]> {
  const c = client.any;
  const v = c.version(ApiKey.DeleteTopics, 6, 'DeleteTopics', 1);
  const r = await c.request(ApiKey.DeleteTopics, v, (w) => encodeDeleteTopicsRequest(w, v >= 6
    ? { topics: names.map((name) => ({ name, topicId: ZERO_UUID })), timeoutMs: opts.timeoutMs ?? 30_000 }
    : { topicNames: names, timeoutMs: opts.timeoutMs ?? 30_000 }, v), (rd) => decodeDeleteTopicsResponse(rd, v));
  return r.responses.map((t) => ({
    name: t.name ?? '',
    error: t.errorCode === ErrorCode.NONE ? null : new KafkaClientError(t.errorCode, `topic ${t.name}`, t.errorMessage ?? null),
  }));
}

/** Deletes one topic; throws UNKNOWN_TOPIC_OR_PARTITION when there is none. */
export async function deleteTopic(client: KafkaClient, name: string, opts: { timeoutMs?: number } = {}): Promise<void> {
  const [r] = await deleteTopics(client, [name], opts);
  if (r?.error) throw r.error;
}
