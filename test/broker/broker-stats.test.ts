/** BrokerStats alone: latency buckets, records counted from batch headers, totals that outlive a deleted topic, connections, ISR changes. */
import t from 'tap';
import { BrokerStats, LATENCY_BUCKETS_MS } from '../../src/broker/broker-stats.js';
import { buildBatch } from '../../src/wire/records/batch-builder.js';
import { Compression } from '../../src/wire/records/batch-header.js';

t.test('a request falls in the first bucket whose bound it does not exceed', async (t) => {
  const s = new BrokerStats();
  s.request(0, 9, 0.05); // under the first bound
  s.request(0, 9, 1); // exactly on a bound: that bucket (le is "less or equal")
  s.request(0, 9, 3); // between 2.5 and 5
  s.request(0, 9, 1e6); // over every bound
  s.request(1, 16, 2);
  const all = [...s.requestStats()];
  t.same(all.map((r) => [r.apiKey, r.version]), [[0, 9], [1, 16]], 'every API and version seen, in key order');
  const produce = all[0]!.stats;
  t.equal(produce.count, 4);
  t.equal(produce.sumMs, 0.05 + 1 + 3 + 1e6);
  const at = (ms: number) => LATENCY_BUCKETS_MS.indexOf(ms);
  t.equal(produce.counts[0], 1);
  t.equal(produce.counts[at(1)], 1);
  t.equal(produce.counts[at(5)], 1);
  t.equal(produce.counts[LATENCY_BUCKETS_MS.length], 1, 'the overflow bucket');
  t.equal(produce.counts.reduce((a, b) => a + b, 0), 4);
});

t.test('records out are counted from each batch header, compressed batches too', async (t) => {
  const s = new BrokerStats();
  const a = buildBatch([{ value: 'a' }, { value: 'b' }, { value: 'c' }]);
  const b = buildBatch(Array.from({ length: 10 }, (_, i) => ({ value: `v${i}` })), { compression: Compression.Gzip, baseOffset: 3 });
  const both = Buffer.concat([a, b]);
  s.fetched('t', both);
  t.equal(s.topics.get('t')!.messagesOut, 13);
  t.equal(s.topics.get('t')!.bytesOut, both.length);
  s.fetched('t', Buffer.alloc(10));
  t.equal(s.topics.get('t')!.messagesOut, 13, 'bytes shorter than a batch header are no records');
  const bogus = Buffer.from(a);
  bogus.writeInt32BE(-100, 8); // a batch length that would step backwards
  s.fetched('u', bogus);
  t.equal(s.topics.get('u')!.messagesOut, 3, 'a bad length ends the count instead of looping');
});

t.test('totals add every topic and outlive a deleted one', async (t) => {
  const s = new BrokerStats();
  s.produced('a', 100, 2);
  s.produced('b', 50, 1);
  s.fetched('a', buildBatch([{ value: 'x' }]));
  s.forgetTopic('a');
  t.notOk(s.topics.has('a'), 'a deleted topic has no series left');
  const totals = s.totals();
  t.equal(totals.bytesIn, 150);
  t.equal(totals.messagesIn, 3);
  t.equal(totals.messagesOut, 1);
  totals.bytesIn = 0;
  t.equal(s.totals().bytesIn, 150, 'totals() is a copy');
});

t.test('connections per listener, ISR shrinks and expands', async (t) => {
  const s = new BrokerStats();
  s.connectionOpened('PLAINTEXT');
  s.connectionOpened('PLAINTEXT');
  s.connectionOpened('SSL');
  s.connectionClosed('PLAINTEXT');
  t.same({ ...s.connections.get('PLAINTEXT') }, { open: 1, accepted: 2 });
  t.same({ ...s.connections.get('SSL') }, { open: 1, accepted: 1 });
  s.isrChanged(3, 2);
  s.isrChanged(2, 3);
  s.isrChanged(3, 3);
  t.equal(s.isrShrinks, 1);
  t.equal(s.isrExpands, 1);
});
