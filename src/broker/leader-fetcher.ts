/**
 * One leader's fetcher: a loop over one connection that fetches every
 * partition this broker follows from that leader (replica-fetcher.ts keeps
 * which partitions those are) and applies the answers.
 */
import { ApiKey } from '../wire/generated/api-keys.js';
import { encodeFetchRequest, decodeFetchResponse, type FetchRequestFetchTopic } from '../wire/generated/fetch.js';
import { ErrorCode } from '../wire/errors.js';
import { BrokerClient } from './broker-client.js';
import type { ReplicaManager } from './replica-manager.js';
import type { FetcherOptions, Followed } from './replica-fetcher.js';

const FETCH_VERSION = 12;

export class LeaderFetcher {
  private readonly client: BrokerClient;
  private running = false;
  private stopped = false;
  private wakeUp?: () => void;

  constructor(private readonly leader: number, private readonly partitions: Map<string, Followed>, private readonly rm: ReplicaManager, private readonly opts: FetcherOptions, private readonly paused: () => boolean) {
    this.client = new BrokerClient(() => opts.endpoint(leader), `samsa-replica-fetcher-${opts.nodeId}`, Math.max(30_000, opts.waitMaxMs * 4), opts.localAddress, opts.security);
  }

  /** Partitions were added: runs the loop, or wakes it. */
  kick(): void {
    if (!this.running) void this.run();
    else this.wake();
  }

  retryNow(key: string): void {
    const f = this.partitions.get(key);
    if (f) f.retryAt = 0;
    this.wake();
  }

  wake(): void { this.wakeUp?.(); }

  stop(): void {
    this.stopped = true;
    this.client.close();
    this.wake();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => { this.wakeUp = undefined; resolve(); }, ms);
      this.wakeUp = () => { clearTimeout(timer); this.wakeUp = undefined; resolve(); };
    });
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      while (!this.stopped && this.partitions.size > 0) {
        if (this.paused()) { await this.sleep(1000); continue; }
        const now = Date.now();
        const due = [...this.partitions.values()].filter((f) => f.retryAt <= now);
        if (due.length === 0) { await this.sleep(Math.min(...[...this.partitions.values()].map((f) => f.retryAt)) - now); continue; }
        try {
          await this.fetchOnce(due);
        } catch (e) {
          if (this.stopped) break;
          this.opts.log.warn(`replica fetcher of broker ${this.opts.nodeId} for leader ${this.leader}: ${(e as Error)?.message ?? e}; retrying in ${this.opts.backoffMs} ms`);
          await this.sleep(this.opts.backoffMs);
        }
      }
    } finally {
      this.running = false;
    }
  }

  private async fetchOnce(due: Followed[]): Promise<void> {
    const byTopic = new Map<string, FetchRequestFetchTopic>();
    const asked = new Map<string, Followed>();
    for (const f of due) {
      const pos = this.rm.followerPosition(f.topic, f.partition);
      if (!pos) { this.partitions.delete(`${f.topic}:${f.partition}`); continue; }
      let t = byTopic.get(f.topic);
      if (!t) byTopic.set(f.topic, t = { topic: f.topic, partitions: [] });
      t.partitions.push({
        partition: f.partition, currentLeaderEpoch: pos.leaderEpoch, fetchOffset: BigInt(pos.fetchOffset), lastFetchedEpoch: pos.lastFetchedEpoch,
        logStartOffset: BigInt(pos.logStartOffset), partitionMaxBytes: this.opts.partitionMaxBytes,
      });
      asked.set(`${f.topic}:${f.partition}`, f);
    }
    if (byTopic.size === 0) return;
    const res = await this.client.request(ApiKey.Fetch, FETCH_VERSION, (w) => encodeFetchRequest(w, {
      replicaId: this.opts.nodeId, maxWaitMs: this.opts.waitMaxMs, minBytes: 1, maxBytes: this.opts.maxBytes, isolationLevel: 0,
      sessionId: 0, sessionEpoch: -1, topics: [...byTopic.values()], forgottenTopicsData: [], rackId: '',
    }, FETCH_VERSION), (r) => decodeFetchResponse(r, FETCH_VERSION));
    if (res.errorCode) throw new Error(`fetch failed with error ${res.errorCode}`);
    for (const t of res.responses) {
      for (const p of t.partitions) {
        const key = `${t.topic}:${p.partitionIndex}`;
        const f = asked.get(key);
        // Moved to another leader or dropped while the fetch was out: what came back is not ours to apply.
        if (!f || this.partitions.get(key) !== f) continue;
        await this.apply(f, p);
      }
    }
  }

  private async apply(f: Followed, p: { errorCode: number; highWatermark: bigint; logStartOffset?: bigint; divergingEpoch?: { epoch: number; endOffset: bigint }; records: Buffer | null }): Promise<void> {
    const { topic, partition } = f;
    const leaderLogStart = Number(p.logStartOffset ?? -1n);
    switch (p.errorCode) {
      case ErrorCode.NONE: {
        const diverging = p.divergingEpoch;
        if (diverging && diverging.epoch >= 0 && diverging.endOffset >= 0n) {
          await this.rm.truncateFollower(topic, partition, Number(diverging.endOffset));
          return;
        }
        await this.rm.appendAsFollower(topic, partition, p.records ?? Buffer.alloc(0), Number(p.highWatermark));
        if (leaderLogStart >= 0) this.rm.followerLogStart(topic, partition, leaderLogStart);
        return;
      }
      case ErrorCode.OFFSET_OUT_OF_RANGE: {
        const pos = this.rm.followerPosition(topic, partition);
        if (!pos) return;
        if (leaderLogStart > pos.fetchOffset) await this.rm.restartFollowerAt(topic, partition, leaderLogStart);
        else await this.rm.truncateFollower(topic, partition, Math.max(Number(p.highWatermark), pos.logStartOffset));
        return;
      }
      default:
        // NOT_LEADER_OR_FOLLOWER, FENCED/UNKNOWN_LEADER_EPOCH, UNKNOWN_TOPIC_OR_PARTITION: the metadata is about to say more.
        f.retryAt = Date.now() + this.opts.backoffMs;
    }
  }
}
