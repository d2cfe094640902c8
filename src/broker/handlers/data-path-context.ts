import type { Uuid } from '../../wire/protocol/uuid.js';
import type { ReplicaManager } from '../replica-manager.js';
import type { FetchSessionCache } from '../fetch-session-cache.js';
import type { ProducerIdManager } from '../producer-id-manager.js';
import type { BrokerSecurity } from '../broker-security.js';
import type { ClientSession } from '../client-session.js';
import type { BrokerStats } from '../broker-stats.js';

/** What the data-path handlers (produce, fetch, list-offsets, ...) use of the broker context. */
export interface DataPathContext {
  replicaManager: ReplicaManager;
  fetchSessions: FetchSessionCache;
  producerIds: ProducerIdManager;
  /** Topic id of a topic name; undefined when the topic does not exist. */
  topicId(name: string): Uuid | undefined;
  /** Topic name of a topic id; undefined when no topic has it. */
  topicName(id: Uuid): string | undefined;
  /** Broker settings (fetch.max.bytes); absent in unit tests: no cap. */
  config?: { int(key: string): number };
  /** The broker's logger (faults that become UNKNOWN_SERVER_ERROR are logged with their stack). */
  log?: { error(msg: string): void };
  /** A broker's endpoint, for the new-leader hints of NOT_LEADER_OR_FOLLOWER answers (KIP-951); absent in unit tests. */
  brokerEndpoint?(id: number): { host: string; port: number; rack: string | null } | undefined;
  /** Closes the client's connection after the responses before this request (acks=0 failures). */
  closeConnection?(reason: string): void;
  /** The ACL authorizer (request-authorization.ts); absent in unit tests: everything allowed. */
  security?: BrokerSecurity;
  /** Who sent the request; absent in unit tests. */
  session?: ClientSession;
  /** The broker's counters (bytes and records fetched per topic); absent in unit tests. */
  stats?: BrokerStats;
}
