/**
 * A leader's view of its followers (Kafka's Replica state): each follower's
 * log end offset, learnt from the offset it fetches at, and the last time it
 * was caught up. A follower is caught up at a fetch when it asks for the
 * leader's log end offset, or for at least the end the leader had at its
 * previous fetch (it read everything there was then); one not caught up for
 * replica.lag.time.max.ms leaves the ISR.
 */
interface Follower { leo: number; lastFetchMs: number; lastCaughtUpMs: number; leaderEndAtLastFetch: number }

export class FollowerTracker {
  private readonly followers = new Map<number, Follower>();

  /** On becoming leader: ISR members count as caught up now (they were, as far as the controller knows). */
  reset(replicas: readonly number[], isr: readonly number[], self: number, now: number): void {
    this.followers.clear();
    for (const r of replicas) {
      if (r === self) continue;
      this.followers.set(r, { leo: -1, lastFetchMs: 0, lastCaughtUpMs: isr.includes(r) ? now : 0, leaderEndAtLastFetch: -1 });
    }
  }

  /** Adds replicas joining by reassignment, keeps what is known of the others. */
  track(replicas: readonly number[], self: number): void {
    for (const r of replicas) if (r !== self && !this.followers.has(r)) this.followers.set(r, { leo: -1, lastFetchMs: 0, lastCaughtUpMs: 0, leaderEndAtLastFetch: -1 });
    for (const r of [...this.followers.keys()]) if (!replicas.includes(r)) this.followers.delete(r);
  }

  onFetch(replicaId: number, fetchOffset: number, leaderEnd: number, now: number): void {
    const f = this.followers.get(replicaId);
    if (!f) return;
    if (fetchOffset >= leaderEnd) f.lastCaughtUpMs = now;
    else if (fetchOffset >= f.leaderEndAtLastFetch && f.leaderEndAtLastFetch >= 0) f.lastCaughtUpMs = Math.max(f.lastCaughtUpMs, f.lastFetchMs);
    f.leo = fetchOffset;
    f.lastFetchMs = now;
    f.leaderEndAtLastFetch = leaderEnd;
  }

  /** -1 when the follower has not fetched since this broker became leader. */
  leo(replicaId: number): number { return this.followers.get(replicaId)?.leo ?? -1; }

  isReplica(replicaId: number): boolean { return this.followers.has(replicaId); }

  /** ISR members (not the leader) that have not been caught up within `maxLagMs`. */
  lagging(isr: readonly number[], now: number, maxLagMs: number): number[] {
    return isr.filter((r) => {
      const f = this.followers.get(r);
      return f !== undefined && now - f.lastCaughtUpMs > maxLagMs;
    });
  }

  entries(): { id: number; leo: number; lastFetchMs: number; lastCaughtUpMs: number }[] {
    return [...this.followers].map(([id, f]) => ({ id, leo: f.leo, lastFetchMs: f.lastFetchMs, lastCaughtUpMs: f.lastCaughtUpMs }));
  }
}
