/**
 * Delayed fetches (Kafka's fetch purgatory). A Fetch that finds fewer than
 * min_bytes waits here, watching its partitions' keys (`topic:partition`).
 * When the high watermark of a partition moves (or the partition changes in a
 * way a fetch must see: deleted, truncated) the replica manager calls
 * checkAndComplete(key); every fetch watching that key runs its tryComplete(),
 * and the ones that return true finish now. The rest finish when max_wait_ms
 * passes or at shutdown.
 *
 * Concurrency: single-threaded; a waiter completes exactly once, its timeout is
 * cancelled and it leaves every key's watch list in the same tick. Timeouts
 * share one timer (deadline-queue.ts): acks=all Produces on replicated
 * partitions and followers' fetches wait here, one wait per request. tryComplete()
 * must be synchronous and cheap (it runs on every append to a watched
 * partition); one that throws completes its fetch so the error shows in the
 * response instead of hanging.
 */

import { DeadlineQueue, type Deadline } from './deadline-queue.js';

interface Waiter {
  keys: string[];
  tryComplete: () => boolean;
  deadline: Deadline;
  resolve: (completedEarly: boolean) => void;
  done: boolean;
}

export class DelayedFetchPurgatory {
  private readonly watchers = new Map<string, Set<Waiter>>();
  private pending = 0;
  private readonly timeouts = new DeadlineQueue();

  /** Fetches waiting now. */
  get size(): number { return this.pending; }

  /**
   * Waits until tryComplete() is true, checked once now and then at every
   * checkAndComplete() on one of `keys` (resolves true), or `maxWaitMs`
   * passes (resolves false). The check now matters: a caller reads, finds
   * too little and waits, and an append that came while it read (an
   * asynchronous read) woke nobody; without it that fetch would sit out its
   * whole max wait with data there (Kafka's tryCompleteElseWatch checks too).
   */
  wait(keys: Iterable<string>, maxWaitMs: number, tryComplete: () => boolean): Promise<boolean> {
    return new Promise((resolve) => {
      const w: Waiter = { keys: [...new Set(keys)], tryComplete, resolve, done: false, deadline: undefined as unknown as Deadline };
      w.deadline = this.timeouts.after(Math.max(0, maxWaitMs), () => this.complete(w, false));
      this.pending++;
      for (const k of w.keys) {
        let set = this.watchers.get(k);
        if (set === undefined) this.watchers.set(k, (set = new Set()));
        set.add(w);
      }
      let ready: boolean;
      try { ready = tryComplete(); } catch { ready = true; }
      if (ready) this.complete(w, true);
    });
  }

  /** Something changed on `key`: finish the fetches watching it that can finish. */
  checkAndComplete(key: string): void {
    const set = this.watchers.get(key);
    if (set === undefined) return;
    for (const w of [...set]) {
      let ok: boolean;
      try { ok = w.tryComplete(); } catch { ok = true; }
      if (ok) this.complete(w, true);
    }
  }

  /** Finishes every waiting fetch now (broker shutdown). */
  completeAll(): void {
    for (const set of [...this.watchers.values()]) for (const w of [...set]) this.complete(w, false);
  }

  private complete(w: Waiter, early: boolean): void {
    if (w.done) return;
    w.done = true;
    w.deadline.cancel();
    this.pending--;
    for (const k of w.keys) {
      const set = this.watchers.get(k);
      if (set === undefined) continue;
      set.delete(w);
      if (set.size === 0) this.watchers.delete(k);
    }
    w.resolve(early);
  }
}
