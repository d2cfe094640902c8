/**
 * `make bench-log`: append MB/s for 1 KiB and 100 KiB batches and sequential
 * read MB/s of recent data, next to the raw sequential write speed of the same
 * disk measured here with a plain write loop. A benchmark, not a test.
 */
import { closeSync, mkdtempSync, openSync, rmSync, writeSync, fsyncSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PartitionLog } from '../src/log/partition-log.js';
import { buildBatch } from '../src/wire/records/batch-builder.js';

const MiB = 1 << 20;
const TOTAL = 512 * MiB;
const dir = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), 'samsa-bench-log-'));

function rawWrite(chunk: number): number {
  const fd = openSync(join(dir, `raw-${chunk}`), 'w');
  const buf = Buffer.alloc(chunk, 1);
  const t0 = performance.now();
  for (let done = 0; done < TOTAL; done += chunk) writeSync(fd, buf);
  fsyncSync(fd);
  closeSync(fd);
  return TOTAL / MiB / ((performance.now() - t0) / 1000);
}

async function append(batchBytes: number): Promise<{ append: number; read: number }> {
  const log = PartitionLog.open(dir, `bench-${batchBytes}`, 0, { segmentBytes: 256 * MiB });
  const values = Math.max(1, Math.floor(batchBytes / 1024));
  const template = buildBatch(Array.from({ length: values }, () => ({ value: Buffer.alloc(Math.min(batchBytes, 1024) - 20, 7) })));
  const t0 = performance.now();
  let pending: Promise<void>[] = [];
  for (let done = 0; done < TOTAL; done += template.length) {
    pending.push(log.append(Buffer.from(template), 0).done);
    if (pending.length >= 256) { await Promise.all(pending); pending = []; }
  }
  await Promise.all(pending);
  log.flush();
  const appendMbps = TOTAL / MiB / ((performance.now() - t0) / 1000);
  const t1 = performance.now();
  let read = 0;
  for (let offset = 0; offset < log.logEndOffset;) {
    const { chunks, bytes } = log.read(offset, MiB, log.logEndOffset);
    if (bytes === 0) break;
    read += bytes;
    const last = chunks[chunks.length - 1]!;
    // Next offset: after the last batch read (walk headers of the last chunk).
    let at = 0, next = offset;
    while (at < last.length) { next = Number(last.readBigInt64BE(at)) + last.readInt32BE(at + 23) + 1; at += last.readInt32BE(at + 8) + 12; }
    offset = next;
  }
  const readMbps = read / MiB / ((performance.now() - t1) / 1000);
  log.close();
  return { append: appendMbps, read: readMbps };
}

async function main(): Promise<void> {
  console.log(`data dir: ${dir}; ${TOTAL / MiB} MiB per run\n`);
  const raw = rawWrite(MiB);
  console.log(`raw sequential write (1 MiB writes + fsync)  ${raw.toFixed(0)} MB/s`);
  for (const size of [1024, 100 * 1024]) {
    const r = await append(size);
    console.log(`append ${String(size / 1024).padStart(3)} KiB batches                   ${r.append.toFixed(0)} MB/s  (${((100 * r.append) / raw).toFixed(0)}% of raw)`);
    console.log(`sequential read of recent data (${size / 1024} KiB)       ${r.read.toFixed(0)} MB/s`);
  }
  rmSync(dir, { recursive: true, force: true });
}

main().catch((err) => { console.error(err); rmSync(dir, { recursive: true, force: true }); process.exit(1); });
