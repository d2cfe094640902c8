import t from 'tap';
import { QuotaManager, SampledRate } from '../../src/security/quota-manager.js';
import type { QuotaEntity } from '../../src/security/quota-entity.js';

// Kafka's precedence, most specific first, for user alice and client-id app.
const LEVELS: QuotaEntity[] = [
  { user: 'alice', 'client-id': 'app' },
  { user: 'alice', 'client-id': null },
  { user: 'alice' },
  { user: null, 'client-id': 'app' },
  { user: null, 'client-id': null },
  { user: null },
  { 'client-id': 'app' },
  { 'client-id': null },
];

t.test('precedence: each of the eight levels beats every level below it', async (t) => {
  for (let top = 0; top < LEVELS.length; top++) {
    const m = new QuotaManager();
    for (let i = top; i < LEVELS.length; i++) m.set(LEVELS[i]!, { producer_byte_rate: 1000 + i });
    const q = m.quotaFor('alice', 'app', 'produce');
    t.equal(q?.limit, 1000 + top, `level ${top + 1} wins over levels ${top + 2}..8`);
    t.same(q?.entity, LEVELS[top], 'and says which entity it came from');
  }
});

t.test('precedence: specific names beat defaults, other names do not apply', async (t) => {
  const m = new QuotaManager();
  m.set({ user: 'bob' }, { producer_byte_rate: 1 });
  m.set({ user: 'alice', 'client-id': 'other' }, { producer_byte_rate: 2 });
  m.set({ 'client-id': 'other' }, { producer_byte_rate: 3 });
  m.set({ 'client-id': '<default>' }, { producer_byte_rate: 4 });
  t.equal(m.quotaFor('alice', 'app', 'produce'), undefined, "bob's, other clients' and a client-id literally named <default> do not apply");
  m.set({ 'client-id': null }, { producer_byte_rate: 5 });
  t.equal(m.quotaFor('alice', 'app', 'produce')?.limit, 5, 'the default client-id applies to everyone else');
  t.equal(m.quotaFor('bob', 'app', 'produce')?.limit, 1, 'a user quota beats a client-id default');
  t.equal(m.quotaFor('carol', 'other', 'produce')?.limit, 3, 'a named client-id beats its default');
  t.equal(m.quotaFor('alice', 'other', 'produce')?.limit, 2);
  t.equal(m.quotaFor('x', '<default>', 'produce')?.limit, 4, 'the client-id named <default> is a name like any other');
});

t.test('precedence is per quota key: an entity without the key does not shadow a lower level', async (t) => {
  const m = new QuotaManager();
  m.set({ user: 'alice' }, { consumer_byte_rate: 100 });
  m.set({ 'client-id': null }, { producer_byte_rate: 200, request_percentage: 25 });
  t.equal(m.quotaFor('alice', 'app', 'fetch')?.limit, 100);
  t.equal(m.quotaFor('alice', 'app', 'produce')?.limit, 200);
  t.equal(m.quotaFor('alice', 'app', 'request')?.limit, 25);
  t.same(m.quotaFor('alice', 'app', 'produce')?.entity, { 'client-id': null });
  t.equal(m.quotaFor('alice', 'app', 'produce')?.key, 'client-id=<default>');
});

t.test('set replaces an entity\'s quotas and no values removes them', async (t) => {
  const m = new QuotaManager();
  t.ok(m.empty);
  m.set({ user: 'alice' }, { producer_byte_rate: 100, consumer_byte_rate: 200 });
  t.notOk(m.empty);
  m.set({ user: 'alice' }, { consumer_byte_rate: 300 });
  t.equal(m.quotaFor('alice', 'c', 'produce'), undefined, 'values are replaced, not merged');
  t.equal(m.quotaFor('alice', 'c', 'fetch')?.limit, 300);
  m.set({ user: 'alice' }, {});
  t.equal(m.quotaFor('alice', 'c', 'fetch'), undefined);
  t.ok(m.empty, 'removing the last quota empties the manager');
});

t.test('no quota: never throttled, nothing recorded', async (t) => {
  const m = new QuotaManager();
  t.equal(m.record('alice', 'app', 'produce', 1e12, 0), 0);
  m.set({ user: 'bob' }, { producer_byte_rate: 10 });
  t.equal(m.record('alice', 'app', 'produce', 1e12, 1), 0, 'a quota for someone else does not throttle alice');
  t.equal(m.record('alice', 'app', 'fetch', 1e12, 1), 0);
  t.equal(m.sensorCount, 0, 'and keeps no sensor for her');
  t.equal(m.maxValueInQuotaWindow('alice', 'app', 'fetch'), Infinity);
});

t.test("byte rate: Kafka's ClientQuotaManagerTest vector", async (t) => {
  const m = new QuotaManager();
  m.set({ user: null, 'client-id': null }, { producer_byte_rate: 500 });
  let now = 0;
  for (let i = 0; i < 10; i++) {
    t.equal(m.record('ANONYMOUS', 'unknown', 'produce', 400, now), 0, 'under the quota');
    now += 1000;
  }
  now += 500;
  // 400 * 10 + 2300 = 6300 bytes over 10.5 s = 600 B/s; (600 - 500) / 500 * 10.5 s
  t.equal(m.record('ANONYMOUS', 'unknown', 'produce', 2300, now), 2100);
  now += 2100;
  t.ok(m.record('ANONYMOUS', 'unknown', 'produce', 400, now) > 0, 'the recorded spike still counts after the throttle');
  for (let i = 0; i < 10; i++) {
    now += 1000;
    m.record('ANONYMOUS', 'unknown', 'produce', 400, now);
  }
  now += 1000;
  t.equal(m.record('ANONYMOUS', 'unknown', 'produce', 0, now), 0, 'unthrottled once the spike has rolled out of the windows');
});

t.test('a steady producer at twice its quota averages the quota over a minute', async (t) => {
  const quota = 10_000;
  const m = new QuotaManager();
  m.set({ 'client-id': 'fast' }, { producer_byte_rate: quota });
  // 2,000 bytes every 100 ms wants 20,000 B/s; the client waits out each throttle (KIP-219).
  let now = 0;
  let bytes = 0;
  let throttles = 0;
  while (now < 60_000) {
    const throttleMs = m.record('alice', 'fast', 'produce', 2000, now);
    bytes += 2000;
    if (throttleMs > 0) throttles++;
    now += 100 + throttleMs;
  }
  const average = bytes / (now / 1000);
  t.ok(throttles > 10, `throttled repeatedly (${throttles} times)`);
  t.ok(Math.abs(average - quota) <= quota * 0.1, `average ${average.toFixed(0)} B/s within 10% of ${quota}`);
});

t.test("request percentage: Kafka's ClientRequestQuotaManagerTest vector and the one-window cap", async (t) => {
  const m = new QuotaManager();
  m.set({ user: 'ANONYMOUS', 'client-id': 'test-client' }, { request_percentage: 1 });
  const rec = (ms: number) => m.record('ANONYMOUS', 'test-client', 'request', ms, now);
  let now = 0;
  for (let i = 0; i < 10; i++) {
    t.equal(rec(4), 0, '4 ms a second is under 1%');
    now += 1000;
  }
  now += 500;
  // 4 * 10 + 67.1 = 107.1 ms over 10.5 s = 10.2 ms/s; (10.2 - 10) / 10 * 10.5 s
  t.equal(rec(67.1), 210);
  now += 210;
  for (let i = 0; i < 11; i++) {
    rec(4);
    now += 1000;
  }
  t.equal(rec(0), 0, 'unthrottled once the spike has rolled out');
  t.equal(rec(500), 1000, 'a spike needing more than a window is capped at one window');
  for (let i = 0; i < 10; i++) {
    now += 1000;
    t.equal(rec(0), 1000, `still capped ${i + 1} s later`);
  }
  now += 1000;
  t.equal(rec(0), 0, 'until the spike rolls out');
});

t.test('sensors follow Kafka\'s quota metric tags', async (t) => {
  await t.test('a user quota is shared by all of that user\'s clients', async (t) => {
    const m = new QuotaManager();
    m.set({ user: 'alice' }, { producer_byte_rate: 1000 });
    t.equal(m.record('alice', 'a', 'produce', 9000, 0), 0, '9000 bytes over the 10 s minimum window is 900 B/s');
    t.ok(m.record('alice', 'b', 'produce', 2000, 0) > 0, "b is throttled for a's bytes too");
    t.same(m.quotaFor('alice', 'b', 'produce')?.tags, { user: 'alice', clientId: '' });
  });
  await t.test('a default user quota applies to each user separately', async (t) => {
    const m = new QuotaManager();
    m.set({ user: null }, { producer_byte_rate: 1000 });
    t.ok(m.record('alice', 'a', 'produce', 11_000, 0) > 0);
    t.equal(m.record('bob', 'a', 'produce', 9000, 0), 0, "bob is not throttled for alice's bytes");
    t.ok(m.record('alice', 'b', 'produce', 1, 0) > 0, 'but all of alice\'s clients count together');
  });
  await t.test('a default client-id quota applies to each client-id separately, across users', async (t) => {
    const m = new QuotaManager();
    m.set({ 'client-id': null }, { producer_byte_rate: 1000 });
    t.ok(m.record('alice', 'a', 'produce', 11_000, 0) > 0);
    t.equal(m.record('alice', 'b', 'produce', 9000, 0), 0);
    t.ok(m.record('bob', 'a', 'produce', 1, 0) > 0, 'bob with client-id a shares the client-id\'s sensor');
  });
  await t.test('a user and default client-id quota measures each pair', async (t) => {
    const m = new QuotaManager();
    m.set({ user: 'alice', 'client-id': null }, { producer_byte_rate: 1000 });
    t.ok(m.record('alice', 'a', 'produce', 11_000, 0) > 0);
    t.equal(m.record('alice', 'b', 'produce', 9000, 0), 0);
    t.equal(m.sensorCount, 2);
  });
  await t.test('types are measured apart', async (t) => {
    const m = new QuotaManager();
    m.set({ user: 'alice' }, { producer_byte_rate: 1000, consumer_byte_rate: 1000 });
    t.ok(m.record('alice', 'a', 'produce', 11_000, 0) > 0);
    t.equal(m.record('alice', 'a', 'fetch', 9000, 0), 0);
  });
});

t.test('fetch: unrecord takes back the bytes of a throttled fetch; max bytes per fetch', async (t) => {
  const m = new QuotaManager();
  m.set({ 'client-id': null }, { consumer_byte_rate: 1000 });
  t.equal(m.maxValueInQuotaWindow('alice', 'c', 'fetch'), 10_000, 'quota * (windows - 1) * window');
  t.equal(m.record('alice', 'c', 'fetch', 9000, 0), 0);
  const throttleMs = m.record('alice', 'c', 'fetch', 5000, 10);
  t.ok(throttleMs > 0);
  m.unrecord('alice', 'c', 'fetch', 5000, 10);
  t.equal(m.record('alice', 'c', 'fetch', 500, 20), 0, 'after unrecord only the 9500 bytes sent count');
  const r = new QuotaManager({ windowMs: 2000, windows: 5 });
  r.set({ user: null }, { request_percentage: 50 });
  t.equal(r.maxValueInQuotaWindow('u', 'c', 'request'), 4000, 'half of 4 windows of 2 s, in ms');
});

t.test('SampledRate: the elapsed time is at least windows - 1 windows, old samples roll out', async (t) => {
  const rate = new SampledRate(1000, 11);
  rate.record(1000, 0);
  t.equal(rate.windowSize(0), 10_000, 'a first sample is measured over 10 windows');
  t.equal(rate.measure(0), 100);
  t.equal(rate.windowSize(2500), 10_500, '2.5 s elapsed is 2 full windows: 8 more are added');
  rate.record(1000, 10_500);
  t.equal(rate.windowSize(10_500), 10_500, 'from 10 full windows on, the oldest sample sets the span');
  t.equal(rate.measure(10_500), 2000 / 10.5, 'both samples count');
  t.equal(rate.measure(11_000), 1000 / 10.5, 'the first sample is dropped 11 windows after its last event');
});

t.test('expire drops sensors idle for more than an hour', async (t) => {
  const m = new QuotaManager();
  m.set({ 'client-id': null }, { producer_byte_rate: 1000 });
  m.record('u', 'idle', 'produce', 10, 0);
  m.record('u', 'busy', 'produce', 10, 0);
  m.record('u', 'busy', 'produce', 10, 3_000_000);
  m.expire(3_600_000);
  t.equal(m.sensorCount, 2, 'exactly an hour idle is kept');
  m.expire(3_600_001);
  t.equal(m.sensorCount, 1, 'the idle client\'s sensor is gone, the busy one stays');
  m.expire(6_600_001);
  t.equal(m.sensorCount, 0);
  m.record('u', 'idle', 'produce', 10, 6_600_002);
  m.set({ 'client-id': null }, {});
  t.equal(m.sensorCount, 0, 'removing the last quota drops every sensor');
});
