import t from 'tap';
import { DelayedFetchPurgatory } from '../../src/broker/delayed-fetch.js';

t.test('a waiting fetch completes on a matching key once tryComplete is true', async (t) => {
  const p = new DelayedFetchPurgatory();
  let bytes = 0;
  const started = Date.now();
  const done = p.wait(['a:0', 'b:1'], 5000, () => bytes >= 10);
  t.equal(p.size, 1);
  p.checkAndComplete('c:0');
  bytes = 5;
  p.checkAndComplete('b:1');
  t.equal(p.size, 1, 'not enough bytes yet');
  bytes = 12;
  p.checkAndComplete('a:0');
  t.equal(await done, true);
  t.ok(Date.now() - started < 1000);
  t.equal(p.size, 0);
  p.checkAndComplete('a:0'); // no watchers left, no effect
});

t.test('max wait passes', async (t) => {
  const p = new DelayedFetchPurgatory();
  const started = Date.now();
  t.equal(await p.wait(['a:0'], 30, () => false), false);
  t.ok(Date.now() - started >= 25);
  t.equal(p.size, 0);
});

t.test('a throwing tryComplete completes; completeAll finishes everything', async (t) => {
  const p = new DelayedFetchPurgatory();
  const a = p.wait(['a:0'], 5000, () => { throw new Error('partition gone'); });
  p.checkAndComplete('a:0');
  t.equal(await a, true);
  const b = p.wait(['x:0'], 5000, () => false);
  const c = p.wait(['x:0', 'y:0'], 5000, () => false);
  p.completeAll();
  t.same(await Promise.all([b, c]), [false, false]);
  t.equal(p.size, 0);
});

t.test('what is already there when the wait begins completes it at once (an append during the caller\'s read woke nobody)', async (t) => {
  const p = new DelayedFetchPurgatory();
  const started = Date.now();
  t.equal(await p.wait(['a:0'], 5000, () => true), true, 'completed early, without a checkAndComplete');
  t.ok(Date.now() - started < 1000, 'not after the max wait');
  t.equal(p.size, 0, 'nothing left watching');
});
