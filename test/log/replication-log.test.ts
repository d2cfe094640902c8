/**
 * The log's side of replication: leader epochs recorded by appends and kept
 * in leader-epoch-checkpoint, follower appends, truncation.
 */
import t from 'tap';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PartitionLog, UnexpectedAppendOffsetError } from '../../src/log/partition-log.js';
import { LEADER_EPOCH_CHECKPOINT } from '../../src/log/leader-epoch-cache.js';
import { BatchHeader } from '../../src/wire/records/batch-header.js';
import { buildBatch } from '../../src/wire/records/batch-builder.js';
import { KafkaError } from '../../src/wire/errors.js';

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-repl-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const batch = (n: number, records = 1) => buildBatch(Array.from({ length: records }, (_, i) => ({ key: `k${n}-${i}`, value: `v${n}-${i}-${'x'.repeat(40)}` })));

function headers(chunks: Buffer[]): BatchHeader[] {
  const out: BatchHeader[] = [];
  for (const c of chunks) for (let at = 0; at < c.length;) { const h = new BatchHeader(c, at); out.push(h); at += h.sizeInBytes; }
  return out;
}
const readAll = (log: PartitionLog) => headers(log.read(0, 1 << 24, log.logEndOffset).chunks);
const offsets = (log: PartitionLog) => readAll(log).map((h) => h.baseOffset);
const epochsOf = (log: PartitionLog) => log.epochEntries().map((e) => [e.epoch, e.startOffset]);
const checkpoint = (log: PartitionLog) => readFileSync(join(log.dir, LEADER_EPOCH_CHECKPOINT), 'utf8');

/** Appends `n` one-record batches at `epoch`; resolves when written. */
async function fill(log: PartitionLog, n: number, epoch: number): Promise<void> {
  const dones = [];
  for (let i = 0; i < n; i++) dones.push(log.append(batch(i), epoch).done);
  await Promise.all(dones);
}

t.test('leader appends record each new epoch in leader-epoch-checkpoint', async (t) => {
  const dir = tempDir(t);
  let log = PartitionLog.open(dir, 'e', 0, {}, true);
  t.notOk(existsSync(join(log.dir, LEADER_EPOCH_CHECKPOINT)), 'an empty log has no checkpoint');
  t.equal(log.latestEpoch(), -1);
  await fill(log, 3, 0);
  await fill(log, 2, 3);
  await log.append(batch(9, 4), 5).done;
  t.equal(checkpoint(log), '0\n3\n0 0\n3 3\n5 5\n');
  t.equal(log.latestEpoch(), 5);
  t.same(log.endOffsetForEpoch(3), { epoch: 3, endOffset: 5 });
  t.same(log.endOffsetForEpoch(5), { epoch: 5, endOffset: 9 }, 'the latest epoch ends at the log end');
  t.same(log.endOffsetForEpoch(4), { epoch: 3, endOffset: 5 });
  log.close();
  for (const clean of [true, false]) {
    log = PartitionLog.open(dir, 'e', 0, {}, clean);
    t.same(epochsOf(log), [[0, 0], [3, 3], [5, 5]], `reloaded after a ${clean ? 'clean' : 'unclean'} stop`);
    log.close();
  }
});

t.test('an epoch recorded past the log end (its data lost) is cut when the log opens', async (t) => {
  const dir = tempDir(t);
  let log = PartitionLog.open(dir, 'cut', 0, {}, true);
  await fill(log, 4, 1);
  // What a crash between the checkpoint write and the data write leaves.
  (log as unknown as { epochs: { assign(e: number, o: number): void } }).epochs.assign(2, 4);
  log.close();
  log = PartitionLog.open(dir, 'cut', 0, {}, false);
  t.teardown(() => log.close());
  t.same(epochsOf(log), [[1, 0]]);
  t.equal(checkpoint(log), '0\n1\n1 0\n', 'and the file says so too');
});

t.test('truncateTo mid-log across segments', async (t) => {
  const dir = tempDir(t);
  const config = { segmentBytes: 400, indexIntervalBytes: 1 };
  let log = PartitionLog.open(dir, 'tr', 0, config, true);
  await fill(log, 10, 0);
  await fill(log, 10, 2);
  t.ok(log.segmentCount() >= 5, `${log.segmentCount()} segments`);
  const before = log.truncations;
  const segmentsBefore = readdirSync(log.dir).filter((f) => f.endsWith('.log')).length;

  await log.truncateTo(7);
  t.equal(log.logEndOffset, 7);
  t.equal(log.truncations, before + 1, 'truncations moved');
  t.same(offsets(log), [0, 1, 2, 3, 4, 5, 6], 'reads stop at the new end');
  t.same(epochsOf(log), [[0, 0]], 'the epoch that started past the end is gone');
  t.equal(checkpoint(log), '0\n1\n0 0\n');
  t.ok(log.recoveryPoint <= 7);
  const names = readdirSync(log.dir);
  const logs = names.filter((f) => f.endsWith('.log'));
  t.ok(logs.length < segmentsBefore, 'later segments are deleted');
  t.ok(logs.every((f) => Number(f.slice(0, 20)) <= 7), 'no segment starts past the new end');
  t.ok(names.filter((f) => f.endsWith('.index')).every((f) => Number(f.slice(0, 20)) <= 7), 'nor do index files');

  await log.truncateTo(7);
  t.equal(log.truncations, before + 1, 'truncating at the end is a no-op');
  await log.truncateTo(100);
  t.equal(log.logEndOffset, 7);

  // Appends continue at the new end, with a new epoch, and the indexes find them.
  const r = log.append(batch(100, 2), 4);
  t.equal(r.baseOffset, 7);
  await r.done;
  await fill(log, 5, 4);
  t.same(offsets(log), [0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13]);
  for (const o of [3, 7, 8, 9, 13]) {
    const first = headers(log.read(o, 1, log.logEndOffset).chunks)[0]!;
    t.ok(first.baseOffset <= o && first.lastOffset >= o, `a read at ${o} starts with the batch holding it`);
  }
  t.same(epochsOf(log), [[0, 0], [4, 7]]);

  log.close();
  for (const clean of [true, false]) {
    log = PartitionLog.open(dir, 'tr', 0, config, clean);
    t.equal(log.logEndOffset, 14, `reopened (${clean ? 'clean' : 'unclean'}): same end`);
    t.same(offsets(log), [0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13]);
    t.same(epochsOf(log), [[0, 0], [4, 7]]);
    log.close();
  }
});

t.test('truncateTo inside the active segment keeps its indexes right, clean reopen included', async (t) => {
  const dir = tempDir(t);
  const config = { indexIntervalBytes: 200 };
  let log = PartitionLog.open(dir, 'act', 0, config, true);
  await fill(log, 30, 1);
  await log.truncateTo(17);
  t.equal(log.logEndOffset, 17);
  await fill(log, 5, 2);
  for (let o = 0; o < 22; o++) t.equal(headers(log.read(o, 1, log.logEndOffset).chunks)[0]!.baseOffset, o);
  t.same(log.offsetForTimestamp(0), { offset: 0, timestamp: readAll(log)[0]!.maxTimestamp });
  log.close();
  log = PartitionLog.open(dir, 'act', 0, config, true);
  t.teardown(() => log.close());
  t.equal(log.logEndOffset, 22);
  for (let o = 0; o < 22; o++) t.equal(headers(log.read(o, 1, log.logEndOffset).chunks)[0]!.baseOffset, o, `offset ${o} after reopen`);
});

t.test('truncateTo waits for writes in flight', async (t) => {
  const log = PartitionLog.open(tempDir(t), 'wait', 0, {}, true);
  t.teardown(() => log.close());
  const dones = [];
  for (let i = 0; i < 50; i++) dones.push(log.append(batch(i), 0).done);
  await log.truncateTo(10);
  await Promise.all(dones);
  t.equal(log.logEndOffset, 10);
  t.same(offsets(log), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

t.test('truncateFullyAndStartAt empties the log and starts it at the offset', async (t) => {
  const dir = tempDir(t);
  let log = PartitionLog.open(dir, 'full', 0, { segmentBytes: 400 }, true);
  await fill(log, 10, 1);
  const before = log.truncations;
  await log.truncateFullyAndStartAt(50);
  t.equal(log.logStartOffset, 50);
  t.equal(log.logEndOffset, 50);
  t.equal(log.truncations, before + 1);
  t.equal(log.latestEpoch(), -1);
  t.equal(checkpoint(log), '0\n0\n');
  t.same(readdirSync(log.dir).filter((f) => f.endsWith('.log')), ['00000000000000000050.log']);
  t.same(log.read(0, 1 << 20, 100).chunks, []);
  const r = log.appendAsFollower(buildBatch([{ value: 'a' }], { baseOffset: 50, partitionLeaderEpoch: 6 }));
  await r.done;
  t.equal(r.baseOffset, 50);
  t.same(epochsOf(log), [[6, 50]]);
  log.close();
  log = PartitionLog.open(dir, 'full', 0, {}, true);
  t.teardown(() => log.close());
  t.equal(log.logStartOffset, 50);
  t.equal(log.logEndOffset, 51);
  t.same(offsets(log), [50]);
});

t.test('truncateTo below the log start empties the log there', async (t) => {
  const log = PartitionLog.open(tempDir(t), 'below', 0, { segmentBytes: 400 }, true);
  t.teardown(() => log.close());
  await fill(log, 10, 1);
  log.deleteRecordsBefore(6);
  await log.truncateTo(4);
  t.equal(log.logStartOffset, 4);
  t.equal(log.logEndOffset, 4);
  t.same(log.read(0, 1 << 20, 100).chunks, [], 'no deleted record comes back');
});

t.test('appendAsFollower stores the leader\'s batches byte for byte', async (t) => {
  const dir = tempDir(t);
  const leader = PartitionLog.open(dir, 'leader', 0, {}, true);
  t.teardown(() => leader.close());
  await fill(leader, 3, 2);
  await fill(leader, 3, 5);
  const fetched = Buffer.concat(leader.read(0, 1 << 20, leader.logEndOffset).chunks);
  const copy = Buffer.from(fetched);
  let follower = PartitionLog.open(dir, 'follower', 0, { segmentBytes: 300 }, true);
  const r = follower.appendAsFollower(fetched.subarray(0, headers([fetched])[0]!.sizeInBytes * 2));
  t.same([r.baseOffset, r.lastOffset], [0, 1]);
  // One call at a time, as fetches come: a roll is decided per call, as for leader appends.
  const dones = [r.done];
  for (const h of headers([fetched]).slice(2)) dones.push(follower.appendAsFollower(h.bytes()).done);
  await Promise.all(dones);
  t.ok(fetched.equals(copy), 'the fetched buffer is not rewritten');
  t.ok(Buffer.concat(follower.read(0, 1 << 20, 6).chunks).equals(fetched), 'the follower holds the same bytes');
  t.same(epochsOf(follower), [[2, 0], [5, 3]], 'epochs from the batches');
  t.equal(checkpoint(follower), '0\n2\n2 0\n5 3\n');
  t.ok(follower.segmentCount() > 1, 'segments roll as for leader appends');

  await fill(leader, 2, 5);
  const next = Buffer.concat(leader.read(6, 1 << 20, leader.logEndOffset).chunks);
  t.throws(() => follower.appendAsFollower(fetched), UnexpectedAppendOffsetError, 'batches already in the log are refused');
  try { follower.appendAsFollower(fetched); } catch (e) { t.same([(e as UnexpectedAppendOffsetError).firstOffset, (e as UnexpectedAppendOffsetError).lastOffset], [0, 0]); }
  // Out of order: the second batch goes back.
  const swapped = Buffer.concat(headers([next]).reverse().map((h) => h.bytes()));
  t.throws(() => follower.appendAsFollower(swapped), KafkaError, 'batches going back are refused');
  const corrupt = Buffer.from(next);
  corrupt[corrupt.length - 1]! ^= 0xff;
  t.throws(() => follower.appendAsFollower(corrupt), KafkaError, 'a CRC mismatch is refused');
  t.equal(follower.logEndOffset, 6, 'nothing was appended by refused calls');
  // A fetch cut at its size limit: the partial batch at the end is left out.
  const partial = follower.appendAsFollower(next.subarray(0, next.length - 5));
  await partial.done;
  t.same([partial.baseOffset, partial.lastOffset], [6, 6]);
  t.equal(follower.logEndOffset, 7);
  follower.close();
  follower = PartitionLog.open(dir, 'follower', 0, { segmentBytes: 300 }, false);
  t.teardown(() => follower.close());
  t.equal(follower.logEndOffset, 7);
  t.same(epochsOf(follower), [[2, 0], [5, 3]]);
});

t.test('appendAsFollower accepts the gaps compaction leaves on the leader', async (t) => {
  const log = PartitionLog.open(tempDir(t), 'gaps', 0, {}, true);
  t.teardown(() => log.close());
  const bytes = Buffer.concat([
    buildBatch([{ value: 'a' }], { baseOffset: 0, partitionLeaderEpoch: 1 }),
    buildBatch([{ value: 'b' }], { baseOffset: 5, partitionLeaderEpoch: 1 }),
    buildBatch([{ value: 'c' }], { baseOffset: 9, partitionLeaderEpoch: 3 }),
  ]);
  const r = log.appendAsFollower(bytes);
  await r.done;
  t.same([r.baseOffset, r.lastOffset], [0, 9]);
  t.equal(log.logEndOffset, 10);
  t.same(offsets(log), [0, 5, 9]);
  t.equal(headers(log.read(7, 1, 10).chunks)[0]!.baseOffset, 9, 'a read inside a gap starts at the next batch');
  t.same(epochsOf(log), [[1, 0], [3, 9]]);
});

t.test('a log written before leader-epoch-checkpoint existed gets one, once, from its batches', async (t) => {
  const dir = tempDir(t);
  let log = PartitionLog.open(dir, 'old', 0, { segmentBytes: 400 }, true);
  await fill(log, 6, 0);
  await fill(log, 3, 2);
  await fill(log, 4, 7);
  log.deleteRecordsBefore(2);
  log.close();
  unlinkSync(join(dir, 'old-0', LEADER_EPOCH_CHECKPOINT));
  for (const clean of [true, false]) {
    log = PartitionLog.open(dir, 'old', 0, { segmentBytes: 400 }, clean);
    t.same(epochsOf(log), [[0, 2], [2, 6], [7, 9]], `rebuilt (${clean ? 'clean' : 'unclean'} open)`);
    t.equal(checkpoint(log), '0\n3\n0 2\n2 6\n7 9\n');
    log.close();
    unlinkSync(join(dir, 'old-0', LEADER_EPOCH_CHECKPOINT));
  }
});

t.test('retention and DeleteRecords move the first epoch\'s start', async (t) => {
  const log = PartitionLog.open(tempDir(t), 'ret', 0, { segmentBytes: 400 }, true);
  t.teardown(() => log.close());
  await fill(log, 5, 1);
  await fill(log, 5, 2);
  log.deleteRecordsBefore(3);
  t.same(epochsOf(log), [[1, 3], [2, 5]]);
  log.deleteRecordsBefore(7);
  t.same(epochsOf(log), [[2, 7]]);
  log.setConfig({ retentionBytes: 0 });
  log.applyRetention();
  t.equal(epochsOf(log)[0]![1], log.logStartOffset);
});
