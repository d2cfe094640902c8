/**
 * Cluster, topic, partition and log metrics, under kafka_exporter's names
 * where it has them (its Grafana dashboards work unchanged) and samsa_ ones
 * for the rest.
 *
 * Who reports what, so that summing the scrapes of every Samsa process
 * counts each thing once:
 * - a partition (kafka_topic_partition_*) is reported by the process of
 *   its leader; a partition without a running leader by the process of the
 *   active controller; a cluster in one process reports every partition;
 * - cluster-wide counts (kafka_brokers, kafka_topic_partitions,
 *   samsa_offline_partitions) come from the process of the active controller
 *   (or the cluster in one process);
 * - per-broker counts (partitions, leaders, under-replicated) and per-replica
 *   logs carry the `broker` label of each broker of this process.
 * Offsets come from the partition's leader; logs not opened yet (a broker
 * just restarted opens them in the background) have no offsets until they are.
 */
import type { MetadataImage } from '../controller/cluster-metadata.js';
import type { RunningBroker } from '../broker/index.js';
import type { Families } from './metrics-family.js';

export interface PartitionOffsets {
  logStartOffset: number;
  highWatermark: number;
  logEndOffset: number;
  /** Read on the leader (else on a follower of this process, whose high watermark trails the leader's a little). */
  fromLeader: boolean;
}

/** Offsets of the partitions whose replicas this process holds, keyed `topic:partition`. */
export function partitionOffsets(brokers: readonly RunningBroker[]): Map<string, PartitionOffsets> {
  const out = new Map<string, PartitionOffsets>();
  for (const b of brokers) {
    const logs = new Map(b.context.topics.logs.all().map((l) => [`${l.topic}:${l.partition}`, l]));
    for (const s of b.context.replicaManager.replicaStates()) {
      const key = `${s.topic}:${s.partition}`;
      const log = logs.get(key);
      logs.delete(key);
      const known = out.get(key);
      if (log === undefined || (known && (known.fromLeader || !s.leader))) continue;
      out.set(key, { logStartOffset: log.logStartOffset, highWatermark: s.highWatermark, logEndOffset: s.logEndOffset, fromLeader: s.leader });
    }
    // A lone replica's partition untouched since start (its log opened lazily) has no replica state: all of its log is committed.
    for (const [key, log] of logs) {
      const state = b.context.metadata.partition(log.topic, log.partition);
      if (out.has(key) || !state || state.leader !== b.nodeId || state.replicas.length > 1) continue;
      const end = log.logEndOffset;
      out.set(key, { logStartOffset: log.logStartOffset, highWatermark: end, logEndOffset: end, fromLeader: true });
    }
  }
  return out;
}

export function partitionMetrics(f: Families, brokers: readonly RunningBroker[], metadata: MetadataImage, wholeCluster: boolean, offsets: ReadonlyMap<string, PartitionOffsets>): void {
  const ours = new Set(brokers.map((b) => b.nodeId));
  const controllerHere = wholeCluster || ours.has(metadata.controllerId());
  const live = new Set(metadata.brokers().filter((b) => !b.fenced).map((b) => b.id));

  const brokerCount = f.gauge('kafka_brokers', 'Brokers in the cluster (registered and not fenced).');
  const brokerInfo = f.gauge('kafka_broker_info', 'One per broker in the cluster, with its address.');
  const activeController = f.gauge('samsa_active_controller', '1 on the broker that is the active controller, else 0.');
  const topicPartitions = f.gauge('kafka_topic_partitions', 'Partitions of the topic.');
  const current = f.gauge('kafka_topic_partition_current_offset', 'High watermark of the partition (the offset the next committed record gets), on its leader.');
  const oldest = f.gauge('kafka_topic_partition_oldest_offset', 'Log start offset of the partition (its oldest record), on its leader.');
  const logEnd = f.gauge('samsa_topic_partition_log_end_offset', 'Log end offset of the partition on its leader (past the high watermark while followers catch up).');
  const inSync = f.gauge('kafka_topic_partition_in_sync_replica', 'In-sync replicas of the partition.');
  const leader = f.gauge('kafka_topic_partition_leader', 'Node id of the partition\'s leader (-1: none).');
  const preferred = f.gauge('kafka_topic_partition_leader_is_preferred', '1 when the partition is led by its preferred (first) replica.');
  const replicas = f.gauge('kafka_topic_partition_replicas', 'Replicas of the partition.');
  const under = f.gauge('kafka_topic_partition_under_replicated_partition', '1 when the partition has fewer in-sync replicas than replicas.');
  const offline = f.gauge('samsa_offline_partitions', 'Partitions with no running leader (their data cannot be read or written).');
  const hosted = f.gauge('samsa_partitions', 'Partition replicas the broker holds (Kafka\'s PartitionCount).');
  const leaders = f.gauge('samsa_leader_partitions', 'Partitions the broker leads (Kafka\'s LeaderCount).');
  const underByBroker = f.gauge('samsa_under_replicated_partitions', 'Partitions the broker leads with fewer in-sync replicas than replicas.');
  const underMinIsr = f.gauge('samsa_under_min_isr_partitions', 'Partitions the broker leads with fewer in-sync replicas than min.insync.replicas (acks=all writes fail).');

  if (controllerHere) {
    brokerCount.add({}, live.size);
    for (const b of metadata.brokers()) if (!b.fenced) brokerInfo.add({ id: b.id, address: `${b.host}:${b.port}` }, 1);
  }
  for (const b of brokers) activeController.add({ broker: b.nodeId }, metadata.controllerId() === b.nodeId ? 1 : 0);

  const perBroker = new Map(brokers.map((b) => [b.nodeId, { hosted: 0, leaders: 0, under: 0, underMinIsr: 0 }]));
  let offlineCount = 0;
  for (const t of metadata.topics()) {
    if (controllerHere) topicPartitions.add({ topic: t.name }, t.partitions);
    // min.insync.replicas (capped at the replica count, as Kafka's effective min ISR) matters only for an
    // under-replicated partition a broker of this process leads: looked up then, once per topic.
    let minIsr: number | undefined;
    t.states.forEach((s, partition) => {
      const running = s.leader >= 0 && live.has(s.leader);
      if (!running) offlineCount++;
      for (const r of s.replicas) { const c = perBroker.get(r); if (c) c.hosted++; }
      const mine = perBroker.get(s.leader);
      const isUnder = s.isr.length < s.replicas.length;
      if (mine) {
        mine.leaders++;
        if (isUnder) {
          mine.under++;
          minIsr ??= Number(brokers.find((b) => b.nodeId === s.leader)!.context.topics.value(t, 'min.insync.replicas'));
          if (s.isr.length < minIsr) mine.underMinIsr++;
        }
      }
      if (!(wholeCluster || ours.has(s.leader) || (controllerHere && !running))) return;
      const labels = { topic: t.name, partition };
      leader.add(labels, s.leader);
      replicas.add(labels, s.replicas.length);
      inSync.add(labels, s.isr.length);
      under.add(labels, isUnder ? 1 : 0);
      preferred.add(labels, s.leader >= 0 && s.leader === s.replicas[0] ? 1 : 0);
      const o = offsets.get(`${t.name}:${partition}`);
      if (o && o.fromLeader) {
        current.add(labels, o.highWatermark);
        oldest.add(labels, o.logStartOffset);
        logEnd.add(labels, o.logEndOffset);
      }
    });
  }
  if (controllerHere) offline.add({}, offlineCount);
  for (const [broker, c] of perBroker) {
    hosted.add({ broker }, c.hosted);
    leaders.add({ broker }, c.leaders);
    underByBroker.add({ broker }, c.under);
    underMinIsr.add({ broker }, c.underMinIsr);
  }
  logMetrics(f, brokers);
}

/** Each replica's log on each broker of this process (as Kafka's kafka.log:type=Log metrics): its size on disk and its offsets. */
function logMetrics(f: Families, brokers: readonly RunningBroker[]): void {
  const size = f.gauge('samsa_log_size_bytes', 'Bytes of the replica\'s log segments on the broker\'s disk.');
  const start = f.gauge('samsa_log_start_offset', 'Log start offset of the replica on the broker.');
  const end = f.gauge('samsa_log_end_offset', 'Log end offset of the replica on the broker.');
  const segments = f.gauge('samsa_log_segments', 'Segment files of the replica\'s log on the broker.');
  for (const b of brokers) {
    for (const log of b.context.topics.logs.all()) {
      const labels = { broker: b.nodeId, topic: log.topic, partition: log.partition };
      size.add(labels, log.sizeInBytes());
      start.add(labels, log.logStartOffset);
      end.add(labels, log.logEndOffset);
      segments.add(labels, log.segmentCount());
    }
  }
}
