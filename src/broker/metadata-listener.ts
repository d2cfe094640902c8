/**
 * How a broker acts on the cluster metadata: each partition state that
 * concerns it goes to the replica manager (lead, follow, or drop the
 * replica), a deleted topic's logs go, a reconfigured topic's logs take the
 * new configs. At start-up the partitions that need acting on are those with
 * other replicas, or not led here, or internal (their coordinators load):
 * a lone broker's own partitions open lazily, as before replication.
 */
import type { MetadataChange, MetadataImage, PartitionState } from '../controller/cluster-metadata.js';
import type { ReplicaManager } from './replica-manager.js';
import type { ReplicaFetchers } from './replica-fetcher.js';
import type { TopicManager } from './topic-manager.js';

export interface BrokerParts { nodeId: number; topics: TopicManager; replicaManager: ReplicaManager; fetchers: ReplicaFetchers }

export function applyMetadataChange(c: MetadataChange, b: BrokerParts): void {
  switch (c.kind) {
    case 'created':
    case 'partitions':
      c.topic.states.forEach((s, p) => { if (s.replicas.includes(b.nodeId)) b.replicaManager.applyPartitionState(c.topic.name, p, s); });
      return;
    case 'partition':
      b.replicaManager.applyPartitionState(c.topic.name, c.partition, c.state);
      return;
    case 'deleted':
      for (let p = 0; p < c.topic.partitions; p++) b.fetchers.follow(c.topic.name, p, null);
      b.topics.applyChange('deleted', c.topic);
      return;
    case 'configs':
      b.topics.applyChange('configs', c.topic);
      return;
    default:
  }
}

export function applyStartupStates(metadata: MetadataImage, b: BrokerParts): void {
  for (const t of metadata.topics()) {
    t.states.forEach((s, p) => { if (needsActing(s, b.nodeId, t.internal)) b.replicaManager.applyPartitionState(t.name, p, s); });
  }
}

function needsActing(s: PartitionState, self: number, internal: boolean): boolean {
  return s.replicas.includes(self) && (internal || s.replicas.length > 1 || s.leader !== self);
}
