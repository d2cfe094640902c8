/**
 * The .index and .timeindex files beside each segment: their entries, loading
 * them at a clean open, rebuilding them when they are missing, short or wrong,
 * and removing them with their segment.
 */
import t from 'tap';
import { mkdtempSync, rmSync, readFileSync, readdirSync, unlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PartitionLog } from '../../src/log/partition-log.js';
import { LogManager } from '../../src/log/log-manager.js';
import type { LogConfig } from '../../src/log/log-config.js';
import { BatchHeader } from '../../src/wire/records/batch-header.js';
import { buildBatch } from '../../src/wire/records/batch-builder.js';

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-index-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const batch = (n: number, timestamp = 1_000_000 + n) => buildBatch([{ key: `key-${n}`, value: `value-${n}-${'x'.repeat(n % 37)}`, timestamp }]);

interface LogBatch { position: number; baseOffset: number; lastOffset: number; size: number; maxTimestamp: number }

/** The batches of a .log file, read with the wire layer's header view. */
function batchesOf(file: string): LogBatch[] {
  const buf = readFileSync(file);
  const out: LogBatch[] = [];
  for (let at = 0; at < buf.length;) {
    const h = new BatchHeader(buf, at);
    out.push({ position: at, baseOffset: h.baseOffset, lastOffset: h.lastOffset, size: h.sizeInBytes, maxTimestamp: h.maxTimestamp });
    at += h.sizeInBytes;
  }
  return out;
}

const offsetEntries = (file: string) => {
  const b = readFileSync(file);
  return Array.from({ length: b.length / 8 }, (_, i) => [b.readInt32BE(i * 8), b.readInt32BE(i * 8 + 4)]);
};
const timeEntries = (file: string) => {
  const b = readFileSync(file);
  return Array.from({ length: b.length / 12 }, (_, i) => [Number(b.readBigInt64BE(i * 12)), b.readInt32BE(i * 12 + 8)]);
};

/** What the index files of a segment should hold, from Kafka's rules applied to its .log. */
function expectedEntries(batches: LogBatch[], base: number, interval: number, closed: boolean) {
  const offsets: number[][] = [], times: number[][] = [];
  let since = Infinity, max = -1, maxOffset = -1;
  const addTime = () => { if (max > (times.at(-1)?.[0] ?? -1)) times.push([max, maxOffset - base]); };
  for (const b of batches) {
    if (b.maxTimestamp > max) { max = b.maxTimestamp; maxOffset = b.lastOffset; }
    if (since >= interval) { offsets.push([b.baseOffset - base, b.position]); addTime(); since = 0; }
    since += b.size;
  }
  if (closed) addTime();
  return { offsets, times };
}

const segFile = (dir: string, base: number, suffix: string) => join(dir, `${String(base).padStart(20, '0')}${suffix}`);

/** Reads every offset from the start and checks each read starts with the batch holding it. */
function checkReads(t: { same(found: unknown, wanted: unknown, message: string): unknown }, log: PartitionLog, what: string): void {
  const wrong: number[] = [];
  for (let o = log.logStartOffset; o < log.logEndOffset; o++) {
    const { chunks } = log.read(o, 1, log.logEndOffset);
    const h = chunks[0] && new BatchHeader(chunks[0]);
    if (!h || h.baseOffset > o || h.lastOffset < o) wrong.push(o);
  }
  t.same(wrong, [], `${what}: every offset reads back from the batch holding it`);
}

const config: Partial<LogConfig> = { indexIntervalBytes: 300, segmentBytes: 2000 };

async function fill(log: PartitionLog, from: number, to: number, timestamp?: (n: number) => number): Promise<void> {
  const dones = [];
  for (let n = from; n < to; n++) dones.push(log.append(batch(n, timestamp?.(n)), 0).done);
  await Promise.all(dones);
}

t.test('index files hold one offset entry per index.interval.bytes and a time entry when the largest timestamp grows', async (t) => {
  const dir = tempDir(t);
  const log = PartitionLog.open(dir, 'i', 0, config);
  // Timestamps go up and back down: a time entry only for a new largest one.
  await fill(log, 0, 60, (n) => 1_000_000 + (n % 7) * 100 + n);
  await log.settled();
  const bases = readdirSync(log.dir).filter((f) => f.endsWith('.log')).map((f) => Number(f.slice(0, 20))).sort((a, b) => a - b);
  t.ok(bases.length > 2, `${bases.length} segments`);
  // Inactive segments' files are complete once their writes are done; the
  // active segment's entries wait in memory for a few KiB of them or the close.
  for (const base of bases.slice(0, -1)) {
    const exp = expectedEntries(batchesOf(segFile(log.dir, base, '.log')), base, 300, true);
    t.same(offsetEntries(segFile(log.dir, base, '.index')), exp.offsets, `segment ${base}: .index entries`);
    t.same(timeEntries(segFile(log.dir, base, '.timeindex')), exp.times, `segment ${base}: .timeindex entries, the largest timestamp last`);
    t.ok(exp.offsets.length > 1 && exp.times.length > 1, 'several entries of each');
  }
  log.close();
  const last = bases.at(-1)!;
  const exp = expectedEntries(batchesOf(segFile(log.dir, last, '.log')), last, 300, true);
  t.same(offsetEntries(segFile(log.dir, last, '.index')), exp.offsets, 'active segment: .index entries after close');
  t.same(timeEntries(segFile(log.dir, last, '.timeindex')), exp.times, 'active segment: closing adds the largest timestamp as the last time entry');
});

t.test('a deleted or truncated .index or .timeindex is rebuilt at open and reads stay right', async (t) => {
  const dir = tempDir(t);
  const m = LogManager.open(dir);
  await fill(m.create('r', 0, config), 0, 60);
  await m.close();
  const logDir = join(dir, 'r-0');
  const bases = readdirSync(logDir).filter((f) => f.endsWith('.log')).map((f) => Number(f.slice(0, 20)));
  const original = new Map(readdirSync(logDir).filter((f) => f.includes('index')).map((f) => [f, readFileSync(join(logDir, f))]));
  const damages: [string, (base: number) => void][] = [
    ['deleted .index', (b) => unlinkSync(segFile(logDir, b, '.index'))],
    ['.index cut to whole entries', (b) => truncateSync(segFile(logDir, b, '.index'), 16)],
    ['.index cut inside an entry', (b) => truncateSync(segFile(logDir, b, '.index'), 13)],
    ['empty .index', (b) => truncateSync(segFile(logDir, b, '.index'), 0)],
    ['deleted .timeindex', (b) => unlinkSync(segFile(logDir, b, '.timeindex'))],
    ['.timeindex cut inside an entry', (b) => truncateSync(segFile(logDir, b, '.timeindex'), 17)],
  ];
  for (const [what, damage] of damages) {
    for (const b of bases) damage(b);
    const again = LogManager.open(dir, { configFor: () => config });
    const log = again.get('r', 0)!;
    t.equal(log.logEndOffset, 60, `${what}: end offset`);
    checkReads(t, log, what);
    t.same(log.maxTimestampOffset(), { offset: 59, timestamp: 1_000_059 }, `${what}: largest timestamp`);
    await again.close();
    const now = new Map(readdirSync(logDir).filter((f) => f.includes('index')).map((f) => [f, readFileSync(join(logDir, f))]));
    t.same(now, original, `${what}: the files are whole again`);
  }
});

t.test('garbage in the index files is rebuilt from the log, after an unclean and a clean shutdown', async (t) => {
  const dir = tempDir(t);
  let log = PartitionLog.open(dir, 'g', 0, config);
  await fill(log, 0, 40);
  log.close();
  const bases = readdirSync(log.dir).filter((f) => f.endsWith('.log')).map((f) => Number(f.slice(0, 20)));
  const original = new Map(readdirSync(log.dir).filter((f) => f.includes('index')).map((f) => [f, readFileSync(join(log.dir, f))]));
  const garbage = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 131 + 7) & 0xff));
  const past = Buffer.alloc(16);
  past.writeInt32BE(0, 0); past.writeInt32BE(0, 4); past.writeInt32BE(1, 8); past.writeInt32BE(1 << 30, 12);
  const backwards = Buffer.alloc(16);
  backwards.writeInt32BE(5, 0); backwards.writeInt32BE(0, 4); backwards.writeInt32BE(2, 8); backwards.writeInt32BE(100, 12);
  const cases: [string, Buffer, boolean][] = [
    ['garbage, unclean shutdown', garbage(64), false],
    ['garbage, clean shutdown', garbage(64), true],
    ['a position past the end of the log', past, true],
    ['offsets going backwards', backwards, true],
  ];
  for (const [what, bytes, clean] of cases) {
    for (const b of bases) {
      writeFileSync(segFile(log.dir, b, '.index'), bytes);
      writeFileSync(segFile(log.dir, b, '.timeindex'), garbage(36));
    }
    log = PartitionLog.open(dir, 'g', 0, config, clean);
    t.equal(log.logEndOffset, 40, `${what}: end offset`);
    checkReads(t, log, what);
    t.same(log.offsetForTimestamp(1_000_020), { offset: 20, timestamp: 1_000_020 }, `${what}: timestamp lookup`);
    log.close();
    const now = new Map(readdirSync(log.dir).filter((f) => f.includes('index')).map((f) => [f, readFileSync(join(log.dir, f))]));
    t.same(now, original, `${what}: rebuilt`);
  }
});

t.test('timestamp lookups after a clean reopen use the loaded time index', async (t) => {
  const dir = tempDir(t);
  const m = LogManager.open(dir);
  const log = m.create('ts', 0, config);
  // Timestamps rise by 10 per batch with a dip every fifth batch.
  const ts = (n: number) => 5_000 + n * 10 - (n % 5 === 4 ? 35 : 0);
  await fill(log, 0, 80, ts);
  const targets = [0, 4_999, 5_000, 5_001, 5_035, 5_400, 5_405, 5_555, 5_785, 5_790, 5_791, 9_999];
  const before = targets.map((x) => log.offsetForTimestamp(x));
  const expected = targets.map((x) => {
    for (let n = 0; n < 80; n++) if (ts(n) >= x) return { offset: n, timestamp: ts(n) };
    return null;
  });
  t.same(before, expected, 'lookups match a linear search');
  const maxBefore = log.maxTimestampOffset();
  await m.close();
  const again = LogManager.open(dir, { configFor: () => config });
  t.teardown(() => again.close());
  const reopened = again.get('ts', 0)!;
  t.same(targets.map((x) => reopened.offsetForTimestamp(x)), expected, 'the same answers after reopening');
  t.same(reopened.maxTimestampOffset(), maxBefore, 'largest timestamp and its offset from the time index');
  await fill(reopened, 80, 90, ts);
  t.same(reopened.offsetForTimestamp(ts(85)), { offset: 85, timestamp: ts(85) }, 'appends after reopening are found too');
});

t.test('a segment rolls when its index is full (segment.index.bytes)', async (t) => {
  const log = PartitionLog.open(tempDir(t), 'full', 0, { indexIntervalBytes: 0, segmentIndexBytes: 8 * 4 });
  t.teardown(() => log.close());
  await fill(log, 0, 12);
  t.ok(log.segmentCount() >= 4, `${log.segmentCount()} segments for 12 batches with room for 4 entries each`);
  for (const f of readdirSync(log.dir).filter((f) => f.endsWith('.index'))) t.ok(readFileSync(join(log.dir, f)).length <= 8 * 4, `${f} within segment.index.bytes`);
  checkReads(t, log, 'after index rolls');
});

t.test('index files go with their segment: retention, DeleteRecords, compaction', async (t) => {
  const dir = tempDir(t);
  const log = PartitionLog.open(dir, 'del', 0, { ...config, retentionMs: 60_000 });
  await fill(log, 0, 30, () => Date.now() - 3_600_000);
  await fill(log, 30, 60, () => Date.now());
  const segmentsOf = () => readdirSync(log.dir).filter((f) => /^\d{20}\./.test(f)).reduce((m, f) => m.set(f.slice(0, 20), [...(m.get(f.slice(0, 20)) ?? []), f.slice(20)].sort()), new Map<string, string[]>());
  t.ok(log.applyRetention() > 0, 'retention removed segments');
  t.ok(log.deleteRecordsBefore(45) === 45, 'DeleteRecords moved the start');
  log.close();
  for (const [base, files] of segmentsOf()) t.same(files, ['.index', '.log', '.timeindex'], `segment ${base} has all three files, and nothing is left of removed ones`);

  const compacted = PartitionLog.open(dir, 'cmp', 0, { compactPolicy: true, deletePolicy: false, segmentBytes: 600, indexIntervalBytes: 100, minCleanableDirtyRatio: 0 });
  const dones = [];
  for (let i = 0; i < 60; i++) dones.push(compacted.append(buildBatch([{ key: `k${i % 4}`, value: `value-${i}` }]), 0).done);
  await Promise.all(dones);
  t.ok(compacted.compact().segmentsRewritten > 0, 'segments rewritten');
  compacted.close();
  for (const f of readdirSync(compacted.dir).filter((f) => f.endsWith('.index'))) {
    const base = Number(f.slice(0, 20));
    t.same(offsetEntries(join(compacted.dir, f)), expectedEntries(batchesOf(segFile(compacted.dir, base, '.log')), base, 100, true).offsets, `${f} describes the rewritten log`);
  }
  const reopened = PartitionLog.open(dir, 'cmp', 0, { segmentBytes: 600, indexIntervalBytes: 100 }, true);
  t.teardown(() => reopened.close());
  t.equal(reopened.logEndOffset, 60, 'the compacted log reopens whole');
});

t.test('an index entry pointing inside a batch (damage the checks at open cannot see) fails the read, never loops', async (t) => {
  const dir = tempDir(t);
  let log = PartitionLog.open(dir, 'bad', 0, { indexIntervalBytes: 300 });
  await fill(log, 0, 40);
  log.close();
  const file = segFile(log.dir, 0, '.index');
  const entries = offsetEntries(file);
  t.ok(entries.length > 4, `${entries.length} entries`);
  const buf = readFileSync(file);
  // Entry 2 moves 5 bytes into its batch: still increasing and inside the log.
  buf.writeInt32BE(entries[2]![1]! + 5, 2 * 8 + 4);
  writeFileSync(file, buf);
  log = PartitionLog.open(dir, 'bad', 0, { indexIntervalBytes: 300 }, true);
  t.teardown(() => log.close());
  t.throws(() => log.read(entries[2]![0]!, 1 << 20, log.logEndOffset), /no record batch/);
  await t.rejects(log.readAsync(entries[2]![0]!, 1 << 20, log.logEndOffset), /no record batch/);
  t.equal(new BatchHeader(log.read(0, 1, log.logEndOffset).chunks[0]!).baseOffset, 0, 'reads elsewhere still work');
});
