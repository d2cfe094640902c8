/**
 * The fault scheduler: every 1-3 s (seeded) one fault on one broker — a crash
 * (stopBroker, then startBroker) or a pause (SIGSTOP-like, then resume) — that
 * lasts a random while and then heals. Never more than one broker is down or
 * paused at a time, so min.insync.replicas 2 of 3 can still make progress.
 * The target is the broker that leads the most partitions, the active
 * controller (status().controllerId) or a random broker (nemesis-shared.ts).
 */
import type { RunningCluster } from '../../src/broker/cluster.js';
import type { History } from './history.js';
import type { Rng } from './rng.js';
import { ActiveFault, holdFault, partitionsSnapshot, pickTarget, sleep } from './nemesis-shared.js';

export interface NemesisOptions {
  /** Gap between the heal of one fault and the start of the next, ms. */
  gapMs: [number, number];
  /** How long a fault lasts, ms. */
  faultMs: [number, number];
}

export const DEFAULT_NEMESIS: NemesisOptions = { gapMs: [1000, 3000], faultMs: [500, 4000] };

export class Nemesis {
  faults = 0;
  private stopped = false;
  private loop?: Promise<void>;
  private readonly active = new ActiveFault();

  constructor(private readonly c: RunningCluster, private readonly rng: Rng, private readonly h: History, private readonly opts = DEFAULT_NEMESIS) {}

  start(): void { this.loop = this.run(); }

  /** Stops scheduling, heals the fault in progress and waits for the loop to end. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
    await this.active.healNow();
  }

  /** The controller and each non-internal partition's leader, epoch and ISR, for the history. */
  private snapshot(): Record<string, unknown> {
    const st = this.c.status();
    return { controller: st.controllerId, partitions: partitionsSnapshot(st) };
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      await sleep(this.rng.int(...this.opts.gapMs));
      if (this.stopped) break;
      const { id, why } = pickTarget(this.rng, ['leader', 'controller', 'random'], this.c.status(), this.c.size);
      const lasts = this.rng.int(...this.opts.faultMs);
      const kind = this.rng.pick(['crash', 'pause'] as const);
      this.faults++;
      this.h.add('fault', { kind, broker: id, why, ms: lasts, ...this.snapshot() });
      if (kind === 'crash') {
        await this.c.stopBroker(id);
        this.active.set(async () => { await this.c.startBroker(id); this.h.add('heal', { kind, broker: id, ...this.snapshot() }); });
      } else {
        this.c.pauseBroker(id);
        this.active.set(async () => { this.c.resumeBroker(id); this.h.add('heal', { kind, broker: id, ...this.snapshot() }); });
      }
      await holdFault(lasts, () => this.stopped);
      await this.active.healNow();
    }
  }
}
