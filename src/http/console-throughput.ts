/**
 * The overview's produce/fetch throughput: every 5 s the brokers' in-process
 * counters (broker-stats.ts: bytes and messages in and out since start) are
 * summed over the running brokers and turned into rates; 15 minutes of points
 * are kept. Counters are read per broker so that a broker restarted in a
 * cluster (its counters back at zero) does not show as a negative rate.
 */
import type { RunningBroker } from '../broker/index.js';
import type { ThroughputPoint } from './console-api-types.js';
import type { HttpTarget } from './route.js';

export const SAMPLE_MS = 5000;
const KEEP = (15 * 60 * 1000) / SAMPLE_MS;

interface Totals { bytesIn: number; bytesOut: number; messagesIn: number }

/** A broker's counters since it started; zeros when this broker keeps none. */
function totalsOf(b: RunningBroker): Totals {
  const stats = (b as { stats?: { totals(): { bytesIn: number; bytesOut: number; messagesIn: number } } }).stats;
  const t = stats?.totals();
  return { bytesIn: t?.bytesIn ?? 0, bytesOut: t?.bytesOut ?? 0, messagesIn: t?.messagesIn ?? 0 };
}

export class ThroughputHistory {
  private readonly points: ThroughputPoint[] = [];
  private last: { t: number; byBroker: Map<number, Totals> };
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly target: HttpTarget) {
    this.last = this.read();
    this.timer = setInterval(() => this.sample(), SAMPLE_MS);
    this.timer.unref();
  }

  /** The rates since the last sample (the last point when that was under a second ago). */
  now(): ThroughputPoint {
    const current = this.read();
    if (current.t - this.last.t < 1000) return this.points.at(-1) ?? { t: current.t, produceBytesPerSec: 0, fetchBytesPerSec: 0, produceMessagesPerSec: 0 };
    return this.rate(this.last, current);
  }

  /** Oldest first. */
  history(): ThroughputPoint[] {
    return [...this.points];
  }

  close(): void {
    clearInterval(this.timer);
  }

  private sample(): void {
    const current = this.read();
    this.points.push(this.rate(this.last, current));
    if (this.points.length > KEEP) this.points.shift();
    this.last = current;
  }

  private read(): { t: number; byBroker: Map<number, Totals> } {
    return { t: Date.now(), byBroker: new Map(this.target.brokers().map((b) => [b.nodeId, totalsOf(b)])) };
  }

  private rate(from: { t: number; byBroker: Map<number, Totals> }, to: { t: number; byBroker: Map<number, Totals> }): ThroughputPoint {
    const seconds = Math.max(0.001, (to.t - from.t) / 1000);
    const sum: Totals = { bytesIn: 0, bytesOut: 0, messagesIn: 0 };
    for (const [id, now] of to.byBroker) {
      const before = from.byBroker.get(id);
      for (const k of ['bytesIn', 'bytesOut', 'messagesIn'] as const) {
        // A counter below its last value means the broker started again: all it counted is new.
        const d = before && now[k] >= before[k] ? now[k] - before[k] : now[k];
        sum[k] += d;
      }
    }
    return {
      t: to.t,
      produceBytesPerSec: sum.bytesIn / seconds,
      fetchBytesPerSec: sum.bytesOut / seconds,
      produceMessagesPerSec: sum.messagesIn / seconds,
    };
  }
}
