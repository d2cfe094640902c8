/**
 * Issue 13's "Show": kafkajs and librdkafka (kcat) over TCP against a cluster
 * of three Samsa broker PROCESSES whose metadata lives in a real etcd
 * (helpers/process-cluster.ts): topic admin seen alike through every broker,
 * produce and consume both ways between the two clients, a consumer group of
 * two members sharing partitions with its commits surviving the loss of its
 * coordinator, transactions whose partitions are led by different brokers,
 * producer ids unique across the processes, and failover when the process
 * leading a partition, or the active controller, is SIGKILLed while an
 * idempotent acks=all producer writes.
 *
 * One cluster serves every subtest, in order (the later ones kill brokers).
 * Needs etcd (/usr/bin/etcd), kcat and the built CLI (dist/src/cli/main.js).
 */
import t, { type Test } from 'tap';
import { existsSync } from 'node:fs';
import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import { etcdAvailable, ETCD_MISSING } from './helpers/etcd.js';
import { SAMSA_MAIN, startProcessCluster, waitForFullIsrP, type ProcessCluster, type ProcessTopicStatus } from './helpers/process-cluster.js';
import { until } from './helpers/until.js';
import { kcat, kcatConsumeAll, kcatProduce } from './helpers/kcat.js';
import { checkReadBack, startAckedWriter, startKcatFeeder, stopAndCheckKcatFeed, type Acked } from './helpers/writers.js';
import { WireClient } from './helpers/wire-client.js';
import { ApiKey } from '../src/wire/generated/api-keys.js';
import { encodeDescribeConfigsRequest, decodeDescribeConfigsResponse } from '../src/wire/generated/describe-configs.js';
import { encodeIncrementalAlterConfigsRequest, decodeIncrementalAlterConfigsResponse } from '../src/wire/generated/incremental-alter-configs.js';
import { encodeCreateTopicsRequest, decodeCreateTopicsResponse } from '../src/wire/generated/create-topics.js';
import { encodeInitProducerIdRequest, decodeInitProducerIdResponse } from '../src/wire/generated/init-producer-id.js';
import { partitionFor } from '../src/coordinator/internal-topic.js';

const skip = !etcdAvailable ? ETCD_MISSING : !existsSync(SAMSA_MAIN) ? `${SAMSA_MAIN} is missing (build first: make build)` : false;
const R3 = { replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] };
const TOPIC_RESOURCE = 2;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `p`, or a rejection naming `what` after `ms` (the timer does not outlive it). */
function bounded<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms);
    p.then((v) => { clearTimeout(timer); resolve(v); }, (e: unknown) => { clearTimeout(timer); reject(e as Error); });
  });
}

/** One request over a fresh connection straight to broker `id` (its advertised address), bounded. */
async function onBroker<T>(c: ProcessCluster, id: number, fn: (w: WireClient) => Promise<T>, ms = 10_000): Promise<T> {
  const [host, port] = c.address(id).split(':');
  const w = await WireClient.connect(host!, Number(port));
  try {
    return await bounded(fn(w), ms, `broker ${id}`);
  } finally {
    w.close();
  }
}

async function describeTopicConfig(c: ProcessCluster, id: number, topic: string, name: string): Promise<string | null | undefined> {
  const res = await onBroker(c, id, (w) => w.request(ApiKey.DescribeConfigs, 4,
    (x) => encodeDescribeConfigsRequest(x, { resources: [{ resourceType: TOPIC_RESOURCE, resourceName: topic, configurationKeys: [name] }], includeSynonyms: false, includeDocumentation: false }, 4),
    (r) => decodeDescribeConfigsResponse(r, 4)));
  const r = res.results[0]!;
  if (r.errorCode !== 0) throw new Error(`DescribeConfigs ${topic} on broker ${id}: error ${r.errorCode} ${r.errorMessage}`);
  return r.configs.find((x) => x.name === name)?.value;
}

/** A topic's partitions as broker `via` serves them (Metadata v12 over the wire). */
async function topicVia(c: ProcessCluster, via: number, topic: string): Promise<ProcessTopicStatus | undefined> {
  return (await c.status({ via, timeoutMs: 5000 })).topics.find((x) => x.name === topic);
}

/** Polls until `cond` holds for the topic as every running broker serves it; returns the views. */
async function untilEveryBroker(c: ProcessCluster, topic: string, cond: (tp: ProcessTopicStatus | undefined) => boolean, ms: number, what: string): Promise<(ProcessTopicStatus | undefined)[]> {
  const end = Date.now() + ms;
  let views: (ProcessTopicStatus | undefined)[] = [];
  for (;;) {
    views = await Promise.all([...Array(c.size).keys()].map((i) => topicVia(c, i, topic).catch(() => undefined)));
    if (views.every(cond)) return views;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(views)}`);
    await sleep(200);
  }
}

interface KcatMetadata { originating_broker: { id: number }; controllerid: number; brokers: { id: number }[]; topics: { topic: string; error?: string; partitions: { partition: number; leader: number; replicas: { id: number }[]; isrs: { id: number }[] }[] }[] }

/** librdkafka's view (kcat -L) of a topic, asked of broker `id` alone. */
async function kcatMetadata(c: ProcessCluster, id: number, topic?: string): Promise<KcatMetadata> {
  // -L -t <topic> would auto-create a missing topic (librdkafka asks with allow_auto_topic_creation, as Kafka allows by default).
  const { stdout } = await kcat(['-L', '-J', '-b', c.address(id), ...(topic ? ['-t', topic] : []), '-m', '5'], undefined, 15_000);
  return JSON.parse(stdout) as KcatMetadata;
}

t.test('kafkajs and kcat against three broker processes with their metadata in etcd', { skip, timeout: 170_000 }, async (t) => {
  const began = Date.now();
  const c = await startProcessCluster(t, { brokers: 3 });
  t.teardown(() => t.comment(`cluster file ran ${((Date.now() - began) / 1000).toFixed(1)} s`));
  // Bootstrap through the brokers running at the moment: a down broker's proxy accepts and closes, which kafkajs
  // (unlike a refused connection) does not take as a reason to try another seed broker.
  const running = () => [...Array(c.size).keys()].filter((i) => c.running(i)).map((i) => c.address(i));
  const kafka = new Kafka({ brokers: running, logLevel: logLevel.NOTHING, connectionTimeout: 1000, requestTimeout: 10_000, retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1000 } });
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  /** Each subtest starts with every broker up and every ISR full (an earlier failure may have left one down), and dumps the logs if it fails. */
  const begin = async (tt: Test) => {
    tt.teardown(() => { if (!tt.passing()) tt.comment(c.allLogs()); });
    for (let i = 0; i < c.size; i++) if (!c.running(i)) await c.startBroker(i);
    await waitForFullIsrP(c, undefined, 30_000);
  };

  await t.test('topic admin: every broker serves the same metadata and configs', async (t) => {
    await begin(t);
    t.equal(await admin.createTopics({ topics: [{ topic: 'adm', numPartitions: 3, ...R3 }] }), true, 'created adm (RF 3, min.insync.replicas 2)');
    await waitForFullIsrP(c, ['adm'], 20_000);
    const views = await untilEveryBroker(c, 'adm', (tp) => tp?.partitions.length === 3 && tp.partitions.every((p) => p.isr.length === 3), 10_000, 'adm in every broker\'s metadata');
    for (let i = 1; i < c.size; i++) t.same(views[i], views[0], `broker ${i} serves the same partitions, leaders, epochs, replicas and ISR as broker 0`);
    for (const p of views[0]!.partitions) t.same([...p.replicas].sort(), [0, 1, 2], `adm-${p.partition} has a replica on every broker`);
    t.ok(new Set(views[0]!.partitions.map((p) => p.leader)).size >= 2, 'adm\'s leaders are spread over the brokers');
    const ctrl = await Promise.all([0, 1, 2].map((i) => c.status({ via: i }).then((s) => s.controllerId)));
    t.ok(ctrl[0]! >= 0 && ctrl.every((x) => x === ctrl[0]), `every broker names the same controller (${ctrl})`);
    for (let i = 0; i < c.size; i++) {
      const st = await c.status({ via: i });
      t.same(st.brokers.filter((b) => b.fenced).map((b) => b.id), [], `broker ${i} lists all three brokers as live`);
    }
    // librdkafka's view through each broker alone.
    for (let i = 0; i < c.size; i++) {
      const md = await kcatMetadata(c, i, 'adm');
      t.equal(md.originating_broker.id, i, `kcat -L answered by broker ${i}`);
      t.same(md.brokers.map((b) => b.id).sort(), [0, 1, 2], `kcat via broker ${i}: three brokers`);
      const tp = md.topics.find((x) => x.topic === 'adm')!;
      t.same(tp.partitions.map((p) => ({ partition: p.partition, leader: p.leader, replicas: p.replicas.map((r) => r.id), isr: p.isrs.map((r) => r.id).sort() })).sort((a, b) => a.partition - b.partition),
        views[0]!.partitions.map((p) => ({ partition: p.partition, leader: p.leader, replicas: p.replicas, isr: [...p.isr].sort() })), `kcat via broker ${i}: the same leaders, replicas and ISR`);
    }
    const kjs = await admin.fetchTopicMetadata({ topics: ['adm'] });
    t.same(kjs.topics[0]!.partitions.map((p) => ({ p: p.partitionId, l: p.leader })).sort((a, b) => a.p - b.p), views[0]!.partitions.map((p) => ({ p: p.partition, l: p.leader })), 'kafkajs sees the same leaders');

    // A config altered through the controller (kafkajs sends AlterConfigs there) is described by every broker...
    await admin.alterConfigs({ validateOnly: false, resources: [{ type: TOPIC_RESOURCE, name: 'adm', configEntries: [{ name: 'retention.ms', value: '123456789' }, { name: 'min.insync.replicas', value: '2' }] }] });
    for (let i = 0; i < c.size; i++) {
      let v: string | null | undefined;
      for (const end = Date.now() + 5000; Date.now() < end; await sleep(100)) if ((v = await describeTopicConfig(c, i, 'adm', 'retention.ms')) === '123456789') break;
      t.equal(v, '123456789', `retention.ms altered through the controller (${ctrl[0]}), described by broker ${i}`);
    }
    // ...and one altered through a broker that is not the controller is seen through the others and by kafkajs.
    const other = [0, 1, 2].find((i) => i !== ctrl[0])!;
    const alter = await onBroker(c, other, (w) => w.request(ApiKey.IncrementalAlterConfigs, 1,
      (x) => encodeIncrementalAlterConfigsRequest(x, { resources: [{ resourceType: TOPIC_RESOURCE, resourceName: 'adm', configs: [{ name: 'max.message.bytes', configOperation: 0, value: '2000000' }] }], validateOnly: false }, 1),
      (r) => decodeIncrementalAlterConfigsResponse(r, 1)));
    t.same(alter.responses.map((r) => [r.errorCode, r.errorMessage]), [[0, null]], `IncrementalAlterConfigs through broker ${other}`);
    for (let i = 0; i < c.size; i++) {
      let v: string | null | undefined;
      for (const end = Date.now() + 5000; Date.now() < end; await sleep(100)) if ((v = await describeTopicConfig(c, i, 'adm', 'max.message.bytes')) === '2000000') break;
      t.equal(v, '2000000', `max.message.bytes altered through broker ${other}, described by broker ${i}`);
      t.equal(await describeTopicConfig(c, i, 'adm', 'retention.ms'), '123456789', `broker ${i}: the earlier alteration is kept (incremental)`);
    }
    const described = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: TOPIC_RESOURCE, name: 'adm', configNames: ['max.message.bytes', 'retention.ms'] }] });
    t.same(Object.fromEntries(described.resources[0]!.configEntries.map((e) => [e.configName, e.configValue])), { 'max.message.bytes': '2000000', 'retention.ms': '123456789' }, 'kafkajs describes both alterations');

    // More partitions, seen everywhere.
    await admin.createPartitions({ topicPartitions: [{ topic: 'adm', count: 5 }] });
    const grown = await untilEveryBroker(c, 'adm', (tp) => tp?.partitions.length === 5 && tp.partitions.every((p) => p.leader >= 0 && p.isr.length === 3), 20_000, 'adm with 5 partitions everywhere');
    for (let i = 1; i < c.size; i++) t.same(grown[i], grown[0], `broker ${i}: the same 5 partitions as broker 0`);
    for (let i = 0; i < c.size; i++) t.equal((await kcatMetadata(c, i, 'adm')).topics[0]!.partitions.length, 5, `kcat via broker ${i}: 5 partitions`);

    // A second create of the same name: kafkajs is told TOPIC_ALREADY_EXISTS, and so is a CreateTopics sent to each broker.
    t.equal(await admin.createTopics({ topics: [{ topic: 'adm', numPartitions: 1, ...R3 }] }), false, 'kafkajs createTopics of an existing topic: false (TOPIC_ALREADY_EXISTS)');
    for (let i = 0; i < c.size; i++) {
      const res = await onBroker(c, i, (w) => w.request(ApiKey.CreateTopics, 7,
        (x) => encodeCreateTopicsRequest(x, { topics: [{ name: 'adm', numPartitions: 1, replicationFactor: 3, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false }, 7),
        (r) => decodeCreateTopicsResponse(r, 7)));
      t.equal(res.topics[0]!.errorCode, 36, `CreateTopics adm through broker ${i}: TOPIC_ALREADY_EXISTS (36) (${res.topics[0]!.errorMessage})`);
    }

    // Delete: gone from every broker's metadata, from kcat's and kafkajs's; the name can be created again, empty.
    t.equal(await admin.createTopics({ topics: [{ topic: 'gone', numPartitions: 2, ...R3 }] }), true, 'created gone');
    await waitForFullIsrP(c, ['gone'], 20_000);
    const p = kafka.producer();
    await p.connect();
    await p.send({ topic: 'gone', acks: -1, messages: [{ partition: 0, value: 'old' }, { partition: 1, value: 'old' }] });
    await p.disconnect();
    await admin.deleteTopics({ topics: ['gone'], timeout: 10_000 });
    await untilEveryBroker(c, 'gone', (tp) => tp === undefined, 10_000, 'gone deleted from every broker');
    t.pass('gone is missing from every broker\'s metadata');
    for (let i = 0; i < c.size; i++) {
      const md = await kcatMetadata(c, i);
      t.ok(md.topics.some((x) => x.topic === 'adm') && !md.topics.some((x) => x.topic === 'gone'), `kcat -L via broker ${i}: adm listed, gone not (${md.topics.map((x) => x.topic).join(',')})`);
    }
    t.notOk((await admin.listTopics()).includes('gone'), 'kafkajs listTopics lacks gone');
    t.equal(await admin.createTopics({ topics: [{ topic: 'gone', numPartitions: 2, ...R3 }] }), true, 'gone created again');
    await waitForFullIsrP(c, ['gone'], 20_000);
    const offsets = await admin.fetchTopicOffsets('gone');
    t.same(offsets.map((o) => o.high), ['0', '0'], 'the new gone is empty (the old records went with the old topic)');
  });

  await t.test('produce and consume: kafkajs idempotent acks=all read back by kcat, kcat produce read by kafkajs', async (t) => {
    await begin(t);
    await admin.createTopics({ topics: [{ topic: 'pc', numPartitions: 3, ...R3 }, { topic: 'kc', numPartitions: 2, ...R3 }] });
    await waitForFullIsrP(c, ['pc', 'kc'], 20_000);
    const leaders = new Set((await c.status()).topics.find((x) => x.name === 'pc')!.partitions.map((p) => p.leader));
    t.ok(leaders.size >= 2, `pc's partitions are led by ${leaders.size} different brokers`);

    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    t.teardown(() => producer.disconnect());
    const sentBy = new Map<number, string[]>([[0, []], [1, []], [2, []]]);
    const acked: Acked[] = [];
    for (let b = 0; b < 30; b++) {
      const partition = b % 3;
      const values = Array.from({ length: 10 }, (_, i) => `pc-${b}-${i}`);
      const [r] = await producer.send({ topic: 'pc', acks: -1, messages: values.map((value) => ({ partition, key: `k${b}`, value })) });
      t.equal(r!.errorCode, 0);
      values.forEach((value, i) => acked.push({ partition, offset: Number(r!.baseOffset) + i, value }));
      sentBy.get(partition)!.push(...values);
    }
    const read = await kcatConsumeAll(c.bootstrap, 'pc');
    t.equal(read.length, 300, 'kcat reads 300 records');
    for (let p = 0; p < 3; p++) {
      const mine = read.filter((m) => m.partition === p).sort((a, b) => a.offset - b.offset);
      t.same(mine.map((m) => m.payload), sentBy.get(p), `pc-${p}: every record exactly once, in the order sent`);
      t.same(mine.map((m) => m.offset), mine.map((_, i) => i), `pc-${p}: offsets dense from 0`);
    }
    checkReadBack(t, read, acked, new Set(acked.map((a) => a.value)), 3);

    // kcat (librdkafka, idempotent acks=all) produces keyed records; kafkajs reads them all, each once, per key in order.
    const lines = Array.from({ length: 200 }, (_, i) => `key${i % 7}:${i}`);
    await kcatProduce(c.bootstrap, 'kc', lines, ['-K', ':', '-X', 'acks=all', '-X', 'enable.idempotence=true']);
    // Its own client, logging what it does (kept, printed only if the read goes wrong).
    const clientLog: string[] = [];
    const logged = new Kafka({
      brokers: running, connectionTimeout: 1000, requestTimeout: 10_000, retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1000 },
      logLevel: logLevel.INFO, logCreator: () => ({ namespace, label, log }) => { clientLog.push(`${new Date(log.timestamp).toISOString().slice(11, 23)} ${label} ${namespace} ${log.message} ${log.error ?? ''}`); },
    });
    const consumer = logged.consumer({ groupId: 'kc-reader', maxWaitTimeInMs: 200 });
    await consumer.connect();
    t.teardown(() => consumer.disconnect());
    await consumer.subscribe({ topic: 'kc', fromBeginning: true });
    let joins = 0;
    consumer.on(consumer.events.GROUP_JOIN, () => { joins++; });
    const seen: { key: string; value: string; partition: number; offset: string }[] = [];
    await consumer.run({ eachMessage: async ({ partition, message }) => { seen.push({ partition, key: message.key!.toString(), value: message.value!.toString(), offset: message.offset }); } });
    await until(() => seen.length >= 200, 30_000, 'kafkajs reading the 200 records kcat produced');
    await sleep(300);
    if (seen.length !== 200) {
      // Which side doubled records (a CI run once read 316): the log itself, or the consumer reading a partition again.
      const log = await kcatConsumeAll(c.bootstrap, 'kc');
      const reread = seen.filter((m, i) => seen.findIndex((x) => x.partition === m.partition && x.offset === m.offset) !== i).length;
      t.comment(`kc's log holds ${log.length} records; the consumer joined the group ${joins} time(s) and was handed ${reread} record(s) at an offset it had already read; its log:\n${clientLog.join('\n')}`);
    }
    t.equal(seen.length, 200, 'exactly 200 records read');
    t.same(seen.map((m) => Number(m.value)).sort((a, b) => a - b), lines.map((_, i) => i), 'every value once');
    for (let k = 0; k < 7; k++) {
      const vals = seen.filter((m) => m.key === `key${k}`);
      t.same(vals.map((m) => Number(m.value)), [...vals.map((m) => Number(m.value))].sort((a, b) => a - b), `key${k}: in the order produced`);
      t.equal(new Set(vals.map((m) => m.partition)).size, 1, `key${k}: all in one partition`);
    }
  });

  await t.test('a group of two kafkajs consumers shares the partitions and commits; the offsets survive the loss of the coordinator', async (t) => {
    await begin(t);
    const GROUP = 'etcd-group';
    await admin.createTopics({ topics: [{ topic: 'grp', numPartitions: 4, ...R3 }] });
    await waitForFullIsrP(c, ['grp'], 20_000);
    const members: { consumer: Consumer; seen: { partition: number; offset: number; value: string }[]; assigned: number[] }[] = [];
    const join = async () => {
      const consumer = kafka.consumer({ groupId: GROUP, maxWaitTimeInMs: 200, sessionTimeout: 10_000, heartbeatInterval: 300, retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1000 } });
      const m = { consumer, seen: [] as { partition: number; offset: number; value: string }[], assigned: [] as number[] };
      consumer.on(consumer.events.GROUP_JOIN, (e) => { m.assigned = [...(e.payload.memberAssignment.grp ?? [])].sort(); });
      members.push(m);
      await consumer.connect();
      await consumer.subscribe({ topic: 'grp', fromBeginning: true });
      await consumer.run({ eachMessage: async ({ partition, message }) => { m.seen.push({ partition, offset: Number(message.offset), value: message.value!.toString() }); } });
    };
    t.teardown(async () => { for (const m of members) await m.consumer.disconnect().catch(() => undefined); });
    await join();
    await join();
    const [a, b] = members as [typeof members[0], typeof members[0]];
    await until(() => a.assigned.length > 0 && b.assigned.length > 0 && [...a.assigned, ...b.assigned].sort().join() === '0,1,2,3', 30_000, 'both members with a share of the four partitions');
    t.pass(`member A has ${a.assigned}, member B has ${b.assigned}`);

    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    t.teardown(() => producer.disconnect());
    // One partition per send: kafkajs 2.2.4 drops the messages of a multi-partition send whose partitions moved to a
    // broker that already answered for the others (sendMessages keeps one response per broker) and still resolves.
    const produce = async (prefix: string, n: number) => {
      const values: string[] = [];
      for (let i = 0; i < n; i += 10) {
        const partition = (i / 10) % 4;
        const batch = Array.from({ length: 10 }, (_, j) => `${prefix}-${i + j}`);
        const res = await producer.send({ topic: 'grp', acks: -1, messages: batch.map((value) => ({ partition, value })) });
        if (res.length !== 1 || res[0]!.partition !== partition || res[0]!.errorCode !== 0) throw new Error(`send to grp-${partition}: ${JSON.stringify(res)}`);
        values.push(...batch);
      }
      return values;
    };
    const first = await produce('g1', 200);
    const readValues = () => [...a.seen, ...b.seen].map((m) => m.value);
    await until(() => readValues().length >= 200, 30_000, 'the group reading the 200 records');
    await sleep(300);
    t.same(readValues().sort(), [...first].sort(), 'the two members together read every record exactly once');
    for (const [name, m] of [['A', a], ['B', b]] as const) {
      t.same([...new Set(m.seen.map((x) => x.partition))].sort(), m.assigned, `member ${name} read only from its partitions`);
    }
    const ends = new Map((await admin.fetchTopicOffsets('grp')).map((o) => [o.partition, Number(o.high)]));
    const committed = async () => {
      const [r] = await bounded(admin.fetchOffsets({ groupId: GROUP, topics: ['grp'] }), 5000, 'OffsetFetch');
      return new Map(r!.partitions.map((p) => [p.partition, Number(p.offset)]));
    };
    let got = new Map<number, number>();
    for (const end = Date.now() + 15_000; Date.now() < end; await sleep(200)) {
      got = await committed();
      if ([0, 1, 2, 3].every((p) => got.get(p) === ends.get(p))) break;
    }
    t.same(Object.fromEntries(got), Object.fromEntries(ends), 'the group committed up to the end of every partition');
    for (const m of members.splice(0)) await m.consumer.disconnect();

    // The broker leading the group's __consumer_offsets partition (its coordinator) is killed: the commits are in the replicas.
    const st = await c.status();
    const offsetsTopic = st.topics.find((x) => x.name === '__consumer_offsets')!;
    const op = partitionFor(GROUP, offsetsTopic.partitions.length);
    const coordinator = offsetsTopic.partitions[op]!.leader;
    t.equal(offsetsTopic.partitions[op]!.replicas.length, 3, '__consumer_offsets is replicated on the three brokers');
    await c.stopBroker(coordinator);
    let after = new Map<number, number>();
    const fetchErrors: string[] = [];
    for (const end = Date.now() + 20_000; Date.now() < end; await sleep(300)) {
      after = await committed().catch((e: Error & { type?: string }) => { fetchErrors.push(`${e.name} ${e.type ?? ''} ${e.message}`); return new Map<number, number>(); });
      if ([0, 1, 2, 3].every((p) => after.get(p) === ends.get(p))) break;
    }
    if (fetchErrors.length > 0) t.comment(`OffsetFetch errors while the coordinator moved: ${[...new Set(fetchErrors)].join('; ')}`);
    const newCoordinator = (await c.status()).topics.find((x) => x.name === '__consumer_offsets')!.partitions[op]!.leader;
    t.not(newCoordinator, coordinator, `the coordinator moved from broker ${coordinator} to ${newCoordinator}`);
    t.same(Object.fromEntries(after), Object.fromEntries(ends), 'the new coordinator has the committed offsets');
    const second = await produce('g2', 40);
    await join();
    const c3 = members[0]!;
    await until(() => c3.seen.length >= 40, 30_000, 'a new member reading what came after the commits');
    await sleep(300);
    t.same(c3.seen.map((m) => m.value).sort(), [...second].sort(), 'the new member starts at the committed offsets: only the 40 new records');
    for (const m of members.splice(0)) await m.consumer.disconnect();
    await c.startBroker(coordinator);
    await waitForFullIsrP(c, undefined, 30_000);
  });

  await t.test('transactions across partitions led by different brokers; read_committed sees only the committed', async (t) => {
    await begin(t);
    await admin.createTopics({ topics: [{ topic: 'txn', numPartitions: 3, ...R3 }] });
    await waitForFullIsrP(c, ['txn'], 20_000);
    const leaders = (await c.status()).topics.find((x) => x.name === 'txn')!.partitions.map((p) => p.leader);
    t.ok(new Set(leaders).size >= 2, `txn's partitions are led by brokers ${leaders}`);
    const producer: Producer = kafka.producer({ transactionalId: 'etcd-tx', idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    t.teardown(() => producer.disconnect());
    const committed: string[] = [];
    const aborted: string[] = [];
    for (let round = 0; round < 4; round++) {
      const tx = await producer.transaction();
      const values = [0, 1, 2].flatMap((p) => [`r${round}-p${p}-a`, `r${round}-p${p}-b`].map((value) => ({ partition: p, value })));
      for (const p of [0, 1, 2]) await tx.send({ topic: 'txn', acks: -1, messages: values.filter((v) => v.partition === p) });
      if (round % 2 === 0) { await tx.commit(); committed.push(...values.map((v) => v.value)); } else { await tx.abort(); aborted.push(...values.map((v) => v.value)); }
    }
    const consumer = kafka.consumer({ groupId: 'txn-reader', maxWaitTimeInMs: 200 });
    await consumer.connect();
    t.teardown(() => consumer.disconnect());
    await consumer.subscribe({ topic: 'txn', fromBeginning: true });
    const seen: string[] = [];
    await consumer.run({ eachMessage: async ({ message }) => { seen.push(message.value!.toString()); } });
    await until(() => seen.length >= committed.length, 30_000, 'the committed records read by kafkajs');
    await sleep(500);
    t.same([...seen].sort(), [...committed].sort(), `kafkajs read_committed: the ${committed.length} committed records, none of the ${aborted.length} aborted`);
    const rc = await kcatConsumeAll(c.bootstrap, 'txn', ['-X', 'isolation.level=read_committed']);
    t.same(rc.map((m) => m.payload).sort(), [...committed].sort(), 'kcat read_committed: the same');
    for (const p of [0, 1, 2]) t.same(rc.filter((m) => m.partition === p).map((m) => m.payload), committed.filter((v) => v.includes(`-p${p}-`)), `kcat: partition ${p} in commit order`);
    const ru = await kcatConsumeAll(c.bootstrap, 'txn', ['-X', 'isolation.level=read_uncommitted']);
    t.same(ru.map((m) => m.payload).sort(), [...committed, ...aborted].sort(), 'kcat read_uncommitted also sees the aborted records (they were written, then aborted)');
  });

  await t.test('InitProducerId sent to each broker: every producer id is different', async (t) => {
    await begin(t);
    const ids: { broker: number; id: bigint; epoch: number }[] = [];
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < c.size; i++) {
        const res = await onBroker(c, i, (w) => w.request(ApiKey.InitProducerId, 4,
          (x) => encodeInitProducerIdRequest(x, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 }, 4),
          (r) => decodeInitProducerIdResponse(r, 4)));
        t.equal(res.errorCode, 0, `InitProducerId from broker ${i}`);
        ids.push({ broker: i, id: res.producerId, epoch: res.producerEpoch });
      }
    }
    t.equal(new Set(ids.map((x) => x.id)).size, ids.length, `${ids.length} distinct producer ids: ${ids.map((x) => `${x.broker}:${x.id}`).join(' ')}`);
    t.ok(ids.every((x) => x.id >= 0n), 'all valid');
    // kafkajs idempotent producers, each bootstrapped through one broker, write to one partition: their sequences must not clash.
    await admin.createTopics({ topics: [{ topic: 'pids', numPartitions: 1, ...R3 }] });
    await waitForFullIsrP(c, ['pids'], 20_000);
    const producers = await Promise.all([0, 1, 2].map(async (i) => {
      const p = new Kafka({ brokers: [c.address(i)], logLevel: logLevel.NOTHING, connectionTimeout: 1000 }).producer({ idempotent: true, maxInFlightRequests: 1 });
      await p.connect();
      return p;
    }));
    t.teardown(async () => { for (const p of producers) await p.disconnect().catch(() => undefined); });
    const errors: string[] = [];
    for (let n = 0; n < 5; n++) {
      await Promise.all(producers.map((p, i) => p.send({ topic: 'pids', acks: -1, messages: [{ value: `via${i}-${n}` }] }).catch((e: Error) => { errors.push(`via${i}-${n}: ${e.message}`); })));
    }
    t.same(errors, [], 'no send refused (no OUT_OF_ORDER_SEQUENCE / DUPLICATE from shared producer ids)');
    const read = await kcatConsumeAll(c.bootstrap, 'pids');
    t.same(read.map((m) => m.payload).sort(), [0, 1, 2].flatMap((i) => [0, 1, 2, 3, 4].map((n) => `via${i}-${n}`)).sort(), 'all 15 records, each once');
  });

  await t.test('failover: SIGKILL of a leader and of the active controller under an idempotent acks=all producer', async (t) => {
    await begin(t);
    await admin.createTopics({ topics: [{ topic: 'fo', numPartitions: 2, ...R3 }] });
    await waitForFullIsrP(c, undefined, 30_000);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, retry: { retries: 50, initialRetryTime: 100, maxRetryTime: 1000 } });
    await producer.connect();
    t.teardown(() => producer.disconnect());
    const { acked, sent, errors, stop } = startAckedWriter(producer, 'fo', 2);
    t.teardown(stop);
    const leaderOf = async (p: number) => (await c.status()).topics.find((x) => x.name === 'fo')!.partitions[p]!.leader;
    const progress = async (n: number, what: string) => { const from = acked.length; await until(() => acked.length >= from + n, 30_000, what); };
    /** Kills `victim` and waits for fo-p to have another leader; returns the seconds it took. */
    const killAndWaitLeader = async (victim: number, p: number) => {
      const t0 = Date.now();
      await c.stopBroker(victim, 'SIGKILL');
      let leader = victim;
      while (Date.now() - t0 < 20_000 && (leader === victim || leader < 0)) {
        await sleep(100);
        leader = await leaderOf(p).catch(() => victim);
      }
      return { leader, seconds: (Date.now() - t0) / 1000 };
    };

    await progress(30, 'acks before the first kill');
    // 1. The leader of fo-0 is killed.
    const victim = await leaderOf(0);
    const r1 = await killAndWaitLeader(victim, 0);
    t.ok(r1.leader >= 0 && r1.leader !== victim, `fo-0: broker ${r1.leader} leads after broker ${victim} was killed`);
    t.ok(r1.seconds < 8, `a new leader within a few seconds (${r1.seconds} s; lease TTL 2 s)`);
    await progress(20, `acks while broker ${victim} is down`);
    await c.startBroker(victim);
    await waitForFullIsrP(c, ['fo'], 30_000);
    t.pass(`broker ${victim} restarted and rejoined every ISR of fo`);
    await progress(20, 'acks after the restart');

    // 2. The active controller is killed: another broker takes over...
    const ctrl = (await c.status()).controllerId;
    t.ok(ctrl >= 0, `broker ${ctrl} is the controller`);
    const t0 = Date.now();
    await c.stopBroker(ctrl, 'SIGKILL');
    let next = ctrl;
    while (Date.now() - t0 < 20_000 && (next === ctrl || next < 0)) {
      await sleep(100);
      next = (await c.status().catch(() => ({ controllerId: -1 }))).controllerId;
    }
    t.ok(next >= 0 && next !== ctrl, `broker ${next} became the controller after broker ${ctrl} was killed (${(Date.now() - t0) / 1000} s)`);
    await progress(20, `acks while the old controller ${ctrl} is down`);
    await c.startBroker(ctrl);
    await waitForFullIsrP(c, ['fo'], 30_000);
    const ctrlNow = (await c.status()).controllerId;
    t.equal(ctrlNow, next, `the restarted broker ${ctrl} does not take the controller back`);

    // 3. ...and handles a later leader failover: the leader of a partition, not the new controller, is killed.
    const st = (await c.status()).topics.find((x) => x.name === 'fo')!;
    const target = st.partitions.find((p) => p.leader !== ctrlNow) ?? st.partitions[0]!;
    const victim2 = target.leader;
    const r2 = await killAndWaitLeader(victim2, target.partition);
    t.ok(r2.leader >= 0 && r2.leader !== victim2, `fo-${target.partition}: broker ${r2.leader} leads after broker ${victim2} was killed, with broker ${ctrlNow} as controller (${r2.seconds} s)`);
    await progress(20, `acks while broker ${victim2} is down`);
    await c.startBroker(victim2);
    await waitForFullIsrP(c, ['fo'], 30_000);
    await progress(20, 'acks after the last restart');
    await stop();
    t.same(errors, [], 'no send failed (the producer\'s retries ride over each failover)');
    const read = await kcatConsumeAll(c.bootstrap, 'fo');
    checkReadBack(t, read, acked, sent, 2);
    t.ok(acked.length >= 150, `${acked.length} records acknowledged`);
  });

  await t.test('failover with librdkafka: kcat produces idempotent acks=all while the leader\'s process is SIGKILLed and restarted', async (t) => {
    await begin(t);
    await admin.createTopics({ topics: [{ topic: 'lr', numPartitions: 1, ...R3 }] });
    await waitForFullIsrP(c, ['lr'], 20_000);
    const feeder = startKcatFeeder(t, c.bootstrap, 'lr', 0, (start, i) => `lr-${start + i}`);
    const { sent } = feeder;
    await until(() => sent.length >= 200, 10_000, 'kcat producing');
    const leader = (await c.status()).topics.find((x) => x.name === 'lr')!.partitions[0]!.leader;
    const t0 = Date.now();
    await c.stopBroker(leader, 'SIGKILL');
    let next = leader;
    while (Date.now() - t0 < 20_000 && (next === leader || next < 0)) {
      await sleep(100);
      next = (await c.status().catch(() => undefined))?.topics.find((x) => x.name === 'lr')?.partitions[0]?.leader ?? leader;
    }
    t.ok(next >= 0 && next !== leader, `lr-0: broker ${next} leads ${(Date.now() - t0) / 1000} s after broker ${leader} was killed`);
    const mark = sent.length;
    await until(() => sent.length >= mark + 200, 10_000, 'feeding while the leader is down');
    await c.startBroker(leader);
    await waitForFullIsrP(c, ['lr'], 30_000);
    const mark2 = sent.length;
    await until(() => sent.length >= mark2 + 100, 10_000, 'feeding after the restart');
    await stopAndCheckKcatFeed(t, feeder, c.bootstrap, 'lr', 60_000);
  });
});
