/**
 * The web console's group pages in a real browser (Debian's chromium driven
 * by playwright-core, as console-browser.test.ts) with a KIP-848 consumer
 * group whose two members heartbeat with our codecs: the list shows its type,
 * the group page its epochs and assignor, each member's epoch and rack, and a
 * member's target assignment while a partition moves, gone once the group
 * has reconciled; the lag of its commits as for a classic group.
 */
import t from 'tap';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { testBroker } from './helpers/broker.js';
import { consoleHttp } from './helpers/console-http.js';
import { kcat } from './helpers/kcat.js';
import { GroupWire, Member, beatUntil } from './helpers/consumer-group-wire.js';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const SHOTS = 'build/console-screenshots';
/** A bound on each wait for the page (it polls every 2-3 s), not a timing assertion. */
const WAIT = 20_000;

t.test('a consumer-protocol group in the console', async (t) => {
  mkdirSync(SHOTS, { recursive: true });
  const b = await testBroker(t, { 'group.initial.rebalance.delay.ms': '0' });
  const c = await consoleHttp(t, b.samsa!, false);
  const g = await GroupWire.connect(t, b.host, b.port);
  await g.createTopics(2, 'web-cg');
  await kcat(['-P', '-b', b.bootstrap, '-t', 'web-cg', '-p', '0'], 'a\nb\nc\nd\ne\n');

  const a = new Member(g, 'g-web', { topics: ['web-cg'], rackId: 'rack-a' });
  const bm = new Member(g, 'g-web', { topics: ['web-cg'] });
  await a.join();
  await beatUntil([a], () => a.partitions().length === 2, 10_000, 'A to own both partitions');
  t.equal(await g.commit('g-web', a.memberId, a.epoch, 'web-cg', 0, 2n), 0, 'A commits offset 2 of partition 0');
  // B joins and nobody heartbeats until the page has shown the move: A owns both, its target is one.
  await bm.join();

  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  t.teardown(() => browser.close());
  const page: Page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });

  await page.goto(`${c.http.url}/#/groups`);
  const row = page.locator('table.grid tbody tr', { hasText: 'g-web' });
  await row.waitFor({ timeout: WAIT });
  t.same((await row.locator('td').allInnerTexts()).slice(0, 3), ['g-web', 'Reconciling', 'consumer'], 'the list: state and type');

  await page.goto(`${c.http.url}/#/groups/g-web`);
  await page.locator('[data-testid=group-epoch]').filter({ hasText: /^2$/ }).waitFor({ timeout: WAIT });
  t.match(await page.locator('.toolbar .muted').first().innerText(), /consumer group \(KIP-848\) · assignor uniform · group epoch 2 · assignment epoch 2 · 2 members/, 'type, assignor and epochs');
  t.equal(await page.locator('[data-testid=total-lag]').innerText(), '3', 'the lag of the commit: 5 - 2');
  const members = page.locator('table.members tbody tr');
  const memberA = members.filter({ hasText: a.memberId });
  const cellsA = (await memberA.locator('td').allInnerTexts()).map((x) => x.trim());
  t.same([cellsA[1], cellsA[2], cellsA[4], cellsA[5]], ['–', 'samsa-compat', 'rack-a', '1'], "A's instance id, client, rack and epoch");
  t.match(await memberA.locator('td').last().innerText(), /web-cg: 0, 1\s+target:\s+web-cg: \d/, 'A owns both partitions and its target is one of them');
  t.match(await members.filter({ hasText: bm.memberId }).locator('td').last().innerText(), /none\s+target:\s+web-cg: \d/, 'B owns nothing yet, its target is the other');
  await page.screenshot({ path: join(SHOTS, 'group-consumer-reconciling.png'), fullPage: true });

  await beatUntil([a, bm], () => a.partitions().length === 1 && bm.partitions().length === 1 && a.epoch === 2, 10_000, 'the group to settle');
  await page.locator('.badge', { hasText: 'Stable' }).waitFor({ timeout: WAIT });
  await page.locator('[data-testid=target-assignment]').waitFor({ state: 'detached', timeout: WAIT });
  t.pass('once reconciled no member shows a target apart from its assignment');
  t.same(await members.locator('td:nth-child(6)').allInnerTexts(), ['2', '2'], 'both members at epoch 2');
  await page.screenshot({ path: join(SHOTS, 'group-consumer.png'), fullPage: true });
  t.same(errors, [], 'no console errors');
});
