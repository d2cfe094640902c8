/**
 * Child process of emfile.test.ts, run under a low `ulimit -n`; prints one
 * JSON line of what it saw. Not a test by itself.
 *
 * 1. log.max.open.files (1024) above the process's limit: the cache takes
 *    half the limit, and 400 partitions are created, appended to, read,
 *    closed and reopened after an unclean stop.
 * 2. No descriptor left at all: an append's write fails with EMFILE, later
 *    appends are refused (LogWriteError), reads fail with the error, the
 *    process goes on; once descriptors are free again the log cuts itself
 *    back and takes appends, and every acknowledged batch is there.
 */
import { closeSync, mkdirSync, openSync, readdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LogManager } from '../../../src/log/log-manager.js';
import { FileCache } from '../../../src/log/file-cache.js';
import { PartitionLog, LogWriteError } from '../../../src/log/partition-log.js';
import { writeRecoveryPoints } from '../../../src/log/recovery-points.js';
import { buildBatch } from '../../../src/wire/records/batch-builder.js';
import { BatchHeader } from '../../../src/wire/records/batch-header.js';

const dir = process.argv[2];
// `tap test/log` runs every file under it, this one too: without a directory it is not a test.
if (!dir) { console.log('1..0 # SKIP child process of emfile.test.ts'); process.exit(0); }

const PARTITIONS = 400;
const value = (p: number, i: number) => `p${p}-b${i}-${'y'.repeat(100)}`;
const errorOf = (fn: () => unknown): string => { try { fn(); return 'none'; } catch (err) { return (err as NodeJS.ErrnoException).code ?? (err as Error).name; } };

function values(log: PartitionLog): string[] {
  const bytes = Buffer.concat(log.read(0, 1 << 20, log.logEndOffset).chunks);
  const out: string[] = [];
  for (let at = 0; at < bytes.length;) {
    const h = new BatchHeader(bytes, at);
    out.push(/p\d+-b\d+-y+/.exec(bytes.subarray(at, at + h.sizeInBytes).toString('latin1'))![0]);
    at += h.sizeInBytes;
  }
  return out;
}

async function overLimit(): Promise<Record<string, unknown>> {
  const data = join(dir!, 'over-limit');
  const open = () => LogManager.open(data, { maxOpenFiles: 1024, configFor: () => ({ segmentBytes: 300 }), report: () => {} });
  let m = open();
  const logs = Array.from({ length: PARTITIONS }, (_, p) => m.create('t', p, { segmentBytes: 300 }));
  for (let i = 0; i < 3; i++) await Promise.all(logs.map((log, p) => log.append(buildBatch([{ value: value(p, i) }]), 0).done));
  const capacity = m.files.capacity;
  const peak = m.files.openCount;
  const readsOk = logs.every((log, p) => JSON.stringify(values(log)) === JSON.stringify([0, 1, 2].map((i) => value(p, i))));
  await m.close();
  unlinkSync(join(data, '.samsa-clean-shutdown'));
  writeRecoveryPoints(data, logs.map((_, p) => ({ topic: 't', partition: p, offset: 0 })));
  m = open();
  const reopenedOk = logs.every((_, p) => JSON.stringify(values(m.get('t', p)!)) === JSON.stringify([0, 1, 2].map((i) => value(p, i))));
  await m.close();
  return { capacity, peak, readsOk, reopenedOk };
}

async function noneLeft(): Promise<Record<string, unknown>> {
  const data = join(dir!, 'none-left');
  mkdirSync(data);
  const files = new FileCache(2);
  const reports: string[] = [];
  const log = PartitionLog.open(data, 'victim', 0, {}, true, { files, report: (r) => reports.push(r) });
  await log.append(buildBatch([{ value: value(0, 0) }]), 0).done;
  // Every descriptor the process may have, taken.
  const hog: number[] = [];
  for (;;) { try { hog.push(openSync('/dev/null', 'r')); } catch { break; } }
  // The victim's descriptor goes to another file, which stays pinned: nothing left to close either.
  const otherPath = join(data, 'other');
  closeSync(hog.pop()!);
  writeFileSync(otherPath, '');
  hog.push(openSync('/dev/null', 'r'));
  const other = files.file(otherPath);
  other.pin();
  const failedWrite = await log.append(buildBatch([{ value: value(0, 1) }]), 0).done.then(() => 'none', (err: NodeJS.ErrnoException) => err.code ?? err.message);
  let refused = 'none';
  try { log.append(buildBatch([{ value: value(0, 2) }]), 0); } catch (err) { refused = err instanceof LogWriteError ? 'LogWriteError' : String(err); }
  const readError = errorOf(() => log.read(0, 1 << 20, log.logEndOffset));
  const asyncReadError = await log.readAsync(0, 1 << 20, 1).then(() => 'none', (err: NodeJS.ErrnoException) => err.code ?? err.message);
  // Give everything back; the log recovers by itself (it retries every second).
  other.unpin();
  other.close();
  for (const fd of hog) closeSync(fd);
  const until = Date.now() + 10_000;
  while (log.offline && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  const recovered = log.offline === null;
  const after = await log.append(buildBatch([{ value: value(0, 3) }]), 0).done.then(() => 'ok', (err: Error) => err.message);
  const kept = values(log);
  log.close();
  return { failedWrite, refused, readError, asyncReadError, recovered, after, kept, reported: reports.some((r) => /write failed/.test(r)), leftovers: readdirSync(join(data, 'victim-0')).filter((f) => f.includes('corrupt')) };
}

const result = { overLimit: await overLimit(), noneLeft: await noneLeft() };
console.log(JSON.stringify(result));
