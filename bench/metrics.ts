/**
 * `node <outDir>/bench/metrics.js`: the cost of /metrics to produce (no
 * scraper, a scrape every 1 s, every 100 ms, alternated; bench/lib/metrics-cost.ts).
 * BENCH_CLI_BEFORE=<another build's src/cli/main.js> instead compares that
 * build's broker with this one's on the same produce rounds, no scraper
 * (the broker's counters on the hot path, before and after).
 * BENCH_CLI=<a build's src/cli/main.js> runs that build's broker instead of the one beside this file.
 * BENCH_RECORDS (default 1,000,000), BENCH_SIZE (100 B), BENCH_ROUNDS (5).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { THIS_BUILD_CLI, compareBuilds, printSummaries, scrapeCost } from './lib/metrics-cost.js';

/** The broker build under test: BENCH_CLI, else the one compiled beside this file. */
const CLI = process.env.BENCH_CLI ?? THIS_BUILD_CLI;
const records = Number(process.env.BENCH_RECORDS ?? 1_000_000);
const size = Number(process.env.BENCH_SIZE ?? 100);
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const before = process.env.BENCH_CLI_BEFORE;

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'samsa-bench-metrics-'));
  try {
    const o = { cli: CLI, work, records, size, rounds };
    if (before) {
      console.error(`kcat produce ${records} x ${size} B, ${rounds} rounds each: ${before} (before) and ${CLI} (after), alternated...`);
      printSummaries(`kcat produce ${size} B, before and after (medians of ${rounds} alternated rounds)`, await compareBuilds({ ...o, before }));
    } else {
      console.error(`kcat produce ${records} x ${size} B, ${rounds} rounds each without and with a /metrics scraper, alternated...`);
      printSummaries(`kcat produce ${size} B while /metrics is scraped (medians of ${rounds} alternated rounds)`, await scrapeCost(o));
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err) => { console.error(err); process.exitCode = 1; });
