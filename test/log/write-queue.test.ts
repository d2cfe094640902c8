/**
 * WriteQueue: appends made together share one write round and one promise,
 * bytes land in order at their positions, and a failed write fails what
 * follows it.
 */
import t from 'tap';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WriteQueue } from '../../src/log/write-queue.js';

/** A file whose descriptor the test holds, with no side writes unless given. */
const target = (fd: number, sideWrites = (): Error | null => null) => ({ tryPin: () => fd, whenFree: () => {}, unpin: () => {}, sideWrites, writeFailed: () => {} });

function tempFile(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-wq-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'f');
}

t.test('appends of one tick share a round; later ones queue behind it; bytes are in order', async (t) => {
  const file = tempFile(t);
  const fd = openSync(file, 'w+');
  t.teardown(() => closeSync(fd));
  let sideWrites = 0;
  const q = new WriteQueue(target(fd, () => { sideWrites++; return null; }), 0);
  const a = q.push(Buffer.from('aaa'), false);
  const b = q.push(Buffer.from('bb'), false);
  t.equal(a, b, 'one promise for the appends of a tick');
  t.equal(q.writtenUpTo, 0, 'nothing written yet');
  await Promise.resolve();
  // The first round is in flight: these wait for the next one.
  const c = q.push(Buffer.from('c'), false);
  const d = q.push(Buffer.from('dddd'), true);
  t.not(c, a, 'a new round while the first is written');
  t.equal(c, d);
  await a;
  t.equal(q.writtenUpTo, 5, 'the first round is written');
  await d;
  t.equal(q.writtenUpTo, 10);
  t.equal(readFileSync(file, 'utf8'), 'aaabbcdddd');
  t.equal(sideWrites, 2, 'each round offered its side writes');
  await q.idle();
  t.notOk(q.busy);
});

t.test('a round of more than ROUND_BYTES starts without waiting for the end of the tick', async (t) => {
  const file = tempFile(t);
  const fd = openSync(file, 'w+');
  t.teardown(() => closeSync(fd));
  const q = new WriteQueue(target(fd), 0);
  const big = Buffer.alloc(1 << 20, 1);
  const first = q.push(big, false);
  const second = q.push(Buffer.from('x'), false);
  t.not(first, second, 'a full round stops collecting');
  await second;
  t.equal(q.writtenUpTo, big.length + 1);
  t.equal(readFileSync(file).length, big.length + 1);
});

t.test('a failed write rejects its appends and every later one', async (t) => {
  const file = tempFile(t);
  closeSync(openSync(file, 'w'));
  const fd = openSync(file, 'r');
  t.teardown(() => closeSync(fd));
  const q = new WriteQueue(target(fd), 0);
  const a = q.push(Buffer.from('x'), false);
  await t.rejects(a, 'a write to a read-only descriptor fails');
  await t.rejects(q.push(Buffer.from('y'), false), 'later appends fail too');
  t.equal(q.writtenUpTo, 0, 'nothing counted as written');
});
