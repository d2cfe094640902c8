/**
 * The fault scheduler: every 1-3 s (seeded) one fault on one broker — a crash
 * (stopBroker, then startBroker) or a pause (SIGSTOP-like, then resume) — that
 * lasts a random while and then heals. Never more than one broker is down or
 * paused at a time, so min.insync.replicas 2 of 3 can still make progress.
 * The target is the broker that leads the most partitions, the active
 * controller (status().controllerId) or a random broker.
 */
import type { RunningCluster } from '../../src/broker/cluster.js';
import type { History } from './history.js';
import type { Rng } from './rng.js';

export interface NemesisOptions {
  /** Gap between the heal of one fault and the start of the next, ms. */
  gapMs: [number, number];
  /** How long a fault lasts, ms. */
  faultMs: [number, number];
}

export const DEFAULT_NEMESIS: NemesisOptions = { gapMs: [1000, 3000], faultMs: [500, 4000] };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Nemesis {
  faults = 0;
  private stopped = false;
  private loop?: Promise<void>;
  /** The broker currently faulted and how to heal it. */
  private active?: { id: number; heal: () => Promise<void> };

  constructor(private readonly c: RunningCluster, private readonly rng: Rng, private readonly h: History, private readonly opts = DEFAULT_NEMESIS) {}

  start(): void { this.loop = this.run(); }

  /** Stops scheduling, heals the fault in progress and waits for the loop to end. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
    await this.healActive();
  }

  /** The controller and each non-internal partition's leader, epoch and ISR, for the history. */
  private snapshot(): Record<string, unknown> {
    const st = this.c.status();
    const partitions: Record<string, string> = {};
    for (const t of st.topics) if (!t.internal) for (const p of t.partitions) partitions[`${t.name}-${p.partition}`] = `leader ${p.leader} epoch ${p.leaderEpoch} isr ${p.isr.join(',')}`;
    return { controller: st.controllerId, partitions };
  }

  private leaderOfMost(): number {
    const counts = new Map<number, number>();
    for (const t of this.c.status().topics) for (const p of t.partitions) if (p.leader >= 0) counts.set(p.leader, (counts.get(p.leader) ?? 0) + 1);
    let best = -1;
    for (const [id, n] of counts) if (best < 0 || n > counts.get(best)!) best = id;
    return best;
  }

  private target(): { id: number; why: string } {
    const kind = this.rng.pick(['leader', 'controller', 'random'] as const);
    if (kind === 'leader') { const id = this.leaderOfMost(); if (id >= 0) return { id, why: 'leads most partitions' }; }
    if (kind === 'controller') { const id = this.c.status().controllerId; if (id >= 0) return { id, why: 'active controller' }; }
    return { id: this.rng.int(0, this.c.size - 1), why: 'random' };
  }

  private async healActive(): Promise<void> {
    const a = this.active;
    if (!a) return;
    this.active = undefined;
    await a.heal();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      await sleep(this.rng.int(...this.opts.gapMs));
      if (this.stopped) break;
      const { id, why } = this.target();
      const lasts = this.rng.int(...this.opts.faultMs);
      const kind = this.rng.pick(['crash', 'pause'] as const);
      this.faults++;
      this.h.add('fault', { kind, broker: id, why, ms: lasts, ...this.snapshot() });
      if (kind === 'crash') {
        await this.c.stopBroker(id);
        this.active = { id, heal: async () => { await this.c.startBroker(id); this.h.add('heal', { kind, broker: id, ...this.snapshot() }); } };
      } else {
        this.c.pauseBroker(id);
        this.active = { id, heal: async () => { this.c.resumeBroker(id); this.h.add('heal', { kind, broker: id, ...this.snapshot() }); } };
      }
      const end = Date.now() + lasts;
      while (!this.stopped && Date.now() < end) await sleep(Math.min(100, end - Date.now()));
      await this.healActive();
    }
  }
}
