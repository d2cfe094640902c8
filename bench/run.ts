/**
 * `make bench`: Samsa against this machine's own ceiling, in one run.
 *
 * Starts Samsa with an ephemeral data dir (or uses BROKER=host:port), runs the
 * client workloads (kcat/librdkafka and kafkajs; produce latency with
 * librdkafka from bench/latency.py), measures start-up and RSS,
 * adds a replicated row (a 3-broker cluster, replication factor 3, acks=all),
 * measures the ceiling (a bare TCP server that only frames and CRCs), then
 * prints a table, writes bench/results/<date>.json, and ends with one JSON line.
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
import { Kafka, logLevel } from 'kafkajs';
import { startSamsa, startSamsaCluster, externalBroker, type BenchBroker } from './lib/broker-process.js';
import { rssMb, sampleRss } from './lib/rss.js';
import { meterCpu } from './lib/cpu.js';
import { measureCeiling } from './lib/ceiling.js';
import { writeMessageFile, kcatProduce, kcatConsume, kcatConsumePrinting } from './lib/kcat.js';
import { client, createTopic, highWatermark, kafkajsProduce, kafkajsConsume } from './lib/kafkajs.js';
import { librdkafkaLatency } from './lib/latency.js';
import { THIS_BUILD_CLI, printSummaries, scrapeCost, type ModeSummary } from './lib/metrics-cost.js';

/** brokerCpuS: user + system CPU seconds of the broker process over the workload (NaN, null in the JSON, for an external broker). */
interface Row { workload: string; msgs: number; seconds: number; msgsPerSec: number; mbPerSec: number; peakRssMb: number; brokerCpuS: number; brokerCpuSPerMillion: number }

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
interface Metered { peakRssMb: number; cpuS: number }
function meter(pid: number | undefined): { stop(): Metered } {
  const rss = sampleRss(pid);
  const cpu = meterCpu(pid);
  return { stop: () => { const cpuS = cpu.stop(); return { peakRssMb: rss.stop(), cpuS }; } };
}

function row(workload: string, msgs: number, bytes: number, seconds: number, m: Metered): void {
  const r: Row = {
    workload, msgs, seconds, msgsPerSec: msgs / seconds, mbPerSec: bytes / (1 << 20) / seconds, peakRssMb: m.peakRssMb,
    brokerCpuS: m.cpuS, brokerCpuSPerMillion: m.cpuS / (msgs / 1e6),
  };
  rows.push(r);
  console.error(`  ${workload}: ${r.msgsPerSec.toFixed(0)} msg/s, ${r.mbPerSec.toFixed(1)} MB/s, broker CPU ${r.brokerCpuS.toFixed(2)} s (${r.brokerCpuSPerMillion.toFixed(2)} s per million records)`);
}

/** Broker CPU over the latency test: seconds, and seconds per million records sent (rate x seconds). */
function latencyCpu(cpuS: number, records: number): { brokerCpuS: number; brokerCpuSPerMillion: number } {
  return { brokerCpuS: cpuS, brokerCpuSPerMillion: cpuS / (records / 1e6) };
}

/** Medians of n starts: exec to accepting connections, and exec to the first ApiVersions response. */
async function startupMedian(n: number): Promise<{ accept: number; firstResponse: number }> {
  const accept: number[] = [];
  const first: number[] = [];
  for (let i = 0; i < n; i++) {
    const b = await startSamsa();
    accept.push(b.startupMs);
    first.push(b.firstResponseMs);
    await b.stop();
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(n / 2)]!;
  return { accept: median(accept), firstResponse: median(first) };
}

/**
 * The replicated row: a 3-broker cluster in one process (samsa start
 * --brokers 3), a topic with replication factor 3 and min.insync.replicas 2,
 * kcat producing 1 KiB records with acks=all (every batch waits for both
 * followers' fetches), and produce latency at 10,000 msg/s on it, beside the
 * single broker's rows above.
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
    const topic = `replicated-${stamp}`;
    await createTopic(admin, topic, 1, 3, { 'min.insync.replicas': '2' });
    const count = 100_000, size = 1024;
    const file = join(work, `msgs-${size}.txt`);
    await writeMessageFile(file, count, size);
    const m = meter(cluster.pid);
    const seconds = await attempt('replicated kcat produce', 300_000, () => kcatProduce(addr, topic, file));
    if (seconds !== undefined) row(`kcat produce ${size} B, 3 brokers RF 3 (one process)`, count, count * size, seconds, m.stop());
    else m.stop();
    const latTopic = `replicated-latency-${stamp}`;
    await createTopic(admin, latTopic, 1, 3, { 'min.insync.replicas': '2' });
    const cpu = meterCpu(cluster.pid);
    results.replicatedLatencyMs = await attempt('replicated latency', 120_000, () => librdkafkaLatency(addr, latTopic, 10_000, 5, 100));
    results.replicatedLatencyBrokerCpu = latencyCpu(cpu.stop(), 10_000 * 5);
    await admin.disconnect();
  } finally {
    await cluster.stop();
  }
}

async function main(): Promise<void> {
  const external = process.env.BROKER;
  if (!external) {
    console.error('start-up (median of 20)...');
    const startup = await startupMedian(20);
    results.startupMedianMs = startup.accept;
    results.firstResponseMedianMs = startup.firstResponse;
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

    console.error('latency at 10,000 msg/s, 100 B, acks=all...');
    const latTopic = `latency-${stamp}`;
    await createTopic(admin, latTopic);
    const latCpu = meterCpu(broker.pid);
    results.latencyMs = await attempt('latency', 120_000, () => librdkafkaLatency(addr, latTopic, 10_000, 5, 100));
    results.latencyBrokerCpu = latencyCpu(latCpu.stop(), 10_000 * 5);

    if (broker.pid) {
      console.error('RSS after 10x the 1 KiB workload...');
      const big = `volume-${stamp}`;
      await createTopic(admin, big);
      const file = join(work, 'msgs-1024.txt');
      const rss = sampleRss(broker.pid);
      const cpu = meterCpu(broker.pid);
      for (let i = 0; i < 10; i++) await kcatProduce(addr, big, file);
      const cpuS = cpu.stop();
      results.volumeBrokerCpu = { brokerCpuS: cpuS, brokerCpuSPerMillion: cpuS / (10 * 100_000 / 1e6) };
      results.peakRssAfter10xMb = rss.stop();
      results.rssAfter10xMb = rssMb(broker.pid);
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

  console.error('ceiling (bare TCP server, 4-byte frames + CRC32C)...');
  const ceilingMbPerSec = await measureCeiling();
  results.ceilingMbPerSec = ceilingMbPerSec;
  const ratio = (name: string) => (rows.find((r) => r.workload === name)?.mbPerSec ?? NaN) / ceilingMbPerSec;
  results.kcatProduce1KiBRatio = ratio('kcat produce 1024 B');
  results.kcatConsume1KiBRatio = ratio('kcat consume 1024 B');
  results.workloads = rows;
  const cpuPerMillion = (name: string) => rows.find((r) => r.workload === name)?.brokerCpuSPerMillion ?? NaN;
  results.kcatProduce100BCpuSPerMillion = cpuPerMillion('kcat produce 100 B');
  results.failures = failures;
  results.peakRssMb = Math.max(...rows.map((r) => r.peakRssMb), Number(results.peakRssAfter10xMb ?? 0));
  results.machine = { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version };
  results.broker = external ?? 'samsa';

  console.log('\n| workload | msgs | msg/s | MB/s | peak RSS MB | broker CPU s | broker CPU s per million records |\n|---|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) console.log(`| ${r.workload} | ${r.msgs} | ${r.msgsPerSec.toFixed(0)} | ${r.mbPerSec.toFixed(1)} | ${r.peakRssMb.toFixed(0)} | ${r.brokerCpuS.toFixed(2)} | ${r.brokerCpuSPerMillion.toFixed(2)} |`);
  const lat = (results.latencyMs ?? { p50: NaN, p99: NaN, p999: NaN, client: 'failed' }) as { p50: number; p99: number; p999: number; client: string };
  for (const f of failures) console.log(`FAILED ${f}`);
  console.log(`\nceiling ${ceilingMbPerSec.toFixed(0)} MB/s; kcat 1 KiB produce ${(100 * Number(results.kcatProduce1KiBRatio)).toFixed(0)}% and consume ${(100 * Number(results.kcatConsume1KiBRatio)).toFixed(0)}% of it`);
  console.log(`latency at 10k msg/s: p50 ${lat.p50.toFixed(2)} ms, p99 ${lat.p99.toFixed(2)} ms, p999 ${lat.p999.toFixed(2)} ms (${lat.client})${cpuNote(results.latencyBrokerCpu)}`);
  const rlat = results.replicatedLatencyMs as { p50: number; p99: number; p999: number } | undefined;
  if (rlat) console.log(`replicated (3 brokers, RF 3, min.insync.replicas 2, acks=all) latency at 10k msg/s: p50 ${rlat.p50.toFixed(2)} ms, p99 ${rlat.p99.toFixed(2)} ms, p999 ${rlat.p999.toFixed(2)} ms${cpuNote(results.replicatedLatencyBrokerCpu)}`);
  if (results.metricsScrapeCost) printSummaries('kcat produce 100 B while /metrics is scraped (medians of 3 alternated rounds)', results.metricsScrapeCost as ModeSummary[]);
  if (results.startupMedianMs !== undefined) console.log(`start-up median ${Number(results.startupMedianMs).toFixed(0)} ms (first ApiVersions response ${Number(results.firstResponseMedianMs).toFixed(0)} ms); idle RSS ${Number(results.idleRssMb).toFixed(0)} MB; RSS after 10x data ${Number(results.rssAfter10xMb).toFixed(0)} MB${cpuNote(results.volumeBrokerCpu, '10x 1 KiB kcat produce: ')}`);
  const file = join(resultsDir, `${new Date().toISOString().slice(0, 10)}.json`);
  writeFileSync(file, JSON.stringify(results, null, 2) + '\n');
  console.log(`results: ${file}`);
  console.log(JSON.stringify({
    startupMs: results.startupMedianMs, firstResponseMs: results.firstResponseMedianMs, idleRssMb: results.idleRssMb, peakRssMb: results.peakRssMb,
    ceilingMbPerSec, kcatProduceRatio: results.kcatProduce1KiBRatio, kcatConsumeRatio: results.kcatConsume1KiBRatio,
    p50Ms: lat.p50, p99Ms: lat.p99, p999Ms: lat.p999,
    produceCpuSPerMillion100B: results.kcatProduce100BCpuSPerMillion,
  }));
}

function cpuNote(c: unknown, label = ''): string {
  const cpu = c as { brokerCpuS: number; brokerCpuSPerMillion: number } | undefined;
  return cpu && Number.isFinite(cpu.brokerCpuS) ? `; ${label}broker CPU ${cpu.brokerCpuS.toFixed(2)} s (${cpu.brokerCpuSPerMillion.toFixed(2)} s per million records)` : '';
}

main().catch((err) => { console.error(err); process.exitCode = 1; }).finally(() => rmSync(work, { recursive: true, force: true }));
