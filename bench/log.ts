/**
 * `make bench-log`: append MB/s for 1 KiB and 100 KiB batches and sequential
 * read MB/s of recent data, next to the raw sequential write speed of the same
 * disk measured here with a plain write loop. A benchmark, not a test.
 *
 * The machine this runs on is often shared, and a raw figure taken a minute
 * before the append figure can differ from it by 3x; so every append run is
 * paired with a raw run just before it, each size is measured RUNS times, and
 * the ratio printed is the median of the paired ratios.
 *
 * Appends are pipelined as a producer's requests are: up to WINDOW
 * outstanding, a new one as soon as the oldest is written. The raw loop
 * writes one preallocated buffer over and over, so the append figure that is
 * compared with it appends preallocated batches too (reused once written:
 * `append` only writes the offsets into them); the `fresh` figure copies every
 * batch into a new Buffer first, as bytes arriving from a socket are, and so
 * also measures that copy and its garbage, which are not the log's.
 */
import { closeSync, mkdtempSync, openSync, rmSync, writeSync, fsyncSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PartitionLog } from '../src/log/partition-log.js';
import { buildBatch } from '../src/wire/records/batch-builder.js';

const MiB = 1 << 20;
const TOTAL = Number(process.env.BENCH_LOG_MIB ?? 256) * MiB;
const RUNS = Number(process.env.BENCH_LOG_RUNS ?? 3);
const WINDOW = 256;
const dir = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), 'samsa-bench-log-'));

function rawWrite(chunk: number): number {
  const file = join(dir, `raw-${chunk}`);
  const fd = openSync(file, 'w');
  const buf = Buffer.alloc(chunk, 1);
  const t0 = performance.now();
  for (let done = 0; done < TOTAL; done += chunk) writeSync(fd, buf);
  fsyncSync(fd);
  closeSync(fd);
  const mbps = TOTAL / MiB / ((performance.now() - t0) / 1000);
  rmSync(file);
  return mbps;
}

/** Reads the whole log from offset 0 in reads of up to 1 MiB; MB/s. */
async function readAll(log: PartitionLog, async: boolean): Promise<number> {
  const t1 = performance.now();
  let read = 0;
  for (let offset = 0; offset < log.logEndOffset;) {
    const { chunks, bytes } = async ? await log.readAsync(offset, MiB, log.logEndOffset) : log.read(offset, MiB, log.logEndOffset);
    if (bytes === 0) break;
    read += bytes;
    const last = chunks[chunks.length - 1]!;
    // Next offset: after the last batch read (walk headers of the last chunk).
    let at = 0, next = offset;
    while (at < last.length) { next = Number(last.readBigInt64BE(at)) + last.readInt32BE(at + 23) + 1; at += last.readInt32BE(at + 8) + 12; }
    offset = next;
  }
  return read / MiB / ((performance.now() - t1) / 1000);
}

async function append(batchBytes: number, run: number, fresh: boolean): Promise<{ append: number; read: number; readAsync: number }> {
  // One segment for the whole run, so that the flush at the end (the active segment's fsync) covers
  // everything written, as the raw loop's fsync does.
  const log = PartitionLog.open(dir, `bench-${batchBytes}-${run}-${fresh}`, 0, { segmentBytes: 2 * TOTAL });
  const values = Math.max(1, Math.floor(batchBytes / 1024));
  const template = buildBatch(Array.from({ length: values }, () => ({ value: Buffer.alloc(Math.min(batchBytes, 1024) - 20, 7) })));
  // Twice the window: a batch is reused only after WINDOW later appends, when its own is written.
  const pool = fresh ? [] : Array.from({ length: 2 * WINDOW }, () => Buffer.from(template));
  const t0 = performance.now();
  let outstanding: Promise<void>[] = [], oldest = 0, n = 0;
  for (let done = 0; done < TOTAL; done += template.length) {
    if (outstanding.length - oldest >= WINDOW) {
      // Appends written together share a promise: one await retires all of them.
      const p = outstanding[oldest]!;
      await p;
      while (oldest < outstanding.length && outstanding[oldest] === p) oldest++;
      if (oldest > 8192) { outstanding = outstanding.slice(oldest); oldest = 0; }
    }
    outstanding.push(log.append(fresh ? Buffer.from(template) : pool[n++ % pool.length]!, 0).done);
  }
  await Promise.all(outstanding.slice(oldest));
  log.flush();
  if (log.segmentCount() !== 1) throw new Error('the run rolled a segment: its fsync would not cover everything');
  const appendMbps = TOTAL / MiB / ((performance.now() - t0) / 1000);
  const read = await readAll(log, false);
  const readAsync = await readAll(log, true);
  log.destroy();
  return { append: appendMbps, read, readAsync };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const f = (x: number) => x.toFixed(0);

async function main(): Promise<void> {
  console.log(`data dir: ${dir}; ${TOTAL / MiB} MiB per run, ${RUNS} runs of each after a warm-up run, each append run just after a raw run\n`);
  const raws: number[] = [];
  for (const size of [1024, 100 * 1024]) {
    // A first run of each size is consistently slower (JIT, libuv's thread pool and the page
    // cache warming up); the figures are of the steady state a running broker is in.
    await append(size, -1, false);
    const runs: { raw: number; append: number; read: number; readAsync: number; fresh: number }[] = [];
    for (let run = 0; run < RUNS; run++) {
      const raw = rawWrite(MiB);
      const r = await append(size, run, false);
      runs.push({ raw, ...r, fresh: (await append(size, run, true)).append });
    }
    raws.push(...runs.map((r) => r.raw));
    const ratio = median(runs.map((r) => (100 * r.append) / r.raw));
    const detail = runs.map((r) => `${f(r.append)}/${f(r.raw)}`).join(' ');
    const label = `${String(size / 1024).padStart(3)} KiB batches`;
    console.log(`append ${label}               ${f(median(runs.map((r) => r.append))).padStart(5)} MB/s  (${f(ratio)}% of raw; append/raw per run: ${detail})`);
    console.log(`append ${label}, fresh buffers ${f(median(runs.map((r) => r.fresh))).padStart(5)} MB/s  (${f(median(runs.map((r) => (100 * r.fresh) / r.raw)))}% of raw)`);
    console.log(`sequential read of recent data (${size / 1024} KiB)   ${f(median(runs.map((r) => r.read))).padStart(5)} MB/s  (readAsync: ${f(median(runs.map((r) => r.readAsync)))} MB/s)`);
  }
  console.log(`raw sequential write (1 MiB writes + fsync)   ${f(median(raws)).padStart(5)} MB/s  (median of ${raws.length} runs: ${raws.map(f).join(' ')})`);
  rmSync(dir, { recursive: true, force: true });
}

main().catch((err) => { console.error(err); rmSync(dir, { recursive: true, force: true }); process.exit(1); });
