/** MemoryBudget: the broker-wide threshold, who is woken when, and -1 as no limit. */
import t from 'tap';
import { MemoryBudget } from '../../src/broker/memory-budget.js';

const tick = () => new Promise((r) => process.nextTick(r));

t.test('full at the limit; waiters are woken on the next tick once a release brings it below', async (t) => {
  const b = new MemoryBudget(100);
  b.charge(60);
  t.notOk(b.full);
  b.charge(60);
  t.ok(b.full, 'a threshold: the charge that crosses it is taken whole');
  t.equal(b.used, 120);
  const woken: string[] = [];
  b.wait(() => woken.push('a'));
  b.wait(() => woken.push('b'));
  const c = () => woken.push('c');
  b.wait(c);
  b.cancel(c);
  b.release(10);
  await tick();
  t.same(woken, [], 'still full at 110: nobody is woken');
  b.release(30);
  t.same(woken, [], 'not from inside the release');
  await tick();
  t.same(woken, ['a', 'b'], 'below the limit: every waiter, in order, once; a cancelled one not');
  b.release(1000);
  t.equal(b.used, 0, 'never below zero');
});

t.test('a negative limit is never full', async (t) => {
  const b = new MemoryBudget(-1);
  b.charge(Number.MAX_SAFE_INTEGER);
  t.notOk(b.full);
});
