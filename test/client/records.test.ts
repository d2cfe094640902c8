/**
 * fetchRecords and produceRecords against an in-process broker, with kafkajs
 * and kcat as the independent sides: what they write (headers, every codec,
 * transactions) we read back exactly; what we write they read with the right
 * key, headers and partition; keyed records land where kafkajs's
 * Java-compatible partitioner puts them.
 */
import t from 'tap';
import kafkajs from 'kafkajs';
import { testBroker } from '../../compat-tests/helpers/broker.js';
import { kcat, kcatConsumeAll } from '../../compat-tests/helpers/kcat.js';
import { KafkaClient } from '../../src/client/kafka-client.js';
import { createTopic, partitionOffsets, KafkaClientError } from '../../src/client/topics.js';
import { fetchRecords, murmur2, produceRecords, keyPartition } from '../../src/client/records.js';

const { Kafka, logLevel, CompressionTypes, Partitioners } = kafkajs;

t.test('murmur2 matches Kafka\'s test vectors and kafkajs\'s default partitioner', async (t) => {
  // org.apache.kafka.common.utils.UtilsTest#testMurmur2
  const vectors: [string, number][] = [
    ['21', -973932308], ['foobar', -790332482], ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829], ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971], ['abc', 479470107],
  ];
  for (const [s, h] of vectors) t.equal(murmur2(Buffer.from(s)), h, `murmur2(${s})`);
  const partitioner = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: 7 }, (_, i) => ({ partitionId: i, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] }));
  for (let i = 0; i < 500; i++) {
    const key = `key-${i}-${'x'.repeat(i % 9)}`;
    const theirs = partitioner({ topic: 't', partitionMetadata, message: { key, value: 'v' } });
    if (keyPartition(Buffer.from(key), 7) !== theirs) { t.fail(`key ${key}: ours ${keyPartition(Buffer.from(key), 7)}, kafkajs ${theirs}`); return; }
  }
  t.pass('500 keys: the same partitions as kafkajs');
});

t.test('records written by kafkajs and kcat are read back exactly', async (t) => {
  const b = await testBroker(t);
  const client = await KafkaClient.open({ bootstrap: [b.bootstrap] });
  t.teardown(() => client.close());
  const kafka = new Kafka({ brokers: [b.bootstrap], logLevel: logLevel.NOTHING });
  await createTopic(client, { name: 'mixed', partitions: 2 });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  t.teardown(() => producer.disconnect());
  const ts = Date.now() - 5000;
  await producer.send({ topic: 'mixed', compression: CompressionTypes.GZIP, messages: [
    { partition: 0, key: 'k0', value: 'gzip zero', headers: { h1: 'one', bin: Buffer.from([0, 255, 1]) }, timestamp: String(ts) },
    { partition: 0, key: null, value: 'gzip one', timestamp: String(ts + 1) },
    { partition: 1, key: 'k1', value: null, headers: { empty: '' }, timestamp: String(ts + 2) },
  ] });
  for (const codec of ['zstd', 'lz4', 'snappy']) {
    await kcat(['-P', '-b', b.bootstrap, '-t', 'mixed', '-p', '0', '-z', codec, '-K', '\t', '-H', `codec=${codec}`], `key-${codec}\tvalue-${codec}\n`);
  }

  const r = await fetchRecords(client, { topic: 'mixed', positions: { 0: 0, 1: 0 } });
  const p0 = r.records.filter((x) => x.partition === 0);
  t.same(p0.map((x) => x.offset), [0, 1, 2, 3, 4], 'partition 0 offsets');
  t.same(p0.map((x) => x.value?.toString()), ['gzip zero', 'gzip one', 'value-zstd', 'value-lz4', 'value-snappy'], 'values through gzip, zstd, lz4, snappy');
  t.same(p0.map((x) => x.key?.toString() ?? null), ['k0', null, 'key-zstd', 'key-lz4', 'key-snappy'], 'keys, a null one too');
  t.same(p0[0]!.headers.map((h) => [h.key, h.value]), [['h1', Buffer.from('one')], ['bin', Buffer.from([0, 255, 1])]], 'headers as bytes');
  t.same(p0[2]!.headers.map((h) => [h.key, h.value?.toString()]), [['codec', 'zstd']], 'kcat\'s header');
  t.equal(p0[0]!.timestamp, ts, 'the producer\'s timestamp');
  t.equal(p0[0]!.timestampType, 'CreateTime', 'CreateTime');
  t.equal(p0[0]!.transactional, false, 'not transactional');
  const p1 = r.records.filter((x) => x.partition === 1);
  t.equal(p1.length, 1, 'partition 1 holds one record');
  t.equal(p1[0]!.value, null, 'a null value');
  t.same(p1[0]!.headers.map((h) => [h.key, h.value?.toString()]), [['empty', '']], 'an empty header value');
  t.same(r.next, { 0: 5, 1: 1 }, 'next positions are the ends');
  t.same(r.highWatermarks, { 0: 5, 1: 1 }, 'high watermarks');

  // Starting inside a compressed batch: the records before the position are left out.
  const mid = await fetchRecords(client, { topic: 'mixed', positions: { 0: 1 } });
  t.same(mid.records.map((x) => x.offset), [1, 2, 3, 4], 'from offset 1, inside the gzip batch');

  // A page: the limit shared between partitions, the next positions exact.
  const page = await fetchRecords(client, { topic: 'mixed', positions: { 0: 0, 1: 0 }, maxRecords: 3 });
  t.same(page.records.map((x) => [x.partition, x.offset]), [[0, 0], [0, 1], [1, 0]], 'both partitions get a share of the limit');
  t.same(page.next, { 0: 2, 1: 1 }, 'next positions after the page');

  // Out of range: a clear error, or the reset asked for.
  const past = await fetchRecords(client, { topic: 'mixed', positions: { 0: 99 } }).catch((e: unknown) => e);
  t.equal((past as KafkaClientError).errorName, 'OFFSET_OUT_OF_RANGE', 'OFFSET_OUT_OF_RANGE');
  t.match((past as Error).message, /offset 99 is out of range: the partition holds offsets 0 to 4/, 'the message says where the log is');
  const reset = await fetchRecords(client, { topic: 'mixed', positions: { 0: 99 }, offsetReset: 'earliest', maxRecords: 1 });
  t.same(reset.reset, [{ partition: 0, from: 99, to: 0 }], 'moved to the earliest offset');
  t.same(reset.records.map((x) => x.offset), [0], 'and read from there');
  const unknown = await fetchRecords(client, { topic: 'nope', positions: { 0: 0 } }).catch((e: unknown) => e);
  t.equal((unknown as KafkaClientError).errorName, 'UNKNOWN_TOPIC_OR_PARTITION', 'an unknown topic');

  // A fetch at the end waits for the next record when asked to.
  const waiting = fetchRecords(client, { topic: 'mixed', positions: { 1: 1 }, maxWaitMs: 10_000 });
  setTimeout(() => void producer.send({ topic: 'mixed', messages: [{ partition: 1, value: 'late' }] }), 200);
  t.same((await waiting).records.map((x) => x.value?.toString()), ['late'], 'the long poll returns the new record');
});

t.test('transactions: control batches skipped, aborted records dropped under read_committed', async (t) => {
  const b = await testBroker(t, { 'group.initial.rebalance.delay.ms': '0' });
  const client = await KafkaClient.open({ bootstrap: [b.bootstrap] });
  t.teardown(() => client.close());
  const kafka = new Kafka({ brokers: [b.bootstrap], logLevel: logLevel.NOTHING });
  await createTopic(client, { name: 'tx', partitions: 1 });
  const txp = kafka.producer({ transactionalId: 'txp', idempotent: true, maxInFlightRequests: 1 });
  await txp.connect();
  t.teardown(() => txp.disconnect());
  let tx = await txp.transaction();
  await tx.send({ topic: 'tx', messages: [{ value: 'c1' }, { value: 'c2' }] });
  await tx.commit();
  tx = await txp.transaction();
  await tx.send({ topic: 'tx', messages: [{ value: 'a1' }] });
  await tx.abort();
  tx = await txp.transaction();
  await tx.send({ topic: 'tx', messages: [{ value: 'c3' }] });
  await tx.commit();
  // offsets: c1 0, c2 1, commit 2, a1 3, abort 4, c3 5, commit 6

  const all = await fetchRecords(client, { topic: 'tx', positions: { 0: 0 } });
  t.same(all.records.map((x) => [x.offset, x.value?.toString()]), [[0, 'c1'], [1, 'c2'], [3, 'a1'], [5, 'c3']], 'read_uncommitted: every data record, no markers');
  t.ok(all.records.every((x) => x.transactional), 'flagged transactional');
  t.equal(all.next[0], 7, 'the position passes the last marker');
  const committed = await fetchRecords(client, { topic: 'tx', positions: { 0: 0 }, isolation: 'read_committed' });
  t.same(committed.records.map((x) => x.value?.toString()), ['c1', 'c2', 'c3'], 'read_committed: the aborted record is dropped');
  t.equal(committed.next[0], 7, 'and the position passes it');

  // An open transaction: read_committed stops at the LSO.
  tx = await txp.transaction();
  await tx.send({ topic: 'tx', messages: [{ value: 'open' }] });
  const held = await fetchRecords(client, { topic: 'tx', positions: { 0: 5 }, isolation: 'read_committed' });
  t.same(held.records.map((x) => x.value?.toString()), ['c3'], 'nothing past the LSO');
  t.equal(held.lastStableOffsets[0], 7, 'the LSO is at the open transaction');
  t.equal(held.highWatermarks[0], 8, 'the high watermark past it');
  await tx.abort();
});

t.test('records written by produceRecords are read by kcat and kafkajs', async (t) => {
  const b = await testBroker(t);
  const client = await KafkaClient.open({ bootstrap: [b.bootstrap] });
  t.teardown(() => client.close());
  await createTopic(client, { name: 'out', partitions: 4 });

  const keys = Array.from({ length: 40 }, (_, i) => `user-${i}`);
  const res = await produceRecords(client, 'out', keys.map((k, i) => ({ key: k, value: `v${i}`, headers: [{ key: 'n', value: String(i) }, { key: 'nil', value: null }] })), { compression: 'zstd' });
  t.equal(res.length, 40, 'one result per record');
  t.ok(res.every((r, i) => r.partition === keyPartition(Buffer.from(keys[i]!), 4)), 'keyed records on murmur2 partitions');
  const seen = await kcatConsumeAll(b.bootstrap, 'out');
  t.equal(seen.length, 40, 'kcat reads them all');
  const mismatches = seen.filter((m) => {
    const i = Number(m.payload!.slice(1));
    const mine = res[i]!;
    return m.key !== keys[i] || m.partition !== mine.partition || m.offset !== mine.offset || JSON.stringify(m.headers) !== JSON.stringify(['n', String(i), 'nil', null]);
  });
  t.same(mismatches, [], 'kcat sees each record\'s key, headers, partition and offset as produceRecords reported');
  t.same(seen[0]!.headers, ['n', seen[0]!.payload!.slice(1), 'nil', null], 'a null header value stays null');

  // kafkajs's own default partitioner puts the same keys on the same partitions.
  const kafka = new Kafka({ brokers: [b.bootstrap], logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  t.teardown(() => producer.disconnect());
  const theirs = await producer.send({ topic: 'out', messages: [{ key: 'user-7', value: 'again' }] });
  t.equal(theirs[0]!.partition, res[7]!.partition, 'kafkajs puts user-7 on the same partition');

  // Keyless: explicit partitions obeyed, a single record per call spread round robin.
  const explicit = await produceRecords(client, 'out', [{ partition: 3, value: 'there' }]);
  t.equal(explicit[0]!.partition, 3, 'an explicit partition');
  const singles = new Set<number>();
  for (let i = 0; i < 4; i++) singles.add((await produceRecords(client, 'out', [{ value: `single ${i}` }]))[0]!.partition);
  t.equal(singles.size, 4, 'four one-record calls go to four partitions');
  const bad = await produceRecords(client, 'out', [{ partition: 9, value: 'x' }]).catch((e: unknown) => e);
  t.equal((bad as KafkaClientError).errorName, 'UNKNOWN_TOPIC_OR_PARTITION', 'a partition the topic does not have');
  const noTopic = await produceRecords(client, 'missing', [{ value: 'x' }]).catch((e: unknown) => e);
  t.equal((noTopic as KafkaClientError).errorName, 'UNKNOWN_TOPIC_OR_PARTITION', 'an unknown topic');

  // A bulk keyless input: many requests, spread over partitions, every record once.
  await createTopic(client, { name: 'bulk', partitions: 3 });
  const n = 100_000;
  const lines = Array.from({ length: n }, (_, i) => ({ value: `line ${i} ${'.'.repeat(40)}` }));
  let progressCalls = 0;
  const started = process.hrtime.bigint();
  const bulk = await produceRecords(client, 'bulk', lines, { acks: 1, onProgress: () => { progressCalls++; } });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  t.comment(`produceRecords: ${n} records of ~50 bytes in ${ms.toFixed(0)} ms (${Math.round(n / (ms / 1000))} records/s), ${progressCalls} rounds`);
  const ends = await partitionOffsets(client, 'bulk');
  t.equal(ends.reduce((s, p) => s + p.endOffset, 0), n, 'every record written once');
  t.ok(ends.every((p) => p.endOffset > n / 10), 'spread over the three partitions');
  t.ok(progressCalls > 1, 'in several rounds of requests');
  const uniq = new Set(bulk.map((r) => `${r.partition}:${r.offset}`));
  t.equal(uniq.size, n, 'distinct offsets reported');
  // Read back in pages by our own fetch: same order within each partition.
  const positions: Record<number, number> = { 0: 0, 1: 0, 2: 0 };
  let read = 0;
  let ordered = true;
  const last = new Map<number, number>();
  for (;;) {
    const pageR = await fetchRecords(client, { topic: 'bulk', positions, maxRecords: 20_000 });
    if (pageR.records.length === 0) break;
    for (const rec of pageR.records) {
      const i = Number(rec.value!.toString().split(' ')[1]);
      if ((last.get(rec.partition) ?? -1) >= i) ordered = false;
      last.set(rec.partition, i);
    }
    read += pageR.records.length;
    Object.assign(positions, pageR.next);
  }
  t.equal(read, n, 'fetchRecords pages through every record');
  t.ok(ordered, 'each partition holds its records in input order');
});
