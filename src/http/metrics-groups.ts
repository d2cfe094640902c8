/**
 * Consumer groups under kafka_exporter's names: committed offsets and lag
 * per partition and their sums per topic, members per group; and how many
 * groups are in each state. Each group is reported by its coordinator (the
 * broker leading its __consumer_offsets partition), so once over every
 * process. Committed offsets come from the coordinator in memory; lag is the
 * partition's high watermark minus the committed offset, as kafka_exporter
 * and kafka-consumer-groups.sh compute it, with the high watermark read in
 * this process (on the leader, else on a follower here; a partition with no
 * replica in this process has no lag series here).
 */
import type { RunningBroker } from '../broker/index.js';
import type { GroupState } from '../coordinator/group/classic-group.js';
import type { ConsumerGroupState } from '../coordinator/group/consumer-group.js';
import type { Families } from './metrics-family.js';
import type { PartitionOffsets } from './metrics-partitions.js';

/** Classic groups' states, then those only consumer-protocol (KIP-848) groups have. */
const STATES: readonly (GroupState | ConsumerGroupState)[] = ['Empty', 'PreparingRebalance', 'CompletingRebalance', 'Stable', 'Dead', 'Assigning', 'Reconciling'];

export function groupMetrics(f: Families, brokers: readonly RunningBroker[], offsets: ReadonlyMap<string, PartitionOffsets>): void {
  const committed = f.gauge('kafka_consumergroup_current_offset', 'Offset the consumer group committed for the partition.');
  const committedSum = f.gauge('kafka_consumergroup_current_offset_sum', 'Committed offsets of the consumer group summed over the topic\'s partitions.');
  const lag = f.gauge('kafka_consumergroup_lag', 'Records of the partition the consumer group has not committed yet: high watermark minus committed offset.');
  const lagSum = f.gauge('kafka_consumergroup_lag_sum', 'Lag of the consumer group summed over the topic\'s partitions.');
  const members = f.gauge('kafka_consumergroup_members', 'Members of the consumer group.');
  const byState = f.gauge('samsa_consumergroups', 'Consumer groups in each state (Kafka\'s group states), counted by their coordinators in this process.');
  const counts = new Map<string, number>(STATES.map((s) => [s, 0]));
  for (const b of brokers) {
    for (const g of b.context.groups.all()) {
      counts.set(g.state, (counts.get(g.state) ?? 0) + 1);
      const consumergroup = g.groupId;
      members.add({ consumergroup }, g.members.size);
      for (const [topic, partitions] of g.offsets) {
        let offsetSum = 0;
        let lagTotal = 0;
        let lagKnown = false;
        for (const [partition, o] of partitions) {
          const offset = Number(o.offset);
          committed.add({ consumergroup, topic, partition }, offset);
          offsetSum += offset;
          const p = offsets.get(`${topic}:${partition}`);
          if (p === undefined) continue;
          const l = p.highWatermark - offset;
          lag.add({ consumergroup, topic, partition }, l);
          lagTotal += l;
          lagKnown = true;
        }
        committedSum.add({ consumergroup, topic }, offsetSum);
        if (lagKnown) lagSum.add({ consumergroup, topic }, lagTotal);
      }
    }
  }
  for (const [state, n] of counts) byState.add({ state }, n);
}
