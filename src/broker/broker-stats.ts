/**
 * The counters a broker keeps about its own work, for /metrics and the
 * console: requests and their latency per API and version, bytes and records
 * in and out per topic, ISR shrinks and expands, connections per listener.
 *
 * They are plain numbers on the request path, read by whoever looks (the
 * HTTP side formats them at scrape time): recording a request is an array
 * lookup, a bucket search over a dozen bounds and a few adds; recording a
 * partition's produce or fetch is a Map lookup and a few adds (a fetch also
 * reads each returned batch's record count, one int per batch). No
 * allocation after a topic's or an API version's first time, no clock read
 * beyond the one the dispatcher takes per request.
 */
import { BATCH_HEADER_SIZE, LOG_OVERHEAD } from '../wire/records/batch-header.js';

/** Upper bounds, in milliseconds, of the request latency histogram's buckets (a last one, +Inf, takes the rest). */
export const LATENCY_BUCKETS_MS: readonly number[] = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000];

/** Where a v2 batch header keeps its record count (int32). */
const RECORD_COUNT_OFFSET = 57;

/** Requests of one API at one version: how many, their total time, and how many fell in each latency bucket. */
export class RequestStats {
  count = 0;
  sumMs = 0;
  /** Not cumulative: counts[i] is how many took at most LATENCY_BUCKETS_MS[i] and more than the bound before; the last is over every bound. */
  readonly counts = new Float64Array(LATENCY_BUCKETS_MS.length + 1);

  observe(ms: number): void {
    this.count++;
    this.sumMs += ms;
    let i = 0;
    while (i < LATENCY_BUCKETS_MS.length && ms > LATENCY_BUCKETS_MS[i]!) i++;
    this.counts[i]!++;
  }
}

/** What went into and out of one topic on this broker: produced on it as leader, fetched from it by consumers. */
export class TopicStats {
  bytesIn = 0;
  messagesIn = 0;
  bytesOut = 0;
  messagesOut = 0;
}

export interface ThroughputTotals { bytesIn: number; bytesOut: number; messagesIn: number; messagesOut: number }

export class ConnectionStats {
  open = 0;
  accepted = 0;
}

export class BrokerStats {
  /** By API key, then version. */
  private readonly requests: (RequestStats | undefined)[][] = [];
  /** By topic name; a deleted topic's entry goes (forgetTopic). */
  readonly topics = new Map<string, TopicStats>();
  /** By listener name. */
  readonly connections = new Map<string, ConnectionStats>();
  /** Partitions this broker leads whose ISR got smaller or larger (Kafka's IsrShrinksPerSec and IsrExpandsPerSec). */
  isrShrinks = 0;
  isrExpands = 0;
  // Since start, over every topic (deleted ones too): the console's throughput chart takes rates of these.
  private readonly total: ThroughputTotals = { bytesIn: 0, bytesOut: 0, messagesIn: 0, messagesOut: 0 };

  /** A request answered (or dropped unanswered, acks=0) `ms` after it was decoded. */
  request(apiKey: number, version: number, ms: number): void {
    const byVersion = this.requests[apiKey] ??= [];
    (byVersion[version] ??= new RequestStats()).observe(ms);
  }

  /** Every API and version seen so far. */
  *requestStats(): Generator<{ apiKey: number; version: number; stats: RequestStats }> {
    for (let apiKey = 0; apiKey < this.requests.length; apiKey++) {
      const byVersion = this.requests[apiKey];
      if (!byVersion) continue;
      for (let version = 0; version < byVersion.length; version++) {
        const stats = byVersion[version];
        if (stats) yield { apiKey, version, stats };
      }
    }
  }

  private topic(name: string): TopicStats {
    let t = this.topics.get(name);
    if (t === undefined) this.topics.set(name, t = new TopicStats());
    return t;
  }

  /** A batch appended to a partition this broker leads. */
  produced(topic: string, bytes: number, messages: number): void {
    const t = this.topic(topic);
    t.bytesIn += bytes;
    t.messagesIn += messages;
    this.total.bytesIn += bytes;
    this.total.messagesIn += messages;
  }

  /** Whole v2 batches returned to a consumer (not to a follower: replication is not traffic out). */
  fetched(topic: string, records: Buffer): void {
    let messages = 0;
    for (let at = 0, size = 0; at + BATCH_HEADER_SIZE <= records.length; at += size) {
      messages += records.readInt32BE(at + RECORD_COUNT_OFFSET);
      size = LOG_OVERHEAD + records.readInt32BE(at + 8);
      if (size < BATCH_HEADER_SIZE) break; // not a batch: count no further rather than loop
    }
    const t = this.topic(topic);
    t.bytesOut += records.length;
    t.messagesOut += messages;
    this.total.bytesOut += records.length;
    this.total.messagesOut += messages;
  }

  forgetTopic(name: string): void {
    this.topics.delete(name);
  }

  /** A leader's partition took a new ISR of `after` replicas, from `before`. */
  isrChanged(before: number, after: number): void {
    if (after < before) this.isrShrinks++;
    else if (after > before) this.isrExpands++;
  }

  private listener(name: string): ConnectionStats {
    let c = this.connections.get(name);
    if (c === undefined) this.connections.set(name, c = new ConnectionStats());
    return c;
  }

  connectionOpened(listener: string): void {
    const c = this.listener(listener);
    c.open++;
    c.accepted++;
  }

  connectionClosed(listener: string): void {
    this.listener(listener).open--;
  }

  /** Bytes and records in and out since start, over every topic. */
  totals(): ThroughputTotals {
    return { ...this.total };
  }
}
