/**
 * The lag-over-time chart of a consumer group: while someone has looked at a
 * group in the last few minutes, its total lag is sampled every 5 s (with the
 * client of whoever looked last, so their ACLs apply) and the last 15 minutes
 * are kept. Bounded: a handful of groups at once (the one looked at longest
 * ago makes room), and no sampling at all while nobody looks.
 */
export const LAG_SAMPLE_MS = 5000;
/** How long a group is sampled after the last time someone opened it. */
const WATCH_MS = 5 * 60 * 1000;
const MAX_GROUPS = 8;
const KEEP = (15 * 60 * 1000) / LAG_SAMPLE_MS;

interface Watched {
  lastViewed: number;
  sample: () => Promise<number | null>;
  points: { t: number; lag: number }[];
  busy: boolean;
}

export class LagHistory {
  private readonly groups = new Map<string, Watched>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly sampleMs = LAG_SAMPLE_MS) {}

  /**
   * Someone is looking at `groupId` now and its total lag is `lag`: keep
   * sampling it with `sample`, and return its history (oldest first, `lag` last).
   */
  viewed(groupId: string, lag: number | null, sample: () => Promise<number | null>): { t: number; lag: number }[] {
    const now = Date.now();
    let w = this.groups.get(groupId);
    if (!w) {
      if (this.groups.size >= MAX_GROUPS) {
        const oldest = [...this.groups].sort((a, b) => a[1].lastViewed - b[1].lastViewed)[0]!;
        this.groups.delete(oldest[0]);
      }
      w = { lastViewed: now, sample, points: [], busy: false };
      this.groups.set(groupId, w);
    }
    w.lastViewed = now;
    w.sample = sample;
    // A view between two samples adds its own point only when the last one is old: the chart stays at one point per interval.
    if (lag !== null && (w.points.length === 0 || now - w.points.at(-1)!.t >= this.sampleMs / 2)) this.push(w, { t: now, lag });
    this.timer ??= setInterval(() => this.tick(), this.sampleMs);
    this.timer.unref();
    return [...w.points];
  }

  /** Groups sampled now (for tests and the report). */
  watched(): string[] {
    return [...this.groups.keys()];
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.groups.clear();
  }

  private push(w: Watched, p: { t: number; lag: number }): void {
    w.points.push(p);
    if (w.points.length > KEEP) w.points.shift();
  }

  private tick(): void {
    const now = Date.now();
    for (const [id, w] of this.groups) {
      if (now - w.lastViewed > WATCH_MS) { this.groups.delete(id); continue; }
      // A sample still running (a slow broker) is not stacked with another.
      if (w.busy) continue;
      w.busy = true;
      w.sample().then((lag) => { if (lag !== null && this.groups.get(id) === w) this.push(w, { t: Date.now(), lag }); }, () => undefined).finally(() => { w.busy = false; });
    }
    if (this.groups.size === 0 && this.timer) { clearInterval(this.timer); this.timer = undefined; }
  }
}
