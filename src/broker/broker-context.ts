/**
 * What handlers see of the broker. One SharedContext per broker; the
 * dispatcher adds the per-request fields to make a BrokerContext. Handlers
 * reach partition logs only through `replicaManager` (data path) and
 * `topics` (admin path); they never open files or sockets themselves.
 */
import type { BrokerConfig } from '../config/broker-config.js';
import type { ControllerApi, MetadataImage } from '../controller/cluster-metadata.js';
import type { DataPathContext } from './handlers/data-path-context.js';
import type { Logger } from './logger.js';
import type { TopicManager } from './topic-manager.js';
import type { GroupCoordinator } from '../coordinator/group/group-coordinator.js';
import type { TransactionCoordinator } from '../coordinator/txn/transaction-coordinator.js';
import type { BrokerSecurity } from './broker-security.js';
import type { ClientSession } from './client-session.js';

export interface SharedContext extends Omit<DataPathContext, 'closeConnection'> {
  /** Broker settings (Kafka key names), read-only after start-up. */
  config: BrokerConfig;
  /** This broker's image of the cluster metadata: brokers, topics, partition states. Read it freely; change it through `topics` or `controller`. */
  metadata: MetadataImage;
  /** The active controller's operations (elections, reassignments; topic changes go through `topics`). */
  controller: ControllerApi;
  /** Topic lifecycle and configs (create, delete, partitions, effective configs), keeping metadata and logs in step. */
  topics: TopicManager;
  /** The group coordinator (classic protocol) for every group. */
  groups: GroupCoordinator;
  /** The transaction coordinator for every transactional id. */
  txns: TransactionCoordinator;
  /** The leader of a partition as clients reach it (FindCoordinator); undefined when it has none or is unknown. */
  partitionLeader(topic: string, partition: number, listener: string): { nodeId: number; host: string; port: number } | undefined;
  log: Logger;
  nodeId: number;
  /** Where clients are told to connect: per request, the advertised address of the listener the client came in on. */
  advertised: { host: string; port: number };
  /** SASL mechanisms and users, the ACL authorizer, client quotas. */
  security: BrokerSecurity;
  // From DataPathContext: replicaManager (append/read partitions), fetchSessions,
  // producerIds, topicId(name), topicName(id).
}

/** What one request's handler sees: the broker state plus who is asking. */
export interface BrokerContext extends SharedContext {
  /** The request header's client id (null when the client sent none). */
  clientId: string | null;
  /** Unique per connection for the broker's lifetime; use it to key per-connection state. */
  connectionId: number;
  /** The client's address, as DescribeGroups reports it ("/127.0.0.1"). */
  clientHost: string;
  /** Closes this connection after the responses queued before this request (acks=0 Produce failures). */
  closeConnection(reason: string): void;
  /** Closes this connection once this request's response is written (a failed SASL exchange). */
  closeAfterResponse(reason: string): void;
  /** The listener, principal and SASL state of this connection. */
  session: ClientSession;
}
