/**
 * The kafkajs consumer (consumer groups) against the data path: what was
 * produced comes back with keys, headers and null values, a consumer waiting
 * in a long poll gets a new message within 100 ms of the produce ack, seek
 * works, and a restart loses nothing. Skipped while the broker does not
 * advertise the group APIs (FindCoordinator, JoinGroup, SyncGroup, OffsetCommit).
 */
import t from 'tap';
import { Kafka, logLevel, CompressionTypes, type EachMessagePayload } from 'kafkajs';
import { ApiKey } from '../src/wire/generated/api-keys.js';
import { encodeApiVersionsRequest, decodeApiVersionsResponse } from '../src/wire/generated/api-versions.js';
import { WireClient } from './helpers/wire-client.js';
import { testBroker } from './helpers/broker.js';

const uniq = (name: string) => `${name}-${process.pid}-${Math.floor(Math.random() * 1e9)}`;
const GROUP_APIS = [ApiKey.FindCoordinator, ApiKey.JoinGroup, ApiKey.SyncGroup, ApiKey.Heartbeat, ApiKey.OffsetCommit, ApiKey.OffsetFetch];

t.test('kafkajs consumer', async (t) => {
  const b = await testBroker(t);
  const c = await WireClient.connect(b.host, b.port);
  const versions = await c.request(ApiKey.ApiVersions, 3, (w) => encodeApiVersionsRequest(w, { clientSoftwareName: 'compat', clientSoftwareVersion: '0' }, 3), (r) => decodeApiVersionsResponse(r, 3));
  c.close();
  const advertised = new Set(versions.apiKeys.map((k) => k.apiKey));
  const missing = GROUP_APIS.filter((k) => !advertised.has(k));
  if (missing.length > 0) {
    t.pass(`skipped: consumer groups not served yet (missing API keys ${missing.join(', ')})`, { skip: true });
    return;
  }
  const kafka = new Kafka({ clientId: 'compat-consumer', brokers: [b.bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  const producer = kafka.producer();
  await producer.connect();
  t.teardown(() => producer.disconnect());

  /** Runs a consumer from the beginning until `count` messages arrived. */
  async function consume(topic: string, count: number, opts: { onMessage?: (p: EachMessagePayload) => void } = {}) {
    const consumer = kafka.consumer({ groupId: uniq('g'), maxWaitTimeInMs: 5000 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const got: EachMessagePayload['message'][] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${got.length} of ${count} messages arrived`)), 30_000);
      void consumer.run({
        eachMessage: async (p) => {
          got.push(p.message);
          opts.onMessage?.(p);
          if (got.length >= count) { clearTimeout(timer); resolve(); }
        },
      }).catch(reject);
    });
    await consumer.disconnect();
    return got;
  }

  t.test('keys, headers, null values and gzip come back as produced', async (t) => {
    const topic = uniq('cons');
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    await producer.send({ topic, messages: [{ key: 'k', value: 'v', headers: { h: 'x' } }, { key: null, value: null }] });
    await producer.send({ topic, compression: CompressionTypes.GZIP, messages: Array.from({ length: 20 }, (_, i) => ({ value: `z${i}` })) });
    const got = await consume(topic, 22);
    t.equal(got[0]!.key!.toString(), 'k');
    t.equal(got[0]!.headers!.h!.toString(), 'x');
    t.equal(got[1]!.value, null);
    t.same(got.slice(2).map((m) => m.value!.toString()), Array.from({ length: 20 }, (_, i) => `z${i}`));
  });

  t.test('a consumer in a long poll gets a new message within 100 ms of the ack', async (t) => {
    const topic = uniq('cons-poll');
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    const consumer = kafka.consumer({ groupId: uniq('g'), maxWaitTimeInMs: 10_000 });
    await consumer.connect();
    t.teardown(() => consumer.disconnect());
    await consumer.subscribe({ topic, fromBeginning: true });
    const arrivals: number[] = [];
    let joined!: () => void;
    const ready = new Promise<void>((r) => { joined = r; });
    consumer.on(consumer.events.FETCH_START, () => joined());
    void consumer.run({ eachMessage: async () => { arrivals.push(performance.now()); } });
    await ready;
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setTimeout(r, 200)); // the consumer is parked in a fetch
      await producer.send({ topic, acks: -1, messages: [{ value: `p${i}` }] });
      const ackedAt = performance.now();
      while (arrivals.length <= i) await new Promise((r) => setTimeout(r, 1));
      delays.push(Math.max(0, arrivals[i]! - ackedAt));
    }
    delays.sort((x, y) => x - y);
    const median = delays[Math.floor(delays.length / 2)]!;
    t.ok(median < 100, `median ack-to-receipt ${median.toFixed(1)} ms (${delays.map((d) => d.toFixed(1)).join(', ')})`);
  });

  t.test('seek: a running consumer jumps to an offset and to a timestamp-derived offset', async (t) => {
    const topic = uniq('cons-seek');
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    const base = Date.now() - 60_000;
    await producer.send({ topic, messages: [0, 1, 2, 3, 4].map((i) => ({ value: `m${i}`, timestamp: String(base + i * 1000) })) });
    const consumer = kafka.consumer({ groupId: uniq('g'), maxWaitTimeInMs: 500 });
    await consumer.connect();
    t.teardown(() => consumer.disconnect());
    await consumer.subscribe({ topic, fromBeginning: false });
    const got: string[] = [];
    let wanted = 3;
    let done!: () => void;
    let arrived = new Promise<void>((r) => { done = r; });
    void consumer.run({ eachMessage: async ({ message }) => { got.push(message.value!.toString()); if (got.length >= wanted) done(); } });
    consumer.seek({ topic, partition: 0, offset: '2' });
    await arrived;
    t.same(got, ['m2', 'm3', 'm4']);
    const offset = (await admin.fetchTopicOffsetsByTimestamp(topic, base + 3500))[0]!.offset;
    got.length = 0;
    wanted = 1;
    arrived = new Promise<void>((r) => { done = r; });
    consumer.seek({ topic, partition: 0, offset });
    await arrived;
    t.same(got, ['m4']);
  });

  t.test('after a restart a new consumer reads everything from the beginning', { skip: b.external ? 'BROKER=host:port cannot be restarted from here' : false }, async (t) => {
    const topic = uniq('cons-restart');
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
    await producer.send({ topic, messages: Array.from({ length: 40 }, (_, i) => ({ key: `k${i % 4}`, value: `r${i}` })) });
    await producer.disconnect();
    await admin.disconnect();
    await b.restart();
    await admin.connect();
    await producer.connect();
    const got = await consume(topic, 40);
    t.same(got.map((m) => m.value!.toString()).sort(), Array.from({ length: 40 }, (_, i) => `r${i}`).sort());
  });
});
