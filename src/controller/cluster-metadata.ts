/**
 * The cluster metadata every broker reads, and the controller operations that
 * change it. Two implementations are meant to sit behind these interfaces: a
 * store shared by the brokers of one process (local-quorum.ts), and an etcd
 * store for brokers in separate processes. So reads come from the broker's own
 * copy of the metadata (an image kept current by the store: synchronous), and
 * every change is asynchronous and may fail: callers never assume the
 * metadata lives in their process.
 */
import type { Uuid } from '../wire/protocol/uuid.js';

/** One listener of a broker as its clients reach it (its advertised address). */
export interface BrokerEndpoint { name: string; host: string; port: number }

export interface BrokerRegistration {
  id: number;
  /** The inter-broker listener's advertised address: where other brokers connect. */
  host: string;
  port: number;
  rack: string | null;
  /** Every listener's advertised address (absent in registrations from before listeners had names). */
  listeners?: BrokerEndpoint[];
  /** Changes at every registration: requests from an older incarnation are refused. */
  epoch: number;
  /** A fenced broker leads nothing and is in no ISR (stopped, or its heartbeats lapsed). */
  fenced: boolean;
}

/** The state the controller keeps per partition (Kafka's PartitionRegistration). */
export interface PartitionState {
  /** Assigned replicas, preferred leader first. */
  replicas: number[];
  isr: number[];
  /** -1: no leader (every ISR member is fenced). */
  leader: number;
  /** Bumped at every leader change; stamped into the batches the leader appends. */
  leaderEpoch: number;
  /** Bumped at every change of this state: the compare-and-set version. */
  partitionEpoch: number;
  /** A reassignment in progress: replicas being added (catching up) and to drop once they have. */
  addingReplicas: number[];
  removingReplicas: number[];
}

export interface TopicMetadata {
  name: string;
  id: Uuid;
  /** Partition count (states.length). */
  partitions: number;
  /** Config overrides set on the topic (DYNAMIC_TOPIC_CONFIG). */
  configs: Record<string, string>;
  internal: boolean;
  /** Per partition, by index. */
  states: PartitionState[];
}

/** Where a client that came in on `listener` reaches broker `b`; undefined when `b` has no such listener (Kafka leaves it out of Metadata). */
export function endpointFor(b: BrokerRegistration, listener: string): { host: string; port: number } | undefined {
  return b.listeners ? b.listeners.find((l) => l.name === listener) : b;
}

/** The broker's registration request: what it says of itself. */
export type BrokerInfo = Omit<BrokerRegistration, 'epoch' | 'fenced'>;

/**
 * Security metadata, shared by every broker of a cluster: ACL bindings
 * ('acl', keyed by their canonical form), SCRAM credentials ('scram', keyed
 * user/mechanism) and client quotas ('quota', keyed by entity). Values are
 * strings the security layer encodes; null deletes.
 */
export type SecurityKind = 'acl' | 'scram' | 'quota';
export interface SecurityRecord { kind: SecurityKind; key: string; value: string | null }

export type MetadataChange =
  | { kind: 'created' | 'deleted' | 'partitions' | 'configs'; topic: TopicMetadata }
  | { kind: 'partition'; topic: TopicMetadata; partition: number; state: PartitionState }
  | { kind: 'brokers' }
  | { kind: 'controller'; controllerId: number }
  | { kind: 'security'; records: SecurityRecord[] };

/** A broker's read-only view of the cluster (its metadata image). */
export interface MetadataImage {
  readonly clusterId: string;
  topic(name: string): TopicMetadata | undefined;
  topicById(id: Uuid): TopicMetadata | undefined;
  /** Sorted by name. */
  topics(): TopicMetadata[];
  /** The existing topic whose name differs from `name` only in '.' versus '_' (or is the same). */
  collidingTopic(name: string): TopicMetadata | undefined;
  /** Partitions of all topics. */
  partitionTotal(): number;
  partition(topic: string, partition: number): PartitionState | undefined;
  /** Registered brokers, fenced or not, by id. */
  brokers(): BrokerRegistration[];
  broker(id: number): BrokerRegistration | undefined;
  /** The active controller's broker id; -1 when there is none. */
  controllerId(): number;
  /** The security records of one kind, by key. */
  securityRecords(kind: SecurityKind): ReadonlyMap<string, string>;
  /** Called after each change is applied to the image, in the order they happened. Returns an unsubscribe. */
  onChange(fn: (change: MetadataChange) => void): () => void;
}

/** A topic as the controller is asked to create it: replicas already placed. */
export interface TopicSpec {
  name: string;
  configs: Record<string, string>;
  internal: boolean;
  /** Replicas of each partition, preferred leader first. */
  assignments: number[][];
}

/**
 * Who makes a partition state change: the active controller (its elections,
 * fencing, rebalancing), or this broker acting on a request it received (an
 * ISR change of a partition it leads, an admin request). A store that can
 * check it (etcd) refuses the change once the writer no longer holds that
 * role: a deposed controller, a broker whose registration lapsed.
 */
export type Writer = 'controller' | 'broker';

/** A partition state change that applies only if the partition epoch is still `expected` (compare-and-set). */
export interface PartitionUpdate { topic: string; partition: number; expected: number; state: Omit<PartitionState, 'partitionEpoch'> }

/**
 * Where the controller keeps the metadata. A change may complete at once (the
 * process-local store) or later (etcd), and may lose a compare-and-set to a
 * concurrent writer: the controller awaits every one and works from what the
 * image says afterwards, never from what it meant to write.
 */
export interface ClusterStore extends MetadataImage {
  createTopics(specs: readonly TopicSpec[]): TopicMetadata[] | Promise<TopicMetadata[]>;
  deleteTopic(name: string): TopicMetadata | undefined | Promise<TopicMetadata | undefined>;
  addPartitions(name: string, assignments: number[][]): void | Promise<void>;
  setTopicConfigs(name: string, configs: Record<string, string>): void | Promise<void>;
  /** The new state of each update, undefined for one whose partition epoch moved (or whose partition is gone). */
  updatePartitions(updates: readonly PartitionUpdate[], writer?: Writer): (PartitionState | undefined)[] | Promise<(PartitionState | undefined)[]>;
  /** Registers (or re-registers) a broker with a new, larger epoch, unfenced. */
  registerBroker(b: BrokerInfo): BrokerRegistration | Promise<BrokerRegistration>;
  /** Applies security record changes together (a null value deletes); resolves once they are in this image. */
  writeSecurity(records: readonly SecurityRecord[]): void | Promise<void>;
  setFenced(id: number, fenced: boolean): void | Promise<void>;
  setController(id: number): void | Promise<void>;
  /** Reserves `count` producer ids no other broker of the cluster gets, and returns the first. */
  reserveProducerIds(count: number): number | Promise<number>;
  /**
   * Liveness kept by the store itself (etcd: registrations under leases,
   * the controller elected by etcd): the controller then neither counts
   * heartbeats nor picks the controller, and acts only while it is the
   * elected one. The process-local store leaves both to the controller.
   */
  readonly ownsLiveness: boolean;
  /** Whether this process's controller is the active one (always, for a store of one process). */
  isController(): boolean;
}

/** The request of a partition leader to change its ISR (Kafka's AlterPartition). */
export interface AlterPartitionRequest {
  brokerId: number;
  brokerEpoch: number;
  topic: string;
  partition: number;
  /** The leader epoch and partition epoch the leader's change is based on. */
  leaderEpoch: number;
  partitionEpoch: number;
  isr: number[];
}

export type ElectionType = 'preferred' | 'unclean';

/**
 * The operations of the active controller. Each resolves once the change is
 * in the metadata (and so in every broker's image, in order) or rejects with
 * a KafkaError (NOT_CONTROLLER, INVALID_REPLICATION_FACTOR, KAFKA_STORAGE_ERROR, ...).
 */
export interface ControllerApi {
  registerBroker(b: BrokerInfo): Promise<BrokerRegistration>;
  /** Keeps a registration alive; false when the broker was fenced (it must register again). */
  heartbeat(brokerId: number, brokerEpoch: number): Promise<boolean>;
  /** Controlled shutdown: leadership moves away, then the broker is fenced. */
  unregisterBroker(brokerId: number, brokerEpoch: number): Promise<void>;
  createTopics(specs: TopicSpec[]): Promise<TopicMetadata[]>;
  deleteTopic(name: string): Promise<TopicMetadata | undefined>;
  /** New partitions with their replicas (placed by the caller). */
  createPartitions(name: string, assignments: number[][]): Promise<void>;
  setTopicConfigs(name: string, configs: Record<string, string>): Promise<void>;
  /** An ISR change; resolves with the new state or a Kafka error code (INVALID_UPDATE_VERSION, FENCED_LEADER_EPOCH, ...). */
  alterPartition(req: AlterPartitionRequest): Promise<{ errorCode: number; state?: PartitionState }>;
  /** Elects leaders; per partition NONE, ELECTION_NOT_NEEDED, ELIGIBLE_LEADERS_NOT_AVAILABLE, PREFERRED_LEADER_NOT_AVAILABLE, UNKNOWN_TOPIC_OR_PARTITION. */
  electLeaders(type: ElectionType, partitions: { topic: string; partition: number }[]): Promise<{ topic: string; partition: number; errorCode: number; message: string | null }[]>;
  /** Starts moving a partition to `replicas` (null cancels a move in progress). */
  reassignPartition(topic: string, partition: number, replicas: number[] | null): Promise<number>;
}
