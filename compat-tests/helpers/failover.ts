/** Waits on a test cluster's metadata for failover tests (bounded, via until). */
import type { RunningCluster } from '../../src/broker/cluster.js';
import { until } from './until.js';

export type PartitionStatus = ReturnType<RunningCluster['status']>['topics'][number]['partitions'][number];

export function partitionStatus(c: RunningCluster, topic: string, partition: number): PartitionStatus {
  const p = c.status().topics.find((t) => t.name === topic)?.partitions[partition];
  if (!p) throw new Error(`no partition ${topic}-${partition} in the cluster status`);
  return p;
}

/** Until the partition has a live leader other than `not`; returns it. */
export async function waitForNewLeader(c: RunningCluster, topic: string, partition: number, not: number, ms = 20_000): Promise<number> {
  await until(() => { const l = partitionStatus(c, topic, partition).leader; return l >= 0 && l !== not; }, ms, `a new leader of ${topic}-${partition} (not ${not})`);
  return partitionStatus(c, topic, partition).leader;
}

/** Until every replica of the partitions is in their ISR. */
export async function waitForFullIsr(c: RunningCluster, topic: string, partitions: number[], ms = 20_000): Promise<void> {
  await until(() => partitions.every((p) => { const s = partitionStatus(c, topic, p); return s.leader >= 0 && s.isr.length === s.replicas.length; }), ms, `full ISR of ${topic} ${partitions}`);
}

/** Log end offset and high watermark of a partition on each running broker that holds it. */
export function replicaEnds(c: RunningCluster, topic: string, partition: number): Map<number, { logEndOffset: number; highWatermark: number; leader: boolean }> {
  const out = new Map<number, { logEndOffset: number; highWatermark: number; leader: boolean }>();
  for (let id = 0; id < c.size; id++) {
    const r = c.broker(id)?.context.replicaManager.replicaStates().find((s) => s.topic === topic && s.partition === partition);
    if (r) out.set(id, { logEndOffset: r.logEndOffset, highWatermark: r.highWatermark, leader: r.leader });
  }
  return out;
}
