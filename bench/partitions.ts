/**
 * `make bench-partitions`: a data directory of many partitions (100,000 by
 * default; BENCH_PARTITIONS), one segment of a few batches each, opened by a
 * LogManager as a broker opens it. Prints how long LogManager.open takes after
 * a clean stop and after an unclean one (which verifies every log's unflushed
 * tail), the RSS and open descriptors after it, and how long it then takes to
 * append to and read from every partition. A benchmark, not a test.
 *
 * Each start runs in a process of its own, so its RSS is that start's, not
 * what filling the directory left behind. The first start appends to every
 * log and exits without closing anything, as a kill -9 would: the second
 * finds no clean-shutdown marker and data past every recovery point. Run
 * with --expose-gc (as `make bench-partitions` does) for RSS and heap after a
 * full collection.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LogManager } from '../src/log/log-manager.js';
import { buildBatch } from '../src/wire/records/batch-builder.js';

const PARTITIONS = Number(process.env.BENCH_PARTITIONS ?? 100_000);
const MAX_OPEN_FILES = Number(process.env.BENCH_MAX_OPEN_FILES ?? 1024);
const BATCHES = 3;
/** Appends or reads in flight at once, as a broker's requests would have them. */
const WINDOW = 512;
const TOPIC = 'bench';

const mb = (bytes: number) => `${(bytes / (1 << 20)).toFixed(0)} MB`;
const seconds = (t0: number) => `${((performance.now() - t0) / 1000).toFixed(2)} s`;
const openFds = () => readdirSync('/proc/self/fd').length;
const quiet = { report: () => {}, maxOpenFiles: MAX_OPEN_FILES };
/** With --expose-gc, memory is measured after a full collection: live memory, not garbage. */
const gc = (globalThis as { gc?: () => void }).gc;

/** Runs `fn` for every partition with at most WINDOW in flight. */
async function everyPartition(fn: (p: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async () => { while (next < PARTITIONS) await fn(next++); };
  await Promise.all(Array.from({ length: WINDOW }, worker));
}

function batch(p: number, i: number): Buffer {
  return buildBatch([{ key: `key-${p}`, value: `partition ${p} batch ${i} ${'x'.repeat(100)}` }]);
}

function report(label: string, t0: number): void {
  const elapsed = seconds(t0);
  gc?.();
  const m = process.memoryUsage();
  console.log(`${label.padEnd(40)} ${elapsed.padStart(8)}   RSS ${mb(m.rss).padStart(7)}  heap ${mb(m.heapUsed).padStart(7)}  open fds ${openFds()}`);
}

/** Creates the partitions, fills them and closes cleanly. */
async function fill(dir: string): Promise<void> {
  const t0 = performance.now();
  const m = LogManager.open(dir, quiet);
  await everyPartition(async (p) => {
    const log = m.create(TOPIC, p);
    for (let i = 0; i < BATCHES; i++) await log.append(batch(p, i), 0).done;
  });
  await m.close();
  report('created and filled, clean close', t0);
}

/** A start after a clean stop, then a use of every log; ends without closing (a crash). */
async function cleanStart(dir: string): Promise<void> {
  let t0 = performance.now();
  const m = LogManager.open(dir, quiet);
  report('LogManager.open after a clean stop', t0);
  t0 = performance.now();
  await everyPartition((p) => m.get(TOPIC, p)!.append(batch(p, BATCHES), 0).done);
  report('  then one append to every log', t0);
  t0 = performance.now();
  await everyPartition(async (p) => {
    const log = m.get(TOPIC, p)!;
    const { bytes } = await log.readAsync(0, 1 << 20, log.logEndOffset);
    if (bytes === 0) throw new Error(`nothing read from partition ${p}`);
  });
  report('  then a read of every log', t0);
  process.exit(0);
}

/** A start after the crash: every log's tail verified. */
async function uncleanStart(dir: string): Promise<void> {
  let t0 = performance.now();
  const m = LogManager.open(dir, quiet);
  report('LogManager.open after an unclean stop', t0);
  for (let p = 0; p < PARTITIONS; p++) {
    const end = m.get(TOPIC, p)?.logEndOffset;
    if (end !== BATCHES + 1) throw new Error(`partition ${p} ends at ${end} after recovery, not ${BATCHES + 1}`);
  }
  t0 = performance.now();
  await m.close();
  report('  clean close (fsyncs every log)', t0);
}

async function main(): Promise<void> {
  const [phase, dir] = process.argv.slice(2);
  if (phase === 'clean') return cleanStart(dir!);
  if (phase === 'unclean') return uncleanStart(dir!);
  const data = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), 'samsa-bench-partitions-'));
  try {
    console.log(`${PARTITIONS} partitions, ${BATCHES} batches each, log.max.open.files=${MAX_OPEN_FILES}; data dir ${data}\n`);
    await fill(data);
    for (const next of ['clean', 'unclean']) {
      const child = spawnSync(process.execPath, [...process.execArgv, process.argv[1]!, next, data], { stdio: 'inherit' });
      if (child.status !== 0) throw new Error(`the ${next} start failed (${child.status ?? child.signal})`);
    }
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
}

main().catch((err) => { console.error(err); process.exit(1); });
