import t from 'tap';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LEADER_EPOCH_CHECKPOINT, LeaderEpochCache } from '../../src/log/leader-epoch-cache.js';
import { FileCache } from '../../src/log/file-cache.js';

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-epochs-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const files = new FileCache(4);
const open = (dir: string, reports: string[] = []) => new LeaderEpochCache(dir, files, (m) => reports.push(m));
const fileOf = (dir: string) => readFileSync(join(dir, LEADER_EPOCH_CHECKPOINT), 'utf8');
const entries = (c: LeaderEpochCache) => c.epochEntries().map((e) => [e.epoch, e.startOffset]);

t.test('the checkpoint is Kafka\'s text format, byte for byte, and reloads', async (t) => {
  const dir = tempDir(t);
  const c = open(dir);
  t.equal(c.latestEpoch(), -1, 'empty: no epoch');
  t.notOk(existsSync(join(dir, LEADER_EPOCH_CHECKPOINT)), 'no file until something is assigned');
  c.assign(0, 0);
  t.equal(fileOf(dir), '0\n1\n0 0\n');
  c.assign(3, 120);
  t.equal(fileOf(dir), '0\n2\n0 0\n3 120\n');
  t.notOk(existsSync(join(dir, `${LEADER_EPOCH_CHECKPOINT}.tmp`)), 'the temporary file was renamed');
  const again = open(dir);
  t.ok(again.load());
  t.same(entries(again), [[0, 0], [3, 120]]);
  t.equal(again.latestEpoch(), 3);
  c.clear();
  t.equal(fileOf(dir), '0\n0\n', 'cleared: an empty checkpoint');
});

t.test('assign: nothing for the latest epoch again; contradicted entries go first', async (t) => {
  const c = open(tempDir(t));
  t.ok(c.assign(1, 10));
  t.notOk(c.assign(1, 15), 'the latest epoch at a later offset adds nothing');
  t.ok(c.assign(2, 20));
  t.ok(c.assign(4, 40));
  t.same(entries(c), [[1, 10], [2, 20], [4, 40]]);
  t.ok(c.assign(5, 30), 'a newer epoch starting before the latest one\'s start');
  t.same(entries(c), [[1, 10], [2, 20], [5, 30]], 'entries starting at or after it went');
  t.ok(c.assign(3, 35), 'an older epoch than the latest (Kafka applies it)');
  t.same(entries(c), [[1, 10], [2, 20], [3, 35]], 'later epochs went');
  t.ok(c.assign(2, 12), 'the same epoch earlier: it moves back');
  t.same(entries(c), [[1, 10], [2, 12]]);
  t.throws(() => c.assign(-1, 0), 'a negative epoch is refused');
});

t.test('endOffsetFor: below the first epoch, between, the latest, unknown, empty', async (t) => {
  const c = open(tempDir(t));
  t.same(c.endOffsetFor(0, 50), { epoch: -1, endOffset: -1 }, 'empty cache');
  c.assign(2, 10);
  c.assign(4, 30);
  c.assign(7, 60);
  t.same(c.endOffsetFor(7, 99), { epoch: 7, endOffset: 99 }, 'the latest epoch ends at the log end');
  t.same(c.endOffsetFor(4, 99), { epoch: 4, endOffset: 60 }, 'a middle epoch ends where the next starts');
  t.same(c.endOffsetFor(5, 99), { epoch: 4, endOffset: 60 }, 'an unknown middle epoch: the largest known below it');
  t.same(c.endOffsetFor(2, 99), { epoch: 2, endOffset: 30 });
  t.same(c.endOffsetFor(1, 99), { epoch: 1, endOffset: 10 }, 'below the first epoch: where the first known one starts (Kafka)');
  t.same(c.endOffsetFor(8, 99), { epoch: -1, endOffset: -1 }, 'past the latest epoch: undefined');
  t.same(c.endOffsetFor(-1, 99), { epoch: -1, endOffset: -1 }, 'undefined epoch');
  t.equal(c.epochForOffset(5), -1);
  t.equal(c.epochForOffset(10), 2);
  t.equal(c.epochForOffset(59), 4);
  t.equal(c.epochForOffset(1000), 7);
});

t.test('truncateFromEnd and truncateFromStart', async (t) => {
  const dir = tempDir(t);
  const c = open(dir);
  c.assign(0, 0);
  c.assign(1, 10);
  c.assign(2, 20);
  c.assign(3, 30);
  c.truncateFromEnd(31);
  t.same(entries(c), [[0, 0], [1, 10], [2, 20], [3, 30]], 'an end past every start keeps all');
  c.truncateFromEnd(20);
  t.same(entries(c), [[0, 0], [1, 10]], 'epochs starting at or after the end go');
  t.equal(fileOf(dir), '0\n2\n0 0\n1 10\n');
  c.assign(2, 20);
  c.truncateFromStart(5);
  t.same(entries(c), [[0, 5], [1, 10], [2, 20]], 'the epoch in force at the new start begins there');
  c.truncateFromStart(10);
  t.same(entries(c), [[1, 10], [2, 20]], 'an epoch starting exactly at the new start stays as is');
  c.truncateFromStart(25);
  t.same(entries(c), [[2, 25]]);
  t.equal(fileOf(dir), '0\n1\n2 25\n');
  c.truncateFromStart(3);
  t.same(entries(c), [[2, 25]], 'a start before the first entry changes nothing');
});

t.test('a malformed checkpoint is reported and not loaded (the log rebuilds it)', async (t) => {
  for (const text of ['1\n1\n0 0\n', '0\n2\n0 0\n', '0\n1\nzero 0\n', '']) {
    const dir = tempDir(t);
    writeFileSync(join(dir, LEADER_EPOCH_CHECKPOINT), text);
    const reports: string[] = [];
    t.notOk(open(dir, reports).load(), JSON.stringify(text));
    t.equal(reports.length, 1);
  }
  t.notOk(open(tempDir(t)).load(), 'a missing file does not load (and is not reported)');
});
