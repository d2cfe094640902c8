/**
 * `make bench`: Samsa against this machine's own ceiling, in one run.
 *
 * Starts Samsa with an ephemeral data dir (or uses BROKER=host:port), runs the
 * client workloads (kcat/librdkafka and kafkajs; produce latency with
 * librdkafka from bench/latency.py, three runs), measures start-up and idle
 * RSS against a bare Node process that listens (alternated, same run), adds
 * replicated rows (a 3-broker cluster in one process, replication factor 3,
 * min.insync.replicas 2, acks=all) beside the single broker's, measures the
 * ceiling (a bare TCP server that only frames and CRCs) right before the
 * 1 KiB workloads it is compared with and again at the end, then prints a table,
 * writes bench/results/<date>.json, and ends with issue 16's targets (figure,
 * met or not) on one line and every headline figure as one JSON line.
 * Every workload row also gives the broker process's CPU time (user + system,
 * all threads, from /proc/<pid>/stat) over the workload and per million
 * records, which is steadier than throughput on a shared machine; kcat consume
 * counts records without printing them, so it measures the broker, and the old
 * figure (kcat printing every payload into a pipe) follows it, labelled.
 * PROFILE=1 runs the broker under --cpu-prof (profiles in bench/results/).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { startSamsa, startSamsaCluster, externalBroker, type BenchBroker } from './lib/broker-process.js';
import { rssMb, sampleRss } from './lib/rss.js';
import { meterCpu, meterCpuTimes } from './lib/cpu.js';
import { measureCeiling } from './lib/ceiling.js';
import { fillPageCache, type PageCacheFill } from './lib/page-cache.js';
import { writeMessageFile, kcatProduce, kcatConsume, kcatConsumePrinting } from './lib/kcat.js';
import { client, createTopic, highWatermark, kafkajsProduce, kafkajsConsume } from './lib/kafkajs.js';
import { librdkafkaLatency, type LatencyResult } from './lib/latency.js';
import { compareStartup, type StartupComparison } from './lib/startup.js';
import { issue16Targets, targetsLine } from './lib/targets.js';
import { THIS_BUILD_CLI, printSummaries, scrapeCost, type ModeSummary } from './lib/metrics-cost.js';

/**
 * brokerCpuS: user + system CPU seconds of the broker process over the workload (NaN, null in the JSON, for an external broker).
 * brokers: how many brokers that process holds (3 for the replicated rows, whose CPU and RSS are the whole cluster's).
 */
interface Row { workload: string; brokers: number; msgs: number; seconds: number; msgsPerSec: number; mbPerSec: number; peakRssMb: number; brokerCpuS: number; brokerCpuSPerMillion: number; brokerSystemSPerMillion: number }

const rows: Row[] = [];
const failures: string[] = [];

/** Runs one workload with a time limit; a failure is reported in the table, not fatal to the run. */
async function attempt<T>(name: string, limitMs: number, fn: () => Promise<T>): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([fn(), new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`over ${limitMs / 1000} s`)), limitMs); })]);
  } catch (err) {
    failures.push(`${name}: ${(err as Error).message.split('\n')[0]}`);
    console.error(`  ${name} FAILED: ${(err as Error).message.split('\n')[0]}`);
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}
const results: Record<string, unknown> = {};
const work = mkdtempSync(join(tmpdir(), 'samsa-bench-'));
const resultsDir = join(process.cwd(), 'bench/results');
mkdirSync(resultsDir, { recursive: true });

/** Peak RSS and CPU time of the broker process over one workload: start before it, stop after. */
interface Metered { peakRssMb: number; cpuS: number; systemS: number }
function meter(pid: number | undefined): { stop(): Metered } {
  const rss = sampleRss(pid);
  const cpu = meterCpuTimes(pid);
  return { stop: () => { const t = cpu.stop(); return { peakRssMb: rss.stop(), cpuS: t.userS + t.systemS, systemS: t.systemS }; } };
}

function row(workload: string, msgs: number, bytes: number, seconds: number, m: Metered, brokers = 1): void {
  const r: Row = {
    workload, brokers, msgs, seconds, msgsPerSec: msgs / seconds, mbPerSec: bytes / (1 << 20) / seconds, peakRssMb: m.peakRssMb,
    brokerCpuS: m.cpuS, brokerCpuSPerMillion: m.cpuS / (msgs / 1e6), brokerSystemSPerMillion: m.systemS / (msgs / 1e6),
  };
  rows.push(r);
  console.error(`  ${workload}: ${r.msgsPerSec.toFixed(0)} msg/s, ${r.mbPerSec.toFixed(1)} MB/s, broker CPU ${r.brokerCpuS.toFixed(2)} s (${r.brokerCpuSPerMillion.toFixed(2)} s per million records, ${r.brokerSystemSPerMillion.toFixed(2)} s of it system)`);
}

/** Broker CPU over the latency test: seconds, and seconds per million records sent (rate x seconds). */
function latencyCpu(cpuS: number, records: number): { brokerCpuS: number; brokerCpuSPerMillion: number } {
  return { brokerCpuS: cpuS, brokerCpuSPerMillion: cpuS / (records / 1e6) };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

/** Latency runs at 10,000 msg/s summarised: medians of each percentile, and p99's and p999's spread over the runs. */
interface LatencySummary {
  runs: number; p50: number; p99: number; p999: number; p99Range: [number, number]; p999Range: [number, number]; clientCpuS: number; client: string; each: LatencyResult[];
  /** The run before the counted ones (3 s), when it succeeded. */
  warmUp?: LatencyResult;
}
function summariseLatency(each: LatencyResult[]): LatencySummary | undefined {
  if (each.length === 0) return undefined;
  const range = (xs: number[]): [number, number] => [Math.min(...xs), Math.max(...xs)];
  return {
    runs: each.length, p50: median(each.map((r) => r.p50)), p99: median(each.map((r) => r.p99)), p999: median(each.map((r) => r.p999)),
    p99Range: range(each.map((r) => r.p99)), p999Range: range(each.map((r) => r.p999)), clientCpuS: median(each.map((r) => r.clientCpuS)), client: each[0]!.client, each,
  };
}

/**
 * `runs` latency runs (5 s at 10,000 msg/s, 100 B, acks=all, linger 0) on
 * fresh topics, with the broker CPU over all of them, after a 3 s warm-up run
 * at the same rate that is reported but not counted: the broker comes from
 * throughput workloads (few large requests), and its first seconds of one
 * small request per record are slower while V8 re-optimises the request path
 * for them (make bench at 6fb7cbc: the first run's p50 over its first second
 * 0.36 ms against 0.24 ms after; its p99 3.32 ms against 0.56-0.83 ms for the
 * next two).
 */
async function latencyRuns(admin: Admin, addr: string, pid: number | undefined, name: string, runs: number, replicationFactor = 1): Promise<{ summary?: LatencySummary; cpu: { brokerCpuS: number; brokerCpuSPerMillion: number } }> {
  const each: LatencyResult[] = [];
  let cpuS = 0;
  const createFresh = async (suffix: string) => {
    const topic = `${name}-${suffix}-${Date.now().toString(36)}`;
    await createTopic(admin, topic, 1, replicationFactor, replicationFactor > 1 ? { 'min.insync.replicas': '2' } : {});
    return topic;
  };
  const warmUpTopic = await createFresh('warm-up');
  const warmUp = await attempt(`${name} warm-up`, 120_000, () => librdkafkaLatency(addr, warmUpTopic, 10_000, 3, 100));
  for (let i = 0; i < runs; i++) {
    const topic = await createFresh(String(i));
    const cpu = meterCpu(pid);
    const r = await attempt(`${name} run ${i + 1}`, 120_000, () => librdkafkaLatency(addr, topic, 10_000, 5, 100));
    cpuS += cpu.stop();
    if (r) each.push(r);
  }
  const summary = summariseLatency(each);
  return { summary: summary && { ...summary, warmUp: warmUp ?? undefined }, cpu: latencyCpu(cpuS, 10_000 * 5 * runs) };
}

/**
 * The replicated rows: a 3-broker cluster in one process (samsa start
 * --brokers 3), topics with replication factor 3 and min.insync.replicas 2,
 * kcat producing 100 B and 1 KiB records with acks=all (every batch waits for
 * the followers' fetches), and produce latency at 10,000 msg/s on it, beside
 * the single broker's rows. The CPU is the one process's, so it holds the
 * followers' fetching and appending too: the cost of a replicated record.
 */
async function replicated(): Promise<void> {
  console.error('replicated: 3 brokers, RF 3...');
  const cluster = await attempt('replicated cluster', 30_000, () => startSamsaCluster(3));
  if (!cluster) return;
  try {
    const addr = cluster.ports.map((p) => `127.0.0.1:${p}`).join(',');
    const kafka = new Kafka({ clientId: 'samsa-bench', brokers: addr.split(','), logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    const stamp = Date.now().toString(36);
    for (const [count, size] of [[1_000_000, 100], [100_000, 1024]] as const) {
      const topic = `replicated-${size}-${stamp}`;
      await createTopic(admin, topic, 1, 3, { 'min.insync.replicas': '2' });
      const file = join(work, `msgs-${size}.txt`);
      await writeMessageFile(file, count, size);
      const m = meter(cluster.pid);
      const seconds = await attempt(`replicated kcat produce ${size} B`, 300_000, () => kcatProduce(addr, topic, file));
      if (seconds !== undefined) row(`kcat produce ${size} B, ${REPLICATED}`, count, count * size, seconds, m.stop(), 3);
      else m.stop();
    }
    const lat = await latencyRuns(admin, addr, cluster.pid, 'replicated-latency', 3, 3);
    results.replicatedLatencyMs = lat.summary;
    results.replicatedLatencyBrokerCpu = lat.cpu;
    await admin.disconnect();
  } finally {
    await cluster.stop();
  }
}

const REPLICATED = '3 brokers RF 3 (one process)';

async function main(): Promise<void> {
  const external = process.env.BROKER;
  if (!external) {
    console.error('start-up: samsa and a bare listening node, 20 of each, alternated...');
    const startup = await attempt('start-up', 300_000, () => compareStartup(20));
    if (startup) {
      results.startup = startup;
      results.startupMedianMs = startup.samsa.startupMs;
      results.firstResponseMedianMs = startup.samsa.firstResponseMs;
    }
  }
  if (!external) {
    console.error('page cache: filling and freeing 1 GiB twice (bench/lib/page-cache.ts says why)...');
    results.pageCacheFill = fillPageCache(tmpdir());
  }
  const broker: BenchBroker = external
    ? externalBroker(external)
    : await startSamsa({ profileDir: process.env.PROFILE ? resultsDir : undefined });
  const addr = `${broker.host}:${broker.port}`;
  try {
    await new Promise((r) => setTimeout(r, 500));
    if (broker.pid) results.idleRssMb = rssMb(broker.pid);
    const kafka = client(addr);
    const admin = kafka.admin();
    await admin.connect();
    const stamp = Date.now().toString(36);

    for (const [count, size] of [[1_000_000, 100], [100_000, 1024]] as const) {
      const file = join(work, `msgs-${size}.txt`);
      await writeMessageFile(file, count, size);
      const topic = `kcat-${size}-${stamp}`;
      await createTopic(admin, topic);
      if (size === 1024) {
        // The ceiling the 1 KiB figures are divided by is measured right before them: on a shared machine the load moves from minute to minute.
        console.error('ceiling (bare TCP server, 4-byte frames + CRC32C), before the 1 KiB workloads...');
        results.ceilingBefore1KiBMbPerSec = await measureCeiling();
      }
      console.error(`kcat produce ${count} x ${size} B...`);
      let m = meter(broker.pid);
      const seconds = await kcatProduce(addr, topic, file);
      row(`kcat produce ${size} B`, count, count * size, seconds, m.stop());
      const hw = await highWatermark(admin, topic);
      if (hw !== count) throw new Error(`${topic}: high watermark ${hw}, expected ${count}`);
      m = meter(broker.pid);
      const c = await kcatConsume(addr, topic, count);
      row(`kcat consume ${size} B`, count, count * size, c.seconds, m.stop());
      // The old figure, for comparison: kcat printing every payload into a pipe measures the client on small records.
      m = meter(broker.pid);
      const p = await attempt(`kcat consume ${size} B (printing)`, 120_000, () => kcatConsumePrinting(addr, topic, count));
      if (p !== undefined) row(`kcat consume ${size} B, incl. kcat printing payloads`, count, count * size, p.seconds, m.stop());
      else m.stop();

      const jsTopic = `kafkajs-${size}-${stamp}`;
      await createTopic(admin, jsTopic);
      console.error(`kafkajs produce ${count} x ${size} B...`);
      m = meter(broker.pid);
      const ps = await attempt(`kafkajs produce ${size} B`, 300_000, () => kafkajsProduce(kafka, jsTopic, count, size));
      if (ps !== undefined) row(`kafkajs produce ${size} B`, count, count * size, ps, m.stop());
      else m.stop();
      m = meter(broker.pid);
      const cs = ps === undefined ? undefined : await attempt(`kafkajs consume ${size} B`, 300_000, () => kafkajsConsume(kafka, jsTopic, count));
      if (cs !== undefined) row(`kafkajs consume ${size} B`, count, count * size, cs, m.stop());
      else m.stop();
    }

    console.error('latency at 10,000 msg/s, 100 B, acks=all, 3 runs...');
    const lat = await latencyRuns(admin, addr, broker.pid, 'latency', 3);
    results.latencyMs = lat.summary;
    results.latencyBrokerCpu = lat.cpu;

    if (broker.pid) {
      console.error('RSS after 10x the 1 KiB workload...');
      const big = `volume-${stamp}`;
      await createTopic(admin, big);
      const file = join(work, 'msgs-1024.txt');
      const rssBefore10x = rssMb(broker.pid);
      const rss = sampleRss(broker.pid);
      const cpu = meterCpu(broker.pid);
      for (let i = 0; i < 10; i++) await kcatProduce(addr, big, file);
      const cpuS = cpu.stop();
      results.volumeBrokerCpu = { brokerCpuS: cpuS, brokerCpuSPerMillion: cpuS / (10 * 100_000 / 1e6) };
      results.peakRssAfter10xMb = rss.stop();
      results.rssAfter10xMb = rssMb(broker.pid);
      results.rssBefore10xMb = rssBefore10x;
    }
    await admin.disconnect();
  } finally {
    await broker.stop();
  }

  if (!external) await replicated();
  // What /metrics costs produce: rounds with no scraper, one every 1 s and one every 100 ms, alternated (bench/lib/metrics-cost.ts).
  if (!external) {
    console.error('kcat produce 100 B with and without a /metrics scraper...');
    results.metricsScrapeCost = await attempt('metrics scrape cost', 600_000, () => scrapeCost({ cli: THIS_BUILD_CLI, work, records: 1_000_000, size: 100, rounds: 3 }));
  }

  console.error('ceiling (bare TCP server, 4-byte frames + CRC32C), at the end...');
  const ceilingAtEnd = await measureCeiling();
  results.ceilingAtEndMbPerSec = ceilingAtEnd;
  const ceilingMbPerSec = Number(results.ceilingBefore1KiBMbPerSec ?? ceilingAtEnd);
  results.ceilingMbPerSec = ceilingMbPerSec;
  const find = (name: string) => rows.find((r) => r.workload === name);
  const ratio = (name: string) => (find(name)?.mbPerSec ?? NaN) / ceilingMbPerSec;
  results.kcatProduce1KiBRatio = ratio('kcat produce 1024 B');
  results.kcatConsume1KiBRatio = ratio('kcat consume 1024 B');
  results.workloads = rows;
  results.kcatProduce100BCpuSPerMillion = find('kcat produce 100 B')?.brokerCpuSPerMillion ?? NaN;
  results.failures = failures;
  // The single broker's peak: the replicated rows' process holds three brokers.
  results.peakRssMb = Math.max(...rows.filter((r) => r.brokers === 1).map((r) => r.peakRssMb), Number(results.peakRssAfter10xMb ?? 0));
  results.machine = { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version };
  results.broker = external ?? 'samsa';

  console.log('\n| workload | msgs | msg/s | MB/s | peak RSS MB | broker CPU s | broker CPU s per million records | of it system |\n|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) console.log(`| ${r.workload} | ${r.msgs} | ${r.msgsPerSec.toFixed(0)} | ${r.mbPerSec.toFixed(1)} | ${r.peakRssMb.toFixed(0)} | ${r.brokerCpuS.toFixed(2)} | ${r.brokerCpuSPerMillion.toFixed(2)} | ${r.brokerSystemSPerMillion.toFixed(2)} |`);
  const lat = results.latencyMs as LatencySummary | undefined;
  const rlat = results.replicatedLatencyMs as LatencySummary | undefined;
  for (const f of failures) console.log(`FAILED ${f}`);
  console.log(`\nceiling ${ceilingMbPerSec.toFixed(0)} MB/s just before the 1 KiB workloads (${ceilingAtEnd.toFixed(0)} MB/s at the end of the run); kcat 1 KiB produce ${(100 * Number(results.kcatProduce1KiBRatio)).toFixed(0)}% and consume ${(100 * Number(results.kcatConsume1KiBRatio)).toFixed(0)}% of it`);
  if (lat) console.log(`latency at 10k msg/s, ${lat.runs} runs: p50 ${lat.p50.toFixed(2)} ms, p99 ${lat.p99.toFixed(2)} ms (${lat.p99Range.map((x) => x.toFixed(2)).join('-')}), p999 ${lat.p999.toFixed(2)} ms (${lat.p999Range.map((x) => x.toFixed(2)).join('-')}) (${lat.client}; client CPU ${lat.clientCpuS.toFixed(2)} s per 5 s run)${cpuNote(results.latencyBrokerCpu)}; ${warmUpNote(lat)}`);
  if (!external) printReplicatedBeside(find, lat, rlat);
  if (results.metricsScrapeCost) printSummaries('kcat produce 100 B while /metrics is scraped (medians of 3 alternated rounds)', results.metricsScrapeCost as ModeSummary[]);
  const fillCost = results.pageCacheFill as PageCacheFill | undefined;
  if (fillCost) console.log(`page cache before the broker's workloads: ${fillCost.mb} MiB written and deleted twice, system time ${fillCost.firstMsPerMb.toFixed(2)} ms per MiB the first time, ${fillCost.againMsPerMb.toFixed(2)} ms the second`);
  const startup = results.startup as StartupComparison | undefined;
  if (startup) {
    console.log(`start-up (exec to accepting connections, medians of ${startup.runs} alternated): samsa ${startup.samsa.startupMs.toFixed(0)} ms (first ApiVersions response ${startup.samsa.firstResponseMs.toFixed(0)} ms), bare node listening ${startup.bareNode.startupMs.toFixed(0)} ms: ${startup.startupRatio.toFixed(2)}x`);
    console.log(`idle RSS: samsa ${startup.samsa.idleRssMb.toFixed(1)} MB, bare node ${startup.bareNode.idleRssMb.toFixed(1)} MB: +${startup.idleRssDiffMb.toFixed(1)} MB`);
  }
  if (results.rssAfter10xMb !== undefined) console.log(`RSS of the bench's broker: ${Number(results.idleRssMb).toFixed(0)} MB idle, ${Number(results.rssBefore10xMb).toFixed(0)} MB before and ${Number(results.rssAfter10xMb).toFixed(0)} MB after 10x 1 KiB data (peak ${Number(results.peakRssMb).toFixed(0)} MB over the run)${cpuNote(results.volumeBrokerCpu, '10x 1 KiB kcat produce: ')}`);

  const targets = issue16Targets({
    produceCpuSPerMillion100B: Number(results.kcatProduce100BCpuSPerMillion),
    produceSystemSPerMillion100B: find('kcat produce 100 B')?.brokerSystemSPerMillion ?? NaN,
    kcatProduce1KiBRatio: Number(results.kcatProduce1KiBRatio),
    latencyP99Ms: lat?.p99 ?? NaN, latencyP999Ms: lat?.p999 ?? NaN, latencyRuns: lat?.runs ?? 0,
    startupRatio: startup?.startupRatio ?? NaN, idleRssDiffMb: startup?.idleRssDiffMb ?? NaN,
    peakRssMb: external ? NaN : Number(results.peakRssMb),
  });
  results.targets = targets;
  const file = join(resultsDir, `${new Date().toISOString().slice(0, 10)}.json`);
  writeFileSync(file, JSON.stringify(results, null, 2) + '\n');
  console.log(`results: ${file}`);
  console.log(targetsLine(targets));
  console.log(JSON.stringify({
    startupMs: results.startupMedianMs, bareNodeStartupMs: startup?.bareNode.startupMs, startupRatio: startup?.startupRatio,
    firstResponseMs: results.firstResponseMedianMs, idleRssMb: startup?.samsa.idleRssMb, bareNodeIdleRssMb: startup?.bareNode.idleRssMb,
    peakRssMb: results.peakRssMb, ceilingMbPerSec, kcatProduceRatio: results.kcatProduce1KiBRatio, kcatConsumeRatio: results.kcatConsume1KiBRatio,
    p50Ms: lat?.p50, p99Ms: lat?.p99, p999Ms: lat?.p999,
    produceCpuSPerMillion100B: results.kcatProduce100BCpuSPerMillion,
    replicatedProduceCpuSPerMillion100B: find(`kcat produce 100 B, ${REPLICATED}`)?.brokerCpuSPerMillion, replicatedP50Ms: rlat?.p50, replicatedP99Ms: rlat?.p99, replicatedP999Ms: rlat?.p999,
    targetsMet: targets.filter((t) => t.met === true).length, targets: targets.length,
  }));
}

/** The single broker and the replicated cluster side by side: kcat produce throughput and CPU, and latency. */
function printReplicatedBeside(find: (name: string) => Row | undefined, single: LatencySummary | undefined, replicated: LatencySummary | undefined): void {
  const fmt = (r: Row | undefined, unit: 'msg' | 'MB') => (r ? `${unit === 'msg' ? r.msgsPerSec.toFixed(0) + ' msg/s' : r.mbPerSec.toFixed(1) + ' MB/s'}, ${r.brokerCpuSPerMillion.toFixed(2)} s` : 'failed');
  // The spread too: on a shared machine one run's tail says little.
  const latency = (l: LatencySummary | undefined) => (l ? `${l.p50.toFixed(2)} / ${l.p99.toFixed(2)} (${l.p99Range.map((x) => x.toFixed(2)).join('-')}) / ${l.p999.toFixed(2)} (${l.p999Range.map((x) => x.toFixed(2)).join('-')}), median of ${l.runs}` : 'failed');
  const cpu = (c: unknown) => { const x = c as { brokerCpuSPerMillion: number } | undefined; return x && Number.isFinite(x.brokerCpuSPerMillion) ? x.brokerCpuSPerMillion.toFixed(1) : '-'; };
  console.log('\n| kcat produce, acks=all | 100 B: throughput, broker CPU s per M records | 1 KiB: throughput, broker CPU s per M records | 10k msg/s latency p50 / p99 / p999 ms | broker CPU s per M records at 10k msg/s |\n|---|---|---|---|---:|');
  console.log(`| 1 broker, RF 1 | ${fmt(find('kcat produce 100 B'), 'msg')} | ${fmt(find('kcat produce 1024 B'), 'MB')} | ${latency(single)} | ${cpu(results.latencyBrokerCpu)} |`);
  console.log(`| ${REPLICATED}, min.insync.replicas 2 | ${fmt(find(`kcat produce 100 B, ${REPLICATED}`), 'msg')} | ${fmt(find(`kcat produce 1024 B, ${REPLICATED}`), 'MB')} | ${latency(replicated)} | ${cpu(results.replicatedLatencyBrokerCpu)} |\n`);
}

function warmUpNote(l: LatencySummary): string {
  return l.warmUp ? `after a 3 s warm-up run, not counted: p50 ${l.warmUp.p50.toFixed(2)} ms, p99 ${l.warmUp.p99.toFixed(2)} ms, p999 ${l.warmUp.p999.toFixed(2)} ms` : 'the warm-up run failed';
}

function cpuNote(c: unknown, label = ''): string {
  const cpu = c as { brokerCpuS: number; brokerCpuSPerMillion: number } | undefined;
  return cpu && Number.isFinite(cpu.brokerCpuS) ? `; ${label}broker CPU ${cpu.brokerCpuS.toFixed(2)} s (${cpu.brokerCpuSPerMillion.toFixed(2)} s per million records)` : '';
}

main().catch((err) => { console.error(err); process.exitCode = 1; }).finally(() => rmSync(work, { recursive: true, force: true }));
