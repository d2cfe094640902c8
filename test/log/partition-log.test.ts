import t from 'tap';
import { mkdtempSync, rmSync, readdirSync, statSync, appendFileSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PartitionLog } from '../../src/log/partition-log.js';
import { LogManager } from '../../src/log/log-manager.js';
import { BatchHeader, Compression } from '../../src/wire/records/batch-header.js';
import { ErrorCode } from '../../src/wire/errors.js';
import { buildControlBatch, ControlType } from '../../src/wire/records/control-records.js';
import { buildBatch } from '../../src/wire/records/batch-builder.js';

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-log-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const batch = (n: number, records = 1, timestamp?: number) =>
  buildBatch(Array.from({ length: records }, (_, i) => ({ key: `k${n}-${i}`, value: `v${n}-${i}`, timestamp })));

/** Offsets of the batches in a read result. */
function offsets(chunks: Buffer[]): number[] {
  const out: number[] = [];
  for (const c of chunks) for (let at = 0; at < c.length;) { const h = new BatchHeader(c, at); out.push(h.baseOffset); at += h.sizeInBytes; }
  return out;
}

t.test('offsets are dense, assigned in append order, and batches read back whole', async (t) => {
  const log = PartitionLog.open(tempDir(t), 'a', 0);
  t.teardown(() => log.close());
  const r1 = log.append(batch(1, 3), 0);
  const r2 = log.append(batch(2, 2), 0);
  t.same([r1.baseOffset, r1.lastOffset, r2.baseOffset, r2.lastOffset], [0, 2, 3, 4]);
  await Promise.all([r1.done, r2.done]);
  t.equal(log.logEndOffset, 5);
  t.same(offsets(log.read(0, 1 << 20, 5).chunks), [0, 3], 'both batches');
  t.same(offsets(log.read(1, 1 << 20, 5).chunks), [0, 3], 'a fetch offset inside a batch returns that whole batch');
  t.same(offsets(log.read(0, 1, 5).chunks), [0], 'the first batch comes even when larger than maxBytes');
  t.same(offsets(log.read(0, 1 << 20, 3).chunks), [0], 'nothing at or past the upper bound');
  t.same(log.read(5, 1 << 20, 5).chunks, [], 'reading at the end returns nothing');
  const ts = new BatchHeader(log.read(3, 1 << 20, 5).chunks[0]!);
  t.equal(ts.partitionLeaderEpoch, 0, 'leader epoch written into the batch');
  t.ok(ts.isCrcValid(), 'CRC still valid after offsets were assigned (they sit outside it)');
});

t.test('segments roll at segment.bytes and reads cross them', async (t) => {
  const log = PartitionLog.open(tempDir(t), 'b', 0, { segmentBytes: 300 });
  t.teardown(() => log.close());
  const dones = [];
  for (let i = 0; i < 10; i++) dones.push(log.append(batch(i), 0).done);
  await Promise.all(dones);
  t.ok(log.segmentCount() > 2, `rolled into ${log.segmentCount()} segments`);
  const names = readdirSync(log.dir).filter((f) => f.endsWith('.log'));
  t.ok(names.every((n) => /^\d{20}\.log$/.test(n)), 'segments are named by 20-digit base offset');
  t.same(offsets(log.read(0, 1 << 20, 10).chunks), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

t.test('timestamps: ListOffsets by time finds the first record at or after it', async (t) => {
  const log = PartitionLog.open(tempDir(t), 'c', 0);
  t.teardown(() => log.close());
  await log.append(buildBatch([{ value: 'a', timestamp: 1000 }, { value: 'b', timestamp: 2000 }]), 0).done;
  await log.append(buildBatch([{ value: 'c', timestamp: 3000 }]), 0).done;
  t.same(log.offsetForTimestamp(1500), { offset: 1, timestamp: 2000 }, 'inside the first batch');
  t.same(log.offsetForTimestamp(2500), { offset: 2, timestamp: 3000 });
  t.equal(log.offsetForTimestamp(9999), null, 'none after the newest');
  t.same(log.maxTimestampOffset(), { offset: 2, timestamp: 3000 });
});

t.test('timestamps inside compressed batches: the record at or after it, with its own timestamp (Kafka decompresses the batch)', async (t) => {
  const T0 = 1_700_000_000_000;
  const fifty = Array.from({ length: 50 }, (_, i) => ({ value: `v${i}`, timestamp: T0 + i * 1000 }));
  for (const [name, compression] of [['none', Compression.None], ['gzip', Compression.Gzip], ['snappy', Compression.Snappy], ['lz4', Compression.Lz4], ['zstd', Compression.Zstd]] as const) {
    const log = PartitionLog.open(tempDir(t), `ct-${name}`, 0);
    t.teardown(() => log.close());
    await log.append(buildBatch(fifty, { compression }), 0).done;
    t.same(log.offsetForTimestamp(T0 + 30_000), { offset: 30, timestamp: T0 + 30_000 }, `${name}: record 30's time finds record 30`);
    t.same(log.offsetForTimestamp(T0 + 29_500), { offset: 30, timestamp: T0 + 30_000 }, `${name}: between records 29 and 30 finds 30`);
    t.same(log.offsetForTimestamp(T0 - 5), { offset: 0, timestamp: T0 }, `${name}: before the first finds record 0 with its timestamp`);
    t.equal(log.offsetForTimestamp(T0 + 49_001), null, `${name}: none after the newest`);
    t.equal(log.deleteRecordsBefore(40), 40);
    t.same(log.offsetForTimestamp(T0 + 30_000), { offset: 40, timestamp: T0 + 40_000 }, `${name}: records below the log start offset are passed over`);
  }
});

t.test('timestamps: a LogAppendTime batch answers its max timestamp for every record; control records count, as in Kafka', async (t) => {
  const log = PartitionLog.open(tempDir(t), 'lat', 0);
  t.teardown(() => log.close());
  const b = buildBatch([{ value: 'a', timestamp: 100 }, { value: 'b', timestamp: 200 }, { value: 'c', timestamp: 300 }], { compression: Compression.Lz4 });
  const h = new BatchHeader(b, 0);
  h.setLogAppendTime(5000);
  h.updateCrc();
  await log.append(b, 0).done;
  t.same(log.offsetForTimestamp(150), { offset: 0, timestamp: 5000 }, 'the first record, stamped with the append time');
  t.same(log.offsetForTimestamp(5000), { offset: 0, timestamp: 5000 }, 'the append time itself');
  await log.append(buildControlBatch(ControlType.Commit, 7, 0, 0, 9000), 0).done;
  await log.append(buildBatch([{ value: 'd', timestamp: 9500 }], { compression: Compression.Gzip }), 0).done;
  t.same(log.offsetForTimestamp(8000), { offset: 3, timestamp: 9000 }, 'a commit marker at or after the time is the answer (FileRecords.searchForTimestamp does not skip control batches)');
  t.same(log.offsetForTimestamp(9200), { offset: 4, timestamp: 9500 });
});

t.test('timestamps: a batch compaction left gaps in answers its records\' own offsets', async (t) => {
  for (const compression of [Compression.None, Compression.Zstd]) {
    const log = PartitionLog.open(tempDir(t), `gaps-${compression}`, 0);
    t.teardown(() => log.close());
    // As the cleaner rewrites a batch of offsets 0-9 keeping 0, 4 and 7.
    await log.append(buildBatch([{ key: 'a', value: '0', timestamp: 1000, offsetDelta: 0 }, { key: 'b', value: '4', timestamp: 1400, offsetDelta: 4 }, { key: 'c', value: '7', timestamp: 1700, offsetDelta: 7 }],
      { compression, lastOffsetDelta: 9 }), 0).done;
    t.same(log.offsetForTimestamp(1100), { offset: 4, timestamp: 1400 }, `codec ${compression}: the kept record after the time`);
    t.same(log.offsetForTimestamp(1700), { offset: 7, timestamp: 1700 }, `codec ${compression}: the last kept record`);
  }
});

t.test('timestamps: a stored compressed batch that does not decompress is CORRUPT_MESSAGE, not a crash', async (t) => {
  const log = PartitionLog.open(tempDir(t), 'bad', 0);
  t.teardown(() => log.close());
  const b = buildBatch([{ value: 'a', timestamp: 100 }, { value: 'b', timestamp: 200 }], { compression: Compression.Gzip });
  b.fill(0x55, 61 + 10); // the gzip stream after its header: garbage, CRC made valid again
  new BatchHeader(b, 0).updateCrc();
  await log.append(b, 0).done;
  t.throws(() => log.offsetForTimestamp(150), { name: 'KafkaError', code: ErrorCode.CORRUPT_MESSAGE });
  t.equal(log.offsetForTimestamp(300), null, 'a time past the batch does not open it');
});

t.test('restart keeps everything, and the log start offset after DeleteRecords', async (t) => {
  const dir = tempDir(t);
  let m = LogManager.open(dir);
  const log = m.create('d', 0, { segmentBytes: 200 });
  for (let i = 0; i < 8; i++) await log.append(batch(i), 0).done;
  t.equal(log.deleteRecordsBefore(5), 5);
  t.ok(log.segmentCount() < 8, 'segments wholly below the new start were removed');
  await m.close();
  m = LogManager.open(dir);
  t.teardown(() => m.close());
  const again = m.get('d', 0)!;
  t.equal(again.logStartOffset, 5, 'log start offset survives');
  t.equal(again.logEndOffset, 8, 'log end offset survives');
  t.same(offsets(again.read(5, 1 << 20, 8).chunks), [5, 6, 7]);
});

t.test('retention removes old segments by time and by size, never the active one', async (t) => {
  const log = PartitionLog.open(tempDir(t), 'e', 0, { segmentBytes: 200, retentionMs: 60_000 });
  t.teardown(() => log.close());
  const old = Date.now() - 3_600_000;
  for (let i = 0; i < 4; i++) await log.append(batch(i, 1, old), 0).done;
  for (let i = 4; i < 6; i++) await log.append(batch(i, 1), 0).done;
  const before = log.segmentCount();
  t.ok(log.applyRetention() > 0, 'expired segments removed');
  t.ok(log.segmentCount() < before);
  t.ok(log.logStartOffset >= 4, `log start moved to ${log.logStartOffset}`);
  log.setConfig({ retentionMs: -1, retentionBytes: 1 });
  log.applyRetention();
  t.equal(log.segmentCount(), 1, 'size retention leaves only the active segment');
  t.equal(log.logEndOffset, 6, 'end offset unchanged');
});

t.test('garbage and half-written batches at the tail are cut off after an unclean shutdown', async (t) => {
  const dir = tempDir(t);
  const log = PartitionLog.open(dir, 'f', 0);
  for (let i = 0; i < 3; i++) await log.append(batch(i), 0).done;
  log.close();
  const file = join(log.dir, '00000000000000000000.log');
  const good = statSync(file).size;
  const half = batch(99);
  appendFileSync(file, half.subarray(0, half.length - 7));
  let reopened = PartitionLog.open(dir, 'f', 0, {}, false);
  t.equal(reopened.logEndOffset, 3, 'half-written batch dropped');
  t.equal(statSync(file).size, good, 'file truncated at the first bad byte');
  reopened.close();
  const corrupt = batch(98);
  corrupt[corrupt.length - 1] ^= 0xff;
  appendFileSync(file, corrupt);
  appendFileSync(file, Buffer.from('garbage garbage garbage garbage garbage garbage garbage garbage'));
  reopened = PartitionLog.open(dir, 'f', 0, {}, false);
  t.equal(reopened.logEndOffset, 3, 'a batch with a bad CRC and the garbage after it are dropped');
  t.equal(statSync(file).size, good);
  const r = reopened.append(batch(4), 0);
  t.equal(r.baseOffset, 3, 'appends continue at the next offset');
  await r.done;
  reopened.close();
  truncateSync(file, good - 5);
  reopened = PartitionLog.open(dir, 'f', 0, {}, false);
  t.equal(reopened.logEndOffset, 2, 'a torn last batch is removed');
  reopened.close();
});

t.test('flush.ms: appends waiting longer than the interval are fsynced by flushIfDue', async (t) => {
  const log = PartitionLog.open(tempDir(t), 'g', 0, { flushMs: 50 });
  t.teardown(() => log.close());
  await log.append(batch(1), 0).done;
  t.equal(log.flushIfDue(Date.now() - 10_000), false, 'not before the interval');
  t.equal(log.flushIfDue(Date.now() + 100), true, 'due after it');
  t.equal(log.flushIfDue(Date.now() + 200), false, 'nothing left to flush');
});

t.test('segment.ms counts from the first batch of a reopened segment, not from the broker start', async (t) => {
  const dir = tempDir(t);
  const hour = 3_600_000;
  let log = PartitionLog.open(dir, 'age', 0, { segmentMs: 7 * 24 * hour });
  await log.append(batch(1, 1, Date.now() - 2 * hour), 0).done;
  log.close();
  log = PartitionLog.open(dir, 'age', 0, { segmentMs: hour });
  t.teardown(() => log.close());
  await log.append(batch(2, 1), 0).done;
  t.equal(log.segmentCount(), 2, 'the segment whose data is two hours old rolls under segment.ms of one hour');
  await log.append(batch(3, 1), 0).done;
  t.equal(log.segmentCount(), 2, 'the new segment, started now, does not');
});
