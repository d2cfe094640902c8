import type { BrokerConfig } from '../config/broker-config.js';
import type { MetadataStore } from '../controller/metadata-store.js';
import type { DataPathContext } from './handlers/data-path-context.js';
import type { Logger } from './logger.js';
import type { TopicManager } from './topic-manager.js';

/** Broker state handlers may use; one instance per broker. Handlers reach logs only through these. */
export interface SharedContext extends Omit<DataPathContext, 'closeConnection'> {
  config: BrokerConfig;
  metadata: MetadataStore;
  topics: TopicManager;
  log: Logger;
  nodeId: number;
  /** Where clients are told to connect (advertised.host/port, else the listen address). */
  advertised: { host: string; port: number };
}

/** What one request's handler sees: the broker state plus who is asking. */
export interface BrokerContext extends SharedContext {
  clientId: string | null;
  connectionId: number;
  /** Closes this connection after the responses queued before this request. */
  closeConnection(reason: string): void;
}
