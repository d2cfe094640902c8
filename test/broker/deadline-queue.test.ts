import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { DeadlineQueue } from '../../src/broker/deadline-queue.js';

const timeouts = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

/** Waits until `done()` holds (polled; at most 10 s, so a loaded machine only makes it slower), then `settleMs` more for strays. */
async function until(done: () => boolean, settleMs: number): Promise<void> {
  for (const end = Date.now() + 10_000; !done() && Date.now() < end;) await sleep(5);
  await sleep(settleMs);
}

t.test('a wait fires once, not before its length; a cancelled one never', async (t) => {
  const q = new DeadlineQueue();
  const fired: string[] = [];
  const start = performance.now();
  let firedAt = 0;
  q.after(30, () => { fired.push('a'); firedAt = performance.now() - start; });
  const b = q.after(30, () => fired.push('b'));
  b.cancel();
  b.cancel();
  await until(() => fired.length > 0, 50);
  t.same(fired, ['a']);
  t.ok(firedAt >= 30, `fired after ${firedAt.toFixed(1)} ms`);
});

t.test('waits of different lengths each fire once and none early, and a wait added by a firing one is kept', async (t) => {
  const q = new DeadlineQueue();
  const start = performance.now();
  const fired = new Map<string, number>();
  const mark = (name: string) => () => {
    if (fired.has(name)) t.fail(`${name} fired twice`);
    fired.set(name, performance.now() - start);
  };
  q.after(60, mark('60'));
  q.after(20, () => {
    mark('20')();
    q.after(10, mark('20+10'));
  });
  q.after(40, mark('40'));
  await until(() => fired.size >= 4, 30);
  t.same([...fired.keys()].sort(), ['20', '20+10', '40', '60']);
  for (const [name, at] of fired) {
    const due = name === '20+10' ? 30 : Number(name);
    t.ok(at >= due, `${name} fired at ${at.toFixed(1)} ms, due at ${due}`);
  }
});

t.test('waits that end out of order still fire only the live ones, after many ended ones were dropped', async (t) => {
  const q = new DeadlineQueue();
  const fired: number[] = [];
  const waits = Array.from({ length: 5000 }, (_, i) => q.after(40, () => fired.push(i)));
  // Everything but every 1000th ends, from the back, so the front stays live for a while.
  for (let i = waits.length - 1; i >= 0; i--) if (i % 1000 !== 0) waits[i]!.cancel();
  await until(() => fired.length >= 5, 50);
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
