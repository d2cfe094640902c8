/**
 * The console's JSON API: the shapes the server side (src/http/console-api*.ts)
 * answers and the page (src/http/console/) reads. Changing a shape means
 * changing both.
 *
 * Every route answers JSON; errors are {"error": message, "code": name} with
 * 400 (bad input; a broker's validation message, e.g. a config's "did you
 * mean"), 401 (login needed: code LOGIN_REQUIRED), 403 (writes are off:
 * WRITES_DISABLED, or the user's ACLs refuse: the Kafka error name), 404
 * (UNKNOWN_TOPIC_OR_PARTITION, GROUP_ID_NOT_FOUND, NOT_FOUND), 409 (what the
 * broker refused: NON_EMPTY_GROUP, TOPIC_ALREADY_EXISTS, ...), 502 (the broker
 * could not be reached).
 *
 *   GET    /api/session                         Session
 *   POST   /api/login        LoginRequest       Session (sets the session cookie)
 *   POST   /api/logout                          Session
 *   GET    /api/overview                        Overview
 *   GET    /api/topics?internal=true            TopicSummary[]
 *   POST   /api/topics       CreateTopicRequest TopicDetail               (writes; status 201)
 *   GET    /api/topics/:topic                   TopicDetail
 *   DELETE /api/topics/:topic                   {deleted: name}           (writes)
 *   PATCH  /api/topics/:topic/configs  AlterConfigsRequest  ConfigEntry[] (writes)
 *   GET    /api/topics/:topic/messages?...      MessagePage (query: MessageQuery)
 *   POST   /api/topics/:topic/messages  ProduceRequest  ProduceResult     (writes)
 *   GET    /api/groups                          GroupSummary[]
 *   GET    /api/groups/:group                   GroupDetail
 *   POST   /api/groups/:group/reset  ResetOffsetsRequest  GroupOffset[]   (writes; the group's offsets afterwards)
 *   DELETE /api/groups/:group                   {deleted: id}             (writes)
 *   GET    /api/transactions                    TransactionSummary[]
 *   GET    /api/producers?topic=name            PartitionProducers[]
 *
 * (GET /api/cluster, POST /api/brokers/:id/..., POST /api/partitions/... are
 * the cluster control API of control-api.ts.)
 */

export interface Session {
  /** True when the broker has SASL listeners: the console needs a login with the same users. */
  authRequired: boolean;
  /** The logged-in user, null when none (or none needed). */
  user: string | null;
  /** --http-allow-writes: produce, delete, config changes and offset resets are on. */
  allowWrites: boolean;
  /** Samsa's version (package.json). */
  version: string;
}

export interface LoginRequest { username: string; password: string }

/** A broker: the client's own shape, passed through. */
import type { BrokerDescription as BrokerSummary, PartitionInfo } from '../client/topics.js';
import type { ProducerState } from '../client/transactions.js';
export type { BrokerSummary };

export interface ThroughputPoint {
  /** Epoch ms at the end of the interval. */
  t: number;
  produceBytesPerSec: number;
  fetchBytesPerSec: number;
  produceMessagesPerSec: number;
}

export interface Overview {
  clusterId: string | null;
  controllerId: number;
  brokers: BrokerSummary[];
  /** Topics and their partitions, internal ones (__consumer_offsets, __transaction_state) left out as the topic list leaves them out. */
  topicCount: number;
  partitionCount: number;
  /** Over every topic, internal ones included. */
  underReplicatedPartitions: number;
  offlinePartitions: number;
  /** The last few seconds. */
  throughput: ThroughputPoint;
  /** One point every 5 s over the last 15 minutes, oldest first (since start when shorter). */
  history: ThroughputPoint[];
}

export interface TopicSummary {
  name: string;
  internal: boolean;
  partitions: number;
  replicationFactor: number;
  /** Sum over partitions of end offset - start offset (records and transaction markers). */
  messages: number;
  sizeBytes: number;
  /** retention.ms, -1 for unlimited (and when the user may not read the topic's configs). */
  retentionMs: number;
  underReplicatedPartitions: number;
}

/** A partition's state (the client's shape) with its offsets and size on disk. */
export interface PartitionDetail extends PartitionInfo {
  startOffset: number;
  endOffset: number;
  sizeBytes: number;
}

/** A topic's setting as DescribeConfigs says it: the client's own shape, passed through. */
import type { ConfigEntry } from '../client/topic-configs.js';
export type { ConfigEntry };

export interface TopicDetail {
  name: string;
  topicId: string;
  internal: boolean;
  partitions: PartitionDetail[];
  configs: ConfigEntry[];
}

export interface CreateTopicRequest {
  name: string;
  /** Default: the broker's num.partitions. */
  partitions?: number;
  /** Default: the broker's default.replication.factor. */
  replicationFactor?: number;
  configs?: Record<string, string>;
}

export interface AlterConfigsRequest {
  /** Settings to set (IncrementalAlterConfigs SET). */
  set?: Record<string, string>;
  /** Settings to return to their default (DELETE). */
  delete?: string[];
}

/**
 * GET /api/topics/:topic/messages query parameters:
 *   partitions=0,2        default: all
 *   start=oldest|newest|offset|timestamp   default newest (the last `limit` messages)
 *   offset=N              with start=offset (each chosen partition from N)
 *   timestamp=ms          with start=timestamp
 *   from=0:120,1:77       instead of start: continue from these positions (live tail: the previous page's `next`)
 *   limit=N               most messages in the page, default 100, at most 1000
 *   filter=text           keep messages whose key, value or a header contains it
 *   regex=true            filter is a regular expression (JavaScript syntax, case-insensitive)
 *   filterOn=any|key|value|headers   default any
 */
export interface MessageQuery {
  partitions?: number[];
  start?: 'oldest' | 'newest' | 'offset' | 'timestamp';
  offset?: number;
  timestamp?: number;
  from?: Record<number, number>;
  limit?: number;
  filter?: string;
  regex?: boolean;
  filterOn?: 'any' | 'key' | 'value' | 'headers';
}

/** Bytes as the console shows them: text when they are valid UTF-8, always base64. */
export interface Bytes {
  /** The bytes as UTF-8 text, null when they are not valid UTF-8. */
  text: string | null;
  base64: string;
  size: number;
}

export interface Message {
  partition: number;
  offset: number;
  /** Epoch ms. */
  timestamp: number;
  timestampType: 'CreateTime' | 'LogAppendTime';
  key: Bytes | null;
  value: Bytes | null;
  headers: { key: string; value: Bytes | null }[];
  /** Set for a record of a transactional batch. */
  transactional?: boolean;
}

export interface MessagePage {
  /** Ordered by timestamp, then partition and offset. */
  messages: Message[];
  /** Where each partition's next page starts (pass as `from` to tail). */
  next: Record<number, number>;
  /** Messages read that the filter dropped. */
  filteredOut: number;
}

export interface ProduceRequest {
  /** Default: the key's partition (murmur2, as the Java client), or round robin without a key. */
  partition?: number;
  key?: string | null;
  value: string | null;
  headers?: { key: string; value: string | null }[];
}

export interface ProduceResult { partition: number; offset: number; timestamp: number }

export interface GroupSummary {
  groupId: string;
  /** Classic: Empty, Stable, PreparingRebalance, CompletingRebalance, Dead; consumer: Empty, Assigning, Reconciling, Stable. */
  state: string;
  /** "classic" (JoinGroup/SyncGroup) or "consumer" (KIP-848, group.protocol=consumer). */
  type?: string;
  protocolType: string;
  /** The assignor: a classic group's (chosen by its leader) or a consumer group's server-side one. */
  protocol: string;
  members: number;
  coordinator: number;
  /** Sum of the lag of every committed partition; null when the group has no committed offsets. */
  totalLag: number | null;
  /** Consumer groups: bumped by every change of members or subscriptions. */
  groupEpoch?: number;
  /** Consumer groups: the group epoch the target assignment was computed for. */
  assignmentEpoch?: number;
}

export interface GroupMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  /** Decoded when the group is a consumer group (protocol type "consumer"). */
  assignment: { topic: string; partitions: number[] }[];
  /** The topics it subscribed to (by name). */
  subscription?: string[];
  /** Consumer groups (KIP-848): its regular expression subscription, if any. */
  subscribedTopicRegex?: string | null;
  /** Consumer groups: the client's rack. */
  rackId?: string | null;
  /** Consumer groups: the member's epoch. */
  memberEpoch?: number;
  /** Consumer groups: what the assignor wants it to own (differs from `assignment` while partitions move). */
  targetAssignment?: { topic: string; partitions: number[] }[];
}

/** A group's committed offset and lag on one partition: the client's own shape, passed through. */
import type { GroupOffset } from '../client/groups.js';
export type { GroupOffset };

export interface GroupDetail extends GroupSummary {
  memberDetails: GroupMember[];
  offsets: GroupOffset[];
  /** The group's total lag every 5 s while the console has looked at it recently, oldest first. */
  lagHistory: { t: number; lag: number }[];
}

export interface ResetOffsetsRequest {
  /** One topic, or every topic the group has committed offsets for. */
  topic?: string;
  /** Only these partitions of `topic` (default: all). */
  partitions?: number[];
  to: 'earliest' | 'latest' | 'timestamp' | 'offset';
  timestamp?: number;
  offset?: number;
}

/** A transactional id as its coordinator describes it: the client's own shape, passed through. */
export type { TransactionDescription as TransactionSummary } from '../client/transactions.js';

export interface PartitionProducers {
  topic: string;
  partition: number;
  /** The high watermark and the last stable offset: an open transaction holds the LSO back. */
  highWatermark: number;
  lastStableOffset: number;
  producers: ProducerState[];

}
