/**
 * GET /metrics (src/http/metrics-route.ts) over real HTTP, against a broker
 * in this process driven by real clients: kcat produces, a kafkajs consumer
 * group consumes and commits; the scrape must parse as Prometheus text and
 * carry the offsets, the lag (produced minus committed), the bytes and
 * records in and out, the Produce requests at the version kcat used, and
 * well-formed latency histograms. Then a 3-broker cluster in one process:
 * each partition reported once, with its leader as the cluster has it; and
 * the escaping of awkward label values (a group id may hold anything).
 */
import t from 'tap';
import { Kafka, logLevel } from 'kafkajs';
import { brokerTarget, clusterTarget, startHttp } from '../src/http/server.js';
import { metricsRoute } from '../src/http/metrics-route.js';
import { Families } from '../src/http/metrics-family.js';
import { testBroker } from './helpers/broker.js';
import { testCluster } from './helpers/cluster.js';
import { kcat } from './helpers/kcat.js';
import { until } from './helpers/until.js';

interface Sample { name: string; labels: Record<string, string>; value: number }

/**
 * Parses Prometheus text format 0.0.4, failing on any line that is not a
 * comment, blank, or `name{label="value",...} number`.
 */
function parseExposition(text: string): { samples: Sample[]; types: Map<string, string>; bad: string[] } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  const bad: string[] = [];
  // Values as Prometheus reads them (Go's ParseFloat: NaN in any case; prom-client writes an empty event-loop window's mean as "Nan").
  const sampleLine = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (-?(?:[0-9.]+(?:e[+-]?[0-9]+)?|[Nn][Aa][Nn]|\+Inf|-Inf))$/;
  const labelPair = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/gy;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
      if (!m) bad.push(line);
      else if (m[1] === 'TYPE') types.set(m[2]!, m[3]!);
      continue;
    }
    const m = sampleLine.exec(line);
    if (!m) { bad.push(line); continue; }
    const labels: Record<string, string> = {};
    const body = m[2] ?? '';
    labelPair.lastIndex = 0;
    let consumed = 0;
    for (let l; (l = labelPair.exec(body)) !== null;) { labels[l[1]!] = l[2]!; consumed = labelPair.lastIndex; }
    if (consumed !== body.length) { bad.push(line); continue; }
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return { samples, types, bad };
}

async function scrape(url: string) {
  const res = await fetch(`${url}/metrics`);
  const text = await res.text();
  return { status: res.status, contentType: res.headers.get('content-type'), ...parseExposition(text) };
}

const pick = (samples: Sample[], name: string, labels: Record<string, string | number> = {}) =>
  samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === String(v)));
const one = (samples: Sample[], name: string, labels: Record<string, string | number> = {}) => {
  const found = pick(samples, name, labels);
  if (found.length !== 1) throw new Error(`${name}${JSON.stringify(labels)}: ${found.length} samples`);
  return found[0]!.value;
};

// /metrics is Samsa's own: nothing to check against BROKER=host:port.
const ours = { skip: process.env.BROKER ? 'GET /metrics is served by Samsa only' : false };

t.test('a lone broker: offsets, lag, bytes and requests after kcat and a kafkajs group', ours, async (t) => {
  const b = await testBroker(t, { 'group.initial.rebalance.delay.ms': '0' });
  const http = await startHttp(brokerTarget(b.samsa!), '127.0.0.1', 0, [metricsRoute()]);
  t.teardown(() => http.close());

  const kafka = new Kafka({ brokers: [b.bootstrap], clientId: 'metrics-test', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  const topic = 'metrics-lone';
  await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] });

  const produced = 50;
  const payload = (i: number) => `record-${String(i).padStart(4, '0')}-${'x'.repeat(40)}`;
  const lines = Array.from({ length: produced }, (_, i) => payload(i));
  const payloadBytes = lines.reduce((n, l) => n + Buffer.byteLength(l), 0);
  // -d protocol makes librdkafka log each request it sends, with its version.
  const { stderr } = await kcat(['-P', '-b', b.bootstrap, '-t', topic, '-p', '0', '-d', 'protocol'], lines.join('\n') + '\n');
  const produceVersions = [...new Set([...stderr.matchAll(/Sent ProduceRequest \(v(\d+)/g)].map((m) => m[1]!))];
  t.equal(produceVersions.length, 1, `kcat sent Produce at one version (${produceVersions})`);

  // A kafkajs group reads everything, then commits less than it read: the lag is what is left.
  const committedAt = 30;
  const group = 'metrics-group';
  const consumer = kafka.consumer({ groupId: group });
  await consumer.connect();
  t.teardown(() => consumer.disconnect());
  await consumer.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  await consumer.run({ autoCommit: false, eachMessage: async () => { seen++; } });
  await until(() => seen >= produced, 30_000, 'the group to read every record');
  await consumer.commitOffsets([{ topic, partition: 0, offset: String(committedAt) }]);

  const s = await scrape(http.url);
  t.equal(s.status, 200);
  t.match(s.contentType, /^text\/plain; version=0\.0\.4/);
  t.same(s.bad, [], 'every line is a comment or a sample');
  const x = s.samples;

  t.equal(one(x, 'kafka_brokers'), 1);
  t.equal(one(x, 'kafka_topic_partitions', { topic }), 2);
  t.equal(one(x, 'kafka_topic_partition_current_offset', { topic, partition: 0 }), produced, 'current offset is what kcat produced');
  t.equal(one(x, 'kafka_topic_partition_current_offset', { topic, partition: 1 }), 0);
  t.equal(one(x, 'kafka_topic_partition_oldest_offset', { topic, partition: 0 }), 0);
  t.equal(one(x, 'kafka_topic_partition_leader', { topic, partition: 0 }), 0);
  t.equal(one(x, 'kafka_topic_partition_replicas', { topic, partition: 0 }), 1);
  t.equal(one(x, 'kafka_topic_partition_in_sync_replica', { topic, partition: 0 }), 1);
  t.equal(one(x, 'kafka_topic_partition_under_replicated_partition', { topic, partition: 0 }), 0);
  t.equal(one(x, 'kafka_topic_partition_leader_is_preferred', { topic, partition: 0 }), 1);
  t.ok(one(x, 'samsa_log_size_bytes', { broker: 0, topic, partition: 0 }) >= payloadBytes, 'the log holds at least the payloads');
  t.equal(one(x, 'samsa_log_end_offset', { broker: 0, topic, partition: 0 }), produced);

  t.equal(one(x, 'kafka_consumergroup_current_offset', { consumergroup: group, topic, partition: 0 }), committedAt, 'committed offset');
  t.equal(one(x, 'kafka_consumergroup_lag', { consumergroup: group, topic, partition: 0 }), produced - committedAt, 'lag = produced - committed');
  t.equal(one(x, 'kafka_consumergroup_lag_sum', { consumergroup: group, topic }), produced - committedAt);
  t.equal(one(x, 'kafka_consumergroup_members', { consumergroup: group }), 1);
  t.equal(one(x, 'samsa_consumergroups', { state: 'Stable' }), 1, 'the group is Stable');

  t.ok(one(x, 'samsa_topic_bytes_in_total', { broker: 0, topic }) >= payloadBytes, 'bytes in grew by at least the payload bytes');
  t.equal(one(x, 'samsa_topic_messages_in_total', { broker: 0, topic }), produced, 'one record in per line');
  t.ok(one(x, 'samsa_topic_bytes_out_total', { broker: 0, topic }) >= payloadBytes, 'the group fetched at least the payloads');
  t.ok(one(x, 'samsa_topic_messages_out_total', { broker: 0, topic }) >= produced, 'and at least every record');
  t.ok(one(x, 'samsa_connections', { broker: 0, listener: 'PLAINTEXT' }) >= 1, 'kafkajs connections are open');

  // Requests: Produce at kcat's version, with a histogram whose buckets grow to its count.
  const produceLabels = { broker: 0, api: 'Produce', version: produceVersions[0]! };
  const produceCount = one(x, 'samsa_requests_total', produceLabels);
  t.ok(produceCount >= 1, `Produce v${produceVersions[0]} counted`);
  t.equal(s.types.get('samsa_request_duration_seconds'), 'histogram');
  const buckets = pick(x, 'samsa_request_duration_seconds_bucket', produceLabels);
  t.ok(buckets.length > 2, 'buckets');
  t.equal(buckets[buckets.length - 1]!.labels.le, '+Inf', 'the last bucket is +Inf');
  const bounds = buckets.map((q) => Number(q.labels.le));
  t.same(bounds, [...bounds].sort((a, b2) => a - b2), 'bucket bounds ascend');
  t.ok(buckets.every((q, i) => i === 0 || q.value >= buckets[i - 1]!.value), 'bucket counts are cumulative');
  t.equal(buckets[buckets.length - 1]!.value, produceCount, '+Inf bucket = requests');
  t.equal(one(x, 'samsa_request_duration_seconds_count', produceLabels), produceCount);
  t.ok(one(x, 'samsa_request_duration_seconds_sum', produceLabels) > 0, 'the latency sum is positive');
  t.ok(one(x, 'samsa_requests_total', { broker: 0, api: 'Fetch' }) >= 1 || pick(x, 'samsa_requests_total', { api: 'Fetch' }).length > 0, 'Fetch counted');

  // The process: memory and event-loop delay.
  t.ok(one(x, 'process_resident_memory_bytes') > 0, 'resident memory');
  t.equal(pick(x, 'nodejs_eventloop_lag_seconds').length, 1, 'event-loop lag');

  // Once the consumer leaves the group is Empty, with its offsets and lag as they were.
  await consumer.disconnect();
  const after = (await scrape(http.url)).samples;
  t.equal(one(after, 'samsa_consumergroups', { state: 'Empty' }), 1, 'the group is Empty after the member left');
  t.equal(one(after, 'kafka_consumergroup_members', { consumergroup: group }), 0);
  t.equal(one(after, 'kafka_consumergroup_lag', { consumergroup: group, topic, partition: 0 }), produced - committedAt);

  // The totals the console's throughput chart reads.
  const totals = b.samsa!.stats.totals();
  t.ok(totals.messagesIn >= produced && totals.bytesIn >= payloadBytes && totals.messagesOut >= produced, 'totals() sums the topics');

  t.equal((await fetch(`${http.url}/metrics`, { method: 'POST' })).status, 405, 'POST /metrics is refused');
});

t.test('a 3-broker cluster in one process: each partition once, from its leader', ours, async (t) => {
  const c = await testCluster(t);
  const http = await startHttp(clusterTarget(c), '127.0.0.1', 0, [metricsRoute()]);
  t.teardown(() => http.close());
  const kafka = new Kafka({ brokers: c.bootstrap.split(','), clientId: 'metrics-cluster', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  const topic = 'metrics-replicated';
  const partitions = 3;
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 3 }] });
  const state = () => c.status().topics.find((x) => x.name === topic)?.partitions ?? [];
  await until(() => state().length === partitions && state().every((p) => p.isr.length === 3), 20_000, 'full ISRs');

  const producer = kafka.producer();
  await producer.connect();
  t.teardown(() => producer.disconnect());
  const perPartition = [3, 5, 7];
  for (let p = 0; p < partitions; p++) {
    await producer.send({ topic, acks: -1, messages: Array.from({ length: perPartition[p]! }, (_, i) => ({ partition: p, value: `p${p}-${i}` })) });
  }

  const s = await scrape(http.url);
  t.same(s.bad, [], 'every line is a comment or a sample');
  const x = s.samples;
  t.equal(one(x, 'kafka_brokers'), 3);
  t.equal(one(x, 'kafka_topic_partitions', { topic }), partitions);
  const leaders = state().map((p) => p.leader);
  for (let p = 0; p < partitions; p++) {
    t.equal(one(x, 'kafka_topic_partition_leader', { topic, partition: p }), leaders[p], `partition ${p} reported once, led by ${leaders[p]}`);
    t.equal(one(x, 'kafka_topic_partition_current_offset', { topic, partition: p }), perPartition[p], `partition ${p}: high watermark from its leader`);
    t.equal(one(x, 'kafka_topic_partition_replicas', { topic, partition: p }), 3);
    t.equal(one(x, 'kafka_topic_partition_in_sync_replica', { topic, partition: p }), 3);
    // Every broker holds a replica: one log series each, all at the same end once replicated.
    const logs = pick(x, 'samsa_log_end_offset', { topic, partition: p });
    t.same(logs.map((q) => q.labels.broker).sort(), ['0', '1', '2'], `partition ${p}: a log on each broker`);
    // Bytes in are counted by the leader only.
    t.equal(one(x, 'samsa_topic_messages_in_total', { broker: leaders[p]!, topic }) >= perPartition[p]!, true, `partition ${p}'s records counted on its leader`);
  }
  const led = (broker: number) => one(x, 'samsa_leader_partitions', { broker });
  const total = c.status().topics.reduce((n, tp) => n + tp.partitions.length, 0);
  t.equal(led(0) + led(1) + led(2), total, 'leader counts add up to every partition');
  t.equal(pick(x, 'samsa_active_controller').reduce((n, q) => n + q.value, 0), 1, 'one active controller');
  t.equal(one(x, 'samsa_offline_partitions'), 0);
  const mineIn = pick(x, 'samsa_topic_messages_in_total', { topic }).reduce((n, q) => n + q.value, 0);
  t.equal(mineIn, perPartition.reduce((a, b2) => a + b2, 0), 'records in summed over brokers = records produced');

  // A follower stopped: its leaders shrink their ISRs and count it.
  const victim = [0, 1, 2].find((id) => leaders.every((l) => l !== id)) ?? ((leaders[0]! + 1) % 3);
  const leadersElsewhere = [...new Set(state().filter((p) => p.leader !== victim).map((p) => p.leader))];
  await c.stopBroker(victim);
  await until(() => state().filter((p) => p.leader !== victim).every((p) => !p.isr.includes(victim)), 20_000, `broker ${victim} out of the ISRs`);
  const later = (await scrape(http.url)).samples;
  const shrinks = leadersElsewhere.reduce((n, id) => n + one(later, 'samsa_isr_shrinks_total', { broker: id }), 0);
  t.ok(shrinks >= 1, 'the ISR shrinks are counted by the leaders');
  t.ok(pick(later, 'kafka_topic_partition_under_replicated_partition', { topic }).some((q) => q.value === 1), 'under-replicated partitions show');
  t.equal(pick(later, 'samsa_log_size_bytes', { broker: victim }).length, 0, 'a stopped broker reports no logs');
});

t.test('label values and help are escaped as the text format wants', async (t) => {
  const f = new Families();
  const g = f.gauge('x_gauge', 'a help with \\ and\nnewline');
  const awkward = 'g"1\\x\ny';
  g.add({ consumergroup: awkward, partition: 3 }, 7);
  g.add({}, NaN);
  f.histogram('x_seconds', 'h').addHistogram({ api: 'Produce' }, [0.001, 0.01], [1, 2, 3], 0.5);
  const text = f.text();
  const p = parseExposition(text);
  t.same(p.bad, [], 'every line parses');
  t.match(text, '# HELP x_gauge a help with \\\\ and\\nnewline\n');
  t.equal(pick(p.samples, 'x_gauge', { partition: 3 })[0]!.labels.consumergroup, 'g\\"1\\\\x\\ny', 'quote, backslash and newline escaped');
  t.match(text, /^x_gauge NaN$/m);
  t.same(pick(p.samples, 'x_seconds_bucket').map((s) => [s.labels.le, s.value]), [['0.001', 1], ['0.01', 3], ['+Inf', 6]], 'cumulative buckets');
  t.equal(one(p.samples, 'x_seconds_count'), 6);
  t.equal(one(p.samples, 'x_seconds_sum'), 0.5);
});
