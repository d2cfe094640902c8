/**
 * Timeouts for many short waits that nearly always end before them, for the
 * price of one Node timer: every acks=all Produce waits for the high watermark
 * with the request's timeout_ms, and at 10,000 requests a second a
 * setTimeout/clearTimeout pair each (a fresh timer list, a priority-queue
 * insert and removal) was ~3% of the broker's CPU, for timers that almost
 * never fire. The fetch purgatory (delayed-fetch.ts) keeps its waits in one
 * too: acks=all on replicated partitions and followers' fetches.
 *
 * Waits of one length are kept in a lane, in the order they were added, which
 * is also deadline order. A cancelled wait is only marked; the lane drops
 * marked waits from its front, so waits that end in the order they began (the
 * usual case) leave nothing behind. The one timer is set for the earliest
 * deadline at the front of a lane and is not cleared when that wait ends: when
 * it fires it fires what is due and sets itself for the next front, so it
 * wakes about once per wait length instead of twice per wait. It keeps the
 * process alive only while a wait is pending, as a timer per wait would.
 *
 * Waits cancelled behind a front that is still pending stay in the lane until
 * the front ends (a request stuck for its whole timeout keeps the waits after
 * it that long). Waits of several lengths that are all overdue at once (the
 * event loop was blocked) fire together, lane by lane.
 */
export interface Deadline {
  /** The wait ended first: the callback will not run. */
  cancel(): void;
}

class Wait implements Deadline {
  constructor(readonly at: number, public fire: (() => void) | null, private readonly lane: Lane, private readonly queue: DeadlineQueue) {}

  cancel(): void {
    if (this.fire === null) return;
    this.fire = null;
    this.lane.dropEnded();
    this.queue.ended();
  }
}

class Lane {
  waits: Wait[] = [];
  head = 0;

  get front(): Wait | undefined { return this.waits[this.head]; }

  dropEnded(): void {
    while (this.head < this.waits.length && this.waits[this.head]!.fire === null) this.head++;
    // Compact once the dropped front outweighs what is left, so the array stays near the live count.
    if (this.head === this.waits.length) { this.waits = []; this.head = 0; }
    else if (this.head >= 1024 && this.head * 2 >= this.waits.length) { this.waits = this.waits.slice(this.head); this.head = 0; }
  }
}

export class DeadlineQueue {
  private readonly lanes = new Map<number, Lane>();
  private timer: NodeJS.Timeout | null = null;
  /** When the timer is set to fire (performance.now() time), Infinity when it is not set. */
  private armedFor = Infinity;
  /** Waits neither fired nor cancelled. */
  private pending = 0;
  private refed = false;

  /** Runs `fire` after `ms` milliseconds unless the returned wait is cancelled first. */
  after(ms: number, fire: () => void): Deadline {
    let lane = this.lanes.get(ms);
    if (lane === undefined) { lane = new Lane(); this.lanes.set(ms, lane); }
    const wait = new Wait(performance.now() + ms, fire, lane, this);
    lane.waits.push(wait);
    this.pending++;
    if (wait.at < this.armedFor) this.arm(wait.at);
    else if (!this.refed) { this.timer!.ref(); this.refed = true; }
    return wait;
  }

  /** A wait fired or was cancelled. */
  ended(): void {
    // The timer stays set for a wait that ended; it must not hold the process up on its own.
    if (--this.pending === 0 && this.refed) { this.timer?.unref(); this.refed = false; }
  }

  private arm(at: number): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.armedFor = at;
    this.timer = setTimeout(() => this.expire(), Math.max(0, Math.ceil(at - performance.now())));
    this.refed = this.pending > 0;
    if (!this.refed) this.timer.unref();
  }

  private expire(): void {
    this.timer = null;
    this.armedFor = Infinity;
    this.refed = false;
    const now = performance.now();
    let next = Infinity;
    for (const [ms, lane] of this.lanes) {
      for (let w = lane.front; w !== undefined && w.at <= now; w = lane.front) {
        const fire = w.fire;
        w.fire = null;
        lane.head++;
        if (fire !== null) { this.ended(); fire(); }
      }
      lane.dropEnded();
      const front = lane.front;
      if (front === undefined) this.lanes.delete(ms);
      else if (front.at < next) next = front.at;
    }
    if (next !== Infinity && next < this.armedFor) this.arm(next);
  }
}
