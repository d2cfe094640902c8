/**
 * Producer state snapshots (`<offset>.snapshot`): taken when a segment rolls
 * and at a clean shutdown; at the next start the newest one is loaded and only
 * the batches after it are replayed (shown by rewriting the producer ids in the
 * batch headers before it: a replay would see them); a damaged one is moved
 * aside with a report and an older one or the log start is used; after an
 * unclean stop those past the recovered data go; truncation, retention,
 * DeleteRecords and a follower starting over delete what no longer applies;
 * a log whose state was never loaded still gets them.
 */
import t from 'tap';
import { existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, truncateSync, unlinkSync, writeFileSync, writeSync, closeSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LogManager } from '../../src/log/log-manager.js';
import { PartitionLog } from '../../src/log/partition-log.js';
import { ProducerStateManager } from '../../src/log/producer-state-manager.js';
import { snapshotFileName } from '../../src/log/producer-snapshots.js';
import { writeRecoveryPoints } from '../../src/log/recovery-points.js';
import { buildBatch } from '../../src/wire/records/batch-builder.js';
import { BatchHeader, BATCH_HEADER_SIZE } from '../../src/wire/records/batch-header.js';

const PID = 7;
/** About 150 bytes a batch: a 1 KiB segment holds 6. */
const config = { segmentBytes: 1024, indexIntervalBytes: 256 };

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-snap-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** One-record batch of producer `pid` with sequence `seq` (offset = seq when the log holds only these). */
const idem = (seq: number, pid = PID, epoch = 0) =>
  buildBatch([{ value: `value-${seq}-${'x'.repeat(60)}` }], { producerId: pid, producerEpoch: epoch, baseSequence: seq });

/**
 * Appends `n` batches checked against the log's state as the broker does,
 * each written before the next; with `flush`, each is fsynced too (the
 * recovery point keeps up, as it does when segments take longer to fill than an fsync).
 */
async function produce(log: PartitionLog, from: number, n: number, flush = false): Promise<void> {
  for (let seq = from; seq < from + n; seq++) {
    const c = log.producerState().check({ producerId: PID, producerEpoch: 0, baseSequence: seq, lastOffsetDelta: 0 });
    if (c.kind !== 'ok') throw new Error(`seq ${seq}: ${JSON.stringify(c)}`);
    await log.append(idem(seq), 0).done;
    if (flush) log.flush();
  }
}

const lastSeq = (state: ProducerStateManager, pid = PID) => state.entry(pid)?.batches.at(-1)?.lastSeq;
const segmentBases = (partDir: string) => readdirSync(partDir).filter((f) => f.endsWith('.log')).map((f) => Number(f.slice(0, 20))).sort((a, b) => a - b);
const snapshotFiles = (partDir: string) => readdirSync(partDir).filter((f) => /^\d{20}\.snapshot$/.test(f)).map((f) => Number(f.slice(0, 20))).sort((a, b) => a - b);
function readSnapshot(partDir: string, offset: number): ProducerStateManager {
  const m = new ProducerStateManager();
  m.loadSnapshot(readFileSync(join(partDir, snapshotFileName(offset))));
  return m;
}

/**
 * Rewrites the producer id of every batch header below `before` in the
 * segment files (CRCs no longer match; a clean open does not check them): a
 * replay over those batches would find producer 99 and lose producer 7.
 */
function rewriteProducerIds(partDir: string, before: number): void {
  for (const base of segmentBases(partDir)) {
    const path = join(partDir, `${String(base).padStart(20, '0')}.log`);
    const bytes = readFileSync(path);
    for (let at = 0; at + BATCH_HEADER_SIZE <= bytes.length;) {
      const h = new BatchHeader(bytes, at);
      if (h.baseOffset < before && h.producerId >= 0) bytes.writeBigInt64BE(99n, at + 43);
      at += h.sizeInBytes;
    }
    writeFileSync(path, bytes);
  }
}

async function written(t: { teardown(fn: () => void): void }, batches: number): Promise<{ dir: string; partDir: string; reports: string[] }> {
  const dir = tempDir(t);
  const reports: string[] = [];
  const m = LogManager.open(dir, { configFor: () => config, report: (r) => reports.push(r) });
  await produce(m.create('p', 0, config), 0, batches);
  await m.close();
  return { dir, partDir: join(dir, 'p-0'), reports };
}

function reopen(t: { teardown(fn: () => unknown): void }, dir: string, reports: string[] = []): PartitionLog {
  const m = LogManager.open(dir, { configFor: () => config, report: (r) => reports.push(r) });
  t.teardown(() => m.close());
  return m.get('p', 0)!;
}

t.test('a roll snapshots the state before the batch that rolled; a clean close snapshots at the log end', async (t) => {
  const dir = tempDir(t);
  const m = LogManager.open(dir, { configFor: () => config, report: () => {} });
  const log = m.create('p', 0, config);
  await produce(log, 0, 30, true);
  const partDir = join(dir, 'p-0');
  const bases = segmentBases(partDir);
  t.ok(bases.length >= 4, `the log rolled (${bases.length} segments)`);
  const snaps = snapshotFiles(partDir);
  t.same(log.producerSnapshotOffsets(), snaps, 'the log knows the files it wrote');
  t.ok(snaps.every((o) => bases.includes(o) && o > 0), `every snapshot is at a rolled segment's base (${snaps})`);
  t.ok(snaps.includes(bases.at(-1)!), 'one at the newest segment');
  t.same(snaps, bases.slice(-2), `those of the last two segments are kept, not one per roll (${bases.length - 1} rolls)`);
  t.equal(lastSeq(readSnapshot(partDir, bases.at(-1)!)), bases.at(-1)! - 1, 'it holds the batch before the roll, not the one that caused it');
  t.notOk(existsSync(join(partDir, `${snapshotFileName(bases.at(-1)!)}.tmp`)), 'no temporary file stays');
  await m.close();
  t.ok(snapshotFiles(partDir).includes(30), 'a clean close adds one at the log end');
  t.equal(lastSeq(readSnapshot(partDir, 30)), 29);
});

t.test('after a clean restart the state comes from the snapshot at the log end: no batch is replayed', async (t) => {
  const { dir, partDir } = await written(t, 30);
  rewriteProducerIds(partDir, 30);
  const log = reopen(t, dir);
  const state = log.producerState();
  t.equal(state.entry(99), undefined, 'no batch header was read');
  t.equal(lastSeq(state), 29, 'producer 7 as the snapshot has it');
  t.equal(state.check({ producerId: PID, producerEpoch: 0, baseSequence: 29, lastOffsetDelta: 0 }).kind, 'duplicate', 'a retry of the last batch is a duplicate');
  t.same(state.check({ producerId: PID, producerEpoch: 0, baseSequence: 30, lastOffsetDelta: 0 }), { kind: 'ok' }, 'the next sequence follows');
  t.equal(state.check({ producerId: PID, producerEpoch: 0, baseSequence: 32, lastOffsetDelta: 0 }).kind, 'error', 'a gap is still out of order');
});

t.test('only the batches after the newest snapshot are replayed', async (t) => {
  const { dir, partDir } = await written(t, 30);
  unlinkSync(join(partDir, snapshotFileName(30)));
  const newest = snapshotFiles(partDir).at(-1)!;
  t.ok(newest > 0 && newest < 30, `a roll's snapshot is the newest (${newest})`);
  rewriteProducerIds(partDir, newest);
  const state = reopen(t, dir).producerState();
  t.equal(state.entry(99), undefined, 'batches before the snapshot were not read');
  t.equal(lastSeq(state), 29, 'batches after it were');
  t.equal(state.entry(PID)!.batches.length, 5, 'the last five batches, for duplicate checks');
});

t.test('a damaged snapshot is moved aside with a report; an older one, then the log start, is used', async (t) => {
  const { dir, partDir } = await written(t, 30);
  const f = join(partDir, snapshotFileName(30));
  const bytes = readFileSync(f);
  bytes[bytes.length - 1] ^= 0xff;
  writeFileSync(f, bytes);
  const reports: string[] = [];
  const log = reopen(t, dir, reports);
  t.equal(lastSeq(log.producerState()), 29, 'the state is whole: from the older snapshot and a replay after it');
  t.match(reports.join('\n'), /snapshot at offset 30 cannot be loaded \(producer snapshot CRC mismatch\); moved aside/);
  t.ok(existsSync(`${f}.corrupt`), 'kept as .corrupt, not deleted');
  t.notOk(log.producerSnapshotOffsets().includes(30));
  t.equal(log.producerState().check({ producerId: PID, producerEpoch: 0, baseSequence: 30, lastOffsetDelta: 0 }).kind, 'ok');
});

t.test('every snapshot unreadable (empty, cut, not a file): the log is replayed from its start', async (t) => {
  const { dir, partDir } = await written(t, 30);
  const snaps = snapshotFiles(partDir);
  t.ok(snaps.length >= 2);
  truncateSync(join(partDir, snapshotFileName(snaps[0]!)), 0);
  truncateSync(join(partDir, snapshotFileName(snaps[1]!)), 7);
  for (const o of snaps.slice(2)) { unlinkSync(join(partDir, snapshotFileName(o))); writeFileSync(join(partDir, snapshotFileName(o)), Buffer.from([0, 9, 0, 0, 0, 0, 0, 0, 0, 0])); }
  const reports: string[] = [];
  const log = reopen(t, dir, reports);
  t.equal(lastSeq(log.producerState()), 29, 'no producer state is lost');
  t.equal(reports.filter((r) => /cannot be loaded/.test(r)).length, snaps.length, 'each one reported');
  t.match(reports.join('\n'), /version 9 not supported/);
  t.match(reports.join('\n'), /truncated/);
  t.same(log.producerSnapshotOffsets(), [], 'none is tried again');
});

t.test('after an unclean stop, snapshots past the recovered data are deleted and the state follows what was kept', async (t) => {
  const dir = tempDir(t);
  const m = LogManager.open(dir, { configFor: () => config, report: () => {} });
  const log = m.create('p', 0, config);
  await produce(log, 0, 30);
  m.abandon();
  const partDir = join(dir, 'p-0');
  const bases = segmentBases(partDir);
  const second = bases.at(-2)!;
  t.ok(snapshotFiles(partDir).includes(bases.at(-1)!), 'a snapshot at the newest segment before the crash');
  // A torn write in the segment before the newest: recovery cuts it there and moves the newest aside.
  const path = join(partDir, `${String(second).padStart(20, '0')}.log`);
  truncateSync(path, statSync(path).size - 20);
  const reports: string[] = [];
  const m2 = LogManager.open(dir, { configFor: () => config, report: (r) => reports.push(r) });
  t.teardown(() => m2.close());
  const log2 = m2.get('p', 0)!;
  const keptUpTo = bases.at(-1)! - 2; // the torn batch was the last of its segment
  t.ok(log2.producerSnapshotOffsets().every((o) => o <= keptUpTo), `no snapshot past the data kept (${log2.producerSnapshotOffsets()})`);
  t.equal(lastSeq(log2.producerState()), keptUpTo, 'the state ends with the last batch kept');
  t.same(log2.producerState().check({ producerId: PID, producerEpoch: 0, baseSequence: keptUpTo + 1, lastOffsetDelta: 0 }), { kind: 'ok' }, 'the producer resends from there');
});

t.test('after an unclean stop the snapshot at the first segment recovery verifies is loaded: batches before it are not read', async (t) => {
  const dir = tempDir(t);
  const m = LogManager.open(dir, { configFor: () => config, report: () => {} });
  await produce(m.create('p', 0, config), 0, 30);
  m.abandon();
  const partDir = join(dir, 'p-0');
  const last = segmentBases(partDir).at(-1)!;
  // Recovery verifies only the newest segment: everything before it was fsynced.
  writeRecoveryPoints(dir, [{ topic: 'p', partition: 0, offset: last }]);
  rewriteProducerIds(partDir, last);
  const log = reopen(t, dir);
  t.ok(log.producerSnapshotOffsets().includes(last));
  t.equal(log.producerState().entry(99), undefined, 'the verified segment was replayed from its snapshot only');
  t.equal(lastSeq(log.producerState()), 29);
});

t.test('truncation deletes the snapshots above the truncation point and the state is loaded again there', async (t) => {
  const log = PartitionLog.open(tempDir(t), 'p', 0, config);
  t.teardown(() => log.close());
  await produce(log, 0, 30);
  const before = log.producerSnapshotOffsets();
  const cut = before[0]! - 2;
  const state = log.producerState();
  await log.truncateTo(cut);
  t.ok(log.producerSnapshotOffsets().every((o) => o <= cut), `none above ${cut} (were ${before})`);
  t.not(log.producerState(), state, 'the old state is dropped');
  t.equal(lastSeq(log.producerState()), cut - 1);
  await produce(log, cut, 3);
  t.equal(log.logEndOffset, cut + 3);
});

t.test('retention and DeleteRecords delete the snapshots below the log start', async (t) => {
  const log = PartitionLog.open(tempDir(t), 'p', 0, { ...config, retentionBytes: 2048 });
  t.teardown(() => log.close());
  await produce(log, 0, 60);
  t.ok(log.applyRetention(Date.now()) > 0, 'segments deleted');
  t.ok(log.producerSnapshotOffsets().every((o) => o >= log.logStartOffset), 'none below the log start');
  const newest = log.producerSnapshotOffsets().at(-1)!;
  log.deleteRecordsBefore(newest + 1);
  t.same(log.producerSnapshotOffsets(), [], 'DeleteRecords past every snapshot removes them');
  t.equal(lastSeq(log.producerState()), 59, 'the loaded state stays');
});

t.test('a follower starting over deletes every snapshot; its state is empty', async (t) => {
  const dir = tempDir(t);
  const log = PartitionLog.open(dir, 'p', 0, config);
  t.teardown(() => log.close());
  await produce(log, 0, 20);
  await log.truncateFullyAndStartAt(100);
  t.same(log.producerSnapshotOffsets(), []);
  t.equal(log.producerState().size, 0);
  await log.snapshotProducerState();
  t.same(snapshotFiles(join(dir, 'p-0')), [100], 'a clean stop snapshots the empty state at the new start');
});

t.test('a log whose state was never loaded still gets snapshots at rolls and at the close', async (t) => {
  const dir = tempDir(t);
  const partDir = join(dir, 'p-0');
  const plain = (i: number) => buildBatch([{ value: `plain-${i}-${'y'.repeat(60)}` }]);
  let m = LogManager.open(dir, { configFor: () => config, report: () => {} });
  let log = m.create('p', 0, config);
  for (let i = 0; i < 20; i++) await log.append(plain(i), 0).done;
  await m.close();
  const first = snapshotFiles(partDir);
  t.ok(first.includes(20), 'at the log end');
  t.ok(first.length >= 2, `and at rolls (${first})`);
  t.equal(readSnapshot(partDir, 20).size, 0, 'an empty state');

  m = LogManager.open(dir, { configFor: () => config, report: () => {} });
  log = m.get('p', 0)!;
  for (let i = 20; i < 40; i++) await log.append(plain(i), 0).done;
  await m.close();
  const second = snapshotFiles(partDir);
  t.ok(second.includes(40) && second.some((o) => o > 20 && o < 40), `copied forward at rolls and the close (${second})`);

  // Producer 7 comes: its state is built from the snapshot at 40, with no scan of the 40 plain batches.
  rewriteProducerIds(partDir, 40);
  m = LogManager.open(dir, { configFor: () => config, report: () => {} });
  t.teardown(() => m.close());
  log = m.get('p', 0)!;
  await produce(log, 0, 3);
  t.equal(lastSeq(log.producerState()), 2);
});

t.test('leftover temporary snapshot files are removed at open', async (t) => {
  const { dir, partDir } = await written(t, 10);
  const tmp = join(partDir, `${snapshotFileName(3)}.tmp`);
  const fd = openSync(tmp, 'w');
  writeSync(fd, 'half');
  closeSync(fd);
  const log = reopen(t, dir);
  t.notOk(existsSync(tmp));
  t.equal(lastSeq(log.producerState()), 9);
});
