/**
 * What /metrics costs the data path. One broker (`samsa start --ephemeral
 * --http`) takes kcat produce rounds (acks=all, 100 B records by default)
 * with no scraper, a scraper every 1 s and one every 100 ms, the three
 * alternated round by round so that drift on a shared machine hits them
 * alike; each round's broker CPU per million records and throughput are
 * kept (after a first round that warms the broker up), and the medians
 * compared. The scraper reads the whole body and
 * notes how long a scrape took and how big it was.
 *
 * compareBuilds() runs the same rounds, no scraper, against two brokers from
 * two builds side by side (before and after a change to the hot path).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { freePort, tryConnect } from './broker-process.js';
import { meterCpu } from './cpu.js';
import { kcatProduce, writeMessageFile } from './kcat.js';
import { createTopic } from './kafkajs.js';

export interface RoundFigures { mode: string; msgsPerSec: number; cpuSPerMillion: number }
export interface ModeSummary { mode: string; rounds: number; msgsPerSec: number; cpuSPerMillion: number; scrapes?: number; scrapeMsMedian?: number; scrapeBytes?: number }

interface Broker { port: number; httpPort?: number; pid: number; stop(): Promise<void> }

/** `samsa start --ephemeral` from the CLI at `cli` (any build's src/cli/main.js), with --http when asked. */
async function startBroker(cli: string, http: boolean): Promise<Broker> {
  const port = await freePort();
  const httpPort = http ? await freePort() : undefined;
  const args = [cli, 'start', '--ephemeral', '--listen', `127.0.0.1:${port}`, '--log-level', 'warn', ...(httpPort ? ['--http', `127.0.0.1:${httpPort}`] : [])];
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  let exited = false;
  child.once('exit', () => { exited = true; });
  for (let sock; !(sock = await tryConnect(port)); await new Promise((r) => setTimeout(r, 10))) {
    if (exited) throw new Error(`${cli} exited before accepting connections`);
  }
  if (httpPort) {
    // The HTTP side starts after the broker: wait for /metrics to answer.
    for (;;) {
      try { if ((await fetch(`http://127.0.0.1:${httpPort}/metrics`)).ok) break; } catch { /* not yet */ }
      if (exited) throw new Error(`${cli} exited before serving /metrics`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    port, httpPort, pid: child.pid!,
    stop: () => new Promise<void>((resolve) => { if (exited) return resolve(); child.once('exit', () => resolve()); child.kill('SIGTERM'); }),
  };
}

/** Scrapes `url` every `everyMs` (start to start, one at a time) until stopped. */
function scraper(url: string, everyMs: number): { stop(): Promise<{ scrapes: number; msMedian: number; bytes: number }> } {
  let stopped = false;
  const times: number[] = [];
  let bytes = 0;
  const loop = (async () => {
    while (!stopped) {
      const t0 = performance.now();
      const res = await fetch(url);
      bytes = (await res.text()).length;
      times.push(performance.now() - t0);
      const wait = everyMs - (performance.now() - t0);
      if (wait > 0 && !stopped) await new Promise((r) => setTimeout(r, wait));
    }
  })();
  return { stop: async () => { stopped = true; await loop; return { scrapes: times.length, msMedian: median(times), bytes }; } };
}

function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function produceRound(b: Broker, file: string, records: number, topic: string): Promise<{ msgsPerSec: number; cpuSPerMillion: number }> {
  const kafka = new Kafka({ clientId: 'samsa-bench-metrics', brokers: [`127.0.0.1:${b.port}`], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await createTopic(admin, topic);
  await admin.disconnect();
  const cpu = meterCpu(b.pid);
  const seconds = await kcatProduce(`127.0.0.1:${b.port}`, topic, file);
  const cpuS = cpu.stop();
  return { msgsPerSec: records / seconds, cpuSPerMillion: cpuS / (records / 1e6) };
}

function summarize(rounds: RoundFigures[], mode: string): ModeSummary {
  const mine = rounds.filter((r) => r.mode === mode);
  return { mode, rounds: mine.length, msgsPerSec: median(mine.map((r) => r.msgsPerSec)), cpuSPerMillion: median(mine.map((r) => r.cpuSPerMillion)) };
}

/** The CLI compiled beside this file (<outDir>/bench/lib/ -> <outDir>/src/cli/). */
export const THIS_BUILD_CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/** `cli`: the broker build under test (a build's src/cli/main.js). */
export interface CostOptions { cli: string; work: string; records: number; size: number; rounds: number; log?: (line: string) => void }

/** No scraper, every 1 s, every 100 ms: `rounds` of each, alternated. */
export async function scrapeCost(o: CostOptions): Promise<ModeSummary[]> {
  const log = o.log ?? ((l: string) => console.error(l));
  const file = join(o.work, `metrics-msgs-${o.size}.txt`);
  await writeMessageFile(file, o.records, o.size);
  const b = await startBroker(o.cli, true);
  const url = `http://127.0.0.1:${b.httpPort}/metrics`;
  const modes = [{ mode: 'no scraper', everyMs: 0 }, { mode: 'scrape every 1 s', everyMs: 1000 }, { mode: 'scrape every 100 ms', everyMs: 100 }];
  const rounds: RoundFigures[] = [];
  const scrapes = new Map<string, { scrapes: number; ms: number[]; bytes: number }>();
  try {
    // A first round warms the broker (JIT, page cache); it is not counted.
    await produceRound(b, file, o.records, 'metrics-cost-warm-up');
    for (let i = 0; i < o.rounds; i++) {
      for (const m of modes) {
        const s = m.everyMs > 0 ? scraper(url, m.everyMs) : undefined;
        const r = await produceRound(b, file, o.records, `metrics-cost-${i}-${m.everyMs}`);
        const got = await s?.stop();
        if (got) {
          const acc = scrapes.get(m.mode) ?? { scrapes: 0, ms: [], bytes: 0 };
          acc.scrapes += got.scrapes; acc.ms.push(got.msMedian); acc.bytes = got.bytes;
          scrapes.set(m.mode, acc);
        }
        rounds.push({ mode: m.mode, ...r });
        log(`  round ${i + 1} ${m.mode}: ${r.msgsPerSec.toFixed(0)} msg/s, broker CPU ${r.cpuSPerMillion.toFixed(2)} s per million records${got ? ` (${got.scrapes} scrapes, median ${got.msMedian.toFixed(1)} ms, ${got.bytes} bytes)` : ''}`);
      }
    }
  } finally {
    await b.stop();
  }
  return modes.map((m) => {
    const s = scrapes.get(m.mode);
    return { ...summarize(rounds, m.mode), ...(s ? { scrapes: s.scrapes, scrapeMsMedian: median(s.ms), scrapeBytes: s.bytes } : {}) };
  });
}

/** Two builds' brokers side by side, no scraper: `rounds` produce rounds on each, alternated. */
export async function compareBuilds(o: CostOptions & { before: string }): Promise<ModeSummary[]> {
  const log = o.log ?? ((l: string) => console.error(l));
  const file = join(o.work, `metrics-msgs-${o.size}.txt`);
  await writeMessageFile(file, o.records, o.size);
  const builds = [{ mode: 'before', b: await startBroker(o.before, false) }, { mode: 'after', b: await startBroker(o.cli, false) }];
  const rounds: RoundFigures[] = [];
  try {
    for (const { b } of builds) await produceRound(b, file, o.records, 'metrics-hot-warm-up');
    for (let i = 0; i < o.rounds; i++) {
      // Alternate which goes first too, so neither always follows the other.
      for (const { mode, b } of i % 2 === 0 ? builds : [...builds].reverse()) {
        const r = await produceRound(b, file, o.records, `metrics-hot-${i}`);
        rounds.push({ mode, ...r });
        log(`  round ${i + 1} ${mode}: ${r.msgsPerSec.toFixed(0)} msg/s, broker CPU ${r.cpuSPerMillion.toFixed(2)} s per million records`);
      }
    }
  } finally {
    await Promise.all(builds.map(({ b }) => b.stop()));
  }
  return builds.map(({ mode }) => summarize(rounds, mode));
}

export function printSummaries(title: string, rows: ModeSummary[]): void {
  console.log(`\n${title}\n| mode | rounds | msg/s (median) | broker CPU s per million records (median) | scrapes | scrape ms (median) | scrape bytes |\n|---|---:|---:|---:|---:|---:|---:|`);
  for (const r of rows) {
    console.log(`| ${r.mode} | ${r.rounds} | ${r.msgsPerSec.toFixed(0)} | ${r.cpuSPerMillion.toFixed(2)} | ${r.scrapes ?? ''} | ${r.scrapeMsMedian?.toFixed(1) ?? ''} | ${r.scrapeBytes ?? ''} |`);
  }
}
