/**
 * Incremental fetch sessions (KIP-227), as Kafka's FetchSession.scala and the
 * Java client's FetchSessionHandler use them.
 *
 * A Fetch request (v7+) carries (sessionId, sessionEpoch):
 *   (0, -1)      sessionless full fetch: no session is created;
 *   (0, 0)       full fetch that asks for a new session;
 *   (id, 0)      full fetch: session `id` is closed and a new one created;
 *   (id, -1)     session `id` is closed, sessionless full fetch;
 *   (id, n > 0)  incremental fetch on session `id`, whose expected epoch is n:
 *                the request lists only added/changed partitions plus the ones
 *                to forget; the broker reads every partition of the session.
 * A full fetch answers every requested partition. An incremental fetch answers
 * only partitions that have records, an error, a changed high watermark or log
 * start offset, or a preferred read replica; partitions that returned records
 * move to the end of the session so that reads rotate fairly. An unknown
 * session is FETCH_SESSION_ID_NOT_FOUND, a wrong epoch INVALID_FETCH_SESSION_EPOCH,
 * mixing topic ids (v13+) and names FETCH_SESSION_TOPIC_ID_ERROR; all three
 * answer with the top-level error, session id 0 and no partitions.
 *
 * The cache is bounded (max.incremental.fetch.session.cache.slots, default
 * 1000). When full, a new session may evict the least recently used session
 * idle for at least `evictionMs` (Kafka: 120 s), else the smallest session that
 * is smaller than the new one (a consumer's session never evicts a follower's);
 * failing both, the fetch is answered without a session (session id 0) and the
 * client keeps sending full fetches.
 *
 * Concurrency: everything is synchronous; newContext() and finish() run on the
 * event loop without awaits, so a session is never seen half-updated. A fetch
 * that waits (delayed fetch) holds its context and finishes it later; the
 * session epoch was already advanced when the context was made, as in Kafka.
 */

export const INVALID_SESSION_ID = 0;
export const INITIAL_EPOCH = 0;
export const FINAL_EPOCH = -1;
const INT32_MAX = 0x7fffffff;

export const FETCH_SESSION_ID_NOT_FOUND = 70;
export const INVALID_FETCH_SESSION_EPOCH = 71;
export const FETCH_SESSION_TOPIC_ID_ERROR = 106;

/** One partition as a Fetch request names it. */
export interface FetchPartitionParams {
  topic: string;
  /** All-zero id when the request uses names (v < 13). */
  topicId: string;
  partition: number;
  fetchOffset: number;
  partitionMaxBytes: number;
  logStartOffset: number;
  currentLeaderEpoch: number;
  lastFetchedEpoch: number;
}

export interface ForgottenPartition { topic: string; topicId: string; partition: number }

/** What finish() needs to know of each partition's result. */
export interface FetchPartitionOutcome {
  errorCode: number;
  highWatermark: number;
  logStartOffset: number;
  /** Bytes of records returned. */
  recordsSize: number;
  preferredReadReplica?: number;
  divergingEpoch?: boolean;
}

interface CachedPartition extends FetchPartitionParams {
  highWatermark: number;
  cachedLogStartOffset: number;
}

export class FetchSession {
  /** Session order: the order partitions are read in. */
  readonly partitions = new Map<string, CachedPartition>();
  lastUsedMs: number;
  constructor(readonly id: number, public epoch: number, readonly isFollower: boolean, readonly usesTopicIds: boolean, readonly createdMs: number) {
    this.lastUsedMs = createdMs;
  }
  get size(): number { return this.partitions.size; }
}

function nextEpoch(prev: number): number {
  if (prev < 0) return FINAL_EPOCH;
  return prev === INT32_MAX ? 1 : prev + 1;
}

function keyOf(usesTopicIds: boolean, p: { topic: string; topicId: string; partition: number }): string {
  return `${usesTopicIds ? p.topicId : p.topic}:${p.partition}`;
}

/** The outcome of newContext(): which partitions to read and how to shape the response. */
export class FetchContext {
  private constructor(
    readonly kind: 'error' | 'sessionless' | 'full' | 'incremental',
    readonly errorCode: number,
    private readonly toRead: FetchPartitionParams[],
    private readonly cache: FetchSessionCache | null,
    readonly session: FetchSession | null,
    private readonly fullOpts: { isFollower: boolean; usesTopicIds: boolean } | null,
  ) {}

  static error(code: number): FetchContext { return new FetchContext('error', code, [], null, null, null); }
  static sessionless(p: FetchPartitionParams[]): FetchContext { return new FetchContext('sessionless', 0, p, null, null, null); }
  static full(p: FetchPartitionParams[], cache: FetchSessionCache, isFollower: boolean, usesTopicIds: boolean): FetchContext {
    return new FetchContext('full', 0, p, cache, null, { isFollower, usesTopicIds });
  }
  static incremental(session: FetchSession): FetchContext {
    return new FetchContext('incremental', 0, [...session.partitions.values()], null, session, null);
  }

  /** Partitions to read, in order. */
  partitions(): readonly FetchPartitionParams[] { return this.toRead; }

  /**
   * Given one outcome per partition of partitions() (same order), returns the
   * session id for the response and the indexes of the partitions to include.
   * Call once per request.
   */
  finish(outcomes: readonly FetchPartitionOutcome[], nowMs: number): { sessionId: number; include: number[] } {
    if (this.kind === 'error') return { sessionId: INVALID_SESSION_ID, include: [] };
    const all = this.toRead.map((_, i) => i);
    if (this.kind === 'sessionless') return { sessionId: INVALID_SESSION_ID, include: all };
    if (this.kind === 'full') {
      const { isFollower, usesTopicIds } = this.fullOpts!;
      const sessionId = this.cache!.maybeCreateSession(nowMs, isFollower, usesTopicIds, this.toRead.length, (s) => {
        this.toRead.forEach((p, i) => {
          const o = outcomes[i]!;
          s.partitions.set(keyOf(usesTopicIds, p), { ...p, highWatermark: o.errorCode !== 0 ? -1 : o.highWatermark, cachedLogStartOffset: o.logStartOffset });
        });
      });
      return { sessionId, include: all };
    }
    const session = this.session!;
    const include: number[] = [];
    const moveToEnd: string[] = [];
    this.toRead.forEach((p, i) => {
      const o = outcomes[i]!;
      const key = keyOf(session.usesTopicIds, p);
      const cached = session.partitions.get(key);
      if (cached === undefined) return; // forgotten meanwhile
      let mustRespond = o.recordsSize > 0;
      if (cached.highWatermark !== o.highWatermark) { mustRespond = true; cached.highWatermark = o.highWatermark; }
      if (cached.cachedLogStartOffset !== o.logStartOffset) { mustRespond = true; cached.cachedLogStartOffset = o.logStartOffset; }
      if ((o.preferredReadReplica ?? -1) !== -1 || o.divergingEpoch) mustRespond = true;
      if (o.errorCode !== 0) { mustRespond = true; cached.highWatermark = -1; }
      if (mustRespond) include.push(i);
      if (o.recordsSize > 0) moveToEnd.push(key);
    });
    for (const key of moveToEnd) {
      const c = session.partitions.get(key)!;
      session.partitions.delete(key);
      session.partitions.set(key, c);
    }
    return { sessionId: session.id, include };
  }
}

export interface FetchSessionCacheOptions {
  maxEntries?: number;
  evictionMs?: number;
  /** Session id source (tests); default random positive int32. */
  newSessionId?: () => number;
}

export class FetchSessionCache {
  /** Least recently used first. */
  private readonly sessions = new Map<number, FetchSession>();
  readonly maxEntries: number;
  readonly evictionMs: number;
  private readonly newSessionId: () => number;

  constructor(opts: FetchSessionCacheOptions = {}) {
    this.maxEntries = opts.maxEntries ?? 1000;
    this.evictionMs = opts.evictionMs ?? 120_000;
    this.newSessionId = opts.newSessionId ?? (() => 1 + Math.floor(Math.random() * INT32_MAX));
  }

  get size(): number { return this.sessions.size; }
  get(id: number): FetchSession | undefined { return this.sessions.get(id); }

  /**
   * Decides how to serve one Fetch request. `version` decides whether
   * partitions are keyed by topic id (v13+). For v < 7 pass (0, -1).
   */
  newContext(version: number, sessionId: number, epoch: number, isFollower: boolean,
    fetchData: FetchPartitionParams[], toForget: ForgottenPartition[], nowMs: number): FetchContext {
    const usesTopicIds = version >= 13;
    if (epoch === INITIAL_EPOCH || epoch === FINAL_EPOCH) {
      if (sessionId !== INVALID_SESSION_ID) this.sessions.delete(sessionId);
      if (epoch === FINAL_EPOCH) return FetchContext.sessionless(fetchData);
      return FetchContext.full(fetchData, this, isFollower, usesTopicIds);
    }
    const session = this.sessions.get(sessionId);
    if (session === undefined) return FetchContext.error(FETCH_SESSION_ID_NOT_FOUND);
    if (session.epoch !== epoch) return FetchContext.error(INVALID_FETCH_SESSION_EPOCH);
    if (session.usesTopicIds !== usesTopicIds) return FetchContext.error(FETCH_SESSION_TOPIC_ID_ERROR);
    for (const p of fetchData) {
      const key = keyOf(usesTopicIds, p);
      const cached = session.partitions.get(key);
      if (cached === undefined) {
        session.partitions.set(key, { ...p, highWatermark: -1, cachedLogStartOffset: -1 });
      } else {
        cached.fetchOffset = p.fetchOffset;
        cached.partitionMaxBytes = p.partitionMaxBytes;
        cached.logStartOffset = p.logStartOffset;
        cached.currentLeaderEpoch = p.currentLeaderEpoch;
        cached.lastFetchedEpoch = p.lastFetchedEpoch;
        cached.topic = p.topic;
      }
    }
    for (const f of toForget) session.partitions.delete(keyOf(usesTopicIds, f));
    if (session.size === 0) {
      this.sessions.delete(session.id);
      return FetchContext.sessionless(fetchData);
    }
    this.touch(session, nowMs);
    session.epoch = nextEpoch(session.epoch);
    return FetchContext.incremental(session);
  }

  private touch(s: FetchSession, nowMs: number): void {
    s.lastUsedMs = nowMs;
    this.sessions.delete(s.id);
    this.sessions.set(s.id, s);
  }

  /** Creates a session when there is room (evicting if allowed); returns its id or 0. */
  maybeCreateSession(nowMs: number, isFollower: boolean, usesTopicIds: boolean, size: number, fill: (s: FetchSession) => void): number {
    if (this.sessions.size >= this.maxEntries && !this.evictOne(nowMs, isFollower, size)) return INVALID_SESSION_ID;
    let id = this.newSessionId();
    while (id === INVALID_SESSION_ID || this.sessions.has(id)) id = 1 + Math.floor(Math.random() * INT32_MAX);
    const s = new FetchSession(id, nextEpoch(INITIAL_EPOCH), isFollower, usesTopicIds, nowMs);
    fill(s);
    this.sessions.set(id, s);
    return id;
  }

  private evictOne(nowMs: number, isFollower: boolean, newSize: number): boolean {
    for (const s of this.sessions.values()) {
      if (s.lastUsedMs + this.evictionMs > nowMs) break; // LRU order: the rest are fresher
      this.sessions.delete(s.id);
      return true;
    }
    let victim: FetchSession | undefined;
    for (const s of this.sessions.values()) {
      if (s.isFollower && !isFollower) continue;
      if (s.size < newSize && (victim === undefined || s.size < victim.size)) victim = s;
    }
    if (victim === undefined) return false;
    this.sessions.delete(victim.id);
    return true;
  }
}
