/**
 * Leader election on a partition's state, as Kafka's controller does it:
 * the current leader stays while it is live and in the ISR; else the first
 * live ISR member in replica order (preferred first) leads; else, only when
 * unclean election is allowed, the first live replica leads with an ISR of
 * itself (records only the old ISR had are lost); else the partition has no
 * leader. Any change of leader bumps the leader epoch.
 */
import type { PartitionState } from './cluster-metadata.js';

type State = Omit<PartitionState, 'partitionEpoch'>;

export function electLeader(s: State, live: ReadonlySet<number>, unclean: boolean): State {
  if (s.leader !== -1 && live.has(s.leader) && s.isr.includes(s.leader)) return s;
  const clean = s.replicas.find((r) => live.has(r) && s.isr.includes(r));
  if (clean !== undefined) return { ...s, leader: clean, leaderEpoch: s.leaderEpoch + 1 };
  const any = unclean ? s.replicas.find((r) => live.has(r)) : undefined;
  if (any !== undefined) return { ...s, leader: any, isr: [any], leaderEpoch: s.leaderEpoch + 1 };
  return s.leader === -1 ? s : { ...s, leader: -1, leaderEpoch: s.leaderEpoch + 1 };
}

/**
 * The state without `broker` in the ISR. The last ISR member stays in it (as
 * KRaft keeps it): it holds every committed record, so when it comes back it
 * may lead again without an unclean election.
 */
export function withoutReplica(s: State, broker: number): State {
  const isr = s.isr.length > 1 ? s.isr.filter((r) => r !== broker) : s.isr;
  return { ...s, isr };
}

/**
 * A new partition's state: led by its first live replica with every live
 * replica in the ISR (all of them when no broker is registered yet: a
 * broker opening its own store before it registers).
 */
export function initialPartitionState(replicas: number[], brokers: ReadonlyMap<number, { fenced: boolean }>): PartitionState {
  const live = brokers.size === 0 ? replicas : replicas.filter((r) => brokers.get(r)?.fenced === false);
  return { replicas: [...replicas], isr: live, leader: live[0] ?? -1, leaderEpoch: 0, partitionEpoch: 0, addingReplicas: [], removingReplicas: [] };
}
