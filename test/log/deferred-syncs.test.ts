/**
 * A log manager's partition.metadata and leader-epoch-checkpoint files are
 * renamed into place at once and fsynced later, in batches (deferred-syncs.ts).
 * What a machine crash can then leave - an epoch file without its newest
 * entries or with entries a lost truncation should have removed, an empty
 * topic id file - must not change what the log says after the next start.
 */
import t from 'tap';
import { readFileSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { LogManager } from '../../src/log/log-manager.js';
import { LEADER_EPOCH_CHECKPOINT } from '../../src/log/leader-epoch-cache.js';
import { PARTITION_METADATA_FILE, readTopicId } from '../../src/log/partition-metadata-file.js';
import { DeferredSyncs } from '../../src/log/deferred-syncs.js';
import { FileCache } from '../../src/log/file-cache.js';
import { buildBatch } from '../../src/wire/records/batch-builder.js';

const batch = (n: number) => buildBatch([{ value: `record ${n}` }]);
const epochFile = (dir: string) => readFileSync(join(dir, LEADER_EPOCH_CHECKPOINT), 'utf8');

t.test('the files are in place at once, without a synchronous fsync, and synced in a batch', async (t) => {
  const dataDir = t.testdir({});
  const logs = LogManager.open(dataDir, { report: () => {} });
  const log = logs.forTopicId('a', 0, 'r1aX0hQ3T0u2dL7sM9pNqw');
  t.equal(readTopicId(log.dir), 'r1aX0hQ3T0u2dL7sM9pNqw', 'the topic id is in the file right away');
  await log.append(batch(0), 4).done;
  t.equal(epochFile(log.dir), '0\n1\n4 0\n', 'the new epoch is in the file before the append returns');
  t.same(readdirSync(log.dir).filter((f) => f.endsWith('.tmp')), [], 'no temporary file left');
  await logs.close();
});

t.test('DeferredSyncs: flush syncs what was queued; a file gone meanwhile is no error', async (t) => {
  const dir = t.testdir({ a: 'x', b: 'y' });
  const reports: string[] = [];
  const syncs = new DeferredSyncs(new FileCache(2), (m) => reports.push(m));
  t.teardown(() => syncs.stop());
  syncs.add(join(dir, 'a'));
  syncs.add(join(dir, 'b'));
  syncs.add(join(dir, 'gone'));
  t.equal(syncs.pending, 3);
  await syncs.flush();
  t.equal(syncs.pending, 0);
  t.same(reports, []);
  syncs.add(join(dir, 'a'));
  await new Promise((r) => setTimeout(r, 400));
  t.equal(syncs.pending, 0, 'a queued file is synced soon without a flush');
});

t.test('after a machine crash: an epoch file missing its newest entry is completed from the verified batches', async (t) => {
  const dataDir = t.testdir({});
  let logs = LogManager.open(dataDir, { report: () => {} });
  let log = logs.create('a', 0);
  await log.append(batch(0), 1).done;
  const oneEpoch = epochFile(log.dir);
  await log.append(batch(1), 2).done;
  await log.append(batch(2), 2).done;
  logs.abandon();
  await new Promise((r) => setTimeout(r, 50));
  // The rename of the second version never reached the disk.
  writeFileSync(join(dataDir, 'a-0', LEADER_EPOCH_CHECKPOINT), oneEpoch);
  logs = LogManager.open(dataDir, { report: () => {} });
  log = logs.get('a', 0)!;
  t.same(log.epochEntries(), [{ epoch: 1, startOffset: 0 }, { epoch: 2, startOffset: 1 }]);
  t.equal(epochFile(log.dir), '0\n2\n1 0\n2 1\n', 'and the file says so again');
  await logs.close();
});

t.test('after a machine crash: an epoch file with an entry a lost truncation removed is corrected by the batches', async (t) => {
  const dataDir = t.testdir({});
  let logs = LogManager.open(dataDir, { report: () => {} });
  let log = logs.create('a', 0);
  await log.append(batch(0), 1).done;
  await log.append(batch(1), 3).done;
  logs.abandon();
  await new Promise((r) => setTimeout(r, 50));
  // The file still says epoch 5 from offset 1, though the batch at 1 is epoch 3 (a follower truncated and refetched).
  writeFileSync(join(dataDir, 'a-0', LEADER_EPOCH_CHECKPOINT), '0\n2\n1 0\n5 1\n');
  logs = LogManager.open(dataDir, { report: () => {} });
  log = logs.get('a', 0)!;
  t.same(log.epochEntries(), [{ epoch: 1, startOffset: 0 }, { epoch: 3, startOffset: 1 }]);
  await logs.close();
});

t.test('after a machine crash: an empty epoch file is rebuilt, an empty partition.metadata is as none', async (t) => {
  const dataDir = t.testdir({});
  let logs = LogManager.open(dataDir, { report: () => {} });
  let log = logs.forTopicId('a', 0, 'r1aX0hQ3T0u2dL7sM9pNqw');
  await log.append(batch(0), 1).done;
  await log.append(batch(1), 2).done;
  logs.abandon();
  await new Promise((r) => setTimeout(r, 50));
  writeFileSync(join(dataDir, 'a-0', LEADER_EPOCH_CHECKPOINT), '');
  writeFileSync(join(dataDir, 'a-0', PARTITION_METADATA_FILE), '');
  const reports: string[] = [];
  logs = LogManager.open(dataDir, { report: (m) => reports.push(m) });
  log = logs.forTopicId('a', 0, 'r1aX0hQ3T0u2dL7sM9pNqw');
  t.same(log.epochEntries(), [{ epoch: 1, startOffset: 0 }, { epoch: 2, startOffset: 1 }]);
  t.equal(readTopicId(log.dir), 'r1aX0hQ3T0u2dL7sM9pNqw', 'the id is recorded again');
  t.equal(log.logEndOffset, 2, 'the log was not moved aside as a stray');
  t.notOk(existsSync(join(dataDir, 'a-0.r1aX0hQ3T0u2dL7sM9pNqw-stray')));
  await logs.close();
});

t.test('a clean close syncs what is queued before it writes the clean marker', async (t) => {
  const dataDir = t.testdir({});
  const logs = LogManager.open(dataDir, { report: () => {} });
  const log = logs.forTopicId('a', 0, 'r1aX0hQ3T0u2dL7sM9pNqw');
  await log.append(batch(0), 1).done;
  const syncs = (logs as unknown as { syncs: DeferredSyncs }).syncs;
  t.ok(syncs.pending > 0, 'files are queued');
  await logs.close();
  t.equal(syncs.pending, 0, 'nothing queued at the clean marker');
});

/** A log with a clean-shutdown snapshot at offset 1, then a crash: the next open drops that snapshot (past the verified segment's base). */
async function crashedWithSnapshot(dataDir: string): Promise<string> {
  let logs = LogManager.open(dataDir, { report: () => {} });
  const log = logs.create('a', 0);
  await log.append(batch(0), 1).done;
  await logs.close();
  const snapshot = join(log.dir, '00000000000000000001.snapshot');
  if (!existsSync(snapshot)) throw new Error('no snapshot at the clean close');
  logs = LogManager.open(dataDir, { report: () => {} });
  logs.abandon();
  return snapshot;
}

t.test('an open after a crash forgets the snapshots it drops at once and unlinks them in the background', async (t) => {
  const dataDir = t.testdir({});
  const snapshot = await crashedWithSnapshot(dataDir);
  const logs = LogManager.open(dataDir, { report: () => {} });
  const log = logs.get('a', 0)!;
  t.same(log.producerSnapshotOffsets(), [], 'forgotten by the open');
  t.ok(existsSync(snapshot), 'the file is still there when the open returns');
  // The chores start a while after the open (past a start-up), then run in slices.
  for (let i = 0; i < 100 && existsSync(snapshot); i++) await new Promise((r) => setTimeout(r, 100));
  t.notOk(existsSync(snapshot), 'unlinked in the background');
  await logs.close();
});

t.test('a snapshot written again at a dropped offset before the unlink runs is kept', async (t) => {
  const dataDir = t.testdir({});
  const snapshot = await crashedWithSnapshot(dataDir);
  const logs = LogManager.open(dataDir, { report: () => {} });
  logs.get('a', 0)!.producerState();
  // The clean close writes the snapshot at the log end (1) again before it runs what is left of the background jobs.
  await logs.close();
  t.ok(existsSync(snapshot), 'the new snapshot stays');
  const again = LogManager.open(dataDir, { report: () => {} });
  t.same(again.get('a', 0)!.producerSnapshotOffsets(), [1]);
  await again.close();
});
