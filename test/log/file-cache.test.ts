/**
 * FileCache: at most `capacity` descriptors, least recently used closed
 * first; a pinned descriptor is never closed (and its number never given to
 * another file) until it is unpinned; asynchronous users (a log's write
 * rounds) wait for a descriptor instead of passing the capacity, and a close
 * holding its file lets them go on; a closed file is never opened again by
 * its path; EMFILE closes cached descriptors and tries again.
 */
import t from 'tap';
import { fstatSync, mkdtempSync, readdirSync, rmSync, statSync, unlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileCache, type SegmentFile } from '../../src/log/file-cache.js';
import { PartitionLog } from '../../src/log/partition-log.js';
import { buildBatch } from '../../src/wire/records/batch-builder.js';

function files(t: { teardown(fn: () => void): void }, n: number): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-fc-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return Array.from({ length: n }, (_, i) => {
    const path = join(dir, `f${i}`);
    writeFileSync(path, `file ${i}`);
    return path;
  });
}

const openFds = () => readdirSync('/proc/self/fd').length;
const touch = (f: SegmentFile) => f.use(() => {});

t.test('least recently used descriptors are closed past the capacity', async (t) => {
  const cache = new FileCache(3);
  const fs = files(t, 6).map((p) => cache.file(p));
  const before = openFds();
  for (const f of fs) touch(f);
  t.equal(cache.openCount, 3, 'three descriptors held');
  t.same(fs.map((f) => f.isOpen), [false, false, false, true, true, true], 'the three used last');
  t.equal(openFds() - before, 3, 'and no more in the process');
  touch(fs[3]!);
  touch(fs[0]!);
  t.same(fs.map((f) => f.isOpen), [true, false, false, true, false, true], 'a use moves a file to the front; the least recent goes');
  for (const f of fs) f.close();
  t.equal(cache.openCount, 0);
  t.equal(openFds(), before, 'close gives every descriptor back');
});

t.test('a pinned descriptor stays open and names its own file while others come and go', async (t) => {
  const cache = new FileCache(2);
  const paths = files(t, 10);
  const fs = paths.map((p) => cache.file(p));
  const fd = fs[0]!.pin();
  for (const f of fs.slice(1)) touch(f);
  t.ok(fs[0]!.isOpen, 'still open');
  t.equal(fstatSync(fd).ino, statSync(paths[0]!).ino, 'its number still refers to its file');
  t.equal(cache.openCount, 2, 'the pinned one counts in the capacity');
  fs[0]!.close();
  t.ok(fs[0]!.isOpen, 'close waits for the pin');
  fs[0]!.unpin();
  t.notOk(fs[0]!.isOpen, 'and happens at the unpin');
  t.throws(() => fs[0]!.pin(), /closed/, 'a closed file is not opened again');
  for (const f of fs) f.close();
});

t.test('synchronous pins pass the capacity while they last; asynchronous ones wait for a descriptor', async (t) => {
  const cache = new FileCache(2);
  const fs = files(t, 4).map((p) => cache.file(p));
  fs[0]!.pin();
  fs[1]!.pin();
  fs[2]!.pin();
  t.equal(cache.openCount, 3, 'a third synchronous pin goes past the capacity');
  t.equal(fs[3]!.tryPin(), -1, 'an asynchronous user gets none');
  let woken = 0;
  fs[3]!.whenFree(() => woken++);
  fs[2]!.unpin();
  t.equal(cache.openCount, 2, 'back to the capacity at the unpin');
  await Promise.resolve();
  t.equal(woken, 1, 'a descriptor given back wakes the waiter');
  t.equal(fs[3]!.tryPin(), -1, 'still none while both held are pinned');
  fs[3]!.whenFree(() => woken++);
  fs[1]!.unpin();
  await Promise.resolve();
  t.equal(woken, 2);
  t.ok(fs[3]!.tryPin() >= 0, 'the unpinned one is closed for it');
  t.notOk(fs[1]!.isOpen);
  t.equal(cache.openCount, 2);
  fs[0]!.unpin();
  fs[3]!.unpin();
  for (const f of fs) f.close();
});

t.test('a file removed while its descriptor was closed is not created again', async (t) => {
  const cache = new FileCache(1);
  const [a, b] = files(t, 2);
  const fa = cache.file(a!), fb = cache.file(b!);
  touch(fa);
  touch(fb);
  t.notOk(fa.isOpen, 'evicted');
  unlinkSync(a!);
  t.throws(() => fa.pin(), { code: 'ENOENT' }, 'the reopen fails');
  t.notOk(existsSync(a!), 'and made no empty file');
  fa.close();
  fb.close();
});

t.test('EMFILE closes cached descriptors and tries again; with none left the error reaches the caller', async (t) => {
  const cache = new FileCache(8);
  const fs = files(t, 3).map((p) => cache.file(p));
  for (const f of fs) touch(f);
  const emfile = () => Object.assign(new Error('EMFILE: too many open files'), { code: 'EMFILE' });
  let failures = 2;
  const value = cache.withRoom(() => { if (failures-- > 0) throw emfile(); return 'opened'; });
  t.equal(value, 'opened', 'the open succeeded after two retries');
  t.equal(cache.openCount, 1, 'one cached descriptor closed per EMFILE');
  t.throws(() => cache.withRoom(() => { throw emfile(); }), { code: 'EMFILE' }, 'nothing left to close: the error is thrown');
  t.equal(cache.openCount, 0);
  t.throws(() => cache.withRoom(() => { throw Object.assign(new Error('EACCES'), { code: 'EACCES' }); }), { code: 'EACCES' }, 'other errors are not retried');
  for (const f of fs) f.close();
});

t.test('a write round waits while every descriptor is pinned; an unpin or a close holding its file lets it go on', async (t) => {
  const cache = new FileCache(2);
  const [pa, pb] = files(t, 2);
  const dir = join(pa!, '..');
  const log = PartitionLog.open(dir, 'w', 0, {}, true, { files: cache });
  const a = cache.file(pa!), b = cache.file(pb!);
  a.pin();
  b.pin();
  t.equal(cache.openCount, 2, 'two reads in flight hold both descriptors (the log\'s was closed for them)');
  const first = log.append(buildBatch([{ value: 'first' }]), 0);
  let written = false;
  void first.done.then(() => { written = true; });
  await new Promise((r) => setTimeout(r, 30));
  t.notOk(written, 'the round waits for a descriptor');
  t.equal(cache.openCount, 2, 'and the capacity holds');
  a.unpin();
  await first.done;
  t.pass('an unpin lets it go on');

  a.pin();
  t.equal(cache.openCount, 2, 'both pinned again');
  const second = log.append(buildBatch([{ value: 'second' }]), 0);
  await new Promise((r) => setTimeout(r, 30));
  log.close();
  await second.done;
  t.pass('a close holds the file for the queued round, which then goes on');
  await new Promise((r) => setTimeout(r, 10));
  t.equal(cache.openCount, 2, 'the closed log gave its descriptor back');
  a.unpin();
  b.unpin();
  a.close();
  b.close();
  const reopened = PartitionLog.open(dir, 'w', 0, {}, true);
  t.teardown(() => reopened.close());
  const bytes = Buffer.concat(reopened.read(0, 1 << 20, 2).chunks).toString('latin1');
  t.ok(bytes.includes('first') && bytes.includes('second'), 'both batches are in the file');
});
