/**
 * `make bench-scale`: how Samsa's costs grow with partitions, connections and
 * consumer groups (issue 16, item 5). One broker on a data directory of its
 * own; every figure is taken at a tenth of the scale and at full scale, and
 * the ratio and the cost per added partition / connection / group are printed,
 * so growth reads as "linear, X KB per partition" or as something worse.
 *
 * 1. create SCALE_TOPICS topics x SCALE_PARTITIONS_PER_TOPIC partitions
 *    (kafkajs admin, 100 topics a request): time, RSS per partition;
 * 2. Metadata for all topics (raw Metadata v12, median of 5; and kafkajs
 *    admin.fetchTopicMetadata()): latency, response size;
 * 3. produce one record to every partition, SCALE_PRODUCE_ROUNDS rounds
 *    (kafkajs sendBatch: one Produce request over every partition a round),
 *    after a first round timed on its own (each new partition's first write);
 * 4. restart on the same data (SIGTERM, then SIGKILL): exec to first
 *    ApiVersions response, RSS, open descriptors by kind;
 * 5. SCALE_CONNECTIONS idle connections (ApiVersions once): RSS and fds per
 *    connection; then each sends Metadata for one topic at once: latency;
 * 6. SCALE_GROUPS consumer groups, one member each over the wire: time to
 *    Stable, RSS per group, broker CPU of heartbeats (every 3 s) over idle.
 *
 * Defaults are the numbers (1,000 x 10, 1,000, 200); small numbers
 * (SCALE_TOPICS=50 SCALE_CONNECTIONS=100 SCALE_GROUPS=20) make a quick try.
 * A benchmark, not a test: nothing is asserted beyond the workloads succeeding.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Admin, Kafka } from 'kafkajs';
import { client } from './lib/kafkajs.js';
import { rssMb } from './lib/rss.js';
import { meterCpu } from './lib/cpu.js';
import { startScaleBroker, openFds, fdKinds, type ScaleBroker } from './lib/scale-broker.js';
import { joinAlone, heartbeat, groupStates, type GroupMember } from './lib/scale-groups.js';
import { WireClient } from '../compat-tests/helpers/wire-client.js';
import { ApiKey } from '../src/wire/generated/api-keys.js';
import { encodeMetadataRequest, decodeMetadataResponse } from '../src/wire/generated/metadata.js';

const TOPICS = Number(process.env.SCALE_TOPICS ?? 1000);
const PER_TOPIC = Number(process.env.SCALE_PARTITIONS_PER_TOPIC ?? 10);
const CONNECTIONS = Number(process.env.SCALE_CONNECTIONS ?? 1000);
const GROUPS = Number(process.env.SCALE_GROUPS ?? 200);
const ROUNDS = Number(process.env.SCALE_PRODUCE_ROUNDS ?? 5);
/** Node options for the broker process, e.g. SCALE_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' (a profile per clean stop). */
const NODE_ARGS = (process.env.SCALE_NODE_ARGS ?? '').split(' ').filter(Boolean);
/** Topics a CreateTopics request carries. */
const CREATE_BATCH = 100;
const SETTINGS: Record<string, string> = {
  'max.broker.partitions': String(Math.max(20_000, TOPICS * PER_TOPIC + 1_000)),
  'offsets.topic.num.partitions': '50',
};

const topicName = (i: number) => `scale-${String(i).padStart(5, '0')}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))]!;
/** RSS after a pause, so it is the settled figure, not a peak in the middle of a response. */
async function settledRss(pid: number): Promise<number> { await sleep(1000); return rssMb(pid); }

const results: Record<string, unknown> = {};
const table: Array<[string, string, string, string]> = [];
function line(what: string, tenth: number | string, full: number | string, growth: string): void {
  const f = (x: number | string) => typeof x === 'number' ? (Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(2)) : x;
  table.push([what, f(tenth), f(full), growth]);
  console.error(`  ${what}: ${f(tenth)} -> ${f(full)} (${growth})`);
}
const ratio = (a: number, b: number) => `x${(b / a).toFixed(1)}`;

/** Raw Metadata v12 (null topics: all, or the named ones): latency and frame size. */
async function metadata(c: WireClient, topics: string[] | null): Promise<{ ms: number; bytes: number; topics: number }> {
  const t0 = performance.now();
  const r = await c.send(ApiKey.Metadata, 12, (w) => encodeMetadataRequest(w, {
    topics: topics === null ? null : topics.map((name) => ({ name })), allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false,
  }, 12)).response;
  const ms = performance.now() - t0;
  const bytes = r.buf.length + 4;
  const res = decodeMetadataResponse(r, 12);
  return { ms, bytes, topics: res.topics.length };
}

interface PartitionStage { topics: number; partitions: number; createS: number; rssMb: number; metadataMs: number; metadataBytes: number; kafkajsMetadataMs: number;
  produceRecordsPerS: number; produceCpuSPerMillion: number; firstRoundS: number; firstRoundCpuS: number; firstWrites: number; clean: RestartFigures; unclean: RestartFigures }
interface RestartFigures { firstResponseMs: number; rssMb: number; fds: number; fdKinds: Record<string, number> }

let broker: ScaleBroker;
let dataDir: string;

async function createUpTo(admin: Admin, from: number, to: number): Promise<number> {
  const t0 = performance.now();
  for (let i = from; i < to; i += CREATE_BATCH) {
    const topics = Array.from({ length: Math.min(CREATE_BATCH, to - i) }, (_, k) => ({ topic: topicName(i + k), numPartitions: PER_TOPIC, replicationFactor: 1 }));
    await admin.createTopics({ topics, waitForLeaders: false, timeout: 120_000 });
  }
  return (performance.now() - t0) / 1000;
}

/**
 * One record to every partition of the first `topics` topics: a first round
 * (partitions never written before take their first write; kafkajs also
 * fetches metadata for every topic), timed on its own, then ROUNDS more;
 * records/s and broker CPU per million of each.
 */
async function produceAll(kafka: Kafka, topics: number, from: number): Promise<{ recordsPerS: number; cpuSPerMillion: number; firstRoundS: number; firstRoundCpuS: number; firstWrites: number }> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const value = Buffer.alloc(100, 'x');
  const topicMessages = Array.from({ length: topics }, (_, t) => ({
    topic: topicName(t), messages: Array.from({ length: PER_TOPIC }, (_, p) => ({ partition: p, value })),
  }));
  let cpu = meterCpu(broker.pid);
  const first0 = performance.now();
  await producer.sendBatch({ topicMessages, acks: -1, timeout: 120_000 });
  const firstRoundS = (performance.now() - first0) / 1000;
  const firstRoundCpuS = cpu.stop();
  cpu = meterCpu(broker.pid);
  const t0 = performance.now();
  for (let r = 0; r < ROUNDS; r++) await producer.sendBatch({ topicMessages, acks: -1, timeout: 120_000 });
  const seconds = (performance.now() - t0) / 1000;
  const cpuS = cpu.stop();
  await producer.disconnect();
  const records = ROUNDS * topics * PER_TOPIC;
  return { recordsPerS: records / seconds, cpuSPerMillion: cpuS / (records / 1e6), firstRoundS, firstRoundCpuS, firstWrites: (topics - from) * PER_TOPIC };
}

async function restart(how: 'stop' | 'kill'): Promise<RestartFigures> {
  await broker[how]();
  broker = await startScaleBroker(dataDir, SETTINGS, broker.port, NODE_ARGS);
  const firstResponseMs = broker.firstResponseMs;
  const rss = await settledRss(broker.pid);
  return { firstResponseMs, rssMb: rss, fds: openFds(broker.pid), fdKinds: fdKinds(broker.pid) };
}

async function partitionStage(from: number, to: number): Promise<PartitionStage> {
  console.error(`partitions: ${to} topics x ${PER_TOPIC}...`);
  const kafka = client(broker.addr);
  const admin = kafka.admin();
  await admin.connect();
  const createS = await createUpTo(admin, from, to);
  const rss = await settledRss(broker.pid);
  const wire = await WireClient.connect('127.0.0.1', broker.port);
  const md = [];
  for (let i = 0; i < 5; i++) md.push(await metadata(wire, null));
  wire.close();
  if (md[0]!.topics < to) throw new Error(`Metadata lists ${md[0]!.topics} topics, expected at least ${to}`);
  const t0 = performance.now();
  await admin.fetchTopicMetadata();
  const kafkajsMetadataMs = performance.now() - t0;
  await admin.disconnect();
  console.error(`  produce ${ROUNDS} rounds x ${to * PER_TOPIC} partitions...`);
  const produce = await produceAll(kafka, to, from);
  const clean = await restart('stop');
  const unclean = await restart('kill');
  return {
    topics: to, partitions: to * PER_TOPIC, createS, rssMb: rss, metadataMs: median(md.map((m) => m.ms)), metadataBytes: md[0]!.bytes, kafkajsMetadataMs,
    produceRecordsPerS: produce.recordsPerS, produceCpuSPerMillion: produce.cpuSPerMillion,
    firstRoundS: produce.firstRoundS, firstRoundCpuS: produce.firstRoundCpuS, firstWrites: produce.firstWrites, clean, unclean,
  };
}

interface ConnectionStage { connections: number; rssMb: number; fds: number; openS: number }

/** Opens connections until there are `to`, each having sent ApiVersions once. */
async function openConnections(conns: WireClient[], to: number): Promise<ConnectionStage> {
  const t0 = performance.now();
  while (conns.length < to) {
    const batch = await Promise.all(Array.from({ length: Math.min(100, to - conns.length) }, async () => {
      const c = await WireClient.connect('127.0.0.1', broker.port);
      await c.send(ApiKey.ApiVersions, 0, () => {}).response;
      return c;
    }));
    conns.push(...batch);
  }
  const openS = (performance.now() - t0) / 1000;
  return { connections: to, rssMb: await settledRss(broker.pid), fds: openFds(broker.pid), openS };
}

interface GroupStage { groups: number; stableS: number; rssMb: number; idleCpuMsPerS: number; heartbeatCpuMsPerS: number; heartbeatsPerS: number; burstCpuUsPerHeartbeat: number }

/** Rounds of every member heartbeating at once: the coordinator's cost without a wake-up per heartbeat. */
const BURST_ROUNDS = 10;

async function groupStage(members: GroupMember[], to: number): Promise<GroupStage> {
  console.error(`groups: ${to}...`);
  const t0 = performance.now();
  const ids: string[] = [];
  for (let g = 0; g < to; g++) ids.push(`scale-group-${g}`);
  const fresh = await Promise.all(ids.slice(members.length).map((id, i) => joinAlone('127.0.0.1', broker.port, id, topicName(i % TOPICS))));
  members.push(...fresh);
  const states = await groupStates('127.0.0.1', broker.port, ids);
  const stableS = (performance.now() - t0) / 1000;
  if (states.Stable !== to) throw new Error(`groups not all Stable: ${JSON.stringify(states)}`);
  const rss = await settledRss(broker.pid);
  // Idle: nothing sent (sessions are 30 s, so nothing expires in the window).
  const windowS = 9;
  let cpu = meterCpu(broker.pid);
  await sleep(windowS * 1000);
  const idleCpuMsPerS = cpu.stop() * 1000 / windowS;
  // Heartbeats every 3 s from every member (kafkajs's default interval), spread over the interval.
  cpu = meterCpu(broker.pid);
  let sent = 0;
  const hbStart = performance.now();
  await Promise.all(members.map(async (m, i) => {
    await sleep((3000 * i) / members.length);
    while (performance.now() - hbStart < windowS * 1000) {
      await heartbeat(m);
      sent++;
      await sleep(3000);
    }
  }));
  const elapsed = (performance.now() - hbStart) / 1000;
  const heartbeatCpuMsPerS = cpu.stop() * 1000 / elapsed;
  // The same heartbeats sent all at once: spread out, each also wakes an idle broker and client.
  cpu = meterCpu(broker.pid);
  for (let r = 0; r < BURST_ROUNDS; r++) await Promise.all(members.map((m) => heartbeat(m)));
  const burstCpuUsPerHeartbeat = (cpu.stop() * 1e6) / (BURST_ROUNDS * members.length);
  return { groups: to, stableS, rssMb: rss, idleCpuMsPerS, heartbeatCpuMsPerS, heartbeatsPerS: sent / elapsed, burstCpuUsPerHeartbeat };
}

async function main(): Promise<void> {
  dataDir = mkdtempSync(join(tmpdir(), 'samsa-scale-'));
  const resultsDir = join(process.cwd(), 'bench/results');
  mkdirSync(resultsDir, { recursive: true });
  const started = performance.now();
  broker = await startScaleBroker(dataDir, SETTINGS, undefined, NODE_ARGS);
  try {
    const emptyRss = await settledRss(broker.pid);
    results.emptyBroker = { firstResponseMs: broker.firstResponseMs, rssMb: emptyRss, fds: openFds(broker.pid) };
    console.error(`empty broker: first response ${broker.firstResponseMs.toFixed(0)} ms, RSS ${emptyRss.toFixed(0)} MB, ${openFds(broker.pid)} fds`);

    // 1-4: partitions at a tenth of the topics, then all of them.
    const tenthTopics = Math.max(1, Math.round(TOPICS / 10));
    const p1 = await partitionStage(0, tenthTopics);
    const p2 = await partitionStage(tenthTopics, TOPICS);
    results.partitions = [p1, p2];
    const dp = p2.partitions - p1.partitions;
    const perPartKb = (a: number, b: number) => `${(((b - a) * 1024) / dp).toFixed(1)} KB per added partition`;
    line('partitions', p1.partitions, p2.partitions, ratio(p1.partitions, p2.partitions));
    line('create topics s (cumulative at full)', p1.createS, p1.createS + p2.createS, `${((p2.createS * 1e3) / dp).toFixed(2)} ms per added partition`);
    line('RSS after create MB', p1.rssMb, p2.rssMb, perPartKb(p1.rssMb, p2.rssMb));
    line('Metadata all topics v12 ms (median of 5)', p1.metadataMs, p2.metadataMs, ratio(p1.metadataMs, p2.metadataMs));
    line('Metadata all topics v12 bytes', p1.metadataBytes, p2.metadataBytes, `${((p2.metadataBytes - p1.metadataBytes) / dp).toFixed(0)} B per added partition`);
    line('kafkajs fetchTopicMetadata() ms', p1.kafkajsMetadataMs, p2.kafkajsMetadataMs, ratio(p1.kafkajsMetadataMs, p2.kafkajsMetadataMs));
    line('produce first round s (first write to each new partition)', p1.firstRoundS, p2.firstRoundS,
      `${((p2.firstRoundS * 1e3) / p2.firstWrites).toFixed(3)} ms and ${((p2.firstRoundCpuS * 1e3) / p2.firstWrites).toFixed(3)} ms broker CPU per first write`);
    line('produce round-robin records/s', p1.produceRecordsPerS, p2.produceRecordsPerS, ratio(p1.produceRecordsPerS, p2.produceRecordsPerS));
    line('produce broker CPU s per million records', p1.produceCpuSPerMillion, p2.produceCpuSPerMillion, ratio(p1.produceCpuSPerMillion, p2.produceCpuSPerMillion));
    for (const kind of ['clean', 'unclean'] as const) {
      const a = p1[kind], b = p2[kind];
      line(`restart (${kind}) exec to first response ms`, a.firstResponseMs, b.firstResponseMs, `${((b.firstResponseMs - a.firstResponseMs) / dp).toFixed(3)} ms per added partition`);
      line(`restart (${kind}) RSS MB`, a.rssMb, b.rssMb, perPartKb(a.rssMb, b.rssMb));
      line(`restart (${kind}) open fds`, a.fds, b.fds, `${((b.fds - a.fds) / dp).toFixed(2)} per added partition; ${JSON.stringify(b.fdKinds)}`);
    }

    // 5: connections.
    const conns: WireClient[] = [];
    const base = { rssMb: await settledRss(broker.pid), fds: openFds(broker.pid) };
    console.error(`connections: ${Math.round(CONNECTIONS / 10)} then ${CONNECTIONS}...`);
    const c1 = await openConnections(conns, Math.max(1, Math.round(CONNECTIONS / 10)));
    const c2 = await openConnections(conns, CONNECTIONS);
    const t0 = performance.now();
    const lat = await Promise.all(conns.map((c, i) => metadata(c, [topicName(i % TOPICS)]).then((m) => m.ms)));
    const burstS = (performance.now() - t0) / 1000;
    const afterBurstRss = await settledRss(broker.pid);
    for (const c of conns) c.close();
    results.connections = { base, stages: [c1, c2], metadataBurst: { p50Ms: median(lat), p99Ms: quantile(lat, 0.99), maxMs: Math.max(...lat), wallS: burstS, rssAfterMb: afterBurstRss } };
    line('connections', c1.connections, c2.connections, ratio(c1.connections, c2.connections));
    line('RSS with idle connections MB', c1.rssMb, c2.rssMb, `${(((c2.rssMb - c1.rssMb) * 1024) / (c2.connections - c1.connections)).toFixed(1)} KB per added connection`);
    line('broker fds', c1.fds, c2.fds, `${((c2.fds - c1.fds) / (c2.connections - c1.connections)).toFixed(2)} per added connection`);
    line(`Metadata (1 topic) on all ${CONNECTIONS} at once: p50 / p99 ms`, median(lat), quantile(lat, 0.99), `wall ${burstS.toFixed(2)} s, RSS after ${afterBurstRss.toFixed(0)} MB`);
    await sleep(1000);

    // 6: consumer groups.
    const members: GroupMember[] = [];
    const g1 = await groupStage(members, Math.max(1, Math.round(GROUPS / 10)));
    const g2 = await groupStage(members, GROUPS);
    for (const m of members) m.client.close();
    results.groups = [g1, g2];
    const dg = g2.groups - g1.groups;
    line('groups (one member each)', g1.groups, g2.groups, ratio(g1.groups, g2.groups));
    line('time to all Stable s (added groups)', g1.stableS, g2.stableS, `${((g2.stableS * 1e3) / dg).toFixed(1)} ms per added group (joined concurrently)`);
    line('RSS with groups MB', g1.rssMb, g2.rssMb, `${(((g2.rssMb - g1.rssMb) * 1024) / dg).toFixed(1)} KB per added group (incl. its connection)`);
    line('broker CPU idle ms/s', g1.idleCpuMsPerS, g2.idleCpuMsPerS, ratio(g1.idleCpuMsPerS || 1, g2.idleCpuMsPerS || 1));
    line('broker CPU heartbeating ms/s', g1.heartbeatCpuMsPerS, g2.heartbeatCpuMsPerS,
      `${(((g2.heartbeatCpuMsPerS - g2.idleCpuMsPerS) / g2.heartbeatsPerS) * 1000).toFixed(0)} ms per 1000 heartbeats over idle (${g2.heartbeatsPerS.toFixed(0)}/s)`);
    line('broker CPU us per heartbeat, all members at once', g1.burstCpuUsPerHeartbeat, g2.burstCpuUsPerHeartbeat, `${BURST_ROUNDS} rounds; spread over 3 s as above, each also wakes an idle broker and client`);
  } finally {
    await broker.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  results.settings = { TOPICS, PER_TOPIC, CONNECTIONS, GROUPS, ROUNDS, broker: SETTINGS };
  results.machine = { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version };
  results.wallS = (performance.now() - started) / 1000;

  console.log('\n| measure | 1/10 scale | full scale | growth |\n|---|---:|---:|---|');
  for (const [a, b, c, d] of table) console.log(`| ${a} | ${b} | ${c} | ${d} |`);
  const file = join(resultsDir, `scale-${new Date().toISOString().slice(0, 10)}.json`);
  writeFileSync(file, JSON.stringify(results, null, 2) + '\n');
  console.log(`results: ${file}`);
  const p = results.partitions as PartitionStage[];
  const cs = results.connections as { stages: ConnectionStage[]; metadataBurst: { p50Ms: number; p99Ms: number } };
  const gs = results.groups as GroupStage[];
  console.log(JSON.stringify({
    partitions: p[1]!.partitions, createS: p[0]!.createS + p[1]!.createS, rssMb: p[1]!.rssMb,
    rssKbPerPartition: ((p[1]!.rssMb - p[0]!.rssMb) * 1024) / (p[1]!.partitions - p[0]!.partitions),
    metadataAllMs: p[1]!.metadataMs, metadataAllBytes: p[1]!.metadataBytes, produceRecordsPerS: p[1]!.produceRecordsPerS, produceCpuSPerMillion: p[1]!.produceCpuSPerMillion,
    produceFirstRoundS: p[1]!.firstRoundS, produceFirstRoundCpuS: p[1]!.firstRoundCpuS,
    cleanRestartMs: p[1]!.clean.firstResponseMs, uncleanRestartMs: p[1]!.unclean.firstResponseMs, restartFds: p[1]!.unclean.fds,
    rssKbPerConnection: ((cs.stages[1]!.rssMb - cs.stages[0]!.rssMb) * 1024) / (cs.stages[1]!.connections - cs.stages[0]!.connections),
    metadataBurstP50Ms: cs.metadataBurst.p50Ms, metadataBurstP99Ms: cs.metadataBurst.p99Ms,
    groups: gs[1]!.groups, groupsStableS: gs[1]!.stableS, rssKbPerGroup: ((gs[1]!.rssMb - gs[0]!.rssMb) * 1024) / (gs[1]!.groups - gs[0]!.groups),
    heartbeatCpuMsPerS: gs[1]!.heartbeatCpuMsPerS, idleCpuMsPerS: gs[1]!.idleCpuMsPerS, burstCpuUsPerHeartbeat: gs[1]!.burstCpuUsPerHeartbeat,
  }));
}

main().catch((err) => { console.error(err); process.exitCode = 1; });
