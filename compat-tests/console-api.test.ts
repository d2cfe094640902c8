/**
 * The console's JSON API against a broker in this process, checked with
 * independent clients: kcat and kafkajs produce what the API must show, and
 * kcat reads back what the API produced. Overview counts, the topic list and
 * detail, create/delete/config changes (a misspelt config is a 400 with the
 * broker's "did you mean"), the message browser (oldest, newest, offset,
 * timestamp, from for the live tail, filters and regexes, headers, binary
 * values), and the read-only switch.
 */
import t from 'tap';
import { request } from 'node:http';
import kafkajs from 'kafkajs';
import { testBroker } from './helpers/broker.js';
import { kcat, kcatConsumeAll } from './helpers/kcat.js';
import { consoleHttp, type ConsoleHttp } from './helpers/console-http.js';
import type { Message, MessagePage, Overview, TopicDetail, TopicSummary } from '../src/http/console-api-types.js';

const { Kafka, logLevel } = kafkajs;

/** A GET with a chosen Host header (fetch() sets its own). */
function rawGet(port: number, path: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host } }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const texts = (page: MessagePage) => page.messages.map((m) => m.value?.text);

async function messages(c: ConsoleHttp, topic: string, query: string): Promise<MessagePage> {
  const r = await c.api<MessagePage>('GET', `/api/topics/${encodeURIComponent(topic)}/messages?${query}`);
  if (r.status !== 200) throw new Error(`messages?${query}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

t.test('topics, configs and the overview', async (t) => {
  const b = await testBroker(t);
  const c = await consoleHttp(t, b.samsa!, true);

  const created = await c.api<TopicDetail>('POST', '/api/topics', { name: 'orders', partitions: 3, configs: { 'retention.ms': 3_600_000 } });
  t.equal(created.status, 201, 'created');
  t.equal(created.body.partitions.length, 3, 'with 3 partitions');
  t.ok(created.body.partitions.every((p) => p.leader === 0 && p.isr.length === 1), 'each led by broker 0');
  t.equal(created.body.configs.find((e) => e.name === 'retention.ms')?.value, '3600000', 'its retention.ms');
  t.equal(created.body.configs.find((e) => e.name === 'retention.ms')?.source, 'DYNAMIC_TOPIC_CONFIG', 'set on the topic');

  const again = await c.api('POST', '/api/topics', { name: 'orders' });
  t.equal(again.status, 409, 'creating it again: 409');
  t.equal(again.body.code, 'TOPIC_ALREADY_EXISTS');
  const misspelt = await c.api('POST', '/api/topics', { name: 'typo', configs: { 'retention.mss': '1' } });
  t.equal(misspelt.status, 400, 'a misspelt config at create: 400');
  t.match(misspelt.body.error, /did you mean retention\.ms/i, 'with a suggestion');
  t.equal((await c.api('POST', '/api/topics', { partitions: 2 })).status, 400, 'no name: 400');
  t.equal((await c.api('POST', '/api/topics', { name: 'x', partitions: 0 })).status, 400, 'zero partitions: 400');

  await kcat(['-P', '-b', b.bootstrap, '-t', 'orders', '-p', '1'], 'one\ntwo\nthree\n');
  const list = await c.api<TopicSummary[]>('GET', '/api/topics');
  t.equal(list.status, 200);
  const orders = list.body.find((x) => x.name === 'orders')!;
  t.match(orders, { partitions: 3, replicationFactor: 1, messages: 3, retentionMs: 3_600_000, underReplicatedPartitions: 0, internal: false }, 'the list row');
  t.ok(orders.sizeBytes > 'onetwothree'.length, `its size (${orders.sizeBytes} bytes) counts the batches`);

  const detail = await c.api<TopicDetail>('GET', '/api/topics/orders');
  t.same(detail.body.partitions.map((p) => [p.partition, p.startOffset, p.endOffset]), [[0, 0, 0], [1, 0, 3], [2, 0, 0]], 'start and end offsets per partition');
  t.ok(detail.body.partitions[1]!.sizeBytes > 0 && detail.body.partitions[0]!.sizeBytes === 0, 'sizes per partition');
  t.equal((await c.api('GET', '/api/topics/nope')).status, 404, 'an unknown topic: 404');

  const typo = await c.api('PATCH', '/api/topics/orders/configs', { set: { 'retention.mss': '1000' } });
  t.equal(typo.status, 400, 'a misspelt config: 400');
  t.equal(typo.body.code, 'INVALID_CONFIG');
  t.match(typo.body.error, /did you mean retention\.ms/i, 'the broker\'s "did you mean"');
  const bad = await c.api('PATCH', '/api/topics/orders/configs', { set: { 'retention.ms': 'soon' } });
  t.equal(bad.status, 400, 'a bad value: 400');
  const altered = await c.api<{ name: string; value: string }[]>('PATCH', '/api/topics/orders/configs', { set: { 'cleanup.policy': 'compact' }, delete: ['retention.ms'] });
  t.equal(altered.status, 200, 'set and delete');
  t.equal(altered.body.find((e) => e.name === 'cleanup.policy')?.value, 'compact', 'set');
  t.equal(altered.body.find((e) => e.name === 'retention.ms')?.value, '604800000', 'deleted: back to the default');

  await c.api('POST', '/api/topics', { name: 'second', partitions: 2 });
  const ov = await c.api<Overview>('GET', '/api/overview');
  t.equal(ov.status, 200);
  t.match(ov.body, { controllerId: 0, topicCount: 2, partitionCount: 5, underReplicatedPartitions: 0, offlinePartitions: 0 }, 'overview counts');
  t.same(ov.body.brokers.map((x) => [x.nodeId, x.isController, x.leaderCount]), [[0, true, 5]], 'the broker, controller, leading every partition');
  t.ok(ov.body.clusterId, 'a cluster id');
  t.type(ov.body.throughput.produceBytesPerSec, 'number', 'a throughput figure');
  t.ok(Array.isArray(ov.body.history), 'a history');
  // The broker's counters are sampled every 5 s: wait (bounded) for a figure that saw kcat's produce and consume.
  await kcatConsumeAll(b.bootstrap, 'orders');
  const seen = { produce: 0, fetch: 0, messages: 0 };
  for (let i = 0; i < 60 && !(seen.produce > 0 && seen.fetch > 0); i++) {
    const o = (await c.api<Overview>('GET', '/api/overview')).body;
    for (const p of [o.throughput, ...o.history]) {
      seen.produce = Math.max(seen.produce, p.produceBytesPerSec);
      seen.fetch = Math.max(seen.fetch, p.fetchBytesPerSec);
      seen.messages = Math.max(seen.messages, p.produceMessagesPerSec);
    }
    if (!(seen.produce > 0 && seen.fetch > 0)) await new Promise((r) => setTimeout(r, 250));
  }
  t.ok(seen.produce > 0 && seen.messages > 0, `produce throughput from the broker's counters (${seen.produce.toFixed(1)} B/s, ${seen.messages.toFixed(2)} msg/s)`);
  t.ok(seen.fetch > 0, `fetch throughput (${seen.fetch.toFixed(1)} B/s)`);

  const deleted = await c.api('DELETE', '/api/topics/second');
  t.same(deleted.body, { deleted: 'second' }, 'deleted');
  t.equal((await c.api('GET', '/api/topics/second')).status, 404, 'gone');
  t.equal((await c.api('DELETE', '/api/topics/second')).status, 404, 'deleting it again: 404');
  t.equal((await c.api('PUT', '/api/topics/orders')).status, 405, 'a wrong method: 405');

  const ro = await consoleHttp(t, b.samsa!, false);
  for (const [method, path, body] of [
    ['POST', '/api/topics', { name: 'ro' }], ['DELETE', '/api/topics/orders'], ['PATCH', '/api/topics/orders/configs', { set: { 'retention.ms': '1' } }],
    ['POST', '/api/topics/orders/messages', { value: 'x' }], ['POST', '/api/groups/g/reset', { to: 'earliest' }], ['DELETE', '/api/groups/g'],
  ] as [string, string, unknown?][]) {
    const r = await ro.api(method, path, body);
    t.equal(r.status, 403, `writes off: ${method} ${path} is 403`);
    t.equal(r.body.code, 'WRITES_DISABLED');
  }
  t.equal((await ro.api('GET', '/api/topics/orders')).status, 200, 'reads still work');
  t.equal((await ro.api('GET', '/api/session')).body.allowWrites, false, 'the session says so');

  const rebound = await rawGet(c.http.port, '/api/topics', 'evil.example:80');
  t.equal(rebound.status, 403, 'a foreign Host name on a loopback listener (DNS rebinding): 403');
  t.match(rebound.body, /BAD_HOST/);
  t.equal((await rawGet(c.http.port, '/api/topics', `localhost:${c.http.port}`)).status, 200, 'localhost is fine');
});

t.test('message browser: starts, positions, filters, headers, binary values; produce read back by kcat', async (t) => {
  const b = await testBroker(t);
  const c = await consoleHttp(t, b.samsa!, true);
  await c.api('POST', '/api/topics', { name: 'browse', partitions: 2 });
  const kafka = new Kafka({ brokers: [b.bootstrap], logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  t.teardown(() => producer.disconnect());
  // Timestamps set by the producer, so the order across partitions is known: p0 gets 1000, 3000, 5000; p1 2000, 4000, 6000.
  await producer.send({ topic: 'browse', messages: [
    { partition: 0, key: 'k1', value: 'alpha', timestamp: '1000', headers: { trace: 'abc-1' } },
    { partition: 0, key: 'k3', value: 'Gamma ray', timestamp: '3000' },
    { partition: 0, key: 'k5', value: Buffer.from([0xff, 0xfe, 0x00, 0x41]), timestamp: '5000' },
  ] });
  await producer.send({ topic: 'browse', messages: [
    { partition: 1, key: 'k2', value: 'beta', timestamp: '2000' },
    { partition: 1, key: null, value: 'delta-force', timestamp: '4000', headers: { trace: 'XYZ-2', bin: Buffer.from([0xc3, 0x28]) } },
    { partition: 1, key: 'k6', value: null, timestamp: '6000' },
  ] });

  const oldest = await messages(c, 'browse', 'start=oldest');
  t.same(texts(oldest), ['alpha', 'beta', 'Gamma ray', 'delta-force', null, undefined], 'oldest: every message, by timestamp across partitions');
  t.same(oldest.messages.map((m) => [m.partition, m.offset, m.timestamp]), [[0, 0, 1000], [1, 0, 2000], [0, 1, 3000], [1, 1, 4000], [0, 2, 5000], [1, 2, 6000]], 'positions and timestamps');
  t.same(oldest.next, { 0: 3, 1: 3 }, 'next: each partition\'s end');
  t.equal(oldest.filteredOut, 0);

  const first = oldest.messages[0]!;
  t.same(first.key, { text: 'k1', base64: Buffer.from('k1').toString('base64'), size: 2 }, 'a key as Bytes');
  t.same(first.headers, [{ key: 'trace', value: { text: 'abc-1', base64: Buffer.from('abc-1').toString('base64'), size: 5 } }], 'headers');
  t.equal(first.timestampType, 'CreateTime');
  const binary = oldest.messages[4]!;
  t.same(binary.value, { text: null, base64: Buffer.from([0xff, 0xfe, 0x00, 0x41]).toString('base64'), size: 4 }, 'a binary value: text null, base64 exact');
  t.equal(oldest.messages[5]!.value, null, 'a null value (tombstone) is null');
  t.equal(oldest.messages[3]!.key, null, 'a null key is null');
  t.equal(oldest.messages[3]!.headers.find((h) => h.key === 'bin')?.value?.text, null, 'a header value that is not UTF-8: text null');

  const limited = await messages(c, 'browse', 'start=oldest&limit=3');
  t.same(texts(limited), ['alpha', 'beta', 'Gamma ray'], 'limit 3: the three oldest');
  t.same(limited.next, { 0: 2, 1: 1 }, 'next: exactly after what was shown in each partition');
  const rest = await messages(c, 'browse', `from=${Object.entries(limited.next).map(([p, o]) => `${p}:${o}`).join(',')}`);
  t.same(texts(rest), ['delta-force', null, undefined], 'from=next continues where the page ended');

  const newest = await messages(c, 'browse', 'limit=2');
  t.same(newest.messages.map((m) => m.timestamp), [5000, 6000], 'newest (the default): the last 2 across partitions, oldest first');
  t.same(newest.next, { 0: 3, 1: 3 }, 'next: the ends, to tail from');

  t.same(texts(await messages(c, 'browse', 'start=offset&offset=1&partitions=0')), ['Gamma ray', null], 'offset 1 of partition 0');
  t.same(texts(await messages(c, 'browse', 'start=offset&offset=99&partitions=0')), [], 'an offset past the end: nothing (yet)');
  t.same((await messages(c, 'browse', 'start=timestamp&timestamp=3500')).messages.map((m) => m.timestamp), [4000, 5000, 6000], 'from a timestamp');
  t.same((await messages(c, 'browse', 'start=timestamp&timestamp=99999')).messages, [], 'a timestamp after everything: empty');

  const sub = await messages(c, 'browse', 'start=oldest&filter=GAMMA');
  t.same(texts(sub), ['Gamma ray'], 'a substring, case-insensitive');
  t.equal(sub.filteredOut, 5, 'the others counted as filtered out');
  t.same(texts(await messages(c, 'browse', 'start=oldest&filter=^(alpha|beta)$&regex=true')), ['alpha', 'beta'], 'a regex');
  t.same(texts(await messages(c, 'browse', 'start=oldest&filter=xyz&filterOn=headers')), ['delta-force'], 'on headers');
  t.same(texts(await messages(c, 'browse', 'start=oldest&filter=k3&filterOn=key')), ['Gamma ray'], 'on keys');
  t.same(texts(await messages(c, 'browse', 'start=oldest&filter=k3&filterOn=value')), [], 'on values only: no key matches');
  t.same(texts(await messages(c, 'browse', 'filter=a&limit=1')), ['delta-force'], 'newest with a filter: the newest match');

  for (const [q, why] of [
    ['filter=(&regex=true', 'a bad regex'], ['limit=1001', 'limit over 1000'], ['limit=0', 'limit 0'], ['start=soon', 'an unknown start'],
    ['start=offset', 'start=offset without an offset'], ['partitions=7', 'an unknown partition'], ['from=0-3', 'a bad from'], ['colour=red', 'an unknown parameter'],
  ]) {
    const r = await c.api('GET', `/api/topics/browse/messages?${q}`);
    t.equal(r.status, 400, `${why}: 400`);
  }
  t.match((await c.api('GET', '/api/topics/browse/messages?filter=(&regex=true')).body.error, /regular expression/, 'the regex error says so');
  t.equal((await c.api('GET', '/api/topics/nope/messages')).status, 404, 'an unknown topic: 404');

  // Live tail: a page, then kcat produces, then from=next shows exactly the new ones.
  const tail = await messages(c, 'browse', 'limit=10');
  await kcat(['-P', '-b', b.bootstrap, '-t', 'browse', '-p', '1', '-K', '\t'], 'tk\tlive-1\ntk\tlive-2\n');
  const fromNext = Object.entries(tail.next).map(([p, o]) => `${p}:${o}`).join(',');
  const tailed = await messages(c, 'browse', `from=${fromNext}`);
  t.same(texts(tailed), ['live-1', 'live-2'], 'the tail shows what kcat produced since');
  t.same(tailed.next, { 0: 3, 1: 5 }, 'and moves next on');
  t.same(texts(await messages(c, 'browse', `from=${Object.entries(tailed.next).map(([p, o]) => `${p}:${o}`).join(',')}`)), [], 'nothing new: empty');

  // Produce from the API, read back by kcat.
  const produced = await c.api('POST', '/api/topics/browse/messages', { key: 'api-key', value: 'from the console', headers: [{ key: 'source', value: 'api' }, { key: 'empty', value: null }], partition: 0 });
  t.equal(produced.status, 200, 'produced');
  t.match(produced.body, { partition: 0, offset: 3 }, 'at the end of partition 0');
  const keyed = await c.api('POST', '/api/topics/browse/messages', { key: 'k1', value: 'same key' });
  t.equal(keyed.status, 200);
  const unkeyed = await c.api('POST', '/api/topics/browse/messages', { value: null });
  t.equal(unkeyed.status, 200, 'a tombstone without a key');
  const read = await kcatConsumeAll(b.bootstrap, 'browse', ['-p', '0']);
  const mine = read.find((m) => m.key === 'api-key');
  t.ok(mine, 'kcat reads the produced message');
  t.equal(mine?.payload, 'from the console', 'its value');
  t.equal(mine?.partition, 0, 'in the partition asked for');
  t.same(mine?.headers, ['source', 'api', 'empty', null], 'its headers');
  t.equal((await c.api('POST', '/api/topics/browse/messages', { value: 'x', partition: 9 })).status, 400, 'an unknown partition: 400');
  t.equal((await c.api('POST', '/api/topics/browse/messages', { key: 'x' })).status, 400, 'no value: 400');
  t.equal((await c.api('POST', '/api/topics/nope/messages', { value: 'x' })).status, 404, 'an unknown topic: 404');
  const m: Message | undefined = (await messages(c, 'browse', 'filter=api-key&filterOn=key')).messages[0];
  t.same(m?.headers.map((h) => [h.key, h.value?.text ?? null]), [['source', 'api'], ['empty', null]], 'the browser shows its headers, a null one as null');
});
