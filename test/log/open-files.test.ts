/**
 * Open descriptors do not grow with the number of partitions: 3,000
 * partitions (several segments each) behind a cache of 64 descriptors are
 * appended to and read from, interleaved, with asynchronous reads in flight
 * while synchronous ones evict everything else; closed; reopened after a
 * clean stop (logs open on first use) and after an unclean one (every log's
 * tail verified, one of them torn). Every record is checked each time, and
 * the process's descriptors (counted from a worker thread, also during the
 * synchronous unclean open) stay under the cache size plus a few.
 */
import t from 'tap';
import { mkdtempSync, readdirSync, rmSync, statSync, truncateSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LogManager } from '../../src/log/log-manager.js';
import type { PartitionLog } from '../../src/log/partition-log.js';
import { writeRecoveryPoints } from '../../src/log/recovery-points.js';
import { buildBatch } from '../../src/wire/records/batch-builder.js';
import { BatchHeader, BATCH_HEADER_SIZE } from '../../src/wire/records/batch-header.js';
import { openFds, startFdSampler } from './helpers/fd-sampler.js';

const PARTITIONS = 3000;
const CACHE = 64;
/** Descriptors beyond the cache: a synchronous read or open, an index or checkpoint write, the sampler's own readdir. */
const SLACK = 8;
/** Batches in each partition after the first rounds. */
const BATCHES = 3;
/** Two batches (about 250 bytes each) per segment: every partition has several segment files. */
const config = { segmentBytes: 600, indexIntervalBytes: 100 };
const TOPIC = 'many';

const value = (p: number, i: number) => `partition-${p}-batch-${i}-${'x'.repeat(150)}`;
const batch = (p: number, i: number) => buildBatch([{ key: `k${p}`, value: value(p, i) }]);

/** The values of every batch in `bytes`, checking that offsets run on from `first`. */
function valuesIn(bytes: Buffer, first: number): string[] {
  const out: string[] = [];
  for (let at = 0, expected = first; at + BATCH_HEADER_SIZE <= bytes.length; expected++) {
    const h = new BatchHeader(bytes, at);
    if (h.baseOffset !== expected || !h.isCrcValid()) throw new Error(`batch at ${at}: offset ${h.baseOffset}, expected ${expected}, crc ${h.isCrcValid()}`);
    const text = bytes.subarray(at, at + h.sizeInBytes).toString('latin1');
    out.push(/partition-\d+-batch-\d+-x+/.exec(text)![0]);
    at += h.sizeInBytes;
  }
  return out;
}

const expected = (p: number, n: number) => Array.from({ length: n }, (_, i) => value(p, i));

function readAllSync(log: PartitionLog): string[] {
  return valuesIn(Buffer.concat(log.read(0, 1 << 20, log.logEndOffset).chunks), 0);
}

async function readAllAsync(log: PartitionLog): Promise<string[]> {
  const { chunks } = await log.readAsync(0, 1 << 20, log.logEndOffset);
  return valuesIn(Buffer.concat(chunks), 0);
}

/** Runs `fn` for every partition, `width` at a time. */
async function everyPartition(width: number, fn: (p: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => { while (next < PARTITIONS) await fn(next++); }));
}

/** Checks every partition holds `n` batches (sync and async reads interleaved); returns the partitions that do not. */
async function checkAll(m: LogManager, n: (p: number) => number): Promise<number[]> {
  const wrong: number[] = [];
  await everyPartition(16, async (p) => {
    const log = m.get(TOPIC, p)!;
    const got = p % 2 === 0 ? await readAllAsync(log) : readAllSync(log);
    if (JSON.stringify(got) !== JSON.stringify(expected(p, n(p)))) wrong.push(p);
  });
  return wrong;
}

t.test(`${PARTITIONS} partitions with ${CACHE} descriptors: appends, reads, clean and unclean restarts`, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-open-files-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const sampler = await startFdSampler();
  t.teardown(() => sampler.stop());
  const bound = openFds() + CACHE + SLACK;
  const reports: string[] = [];
  const open = () => LogManager.open(dir, { maxOpenFiles: CACHE, configFor: () => config, report: (r) => reports.push(r) });

  sampler.reset();
  let m = open();
  const logs = Array.from({ length: PARTITIONS }, (_, p) => m.create(TOPIC, p, config));
  // Every partition appended to in the same ticks: thousands of write rounds (and rolls) at once.
  for (let i = 0; i < BATCHES - 1; i++) await Promise.all(logs.map((log, p) => log.append(batch(p, i), 0).done));

  // Asynchronous reads pin their descriptors; synchronous reads of 2,000 other partitions evict everything else meanwhile.
  const inFlight = logs.slice(0, 32).map((log) => readAllAsync(log));
  const syncWrong = logs.slice(1000).filter((log, i) => JSON.stringify(readAllSync(log)) !== JSON.stringify(expected(1000 + i, BATCHES - 1)));
  t.same(syncWrong.map((l) => l.partition), [], 'synchronous reads of 2,000 partitions while 32 reads are in flight');
  t.ok(m.files.openCount <= CACHE, `the cache holds ${m.files.openCount} descriptors`);
  const asyncResults = await Promise.all(inFlight);
  t.same(asyncResults.map((vals, p) => JSON.stringify(vals) === JSON.stringify(expected(p, BATCHES - 1)) ? -1 : p).filter((p) => p >= 0), [], 'the reads in flight got their own files\' bytes');

  // One more append to every partition, each alongside an asynchronous read of another.
  const crossWrong: number[] = [];
  await everyPartition(48, async (p) => {
    const other = (p * 7 + 1) % PARTITIONS;
    const appended = logs[p]!.append(batch(p, BATCHES - 1), 0);
    const read = readAllAsync(logs[other]!);
    await appended.done;
    const vals = await read;
    // The other partition may or may not have its last batch yet.
    if (JSON.stringify(vals.slice(0, BATCHES - 1)) !== JSON.stringify(expected(other, BATCHES - 1))) crossWrong.push(other);
  });
  t.same(crossWrong, [], 'reads interleaved with appends');
  t.ok(logs.every((log) => log.segmentCount() === 2), 'every partition rolled a segment');
  t.same(await checkAll(m, () => BATCHES), [], 'every partition holds every batch');
  t.ok(sampler.max() <= bound, `open descriptors peaked at ${sampler.max()}, bound ${bound}`);
  await m.close();

  // Clean restart: logs open on first use (and in the background).
  sampler.reset();
  m = open();
  t.same(await checkAll(m, () => BATCHES), [], 'after a clean restart every batch is there');
  t.ok(sampler.max() <= bound, `open descriptors peaked at ${sampler.max()} after the clean restart`);
  await Promise.all(Array.from({ length: PARTITIONS }, (_, p) => m.get(TOPIC, p)!.append(batch(p, BATCHES), 0).done));
  await m.close();

  // Unclean restart: no marker, recovery points before the last batch (so every log's tail is verified), and one tail torn.
  unlinkSync(join(dir, '.samsa-clean-shutdown'));
  writeRecoveryPoints(dir, Array.from({ length: PARTITIONS }, (_, p) => ({ topic: TOPIC, partition: p, offset: BATCHES })));
  const torn = 1234;
  const tornDir = join(dir, `${TOPIC}-${torn}`);
  const lastSegment = join(tornDir, readdirSync(tornDir).filter((f) => f.endsWith('.log')).sort().at(-1)!);
  truncateSync(lastSegment, statSync(lastSegment).size - 10);
  sampler.reset();
  m = open();
  t.ok(sampler.max() <= bound, `open descriptors peaked at ${sampler.max()} during the unclean open (every log verified)`);
  t.same(await checkAll(m, (p) => (p === torn ? BATCHES : BATCHES + 1)), [], 'after an unclean restart every whole batch is there');
  t.ok(readdirSync(tornDir).some((f) => f.endsWith('.corrupt')), 'the torn tail was moved aside');
  t.ok(reports.some((r) => r.includes(`${TOPIC}-${torn}`) || r.includes(lastSegment)), 'and reported');
  t.equal(m.get(TOPIC, torn)!.append(batch(torn, BATCHES), 0).baseOffset, BATCHES, 'the torn offset is used again');
  t.ok(sampler.max() <= bound, `open descriptors peaked at ${sampler.max()}, bound ${bound}`);
  await m.close();
});

t.test('after a clean stop logs open on first use, and the unused ones in the background, so retention reaches them', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-lazy-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const retained = { segmentBytes: 300, retentionMs: 3_600_000 };
  let m = LogManager.open(dir, { configFor: () => retained });
  const old = Date.now() - 2 * 3_600_000;
  for (let p = 0; p < 3; p++) {
    const log = m.create('lazy', p, retained);
    for (let i = 0; i < 4; i++) await log.append(buildBatch([{ value: value(p, i), timestamp: old }]), 0).done;
    await log.append(buildBatch([{ value: value(p, 4) }]), 0).done;
  }
  await m.close();
  const segments = (p: number) => readdirSync(join(dir, `lazy-${p}`)).filter((f) => f.endsWith('.log')).length;
  t.ok(segments(0) > 2, `${segments(0)} segments each, the older ones past retention.ms`);

  m = LogManager.open(dir, { configFor: () => retained, retentionCheckIntervalMs: 20 });
  t.teardown(() => m.close());
  t.equal(m.all().length, 0, 'open() opened no log');
  t.equal(m.get('lazy', 1)!.logEndOffset, 5, 'a log opens on first use');
  const until = Date.now() + 5000;
  while ((m.all().length < 3 || segments(0) > 1 || segments(2) > 1) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  t.equal(m.all().length, 3, 'the others opened in the background');
  t.same([segments(0), segments(1), segments(2)], [1, 1, 1], 'retention removed the expired segments of logs nobody used');
});
