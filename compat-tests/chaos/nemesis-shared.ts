/**
 * What the two fault schedulers (nemesis.ts in one process, process-nemesis.ts
 * over broker processes) have in common: whom to fault, what the history
 * records of the partitions at a fault and a heal, the one fault in progress
 * and how it is healed, and holding a fault for its duration. Each scheduler
 * keeps its own fault kinds and how it reads the cluster's status (a
 * synchronous snapshot in one process, Metadata that may be unavailable over
 * processes).
 */
import type { Rng } from './rng.js';

/** The part of a cluster status (in-process or over Metadata) that target choice and the history read. */
export interface StatusView {
  controllerId: number;
  topics: { name: string; internal: boolean; partitions: { partition: number; leader: number; leaderEpoch: number; isr: number[] }[] }[];
}

export type TargetKind = 'leader' | 'controller' | 'random';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Each non-internal partition's leader, epoch and ISR, so a history shows what a fault hit and what a heal found. */
export function partitionsSnapshot(st: StatusView): Record<string, string> {
  const partitions: Record<string, string> = {};
  for (const t of st.topics) if (!t.internal) for (const p of t.partitions) partitions[`${t.name}-${p.partition}`] = `leader ${p.leader} epoch ${p.leaderEpoch} isr ${p.isr.join(',')}`;
  return partitions;
}

/** The broker leading the most partitions (internal ones too), or -1 when no partition has a leader. */
export function leaderOfMost(st: StatusView | undefined): number {
  const counts = new Map<number, number>();
  for (const t of st?.topics ?? []) for (const p of t.partitions) if (p.leader >= 0) counts.set(p.leader, (counts.get(p.leader) ?? 0) + 1);
  let best = -1;
  for (const [id, n] of counts) if (best < 0 || n > counts.get(best)!) best = id;
  return best;
}

/**
 * The broker to fault: the busiest leader, the active controller or a random
 * one, drawn from `kinds` (a kind listed twice is drawn twice as often). A
 * kind with no answer in `st` (no leader, no controller, no status) falls back
 * to a random broker, so every call draws the same number of times for the
 * same kind and a seed replays the same schedule.
 */
export function pickTarget(rng: Rng, kinds: readonly TargetKind[], st: StatusView | undefined, size: number): { id: number; why: string } {
  const kind = rng.pick(kinds);
  if (kind === 'leader') { const id = leaderOfMost(st); if (id >= 0) return { id, why: 'leads most partitions' }; }
  if (kind === 'controller' && st && st.controllerId >= 0) return { id: st.controllerId, why: 'active controller' };
  return { id: rng.int(0, size - 1), why: 'random' };
}

/**
 * The one fault in progress and how to heal it. Both the scheduling loop (when
 * the fault lapses) and stop() (when the run ends mid-fault) heal through it;
 * it forgets the heal before running it so a fault is never healed twice.
 */
export class ActiveFault {
  private heal?: () => Promise<void>;
  set(heal: () => Promise<void>): void { this.heal = heal; }
  async healNow(): Promise<void> {
    const heal = this.heal;
    if (!heal) return;
    this.heal = undefined;
    await heal();
  }
}

/** Waits out a fault's `ms` in 100 ms steps, returning early once `stopped()` so stop() does not wait for a long fault. */
export async function holdFault(ms: number, stopped: () => boolean): Promise<void> {
  const end = Date.now() + ms;
  while (!stopped() && Date.now() < end) await sleep(Math.min(100, end - Date.now()));
}
