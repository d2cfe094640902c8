/**
 * The broker-wide budget for bytes held on behalf of clients: request frames
 * read and not yet answered, responses built and not yet handed to the kernel
 * (queued.max.request.bytes). Connections charge and release it; one that
 * finds it full waits here and is woken when enough is released.
 *
 * The budget is a threshold, not a reservation: a connection may start a
 * request while `used` is below the limit, so `used` can pass the limit by
 * what the requests started just before it did (Kafka's non-strict memory
 * pool behaves the same way). Single-threaded: no locking.
 */
export class MemoryBudget {
  private held = 0;
  private readonly waiters = new Set<() => void>();
  private wakeScheduled = false;

  /** @param limit bytes; a negative limit means no broker-wide limit (Kafka's -1). */
  constructor(readonly limit: number) {}

  get used(): number { return this.held; }
  get full(): boolean { return this.limit >= 0 && this.held >= this.limit; }

  charge(bytes: number): void { this.held += bytes; }

  release(bytes: number): void {
    if (bytes <= 0) return;
    // Clamped, never thrown: this runs in socket callbacks, where a throw would end the process.
    this.held = Math.max(0, this.held - bytes);
    if (this.waiters.size === 0 || this.full || this.wakeScheduled) return;
    // Woken on the next tick, not from inside the release (which runs in the middle of a connection's bookkeeping).
    this.wakeScheduled = true;
    process.nextTick(() => this.wakeAll());
  }

  /** Everyone waiting tries again, in the order they came; those that find it full again wait again. */
  private wakeAll(): void {
    this.wakeScheduled = false;
    if (this.full) return;
    const woken = [...this.waiters];
    this.waiters.clear();
    for (const wake of woken) wake();
  }

  /** Calls `wake` once, the next time a release leaves the budget below its limit. */
  wait(wake: () => void): void { this.waiters.add(wake); }

  cancel(wake: () => void): void { this.waiters.delete(wake); }
}
