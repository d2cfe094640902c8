/**
 * Produce and consume through kafkajs 2.2.4 and kcat (librdkafka), against
 * the broker from helpers/broker.ts (ours, or any broker with BROKER=host:port).
 * Consumption uses kcat and raw Fetch requests (no consumer group needed).
 */
import t from 'tap';
import { Kafka, logLevel, CompressionTypes } from 'kafkajs';
import { kcatConsumeAll, kcatProduce } from './helpers/kcat.js';
import { testBroker } from './helpers/broker.js';

const uniq = (name: string) => `${name}-${process.pid}-${Math.floor(Math.random() * 1e9)}`;

t.test('produce and consume', async (t) => {
  const b = await testBroker(t);
  const kafka = new Kafka({ clientId: 'compat', brokers: [b.bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  t.teardown(() => producer.disconnect());

  t.test('kafkajs: keys, headers, null values, gzip; kcat reads them back', async (t) => {
    const topic = uniq('kv');
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    const acks = await producer.send({
      topic,
      messages: [
        { key: 'k1', value: 'v1', headers: { h1: 'x', h2: 'y' } },
        { key: null, value: null },
        { key: 'k3', value: 'ü-unicode' },
      ],
    });
    t.equal(acks[0]!.errorCode, 0);
    t.equal(acks[0]!.baseOffset, '0');
    await producer.send({ topic, compression: CompressionTypes.GZIP, messages: Array.from({ length: 50 }, (_, i) => ({ key: `g${i}`, value: 'gzip-'.repeat(20) + i })) });
    const got = await kcatConsumeAll(b.bootstrap, topic);
    t.equal(got.length, 53);
    t.same(got.slice(0, 3).map((m) => [m.offset, m.key, m.payload]), [[0, 'k1', 'v1'], [1, null, null], [2, 'k3', 'ü-unicode']]);
    t.same(got[0]!.headers, ['h1', 'x', 'h2', 'y']);
    t.same(got.slice(3).map((m) => m.offset), Array.from({ length: 50 }, (_, i) => i + 3));
    t.equal(got[52]!.payload, 'gzip-'.repeat(20) + 49);
  });

  for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd']) {
    t.test(`kcat -z ${codec}: produce and consume`, async (t) => {
      const topic = uniq(`codec-${codec}`);
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
      const lines = Array.from({ length: 200 }, (_, i) => `key${i}\t${codec}-value-${i}-${'x'.repeat(i)}`);
      await kcatProduce(b.bootstrap, topic, lines, ['-K', '\t', '-z', codec]);
      const got = await kcatConsumeAll(b.bootstrap, topic);
      t.equal(got.length, 200);
      t.same(got.map((m) => m.offset), Array.from({ length: 200 }, (_, i) => i));
      t.equal(got[199]!.key, 'key199');
      t.equal(got[199]!.payload, `${codec}-value-199-${'x'.repeat(199)}`);
    });
  }

  for (const fallback of ['0.9.0', '0.10.0']) {
    t.test(`librdkafka as an old client (broker.version.fallback=${fallback}: message format v${fallback === '0.9.0' ? 0 : 1})`, async (t) => {
      const old = ['-X', 'api.version.request=false', '-X', `broker.version.fallback=${fallback}`];
      for (const codec of fallback === '0.9.0' ? ['none', 'gzip', 'snappy'] : ['none', 'gzip', 'snappy', 'lz4']) {
        const topic = uniq(`old-${codec}`);
        await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
        await kcatProduce(b.bootstrap, topic, ['k1\tv1', 'k2\tv2', 'k3\tv3'], ['-K', '\t', '-z', codec, ...old]);
        const asOld = await kcatConsumeAll(b.bootstrap, topic, old);
        t.same(asOld.map((m) => [m.offset, m.key, m.payload]), [[0, 'k1', 'v1'], [1, 'k2', 'v2'], [2, 'k3', 'v3']], `${codec}: an old consumer reads it`);
        const asNew = await kcatConsumeAll(b.bootstrap, topic);
        t.same(asNew.map((m) => m.payload), ['v1', 'v2', 'v3'], `${codec}: a current consumer reads it`);
      }
    });
  }

  t.test('messages up to max.message.bytes pass, larger ones get MESSAGE_TOO_LARGE', async (t) => {
    const topic = uniq('size');
    const max = 10_000;
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'max.message.bytes', value: String(max) }] }], waitForLeaders: true });
    // A one-record batch costs 61 header bytes + ~10 record overhead bytes besides key and value.
    await producer.send({ topic, messages: [{ value: Buffer.alloc(max - 100, 1) }] });
    const err = await producer.send({ topic, messages: [{ value: Buffer.alloc(max + 100, 1) }] }).then(() => null, (e: unknown) => e as { type?: string; message: string });
    t.ok(err, 'oversized message refused');
    t.match(String(err?.type ?? err?.message), /MESSAGE_TOO_LARGE|too large|larger/i);
    const got = await kcatConsumeAll(b.bootstrap, topic);
    t.equal(got.length, 1);
  });

  t.test('idempotent producer: every message once, in order', async (t) => {
    const topic = uniq('idem');
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
    const idem = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await idem.connect();
    t.teardown(() => idem.disconnect());
    for (let i = 0; i < 10; i++) {
      await idem.send({ topic, messages: Array.from({ length: 10 }, (_, j) => ({ key: `k${j % 2}`, value: `m${i * 10 + j}`, partition: j % 2 })) });
    }
    const got = await kcatConsumeAll(b.bootstrap, topic);
    t.equal(got.length, 100);
    for (const p of [0, 1]) {
      const values = got.filter((m) => m.partition === p).map((m) => Number(m.payload!.slice(1)));
      t.same(values, [...values].sort((x, y) => x - y), `partition ${p} in order`);
      t.equal(values.length, 50);
    }
  });

  t.test('idempotent producer in librdkafka (kcat -X enable.idempotence=true)', async (t) => {
    const topic = uniq('idem-rdkafka');
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    await kcatProduce(b.bootstrap, topic, Array.from({ length: 500 }, (_, i) => `r${i}`), ['-X', 'enable.idempotence=true', '-z', 'zstd']);
    const got = await kcatConsumeAll(b.bootstrap, topic);
    t.same(got.map((m) => m.payload), Array.from({ length: 500 }, (_, i) => `r${i}`));
  });

  t.test('ListOffsets: earliest, latest, by timestamp (kafkajs admin)', async (t) => {
    const topic = uniq('times');
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    const base = Date.now() - 100_000;
    await producer.send({ topic, messages: [0, 1, 2, 3, 4].map((i) => ({ value: `t${i}`, timestamp: String(base + i * 1000) })) });
    const latest = await admin.fetchTopicOffsets(topic);
    t.same(latest.map((p) => [p.partition, p.low, p.high]), [[0, '0', '5']]);
    const at = await admin.fetchTopicOffsetsByTimestamp(topic, base + 2500);
    t.same(at.map((p) => [p.partition, p.offset]), [[0, '3']]);
    const after = await admin.fetchTopicOffsetsByTimestamp(topic, base + 1_000_000);
    t.same(after.map((p) => p.offset), ['5'], 'a timestamp after every record gives the latest offset (kafkajs maps -1 to high)');
    const got = await kcatConsumeAll(b.bootstrap, topic, ['-o', `s@${base + 2500}`]);
    t.same(got.map((m) => m.payload), ['t3', 't4'], 'kcat seeks by timestamp');
    t.same((await kcatConsumeAll(b.bootstrap, topic, ['-o', '1'])).map((m) => m.payload), ['t1', 't2', 't3', 't4'], 'kcat seeks to an offset');
    t.same((await kcatConsumeAll(b.bootstrap, topic, ['-o', '-2'])).map((m) => m.payload), ['t3', 't4'], 'kcat seeks relative to the end');
  });

  t.test('acks=0 and acks=1 (kafkajs): nothing lost, responses only where expected', async (t) => {
    const topic = uniq('acks');
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    await producer.send({ topic, acks: 0, messages: [{ value: 'zero-1' }, { value: 'zero-2' }] });
    const one = await producer.send({ topic, acks: 1, messages: [{ value: 'one' }] });
    t.equal(one[0]!.baseOffset, '2', 'the acks=0 batch was appended before the next request');
    const got = await kcatConsumeAll(b.bootstrap, topic);
    t.same(got.map((m) => m.payload), ['zero-1', 'zero-2', 'one']);
  });

  t.test('concurrent producers on several partitions: every message once, in order per producer and partition', async (t) => {
    const topic = uniq('concurrent');
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
    const producers = await Promise.all([0, 1, 2, 3].map(async (i) => {
      const p = kafka.producer({ idempotent: i % 2 === 0, maxInFlightRequests: i % 2 === 0 ? 1 : 5 });
      await p.connect();
      return p;
    }));
    t.teardown(() => Promise.all(producers.map((p) => p.disconnect())));
    await Promise.all(producers.map(async (p, i) => {
      for (let batch = 0; batch < 20; batch++) {
        await p.send({ topic, messages: Array.from({ length: 25 }, (_, j) => ({ key: `p${i}`, value: `${i}:${batch * 25 + j}`, partition: (batch + j) % 3 })) });
      }
    }));
    const got = await kcatConsumeAll(b.bootstrap, topic);
    t.equal(got.length, 4 * 500);
    t.equal(new Set(got.map((m) => m.payload)).size, 2000, 'no duplicates');
    for (let part = 0; part < 3; part++) {
      const inPart = got.filter((m) => m.partition === part);
      t.same(inPart.map((m) => m.offset), inPart.map((_, k) => k), `partition ${part}: dense offsets`);
      for (let i = 0; i < 4; i++) {
        const seq = inPart.filter((m) => m.payload!.startsWith(`${i}:`)).map((m) => Number(m.payload!.split(':')[1]));
        t.same(seq, [...seq].sort((x, y) => x - y), `partition ${part}, producer ${i}: in send order`);
      }
    }
  });

  t.test('auto-create on produce', async (t) => {
    const topic = uniq('auto');
    const auto = kafka.producer({ allowAutoTopicCreation: true });
    await auto.connect();
    t.teardown(() => auto.disconnect());
    await auto.send({ topic, messages: [{ value: 'created' }] });
    const got = await kcatConsumeAll(b.bootstrap, topic);
    t.same(got.map((m) => m.payload), ['created']);
  });
});
