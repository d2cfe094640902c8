/**
 * Transaction indexes (`<base>.txnindex`): Kafka's entry format; an abort
 * marker indexes its transaction in the segment it lands in (a commit does
 * not); read_committed's aborted list comes from the indexes of the segments
 * read, across segments, and from the files after a restart; retention
 * deletes an index with its segment, truncation cuts it; after an unclean
 * stop an entry whose marker was lost goes and a lost entry comes back; a log
 * written before the files existed gets them from its first replay; a damaged
 * file keeps its whole entries; a follower's appends index aborts too.
 */
import t from 'tap';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LogManager } from '../../src/log/log-manager.js';
import { PartitionLog } from '../../src/log/partition-log.js';
import { ABORTED_TXN_SIZE, decodeAbortedTxns, encodeAbortedTxns } from '../../src/log/txn-index.js';
import { buildBatch } from '../../src/wire/records/batch-builder.js';
import { buildControlBatch, ControlType } from '../../src/wire/records/control-records.js';

const config = { segmentBytes: 1024, indexIntervalBytes: 256 };

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-txnidx-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const name = (base: number, suffix: string) => `${String(base).padStart(20, '0')}${suffix}`;
const txnIndexes = (partDir: string) => readdirSync(partDir).filter((f) => f.endsWith('.txnindex')).sort();
const entriesOf = (partDir: string, base: number) => decodeAbortedTxns(readFileSync(join(partDir, name(base, '.txnindex'))), base).entries;

/** Transactional batch of producer `pid` (epoch 0), `n` records from sequence `seq`. */
const txn = (pid: number, seq: number, n = 1) =>
  buildBatch(Array.from({ length: n }, (_, i) => ({ value: `txn-${pid}-${seq + i}-${'t'.repeat(50)}` })), { producerId: pid, producerEpoch: 0, baseSequence: seq, transactional: true });
const marker = (pid: number, commit: boolean) => buildControlBatch(commit ? ControlType.Commit : ControlType.Abort, pid, 0, 0, Date.now());
const plain = (i: number) => buildBatch([{ value: `plain-${i}-${'p'.repeat(80)}` }]);

async function append(log: PartitionLog, batch: Buffer): Promise<number> {
  const r = log.append(batch, 0);
  await r.done;
  return r.baseOffset;
}

t.test("entries are Kafka's AbortedTxn: version int16 0, producer id, first, last and last stable offsets as int64", async (t) => {
  const buf = encodeAbortedTxns([{ producerId: 2 ** 40, firstOffset: 5, lastOffset: 9, lastStableOffset: 7 }]);
  t.equal(buf.length, ABORTED_TXN_SIZE);
  t.equal(buf.toString('hex'), '0000' + '0000010000000000' + '0000000000000005' + '0000000000000009' + '0000000000000007');
  t.same(decodeAbortedTxns(buf, 0), { entries: [{ producerId: 2 ** 40, firstOffset: 5, lastOffset: 9, lastStableOffset: 7 }], whole: true });
  t.same(decodeAbortedTxns(Buffer.concat([buf, buf]), 0).entries.length, 1, 'a marker offset that does not increase ends the entries');
  t.equal(decodeAbortedTxns(Buffer.concat([buf, Buffer.alloc(5)]), 0).whole, false, 'a torn tail is noticed');
});

t.test('an abort marker indexes its transaction with the LSO after it; a commit indexes nothing', async (t) => {
  const dir = tempDir(t);
  const log = PartitionLog.open(dir, 'x', 0, { segmentBytes: 1 << 20 });
  t.teardown(() => log.close());
  const a0 = await append(log, txn(5, 0, 2)); // 0..1
  const b0 = await append(log, txn(6, 0)); // 2: producer 6 opens a transaction
  await append(log, txn(5, 2)); // 3
  const abort5 = await append(log, marker(5, false)); // 4
  const commit6 = await append(log, marker(6, true)); // 5
  await append(log, txn(5, 3)); // 6
  const abort5b = await append(log, marker(5, false)); // 7
  t.same([a0, b0, abort5, commit6, abort5b], [0, 2, 4, 5, 7]);
  const partDir = join(dir, 'x-0');
  t.same(txnIndexes(partDir), [name(0, '.txnindex')], 'one file, for the segment that has the aborts');
  t.same(entriesOf(partDir, 0), [
    { producerId: 5, firstOffset: 0, lastOffset: 4, lastStableOffset: 2 },
    { producerId: 5, firstOffset: 6, lastOffset: 7, lastStableOffset: 8 },
  ], 'producer 6 still open bounds the first LSO; nothing open after the second');
  t.same(log.abortedTxns(0, 8).map((a) => [a.producerId, a.firstOffset, a.lastOffset]), [[5, 0, 4], [5, 6, 7]]);
  t.same(log.abortedTxns(5, 8).map((a) => a.firstOffset), [6], 'ranges ended before the fetch are left out');
  t.same(log.abortedTxns(0, 4).map((a) => a.firstOffset), [0], 'and ranges starting at or past its upper bound');
});

t.test('a transaction spanning segments is found from the segment where the fetch starts', async (t) => {
  const dir = tempDir(t);
  const log = PartitionLog.open(dir, 'x', 0, config);
  t.teardown(() => log.close());
  const first = await append(log, txn(9, 0));
  for (let i = 0; i < 20; i++) await append(log, plain(i));
  const abort = await append(log, marker(9, false));
  t.ok(log.segmentCount() >= 3, `the transaction spans ${log.segmentCount()} segments`);
  const partDir = join(dir, 'x-0');
  t.equal(txnIndexes(partDir).length, 1, 'indexed once, in the segment of its marker');
  t.same(log.abortedTxns(first, first + 1).map((a) => [a.producerId, a.firstOffset, a.lastOffset]), [[9, first, abort]], 'a fetch of the first segment gets it');
  t.same(log.abortedTxns(abort + 1, abort + 2), [], 'a fetch after the marker does not');
});

t.test('after a clean restart the aborted list is read from the index files', async (t) => {
  const dir = tempDir(t);
  const m = LogManager.open(dir, { configFor: () => config, report: () => {} });
  const log = m.create('x', 0, config);
  await append(log, txn(3, 0, 2));
  await append(log, marker(3, false));
  await m.close();
  const partDir = join(dir, 'x-0');
  // The file is what is read: an entry written into it shows up (a scan of the log would not find it).
  writeFileSync(join(partDir, name(0, '.txnindex')), encodeAbortedTxns([{ producerId: 3, firstOffset: 1, lastOffset: 2, lastStableOffset: 3 }]));
  const m2 = LogManager.open(dir, { configFor: () => config, report: () => {} });
  t.teardown(() => m2.close());
  t.same(m2.get('x', 0)!.abortedTxns(0, 3).map((a) => a.firstOffset), [1]);
});

t.test('retention deletes an index with its segment; truncation cuts the entries past the cut', async (t) => {
  const dir = tempDir(t);
  const log = PartitionLog.open(dir, 'x', 0, { ...config, retentionBytes: 1024 });
  t.teardown(() => log.close());
  const partDir = join(dir, 'x-0');
  await append(log, txn(1, 0));
  await append(log, marker(1, false));
  for (let i = 0; i < 12; i++) await append(log, plain(i));
  await append(log, txn(2, 0));
  const abort2 = await append(log, marker(2, false));
  await append(log, txn(2, 1));
  const abort2b = await append(log, marker(2, false));
  t.equal(txnIndexes(partDir).length, 2);
  t.ok(log.applyRetention(Date.now()) > 0);
  t.notOk(existsSync(join(partDir, name(0, '.txnindex'))), "the first segment's index went with it");
  await log.truncateTo(abort2b);
  t.same(log.abortedTxns(log.logStartOffset, log.logEndOffset).map((a) => a.lastOffset), [abort2], 'the abort past the cut is gone');
  const [file] = txnIndexes(partDir);
  t.equal(statSync(join(partDir, file!)).size, ABORTED_TXN_SIZE, 'from the file too');
  await log.truncateTo(abort2);
  t.same(txnIndexes(partDir), [], 'an index left empty is deleted');
});

t.test('after an unclean stop the verified segments are indexed again from their markers', async (t) => {
  const dir = tempDir(t);
  const m = LogManager.open(dir, { configFor: () => config, report: () => {} });
  const log = m.create('x', 0, config);
  await append(log, txn(4, 0));
  const abortA = await append(log, marker(4, false));
  for (let i = 0; i < 10; i++) await append(log, plain(i));
  await append(log, txn(4, 1));
  const abortB = await append(log, marker(4, false));
  const end = log.logEndOffset;
  m.abandon();
  const partDir = join(dir, 'x-0');
  const files = txnIndexes(partDir);
  t.equal(files.length, 2);
  // A crash lost the index entry of a marker that reached the log (power loss), and the log lost a
  // marker whose entry was written (killed while its data waited in the write queue).
  unlinkSync(join(partDir, files[0]!));
  appendFileSync(join(partDir, files[1]!), encodeAbortedTxns([{ producerId: 4, firstOffset: end, lastOffset: end + 1, lastStableOffset: end + 2 }]));
  const m2 = LogManager.open(dir, { configFor: () => config, report: () => {} });
  t.teardown(() => m2.close());
  const log2 = m2.get('x', 0)!;
  t.same(log2.abortedTxns(0, end + 5).map((a) => a.lastOffset), [abortA, abortB], 'both aborts of the log, and only those');
  t.same(entriesOf(partDir, Number(files[1]!.slice(0, 20))).map((e) => e.lastOffset), [abortB], 'the file was rewritten');
  t.ok(existsSync(join(partDir, files[0]!)), 'the lost file is back');
});

t.test('a log written before index files existed gets them from its first replay', async (t) => {
  const dir = tempDir(t);
  const m = LogManager.open(dir, { configFor: () => config, report: () => {} });
  const log = m.create('x', 0, config);
  await append(log, txn(8, 0));
  const abort = await append(log, marker(8, false));
  for (let i = 0; i < 10; i++) await append(log, plain(i));
  await m.close();
  const partDir = join(dir, 'x-0');
  for (const f of readdirSync(partDir)) if (f.endsWith('.txnindex') || f.endsWith('.snapshot')) unlinkSync(join(partDir, f));
  const m2 = LogManager.open(dir, { configFor: () => config, report: () => {} });
  t.teardown(() => m2.close());
  t.same(m2.get('x', 0)!.abortedTxns(0, 100).map((a) => [a.producerId, a.firstOffset, a.lastOffset]), [[8, 0, abort]]);
  t.equal(txnIndexes(partDir).length, 1);
});

t.test('a damaged index keeps its whole entries, reports the rest and is rewritten at the next abort', async (t) => {
  const dir = tempDir(t);
  const m = LogManager.open(dir, { configFor: () => ({ segmentBytes: 1 << 20 }), report: () => {} });
  const log = m.create('x', 0, { segmentBytes: 1 << 20 });
  await append(log, txn(2, 0));
  const abort = await append(log, marker(2, false));
  await m.close();
  const path = join(dir, 'x-0', name(0, '.txnindex'));
  appendFileSync(path, Buffer.from('garbage'));
  const reports: string[] = [];
  const m2 = LogManager.open(dir, { configFor: () => ({ segmentBytes: 1 << 20 }), report: (r) => reports.push(r) });
  t.teardown(() => m2.close());
  const log2 = m2.get('x', 0)!;
  t.same(log2.abortedTxns(0, 10).map((a) => a.lastOffset), [abort]);
  t.match(reports.join('\n'), /txnindex: 41 bytes, of which the first 34 are whole entries/);
  await append(log2, txn(2, 1));
  await append(log2, marker(2, false));
  t.equal(statSync(path).size, 2 * ABORTED_TXN_SIZE, 'whole entries only');
});

t.test("a follower's appends index the aborts they carry", async (t) => {
  const leader = PartitionLog.open(tempDir(t), 'x', 0, { segmentBytes: 1 << 20 });
  t.teardown(() => leader.close());
  await append(leader, txn(6, 0, 3));
  await append(leader, plain(0));
  await append(leader, marker(6, false));
  const fetched = Buffer.concat(leader.read(0, 1 << 20, leader.logEndOffset).chunks);
  const follower = PartitionLog.open(tempDir(t), 'x', 0, { segmentBytes: 1 << 20 });
  t.teardown(() => follower.close());
  await follower.appendAsFollower(fetched).done;
  t.same(follower.abortedTxns(0, 10).map((a) => [a.producerId, a.firstOffset, a.lastOffset]), [[6, 0, 4]]);
  t.equal(follower.producerState().entry(6)!.producerEpoch, 0, "and the follower's producer state follows");
  t.equal(follower.producerState().firstUnstableOffset(), Infinity);
});

t.test('a clean open that cuts a torn tail drops the index entries of the markers in it', async (t) => {
  const dir = tempDir(t);
  const cfg = { segmentBytes: 1 << 20 };
  const m = LogManager.open(dir, { configFor: () => cfg, report: () => {} });
  const log = m.create('x', 0, cfg);
  await append(log, txn(1, 0));
  const abort = await append(log, marker(1, false));
  await m.close();
  const path = join(dir, 'x-0', name(0, '.log'));
  truncateSync(path, statSync(path).size - 10);
  const m2 = LogManager.open(dir, { configFor: () => cfg, report: () => {} });
  t.teardown(() => m2.close());
  const log2 = m2.get('x', 0)!;
  t.equal(log2.logEndOffset, abort, 'the torn marker is gone');
  t.same(log2.abortedTxns(0, 10), [], 'and its index entry with it');
  await append(log2, txn(2, 0));
  const again = await append(log2, marker(2, false));
  t.same(log2.abortedTxns(0, 10).map((a) => [a.producerId, a.firstOffset, a.lastOffset]), [[2, abort, again]], 'a new abort indexed in its place');
});
