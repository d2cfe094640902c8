import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { DeadlineQueue } from '../../src/broker/deadline-queue.js';

const timeouts = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

t.test('a wait fires once, not before its length; a cancelled one never', async (t) => {
  const q = new DeadlineQueue();
  const fired: string[] = [];
  const start = performance.now();
  let firedAt = 0;
  q.after(30, () => { fired.push('a'); firedAt = performance.now() - start; });
  const b = q.after(30, () => fired.push('b'));
  b.cancel();
  b.cancel();
  await sleep(80);
  t.same(fired, ['a']);
  t.ok(firedAt >= 30, `fired after ${firedAt.toFixed(1)} ms`);
});

t.test('waits of different lengths fire in deadline order, and waits added by a firing one are kept', async (t) => {
  const q = new DeadlineQueue();
  const fired: string[] = [];
  q.after(60, () => fired.push('60'));
  q.after(20, () => {
    fired.push('20');
    q.after(10, () => fired.push('20+10'));
  });
  q.after(40, () => fired.push('40'));
  await sleep(120);
  t.same(fired, ['20', '20+10', '40', '60']);
});

t.test('waits that end out of order still fire only the live ones, after many ended ones were dropped', async (t) => {
  const q = new DeadlineQueue();
  const fired: number[] = [];
  const waits = Array.from({ length: 5000 }, (_, i) => q.after(40, () => fired.push(i)));
  // Everything but every 1000th ends, from the back, so the front stays live for a while.
  for (let i = waits.length - 1; i >= 0; i--) if (i % 1000 !== 0) waits[i]!.cancel();
  await sleep(100);
  t.same(fired, [0, 1000, 2000, 3000, 4000]);
});

t.test('the timer holds the process up only while a wait is pending', async (t) => {
  const before = timeouts();
  const q = new DeadlineQueue();
  const a = q.after(60_000, () => t.fail('cancelled wait fired'));
  t.equal(timeouts(), before + 1, 'a pending wait keeps a referenced timer');
  const b = q.after(60_000, () => t.fail('cancelled wait fired'));
  a.cancel();
  t.equal(timeouts(), before + 1, 'still one pending');
  b.cancel();
  t.equal(timeouts(), before, 'nothing pending: the timer still set for the ended wait is unreferenced');
  const c = q.after(60_000, () => t.fail('cancelled wait fired'));
  t.equal(timeouts(), before + 1, 'a new wait references it again');
  c.cancel();
  t.equal(timeouts(), before);
});
