import t from 'tap';
import { mkdtempSync, rmSync, copyFileSync, readdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PartitionLog } from '../../src/log/partition-log.js';
import { BatchHeader, Compression } from '../../src/wire/records/batch-header.js';
import { buildBatch } from '../../src/wire/records/batch-builder.js';
import { readRecords } from '../../src/wire/records/record-reader.js';
import { buildControlBatch, ControlType } from '../../src/wire/records/control-records.js';

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-clean-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Every record of the log as [offset, key, value]. */
function contents(log: PartitionLog): [number, string | null, string | null][] {
  const out: [number, string | null, string | null][] = [];
  for (const c of log.read(0, 1 << 30, log.logEndOffset).chunks) {
    for (let at = 0; at < c.length;) {
      const h = new BatchHeader(c, at);
      if (!h.isControl) for (const r of readRecords(new BatchHeader(c.subarray(at, at + h.sizeInBytes)))) out.push([r.offset, r.key?.toString() ?? null, r.value?.toString() ?? null]);
      at += h.sizeInBytes;
    }
  }
  return out;
}

const compactConfig = { compactPolicy: true, deletePolicy: false, segmentBytes: 400, minCleanableDirtyRatio: 0, deleteRetentionMs: 60_000 };

async function fill(log: PartitionLog, writes: [string, string | null][], compression = Compression.None, timestamp = Date.now()) {
  for (const [key, value] of writes) await log.append(buildBatch([{ key, value, timestamp }], { compression }), 0).done;
}

t.test('compaction keeps the latest record per key and never moves offsets', async (t) => {
  const log = PartitionLog.open(tempDir(t), 'compacted', 0, compactConfig);
  t.teardown(() => log.close());
  const writes: [string, string | null][] = [];
  for (let i = 0; i < 30; i++) writes.push([`k${i % 3}`, `v${i}`]);
  await fill(log, writes);
  const before = contents(log);
  const r = log.compact();
  t.ok(r.recordsRemoved > 0, `removed ${r.recordsRemoved} superseded records`);
  const after = contents(log);
  for (const [offset, key, value] of after) t.same(before.find((b) => b[0] === offset), [offset, key, value], `offset ${offset} unchanged`);
  const latest = new Map<string, string>();
  for (const [, k, v] of before) latest.set(k!, v!);
  const seen = new Map<string, string>();
  for (const [, k, v] of after) seen.set(k!, v!);
  t.same(seen, latest, 'the latest value of every key survives');
  t.equal(log.logEndOffset, 30, 'end offset unchanged');
  t.equal(log.read(29, 1 << 20, 30).chunks.length, 1, 'reads still find every remaining offset');
});

t.test('tombstones go after delete.retention.ms; compressed batches stay compressed', async (t) => {
  const log = PartitionLog.open(tempDir(t), 'tomb', 0, { ...compactConfig, deleteRetentionMs: 1000 });
  t.teardown(() => log.close());
  const old = Date.now() - 10_000;
  await fill(log, [['a', '1'], ['b', '1'], ['a', null], ['c', '1'], ['c', '2'], ['d', '1']], Compression.Gzip, old);
  await fill(log, [['e', '1'], ['f', '1'], ['g', '1'], ['h', '1'], ['i', '1']], Compression.None);
  log.compact();
  const keys = contents(log).map(([, k, v]) => `${k}=${v}`);
  t.notOk(keys.some((k) => k.startsWith('a=')), 'the old tombstone and the value it deletes are gone');
  t.ok(keys.includes('c=2'), 'latest c kept');
  t.ok(keys.length < 11, `superseded records removed (${11 - keys.length}); a segment's last batch stays whole, as log-cleaner.ts explains`);
  const first = new BatchHeader(log.read(0, 1 << 20, log.logEndOffset).chunks[0]!);
  t.equal(first.compression, Compression.Gzip, 'rewritten batches keep their codec');
  t.ok(first.isCrcValid(), 'and a valid CRC');
});

t.test('control batches are kept; min.compaction.lag.ms and the dirty ratio are honoured', async (t) => {
  const log = PartitionLog.open(tempDir(t), 'txn', 0, { ...compactConfig, minCompactionLagMs: 3_600_000 });
  t.teardown(() => log.close());
  await fill(log, [['k', '1'], ['k', '2'], ['k', '3'], ['k', '4'], ['k', '5'], ['k', '6']]);
  t.equal(log.compact().recordsRemoved, 0, 'nothing younger than the lag is compacted');
  log.setConfig({ minCompactionLagMs: 0, minCleanableDirtyRatio: 1.1 });
  t.equal(log.compact().recordsRemoved, 0, 'a dirty ratio above what is dirty blocks the pass');
  log.setConfig({ minCleanableDirtyRatio: 0 });
  await log.append(buildControlBatch(ControlType.Commit, 5, 0, 0), 0).done;
  await fill(log, [['k', '7'], ['x', '1'], ['y', '1']]);
  log.compact();
  const controls: number[] = [];
  for (const c of log.read(0, 1 << 20, log.logEndOffset).chunks) for (let at = 0; at < c.length;) { const h = new BatchHeader(c, at); if (h.isControl) controls.push(h.baseOffset); at += h.sizeInBytes; }
  t.same(controls, [6], 'the commit marker survives compaction');
});

t.test('a crash during the swap loses nothing', async (t) => {
  const dir = tempDir(t);
  let log = PartitionLog.open(dir, 'swap', 0, compactConfig);
  await fill(log, Array.from({ length: 20 }, (_, i) => [`k${i % 2}`, `v${i}`] as [string, string]));
  const before = contents(log);
  const first = join(log.dir, '00000000000000000000.log');
  log.close();
  // Crash after writing .cleaned: the original is intact, the leftover is dropped.
  copyFileSync(first, `${first}.cleaned`);
  log = PartitionLog.open(dir, 'swap', 0, compactConfig, false);
  t.same(contents(log), before, 'a leftover .cleaned is ignored and removed');
  t.notOk(existsSync(`${first}.cleaned`));
  log.compact();
  const compacted = contents(log);
  log.close();
  // Crash after renaming to .swap but before replacing the segment: the swap completes at open.
  copyFileSync(first, `${first}.swap`);
  log = PartitionLog.open(dir, 'swap', 0, compactConfig, false);
  t.same(contents(log), compacted, 'a leftover .swap completes its rename');
  t.notOk(readdirSync(log.dir).some((f) => f.endsWith('.swap')));
  log.close();
});

t.test("each idempotent producer's last batch survives compaction whole", async (t) => {
  const log = PartitionLog.open(tempDir(t), 'pid', 0, compactConfig);
  t.teardown(() => log.close());
  for (let i = 0; i < 4; i++) await log.append(buildBatch([{ key: 'k', value: `p${i}` }], { producerId: 9, producerEpoch: 0, baseSequence: i }), 0).done;
  for (let i = 0; i < 8; i++) await log.append(buildBatch([{ key: 'k', value: `x${i}` }]), 0).done;
  log.compact();
  const pidBatches: number[] = [];
  for (const c of log.read(0, 1 << 20, log.logEndOffset).chunks) for (let at = 0; at < c.length;) { const h = new BatchHeader(c, at); if (h.producerId === 9) pidBatches.push(h.baseSequence); at += h.sizeInBytes; }
  t.ok(pidBatches.includes(3), `the batch with the producer's last sequence is kept (sequences left: ${pidBatches.join(', ')})`);
});

t.test("an aborted transaction's records go and never shadow the committed value; an open one is kept whole", async (t) => {
  const log = PartitionLog.open(tempDir(t), 'txn', 0, compactConfig);
  t.teardown(() => log.close());
  const txn = (pid: number, seq: number, value: string) => buildBatch([{ key: 'k', value }], { producerId: pid, producerEpoch: 0, baseSequence: seq, transactional: true });
  await fill(log, [['k', 'plain-1']]);
  await log.append(txn(1, 0, 'committed'), 0).done;
  await log.append(buildControlBatch(ControlType.Commit, 1, 0, 0), 0).done;
  await log.append(txn(2, 0, 'aborted'), 0).done;
  await log.append(buildControlBatch(ControlType.Abort, 2, 0, 0), 0).done;
  await log.append(txn(3, 0, 'open'), 0).done;
  // Filler so that everything above sits in inactive segments (segment.bytes is small here).
  await fill(log, Array.from({ length: 6 }, (_, i): [string, string] => [`other${i}`, 'x']));
  log.compact();
  const values = contents(log).filter(([, k]) => k === 'k').map(([, , v]) => v);
  t.notOk(values.includes('plain-1'), 'the value the committed transaction replaced is gone');
  t.ok(values.includes('committed'), 'the committed value stays although an aborted write of the key came later');
  t.notOk(values.includes('aborted'), "the aborted transaction's record is removed");
  t.ok(values.includes('open'), 'the open transaction is kept whole');
});

t.test('a stored batch that decompresses past 64 MiB is compacted too (produce accepts up to 1 GiB with a large max.message.bytes)', async (t) => {
  const log = PartitionLog.open(tempDir(t), 'big-values', 0, { ...compactConfig, segmentBytes: 1 << 20 });
  t.teardown(() => log.close());
  const big = 'x'.repeat(70 << 20);
  await log.append(buildBatch([{ key: 'k', value: big }], { compression: Compression.Gzip }), 0).done;
  await log.append(buildBatch([{ key: 'k', value: 'newer' }], { compression: Compression.Gzip }), 0).done;
  // Roll so the big batch's segment is cleanable.
  await log.append(buildBatch(Array.from({ length: 4 }, (_, i) => ({ key: `fill${i}`, value: 'y'.repeat(300_000) }))), 0).done;
  await log.append(buildBatch([{ key: 'last', value: 'z' }]), 0).done;
  t.ok(log.segmentCount() > 1, 'the big batch is in an inactive segment');
  const r = log.compact();
  t.ok(r.recordsRemoved >= 1, `the superseded 70 MiB record was removed (${r.recordsRemoved} removed)`);
  t.same(contents(log).filter(([, k]) => k === 'k').map(([o, , v]) => [o, v]), [[1, 'newer']], 'only the newer value of k is left');
});
