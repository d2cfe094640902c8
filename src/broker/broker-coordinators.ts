/**
 * A broker's group and transaction coordinators, and how they follow the
 * leadership of their internal topics' partitions.
 *
 * Built once the broker listens (index.ts imports this module then), not
 * before: with what they import (the consumer group protocol, its assignors,
 * the record formats of both internal topics, node:crypto for member ids)
 * they were about a third of the code parsed before the socket listened, and
 * nothing needs them before the first request is dispatched or a partition's
 * leadership is applied, both of which wait for them.
 */
import type { BrokerConfig } from '../config/broker-config.js';
import type { MetadataImage } from '../controller/cluster-metadata.js';
import { GroupCoordinator } from '../coordinator/group/group-coordinator.js';
import type { ClassicGroup } from '../coordinator/group/classic-group.js';
import type { ConsumerGroupConfig } from '../coordinator/group/consumer-group-config.js';
import { OffsetsTopicStore, OFFSETS_TOPIC } from '../coordinator/group/offsets-topic.js';
import { TransactionCoordinator } from '../coordinator/txn/transaction-coordinator.js';
import { TxnStateTopic, TXN_STATE_TOPIC } from '../coordinator/txn/txn-state-topic.js';
import type { InternalTopicHost } from '../coordinator/internal-topic.js';
import { ErrorCode, KafkaError } from '../wire/errors.js';
import type { Logger } from './logger.js';
import type { MarkerSender } from './marker-sender.js';
import type { ProducerIdManager } from './producer-id-manager.js';
import type { ReplicaManager } from './replica-manager.js';
import { rateLimited } from './rate-limited.js';

export interface Coordinators {
  groups: GroupCoordinator;
  txns: TransactionCoordinator;
  /** A leadership change of any partition: the coordinators load or unload theirs; the load, when one begins. */
  onLeadership(topic: string, partition: number, leader: boolean, leaderEpoch: number): Promise<void> | undefined;
}

export interface CoordinatorDeps {
  config: BrokerConfig;
  log: Logger;
  metadata: MetadataImage;
  internalTopics: InternalTopicHost;
  producerIds: ProducerIdManager;
  replicaManager: ReplicaManager;
  /** The sender of markers for partitions other brokers lead (loaded with the first one). */
  markerSender(): Promise<MarkerSender>;
}

export function startCoordinators({ config, log, metadata, internalTopics, producerIds, replicaManager, markerSender }: CoordinatorDeps): Coordinators {
  const offsetsStore = new OffsetsTopicStore(internalTopics, config.int('offsets.topic.num.partitions'), config.int('offsets.topic.segment.bytes'), config.int('offsets.topic.replication.factor'));
  const groups = new GroupCoordinator({
    minSessionTimeoutMs: config.int('group.min.session.timeout.ms'),
    maxSessionTimeoutMs: config.int('group.max.session.timeout.ms'),
    initialRebalanceDelayMs: config.int('group.initial.rebalance.delay.ms'),
    maxSize: config.int('group.max.size'),
    offsetsRetentionMs: config.int('offsets.retention.minutes') * 60_000,
    consumer: {
      sessionTimeoutMs: config.int('group.consumer.session.timeout.ms'),
      heartbeatIntervalMs: config.int('group.consumer.heartbeat.interval.ms'),
      maxSize: config.int('group.consumer.max.size'),
      assignors: config.get('group.consumer.assignors').split(',').map((a) => a.trim()),
      migrationPolicy: config.get('group.consumer.migration.policy').toLowerCase() as ConsumerGroupConfig['migrationPolicy'],
    },
  }, offsetsStore, coordinatorFailure(log, 'writing group state to __consumer_offsets'));
  groups.onRebalanced = (g) => log.info('group rebalanced', rebalanceFields(g));
  groups.onConsumerRebalance = (g, reason) => log.info('consumer group epoch bumped', { group: g.groupId, epoch: g.groupEpoch, members: g.members.size, reason });
  // The consumer protocol subscribes to topics by name and regex, and rebalances when they change.
  const groupTopic = (t: { id: string; name: string; partitions: number; internal: boolean }) => ({ id: t.id, name: t.name, partitions: t.partitions, internal: t.internal });
  groups.useTopics({
    topic: (name) => { const t = metadata.topic(name); return t && groupTopic(t); },
    topicById: (id) => { const t = metadata.topicById(id); return t && groupTopic(t); },
    all: () => metadata.topics().map(groupTopic),
    onChange: (fn) => metadata.onChange((c) => { if (c.kind === 'created' || c.kind === 'deleted' || c.kind === 'partitions') fn(c.topic.name); }),
  });
  const txnState = new TxnStateTopic(internalTopics, config.int('transaction.state.log.num.partitions'), config.int('transaction.state.log.segment.bytes'), config.int('transaction.state.log.replication.factor'));
  const txns = new TransactionCoordinator({
    maxTimeoutMs: config.int('transaction.max.timeout.ms'),
    abortCheckIntervalMs: config.int('transaction.abort.timed.out.transaction.cleanup.interval.ms'),
    idExpirationMs: config.int('transactional.id.expiration.ms'),
    idExpirationCheckIntervalMs: config.int('transaction.remove.expired.transaction.cleanup.interval.ms'),
  }, {
    allocateProducerId: () => producerIds.allocate(),
    // Any partition of the cluster, not only those with a replica here.
    partitionExists: (t, p) => metadata.partition(t, p) !== undefined,
    writeMarker: async (topic, partition, producerId, producerEpoch, commit, coordinatorEpoch) => {
      // A partition led by another broker gets its marker there (WriteTxnMarkers), as Kafka's marker channel sends it.
      const leader = metadata.partition(topic, partition)?.leader ?? config.nodeId;
      if (leader !== config.nodeId) return (await markerSender()).send(leader, topic, partition, producerId, producerEpoch, commit, coordinatorEpoch);
      const code = await replicaManager.writeTxnMarker(topic, partition, producerId, producerEpoch, commit, coordinatorEpoch);
      // The marker in a group's __consumer_offsets partition settles the transaction's offsets.
      if (topic === OFFSETS_TOPIC && code === ErrorCode.NONE) groups.completeTxnInPartition(producerId, commit, partition);
      return code;
    },
    log: txnState,
    onError: coordinatorFailure(log, 'transaction coordinator'),
  });
  return {
    groups,
    txns,
    onLeadership(topic, partition, leader, leaderEpoch) {
      if (topic === OFFSETS_TOPIC) {
        if (leader) return groups.loadPartition(partition, leaderEpoch);
        groups.unloadPartition(partition);
      } else if (topic === TXN_STATE_TOPIC) {
        if (leader) return txns.loadPartition(partition, leaderEpoch);
        txns.unloadPartition(partition);
      }
      return undefined;
    },
  };
}

/** A rebalance's log fields; a large group's member ids are cut to the first 20 (`members` is the count). */
function rebalanceFields(g: ClassicGroup): Record<string, unknown> {
  const ids = [...g.members.keys()];
  return { group: g.groupId, generation: g.generationId, protocolType: g.protocolType, protocol: g.protocolName, leader: g.leaderId ?? undefined, members: ids.length, memberIds: ids.slice(0, 20) };
}

/**
 * How a coordinator's failure is logged: a refusal for a passing reason (a
 * partition moved, too few replicas: the client is told, or the write is
 * retried) is a warning, at most one a second, since a client rejoining in a
 * loop meets it every few milliseconds; anything else is an error with its stack.
 */
function coordinatorFailure(log: Logger, what: string): (e: unknown) => void {
  const warn = rateLimited(log, 1000);
  return (e) => {
    if (e instanceof KafkaError && e.retriable) warn(what, e.message);
    else log.error(`${what} failed: ${(e as Error)?.stack ?? String(e)}`);
  };
}
