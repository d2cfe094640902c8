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
interface Read { t: number; byBroker: Map<number, Totals> }

/** A broker's counters since it started. */
function totalsOf(b: RunningBroker): Totals {
  const t = b.stats.totals();
  return { bytesIn: t.bytesIn, bytesOut: t.bytesOut, messagesIn: t.messagesIn };
}

export class ThroughputHistory {
  private readonly points: ThroughputPoint[] = [];
  private last: Read;
  /** The read before `last`: "now" spans at least a few seconds even just after a sample. */
  private previous: Read;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly target: HttpTarget) {
    this.last = this.read();
    this.previous = this.last;
    this.timer = setInterval(() => this.sample(), SAMPLE_MS);
    this.timer.unref();
  }

  /** The rates over the last few seconds: since the last sample, or the one before when the last is under half an interval old. */
  now(): ThroughputPoint {
    const current = this.read();
    const from = current.t - this.last.t >= SAMPLE_MS / 2 ? this.last : this.previous;
    if (current.t - from.t < 500) return { t: current.t, produceBytesPerSec: 0, fetchBytesPerSec: 0, produceMessagesPerSec: 0 };
    return this.rate(from, current);
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
    this.previous = this.last;
    this.last = current;
  }

  private read(): Read {
    return { t: Date.now(), byBroker: new Map(this.target.brokers().map((b) => [b.nodeId, totalsOf(b)])) };
  }

  private rate(from: Read, to: Read): ThroughputPoint {
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
