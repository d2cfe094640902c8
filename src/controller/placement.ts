/**
 * Where a new partition's replicas go, as Kafka places them: partition
 * leaders round-robin over the brokers from a random start, followers at a
 * shift that grows every full round, so leaders and followers both spread
 * evenly. With racks on every broker, the broker list alternates racks first
 * (rack a, rack b, rack c, rack a, ...), so consecutive replicas of a
 * partition land on different racks.
 */
import { ErrorCode, KafkaError } from '../wire/errors.js';

export interface PlacementBroker { id: number; rack: string | null }

export function placeReplicas(brokers: readonly PlacementBroker[], partitions: number, replicationFactor: number, firstPartition = 0, random: () => number = Math.random): number[][] {
  if (replicationFactor > brokers.length) {
    throw new KafkaError(ErrorCode.INVALID_REPLICATION_FACTOR, `Unable to replicate the partition ${replicationFactor} time(s): The target replication factor of ${replicationFactor} cannot be reached because only ${brokers.length} broker(s) are registered.`);
  }
  const ids = rackAlternated(brokers);
  const n = ids.length;
  const start = Math.floor(random() * n);
  let shift = Math.floor(random() * n);
  const out: number[][] = [];
  for (let i = 0; i < partitions; i++) {
    const p = firstPartition + i;
    if (p > 0 && p % n === 0) shift++;
    const first = (start + p) % n;
    const replicas = [ids[first]!];
    for (let j = 0; j < replicationFactor - 1; j++) replicas.push(ids[(first + 1 + ((shift + j) % (n - 1))) % n]!);
    out.push(replicas);
  }
  return out;
}

function rackAlternated(brokers: readonly PlacementBroker[]): number[] {
  const sorted = [...brokers].sort((a, b) => a.id - b.id);
  if (sorted.some((b) => !b.rack)) return sorted.map((b) => b.id);
  const byRack = new Map<string, number[]>();
  for (const b of sorted) byRack.set(b.rack!, [...(byRack.get(b.rack!) ?? []), b.id]);
  const racks = [...byRack.keys()].sort();
  const out: number[] = [];
  for (let i = 0; out.length < sorted.length; i++) {
    for (const r of racks) {
      const id = byRack.get(r)![i];
      if (id !== undefined) out.push(id);
    }
  }
  return out;
}
