/**
 * Client quotas with the semantics of Kafka's ClientQuotaManager and
 * ClientRequestQuotaManager: which quota applies to a (user, client-id), how
 * usage is measured, and how long a client that exceeds its quota is
 * throttled. Pure: no timers and no sockets; the caller passes the time (ms,
 * Date.now()) and acts on the throttle time it gets back (puts it in the
 * response's throttle_time_ms and mutes the connection for that long).
 *
 * Measurement (Kafka's Rate over a SampledStat/WindowedSum): each sensor
 * keeps up to `windows` + 1 samples of `windowMs`; the measured rate is the
 * sum of the samples divided by the elapsed time since the oldest one, and
 * that time is never taken as less than `windows` - 1 full windows, so a
 * first burst is not measured over a few milliseconds. A sample with no
 * event for `windows` * `windowMs` is dropped.
 *
 * Throttling (Kafka's QuotaUtils.throttleTime): when the rate after
 * recording exceeds the quota, the client waits the time X that brings the
 * rate back to the quota if it sends nothing more: rate * W / (W + X) =
 * quota, so X = (rate - quota) / quota * W, W being the elapsed time above.
 * The value is recorded even when it is throttled. Byte-rate throttles have
 * no cap (as in Kafka); request-time throttles are capped at one window
 * (ClientRequestQuotaManager's maxThrottleTimeMs = quota.window.size.seconds).
 *
 * What the caller records (as Kafka's KafkaApis does):
 * - produce: the size in bytes of the whole Produce request, recorded when
 *   the response is ready (after the append). acks=0 requests are recorded
 *   for the byte rate but not for request time.
 * - fetch: the size in bytes of the response the broker is about to send
 *   (consumer fetches only, not followers). When the throttle time (the
 *   larger of the fetch and request throttles) is above 0, Kafka sends an
 *   empty response instead, so the caller then calls unrecord() with the
 *   same size. maxValueInQuotaWindow(..., 'fetch') caps a consumer fetch's
 *   max_bytes so that one fetch cannot exceed what the quota allows at once.
 * - request: the milliseconds the broker spent handling the request.
 *   Kafka records nanoseconds of I/O-thread (and network-thread) time as a
 *   percentage of one thread's second and counts each thread separately, so
 *   a client can reach (num.io.threads + num.network.threads) * 100%.
 *   Samsa handles requests on one event loop: 100% is the whole broker.
 * The response carries the larger throttle time of the ones that apply, and
 * Kafka throttles on the quota that gave it.
 *
 * Deliberate differences from Kafka:
 * - a client that no quota applies to is not recorded at all (Kafka records
 *   every client once any quota exists); a quota set later starts from an
 *   empty history, which the minimum window above makes harmless.
 * - `empty` follows the current configuration (Kafka keeps recording until
 *   a restart once any quota was set), and removing the last quota drops
 *   every sensor.
 * - an empty client-id is an ordinary client-id here; Kafka's metric tags
 *   cannot tell it from "no client-id", so there it escapes client-id quotas.
 * - controller_mutation_rate is stored and resolved by quotaFor() callers
 *   but not enforced here (Kafka enforces it with a token bucket on
 *   CreateTopics/CreatePartitions/DeleteTopics).
 */
import { CLIENT_ID, USER, entityKey, type QuotaEntity } from './quota-entity.js';

export type QuotaType = 'produce' | 'fetch' | 'request';

/** The quota key each measured type is limited by. */
export const QUOTA_KEY_FOR_TYPE: Readonly<Record<QuotaType, string>> = {
  produce: 'producer_byte_rate',
  fetch: 'consumer_byte_rate',
  request: 'request_percentage',
};

export interface QuotaManagerOptions {
  /** quota.window.size.seconds * 1000 (Kafka's default: 1 s). */
  windowMs?: number;
  /** quota.window.num (Kafka's default: 11). */
  windows?: number;
  /** Drop a sensor idle for longer than this (Kafka: one hour). */
  sensorExpiryMs?: number;
}

/**
 * The sensor a client is measured by, as Kafka's quota metric tags: a quota
 * on a user alone (named or <default>) measures all of that user's clients
 * together; a client-id quota measures all users with that client-id
 * together; a quota on user and client-id measures each pair on its own.
 * A default entity applies to each user or client separately, never to all
 * of them together.
 */
export interface QuotaTags { user: string; clientId: string }

export interface AppliedQuota {
  /** Bytes per second, or percent of the event loop's time for 'request'. */
  limit: number;
  /** The configured entity the limit comes from. */
  entity: QuotaEntity;
  /** entityKey(entity). */
  key: string;
  tags: QuotaTags;
}

const INT32_MAX = 2 ** 31 - 1;
const HOUR_MS = 3_600_000;

interface Sample { startMs: number; lastEventMs: number; value: number }

/**
 * A windowed sum measured as a rate per second, with Kafka's sample
 * rotation and elapsed-time rule (see the header).
 */
export class SampledRate {
  private readonly samples: Sample[] = [];
  private current = 0;

  constructor(private readonly windowMs: number, private readonly windows: number) {}

  record(value: number, now: number): void {
    let sample = this.currentSample(now);
    if (now - sample.startMs >= this.windowMs) sample = this.advance(now);
    sample.value += value;
    sample.lastEventMs = now;
  }

  /** Per second: the sum of the live samples over windowSize(now). */
  measure(now: number): number {
    this.purgeObsolete(now);
    let total = 0;
    for (const s of this.samples) total += s.value;
    return (total * 1000) / this.windowSize(now);
  }

  /** Elapsed ms the rate is computed over: since the oldest sample, at least windows - 1 full windows, at least 1. */
  windowSize(now: number): number {
    this.purgeObsolete(now);
    let elapsed = now - this.oldestStart(now);
    const fullWindows = Math.floor(elapsed / this.windowMs);
    const minFullWindows = this.windows - 1;
    if (fullWindows < minFullWindows) elapsed += (minFullWindows - fullWindows) * this.windowMs;
    return Math.max(elapsed, 1);
  }

  private currentSample(now: number): Sample {
    if (this.samples.length === 0) this.samples.push({ startMs: now, lastEventMs: now, value: 0 });
    return this.samples[this.current]!;
  }

  // One sample more than `windows`: the oldest may have started before the
  // measured span while still overlapping it.
  private advance(now: number): Sample {
    this.current = (this.current + 1) % (this.windows + 1);
    if (this.current >= this.samples.length) {
      const sample = { startMs: now, lastEventMs: now, value: 0 };
      this.samples.push(sample);
      return sample;
    }
    const sample = this.samples[this.current]!;
    reset(sample, now);
    return sample;
  }

  private purgeObsolete(now: number): void {
    const expireAge = this.windows * this.windowMs;
    for (const s of this.samples) if (now - s.lastEventMs >= expireAge) reset(s, now);
  }

  private oldestStart(now: number): number {
    if (this.samples.length === 0) return now;
    let oldest = this.samples[0]!.startMs;
    for (const s of this.samples) if (s.startMs < oldest) oldest = s.startMs;
    return oldest;
  }
}

function reset(s: Sample, now: number): void {
  s.startMs = now;
  s.lastEventMs = now;
  s.value = 0;
}

interface Sensor { rate: SampledRate; lastRecordMs: number }

/**
 * Kafka's precedence, most specific first, with the tags each level
 * measures by (a null name is that type's default entity).
 */
function levels(user: string, clientId: string): { entity: QuotaEntity; tags: QuotaTags }[] {
  const pair = { user, clientId };
  const userOnly = { user, clientId: '' };
  const clientOnly = { user: '', clientId };
  return [
    { entity: { [USER]: user, [CLIENT_ID]: clientId }, tags: pair },
    { entity: { [USER]: user, [CLIENT_ID]: null }, tags: pair },
    { entity: { [USER]: user }, tags: userOnly },
    { entity: { [USER]: null, [CLIENT_ID]: clientId }, tags: pair },
    { entity: { [USER]: null, [CLIENT_ID]: null }, tags: pair },
    { entity: { [USER]: null }, tags: userOnly },
    { entity: { [CLIENT_ID]: clientId }, tags: clientOnly },
    { entity: { [CLIENT_ID]: null }, tags: clientOnly },
  ];
}

/**
 * The quotas configured per entity and one sensor per (type, tags). `user`
 * is the authenticated principal's name; an unauthenticated connection is
 * 'ANONYMOUS', as in Kafka, so <default> user quotas apply to it.
 */
export class QuotaManager {
  private readonly windowMs: number;
  private readonly windows: number;
  private readonly sensorExpiryMs: number;
  private readonly quotas = new Map<string, { entity: QuotaEntity; values: Record<string, number> }>();
  private readonly sensors = new Map<string, Sensor>();

  constructor(opts: QuotaManagerOptions = {}) {
    this.windowMs = opts.windowMs ?? 1000;
    this.windows = opts.windows ?? 11;
    this.sensorExpiryMs = opts.sensorExpiryMs ?? HOUR_MS;
    if (!(this.windowMs > 0) || !Number.isInteger(this.windows) || this.windows < 1) {
      throw new RangeError(`quota windows must be positive (windowMs ${this.windowMs}, windows ${this.windows})`);
    }
  }

  /** True when no quota is configured: the broker then skips recording. */
  get empty(): boolean {
    return this.quotas.size === 0;
  }

  /** Live sensors (for metrics and tests). */
  get sensorCount(): number {
    return this.sensors.size;
  }

  /**
   * Replaces the quotas of one entity (as a replay of its quota records
   * leaves them); no values removes the entity. Values are taken as
   * validated by alterEntryError().
   */
  set(entity: QuotaEntity, values: Record<string, number>): void {
    const key = entityKey(entity);
    if (Object.keys(values).length === 0) this.quotas.delete(key);
    else this.quotas.set(key, { entity: { ...entity }, values: { ...values } });
    if (this.quotas.size === 0) this.sensors.clear();
  }

  /** The quota that applies to (user, clientId) for a type, by Kafka's precedence; undefined when none does. */
  quotaFor(user: string, clientId: string, type: QuotaType): AppliedQuota | undefined {
    if (this.quotas.size === 0) return undefined;
    const quotaKey = QUOTA_KEY_FOR_TYPE[type];
    for (const { entity, tags } of levels(user, clientId)) {
      const key = entityKey(entity);
      const limit = this.quotas.get(key)?.values[quotaKey];
      if (limit !== undefined) return { limit, entity, key, tags };
    }
    return undefined;
  }

  /**
   * Records usage and returns the throttle time in ms (0 within quota or
   * without one). `value`: bytes for produce and fetch, milliseconds of
   * handling time for request (see the header for what to pass when).
   */
  record(user: string, clientId: string, type: QuotaType, value: number, now: number): number {
    const quota = this.quotaFor(user, clientId, type);
    if (!quota) return 0;
    const sensor = this.sensor(type, quota.tags, now);
    sensor.rate.record(this.amount(type, value), now);
    sensor.lastRecordMs = now;

    const rate = sensor.rate.measure(now);
    if (rate <= quota.limit) return 0;
    let throttleMs = Math.round(((rate - quota.limit) / quota.limit) * sensor.rate.windowSize(now));
    if (type === 'request') throttleMs = Math.min(throttleMs, this.windowMs);
    return Math.min(throttleMs, INT32_MAX);
  }

  /**
   * Takes back a recorded value: a throttled fetch is answered empty, so
   * its bytes must not count (Kafka records the negative value).
   */
  unrecord(user: string, clientId: string, type: QuotaType, value: number, now: number): void {
    const quota = this.quotaFor(user, clientId, type);
    if (!quota) return;
    const sensor = this.sensors.get(sensorKey(type, quota.tags));
    if (sensor) sensor.rate.record(-this.amount(type, value), now);
  }

  /**
   * The most a client may take in one go without being throttled for that
   * alone: limit * (windows - 1) windows; Infinity without a quota. Kafka
   * caps a consumer fetch's max_bytes to this.
   */
  maxValueInQuotaWindow(user: string, clientId: string, type: QuotaType): number {
    const quota = this.quotaFor(user, clientId, type);
    if (!quota) return Infinity;
    const total = (quota.limit * (this.windows - 1) * this.windowMs) / 1000;
    return type === 'request' ? total * 10 : total; // percent-seconds back to ms, see amount()
  }

  /** Drops sensors idle for longer than sensorExpiryMs; call it now and then (Kafka checks every 30 s). */
  expire(now: number): void {
    for (const [key, sensor] of this.sensors) if (now - sensor.lastRecordMs > this.sensorExpiryMs) this.sensors.delete(key);
  }

  // Request time is measured as Kafka does, in percent-seconds of one
  // thread: 1 ms of handling is 0.1, so the rate per second is a percentage.
  private amount(type: QuotaType, value: number): number {
    return type === 'request' ? value / 10 : value;
  }

  private sensor(type: QuotaType, tags: QuotaTags, now: number): Sensor {
    const key = sensorKey(type, tags);
    let sensor = this.sensors.get(key);
    if (!sensor) {
      sensor = { rate: new SampledRate(this.windowMs, this.windows), lastRecordMs: now };
      this.sensors.set(key, sensor);
    }
    return sensor;
  }
}

// JSON keeps the parts apart whatever characters a client-id holds.
function sensorKey(type: QuotaType, tags: QuotaTags): string {
  return JSON.stringify([type, tags.user, tags.clientId]);
}
