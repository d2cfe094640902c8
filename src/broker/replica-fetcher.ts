/**
 * Followers' fetching: one fetcher per leader broker, each with its own
 * connection, fetching every partition this broker follows from that leader
 * with the Fetch API as a replica (replica_id, Fetch v12: last fetched epoch
 * and the diverging-epoch answer). Records are appended as they are; a
 * diverging epoch cuts the local log back to where the leader's history
 * agrees, an offset past the leader's end cuts it back to the leader's high
 * watermark, a leader whose log starts past ours makes us start over there.
 * Errors (leader moved, epoch fenced) pause the partition until the metadata
 * says more; connection failures back off (replica.fetch.backoff.ms).
 */
import type { ReplicaManager } from './replica-manager.js';
import type { LeaderFetcher } from './leader-fetcher.js';
import type { InterBrokerSecurity } from './broker-client.js';

export interface FetcherOptions {
  nodeId: number;
  /** The address fetch connections come from (this broker's listen address when it has one of its own). */
  localAddress?: string;
  /** TLS and SASL for the inter-broker listener. */
  security?: InterBrokerSecurity;
  endpoint(brokerId: number): { host: string; port: number } | undefined;
  waitMaxMs: number;
  maxBytes: number;
  partitionMaxBytes: number;
  backoffMs: number;
  log: { info(m: string): void; warn(m: string): void };
}

export interface Followed { topic: string; partition: number; /** Fetching paused until this time (an error answer). */ retryAt: number }

/**
 * The fetching code (connections, codecs) loads with the first partition
 * followed: a lone broker never follows one, and its start-up should not
 * pay for it. Until it has loaded, a leader's partitions gather in its slot.
 */
interface Slot { partitions: Map<string, Followed>; fetcher?: LeaderFetcher }

export class ReplicaFetchers {
  private readonly slots = new Map<number, Slot>();
  private readonly leaderOf = new Map<string, number>();
  private paused = false;
  private closed = false;
  private loading?: Promise<typeof import('./leader-fetcher.js')>;

  constructor(private readonly rm: ReplicaManager, private readonly opts: FetcherOptions) {}

  follow(topic: string, partition: number, leader: number | null): void {
    const key = `${topic}:${partition}`;
    const before = this.leaderOf.get(key);
    if (before === leader) { this.slots.get(before!)?.fetcher?.retryNow(key); return; }
    if (before !== undefined) this.slots.get(before)?.partitions.delete(key);
    if (leader === null || leader === this.opts.nodeId) { this.leaderOf.delete(key); return; }
    this.leaderOf.set(key, leader);
    let slot = this.slots.get(leader);
    if (!slot) this.slots.set(leader, slot = { partitions: new Map() });
    slot.partitions.set(key, { topic, partition, retryAt: 0 });
    if (slot.fetcher) { slot.fetcher.kick(); return; }
    const s = slot;
    this.loading ??= import('./leader-fetcher.js');
    void this.loading.then(({ LeaderFetcher }) => {
      if (this.closed || this.slots.get(leader) !== s) return;
      s.fetcher ??= new LeaderFetcher(leader, s.partitions, this.rm, this.opts, () => this.paused);
      s.fetcher.kick();
    });
  }

  /** A paused broker fetches nothing (fault injection); resume picks up where it was. */
  setPaused(paused: boolean): void {
    this.paused = paused;
    if (!paused) for (const s of this.slots.values()) s.fetcher?.wake();
  }

  close(): void {
    this.closed = true;
    for (const s of this.slots.values()) s.fetcher?.stop();
    this.slots.clear();
    this.leaderOf.clear();
  }
}

