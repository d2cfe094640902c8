/**
 * The web console in a real browser: Debian's chromium driven by
 * playwright-core (no browser download), against a broker and the HTTP side
 * (every route of `samsa start --http`) started in this process. kcat and
 * kafkajs play the other clients: a message kcat produced shows up in the
 * browser with its key and headers, one produced from the browser is read by
 * kcat, a consumer group's lag appears and clears, an empty group's offsets
 * reset from the browser are where a kafkajs consumer starts. Also the file
 * route itself (types, ETags, no path out of its folders).
 *
 * Screenshots of each page go to build/console-screenshots/ (test
 * artefacts); with SAMSA_DOCS_SCREENSHOTS=1 (or when missing) the overview
 * and the message browser are also copied to docs/ for the README.
 */
import t from 'tap';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { testBroker } from './helpers/broker.js';
import { consoleHttp, type ConsoleHttp } from './helpers/console-http.js';
import { kcatConsumeAll, kcatProduce } from './helpers/kcat.js';

const { Kafka, logLevel, ConfigResourceTypes } = kafkajs;

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const SHOTS = 'build/console-screenshots';
const DOCS_SHOTS = process.env.SAMSA_DOCS_SCREENSHOTS === '1';
/** A bound on each wait for the page (it polls every 1-3 s), not a timing assertion. */
const WAIT = 20_000;

/** Everything the page said was wrong: uncaught exceptions, console.error, failed requests. */
function watch(page: Page) {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()} (${m.location().url})`); });
  page.on('requestfailed', (r) => { if (!r.failure()?.errorText.includes('ERR_ABORTED')) errors.push(`request failed: ${r.url()} ${r.failure()?.errorText}`); });
  return { errors, take: () => errors.splice(0) };
}

async function shot(page: Page, name: string, docs?: string): Promise<void> {
  const path = join(SHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  if (docs && (DOCS_SHOTS || !existsSync(docs))) {
    // The README's picture: the first screen, not the whole page.
    await page.screenshot({ path: docs });
  }
}

/** Waits until `selector` (a text or CSS locator) shows `text`. */
async function waitText(page: Page, selector: string, text: string | RegExp): Promise<void> {
  await page.locator(selector).filter({ hasText: text }).first().waitFor({ timeout: WAIT });
}

t.test('the console in chromium', async (t) => {
  mkdirSync(SHOTS, { recursive: true });
  const b = await testBroker(t, { 'num.partitions': '1' });
  const c: ConsoleHttp = await consoleHttp(t, b.samsa!, true);
  const url = c.http.url;
  const kafka = new Kafka({ brokers: [b.bootstrap], logLevel: logLevel.NOTHING, clientId: 'console-test' });
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());

  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  t.teardown(() => browser.close());
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
  const page = await context.newPage();
  const seen = watch(page);

  await t.test('the file route: types, ETags, 404s, no way out of its folders', async (t) => {
    const index = await fetch(`${url}/`);
    t.equal(index.status, 200);
    t.match(index.headers.get('content-type'), /^text\/html/);
    const html = await index.text();
    t.match(html, /<script type="importmap">/, 'an import map');
    t.notMatch(html, /https?:\/\/(?!127\.)/, 'no CDN: nothing fetched from another host');
    const app = await fetch(`${url}/assets/app.js`);
    t.match(app.headers.get('content-type'), /^text\/javascript/);
    const etag = app.headers.get('etag');
    t.ok(etag, 'an ETag');
    t.equal((await fetch(`${url}/assets/app.js`, { headers: { 'if-none-match': etag! } })).status, 304, 'revalidation: 304');
    for (const v of ['preact.mjs', 'preact-hooks.mjs', 'htm.mjs', 'uplot.mjs']) {
      const r = await fetch(`${url}/vendor/${v}`);
      t.equal(r.status, 200, `/vendor/${v}`);
      t.match(r.headers.get('content-type'), /^text\/javascript/);
    }
    t.match((await fetch(`${url}/vendor/uplot.css`)).headers.get('content-type'), /^text\/css/);
    t.equal((await fetch(`${url}/assets/nope.js`)).status, 404, 'an unknown file: 404');
    t.equal((await fetch(`${url}/vendor/react.mjs`)).status, 404, 'an unknown vendor file: 404');
    // Raw request lines, so that no client normalizes the path first.
    const raw = (path: string) => new Promise<string>((resolve, reject) => {
      const s = connect(c.http.port, '127.0.0.1', () => s.end(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`));
      let out = '';
      s.on('data', (d) => (out += d));
      s.on('end', () => resolve(out));
      s.on('error', reject);
    });
    for (const path of ['/assets/../../package.json', '/assets/..%2F..%2F..%2Fpackage.json', '/assets/%2e%2e%2fconsole-files.ts', '/vendor/..%2F..%2Fpackage.json',
      '/assets/%2Fetc%2Fpasswd', '/assets//etc/passwd', '/vendor/preact%2F..%2F..%2Fpackage.json', '/assets/..%5C..%5Cpackage.json']) {
      const res = await raw(path);
      t.match(res, /^HTTP\/1\.1 404 /, `${path}: 404`);
      t.notMatch(res, /"name": "samsa"|root:x:0:0|consoleFiles/, `${path}: nothing of the file`);
    }
  });

  await t.test('each page loads with no console errors; first paint of the overview', async (t) => {
    await admin.createTopics({ topics: [{ topic: 'page-check', numPartitions: 2 }] });
    // Just after the browser started (everything cold), then five times in a
    // fresh context (an empty HTTP cache, a new renderer) with the browser warm.
    const firstPaint = async (p: Page) => {
      await p.goto(`${url}/#/overview`);
      await p.waitForFunction(() => performance.getEntriesByName('samsa:overview-rendered').length > 0, null, { timeout: WAIT });
      return p.evaluate(() => ({
        fcp: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN,
        rendered: performance.getEntriesByName('samsa:overview-rendered')[0]?.startTime ?? NaN,
      }));
    };
    const cold = await firstPaint(page);
    const warm: { fcp: number; rendered: number }[] = [];
    for (let i = 0; i < 5; i++) {
      const fresh = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      warm.push(await firstPaint(await fresh.newPage()));
      await fresh.close();
    }
    t.ok([cold, ...warm].every((p) => !Number.isNaN(p.rendered)), 'the overview marks when its figures first show');
    const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const ms = (x: number) => `${x.toFixed(0)} ms`;
    const rendered = warm.map((p) => p.rendered);
    const line = `console first paint of the overview (the broker's figures painted), empty cache, 5 loads: median ${ms(median(rendered))}, best ${ms(Math.min(...rendered))} `
      + `(first contentful paint median ${ms(median(warm.map((p) => p.fcp)))}); the browser's very first page ${ms(cold.rendered)}; load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} CPUs`;
    t.comment(line);
    await shot(page, 'overview');

    const pages: [string, string, string][] = [
      ['topics', 'Topics', 'page-check'],
      ['topics/page-check', 'page-check', 'Partitions'],
      ['messages/page-check', 'Messages', 'messages shown'],
      ['groups', 'Consumer groups', 'group'],
      ['transactions', 'Transactions', 'Producers'],
    ];
    for (const [hash, title, text] of pages) {
      await page.goto(`${url}/#/${hash}`);
      await waitText(page, 'h1', title);
      await page.getByText(text).first().waitFor({ timeout: WAIT });
      await shot(page, hash.replace(/\//g, '-'));
    }
    t.same(seen.take(), [], 'no console errors, page errors or failed requests');
  });

  // Steady background traffic (a producer and a consumer group), so that the
  // throughput chart and the README pictures show a live broker; started after
  // the first-paint figures, which it would slow down.
  await admin.createTopics({ topics: [{ topic: 'clickstream', numPartitions: 3 }] });
  const traffic = kafka.producer();
  await traffic.connect();
  let clicks = 0;
  const click = () => ({ key: `user-${clicks % 7}`, value: JSON.stringify({ page: `/products/${clicks % 13}`, n: clicks }), headers: { source: 'web', 'trace-id': `t-${(clicks++).toString(16).padStart(6, '0')}` } });
  const ticker = setInterval(() => { traffic.send({ topic: 'clickstream', messages: Array.from({ length: 20 }, click) }).catch(() => undefined); }, 500);
  const readers = kafka.consumer({ groupId: 'clickstream-readers', maxWaitTimeInMs: 200 });
  await readers.connect();
  await readers.subscribe({ topic: 'clickstream', fromBeginning: true });
  await readers.run({ eachMessage: async () => undefined });
  t.teardown(async () => {
    clearInterval(ticker);
    await readers.disconnect();
    await traffic.disconnect();
  });

  await t.test('topics: create from the browser; a config change the broker refuses shows its "did you mean"', async (t) => {
    await page.goto(`${url}/#/topics`);
    await page.getByText('Create a topic').click();
    await page.fill('input[name=name]', 'browse');
    await page.fill('input[name=partitions]', '2');
    await page.click('button:has-text("Create topic")');
    await waitText(page, 'h1', 'browse');
    await page.locator('table.grid tbody tr').nth(1).waitFor({ timeout: WAIT });
    t.equal(await page.locator('table.grid').first().locator('tbody tr').count(), 2, 'two partitions listed');
    const described = await admin.fetchTopicMetadata({ topics: ['browse'] });
    t.equal(described.topics[0]!.partitions.length, 2, 'the broker has the topic with two partitions');

    await page.fill('input[name=config-name]', 'retention.mss');
    await page.fill('input[name=config-value]', '3600000');
    await page.click('form.inline button[type=submit]:text-is("Set")');
    await waitText(page, '.error', /did you mean/i);
    t.match(await page.locator('.error').first().textContent(), /retention\.ms/, 'the error names the setting meant');
    await page.fill('input[name=config-name]', 'retention.ms');
    await page.click('form.inline button[type=submit]:text-is("Set")');
    await page.locator('table.configs tr', { hasText: 'retention.ms' }).filter({ hasText: '3600000' }).first().waitFor({ timeout: WAIT });
    const configs = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: 'browse', configNames: ['retention.ms'] }], includeSynonyms: false });
    t.equal(configs.resources[0]!.configEntries[0]!.configValue, '3600000', 'the broker has the new retention.ms');
    seen.take(); // the refused change logged its 400 in the console on purpose

    await admin.createTopics({ topics: [{ topic: 'doomed' }] });
    await page.goto(`${url}/#/topics/doomed`);
    await page.click('button:has-text("Delete topic")');
    await page.click('button:has-text("Delete doomed and its data")');
    await waitText(page, 'h1', 'Topics');
    t.notOk((await admin.listTopics()).includes('doomed'), 'a topic deleted from the browser is gone');
    t.same(seen.take(), [], 'no console errors');
  });

  await t.test('a message kcat produced shows up with its key and headers; hex, filter, export, live tail', async (t) => {
    await kcatProduce(b.bootstrap, 'browse', ['order-1\t{"item":"kcat-widget","qty":3}'], ['-K', '\t', '-H', 'trace-id=abc123', '-H', 'origin=kcat', '-p', '0']);
    await page.goto(`${url}/#/messages/browse`);
    const row = page.locator('table.messages tbody tr', { hasText: 'kcat-widget' });
    await row.waitFor({ timeout: WAIT });
    t.match(await row.locator('td.key').textContent(), /order-1/, 'the key');
    const headers = await row.locator('td.headers').textContent();
    t.match(headers, /trace-id: ?abc123/, 'a header');
    t.match(headers, /origin: ?kcat/, 'the other header');
    t.match(await row.locator('td.value pre').getAttribute('class'), /json/, 'the JSON value shown as pretty JSON');
    t.match(await row.locator('td.value').textContent(), /"qty": 3/, 'indented');
    await shot(page, 'messages');

    await page.click('.segmented button:has-text("hex")');
    // The only message so far: in hex its row no longer says kcat-widget.
    t.match(await page.locator('table.messages tbody tr').first().locator('td.value').textContent(), /7b 22 69 74 65 6d/, 'hex: the bytes of {"item');
    await page.click('.segmented button:has-text("auto")');

    const download = page.waitForEvent('download');
    await page.click('button:has-text("Export JSON lines")');
    const file = await (await download).path();
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    t.match(lines.find((l) => l.key === 'order-1'), { topic: 'browse', partition: 0, value: '{"item":"kcat-widget","qty":3}', headers: [{ key: 'trace-id', value: 'abc123' }, { key: 'origin', value: 'kcat' }] }, 'the export holds the message as shown');

    await page.fill('input[name=filter]', 'no-such-thing');
    await page.click('button[type=submit]:has-text("Read")');
    await waitText(page, 'table.messages td', 'No messages match the filter');
    await page.fill('input[name=filter]', 'abc\\d{3}');
    await page.check('input[name=regex]');
    await page.selectOption('select[name=filterOn]', 'headers');
    await page.click('button[type=submit]:has-text("Read")');
    await row.waitFor({ timeout: WAIT });
    t.equal(await page.locator('table.messages tbody tr').count(), 1, 'a regex on the headers keeps the message');
    await page.fill('input[name=filter]', '');
    await page.uncheck('input[name=regex]');
    await page.selectOption('select[name=filterOn]', 'any');
    await page.click('button[type=submit]:has-text("Read")');

    await page.check('input[name=tail]');
    await kcatProduce(b.bootstrap, 'browse', ['late\tarrived while tailing'], ['-K', '\t', '-p', '1']);
    await page.locator('table.messages tbody tr', { hasText: 'arrived while tailing' }).waitFor({ timeout: WAIT });
    t.pass('live tail shows a message produced after the page was read');
    await page.uncheck('input[name=tail]');
    t.same(seen.take(), [], 'no console errors');
  });

  await t.test('a message produced from the browser is read by kcat', async (t) => {
    await page.goto(`${url}/#/messages/browse`);
    await page.getByText('Produce a message').click();
    await page.selectOption('select[name=produce-partition]', '1');
    await page.fill('input[name=produce-key]', 'from-browser');
    await page.fill('textarea[name=produce-value]', 'hello from chromium');
    await page.click('button:has-text("Add header")');
    await page.fill('input[name=header-key-0]', 'sent-by');
    await page.fill('input[name=header-value-0]', 'console');
    await page.click('button[type=submit]:has-text("Produce")');
    await waitText(page, '[role=status]', /Produced to partition 1 at offset \d+/);
    const read = await kcatConsumeAll(b.bootstrap, 'browse', ['-p', '1']);
    const mine = read.find((m) => m.key === 'from-browser');
    t.ok(mine, 'kcat reads the message');
    t.equal(mine?.payload, 'hello from chromium', 'its value');
    t.equal(mine?.partition, 1, 'in the partition chosen');
    t.same(mine?.headers, ['sent-by', 'console'], 'with its header');
    await shot(page, 'messages-after-produce');
    // The README's picture: the background traffic's messages (keys, JSON values, headers).
    await page.goto(`${url}/#/messages/clickstream`);
    await page.locator('table.messages tbody tr', { hasText: 'user-' }).first().waitFor({ timeout: WAIT });
    await shot(page, 'messages-clickstream', 'docs/console-messages.png');
    t.same(seen.take(), [], 'no console errors');
  });

  await t.test('a consumer group: lag appears and clears; an empty group reset from the browser is where kafkajs starts', async (t) => {
    await admin.createTopics({ topics: [{ topic: 'lagging', numPartitions: 1 }] });
    const producer = kafka.producer();
    await producer.connect();
    t.teardown(() => producer.disconnect());
    const send = (from: number, n: number) => producer.send({ topic: 'lagging', messages: Array.from({ length: n }, (_, i) => ({ value: `m${from + i}` })) });
    // A consumer that reads `n` messages, commits, and leaves (the group is then Empty with its offsets).
    const consume = async (n: number): Promise<string[]> => {
      const got: { offset: string; value: string }[] = [];
      const consumer = kafka.consumer({ groupId: 'g-lag', sessionTimeout: 6000, heartbeatInterval: 300, maxWaitTimeInMs: 100, rebalanceTimeout: 3000 });
      await consumer.connect();
      try {
        await consumer.subscribe({ topic: 'lagging', fromBeginning: true });
        await consumer.run({ autoCommit: true, eachMessage: async ({ message }) => { got.push({ offset: message.offset, value: message.value!.toString() }); } });
        const end = Date.now() + WAIT;
        while (got.length < n && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
        await consumer.commitOffsets([{ topic: 'lagging', partition: 0, offset: String(Number(got.at(-1)?.offset ?? -1) + 1) }]);
      } finally {
        await consumer.disconnect();
      }
      return got.map((g) => `${g.offset}:${g.value}`);
    };

    await send(0, 4);
    t.same(await consume(4), ['0:m0', '1:m1', '2:m2', '3:m3'], 'the group reads the first messages');
    await send(4, 6);
    await page.goto(`${url}/#/groups/g-lag`);
    await waitText(page, '[data-testid=total-lag]', /^6$/);
    await page.locator('table.offsets td', { hasText: /^6$/ }).first().waitFor({ timeout: WAIT });
    t.pass('the browser shows the lag of 6 messages');
    await shot(page, 'group');
    const reading = consume(6);
    t.same(await reading, ['4:m4', '5:m5', '6:m6', '7:m7', '8:m8', '9:m9'], 'the consumer catches up');
    await waitText(page, '[data-testid=total-lag]', /^0$/);
    t.pass('and the lag clears in the browser');

    await page.locator('.badge', { hasText: 'Empty' }).waitFor({ timeout: WAIT });
    await page.selectOption('select[name=reset-topic]', 'lagging');
    await page.selectOption('select[name=reset-to]', 'offset');
    await page.fill('input[name=reset-offset]', '3');
    await page.click('button:has-text("Reset offsets")');
    await waitText(page, '[role=status]', /Reset 1 partition: lagging\[0\] → 3/);
    await waitText(page, '[data-testid=total-lag]', /^7$/);
    const api = await c.api('GET', '/api/groups/g-lag');
    t.match(api.body.offsets, [{ topic: 'lagging', partition: 0, committed: 3, lag: 7 }], 'the API has the reset offset');
    t.same((await consume(7)).slice(0, 2), ['3:m3', '4:m4'], 'kafkajs starts at the reset position');

    await page.selectOption('select[name=reset-to]', 'earliest');
    await page.click('button:has-text("Reset offsets")');
    await waitText(page, '[role=status]', /lagging\[0\] → 0/);
    t.pass('reset to the earliest offset');
    await shot(page, 'group-reset');

    await page.click('button:has-text("Delete group")');
    await page.click('button:has-text("Delete g-lag and its offsets")');
    await waitText(page, 'h1', 'Consumer groups');
    t.notOk((await admin.listGroups()).groups.some((g) => g.groupId === 'g-lag'), 'a group deleted from the browser is gone');
    t.same(seen.take(), [], 'no console errors');
  });

  await t.test('an open transaction shows with its partition and the LSO it holds back', async (t) => {
    await admin.createTopics({ topics: [{ topic: 'txn-topic', numPartitions: 1 }] });
    const producer = kafka.producer({ transactionalId: 'tx-console', idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    t.teardown(() => producer.disconnect());
    const txn = await producer.transaction();
    await txn.send({ topic: 'txn-topic', messages: [{ value: 'open-1' }, { value: 'open-2' }] });
    await page.goto(`${url}/#/transactions`);
    const row = page.locator('table.grid tbody tr', { hasText: 'tx-console' });
    await row.filter({ hasText: 'Ongoing' }).waitFor({ timeout: WAIT });
    t.match(await row.textContent(), /txn-topic\[0\]/, 'the ongoing transaction with its partition');
    await page.selectOption('select[aria-label="producers of topic"]', 'txn-topic');
    const part = page.locator('table.grid').nth(1).locator('tbody tr').first();
    await part.filter({ hasText: 'open transaction from offset' }).waitFor({ timeout: WAIT });
    const cells = await part.locator('td').allTextContents();
    t.ok(Number(cells[3]) > 0, `the high watermark is ahead of the last stable offset (held back ${cells[3]})`);
    await shot(page, 'transactions-open');
    await txn.commit();
    await part.locator('td').nth(3).filter({ hasText: /^0$/ }).waitFor({ timeout: WAIT });
    t.pass('after the commit nothing is held back');
    t.same(seen.take(), [], 'no console errors');
  });

  await t.test('the overview after some traffic (the README picture)', async (t) => {
    await page.goto(`${url}/#/overview`);
    await waitText(page, '.stat-label', 'brokers');
    await page.locator('.chart canvas').first().waitFor({ timeout: WAIT });
    t.ok(Number(await page.locator('.stat', { hasText: 'topics' }).locator('.stat-value').textContent()) >= 3, 'the topics made here are counted');
    await shot(page, 'overview-after-traffic', 'docs/console-overview.png');
    t.same(seen.take(), [], 'no console errors');
  });

  await t.test('without --http-allow-writes: write controls disabled, with how to turn them on', async (t) => {
    const ro = await consoleHttp(t, b.samsa!, false);
    const p = await context.newPage();
    const roSeen = watch(p);
    await p.goto(`${ro.http.url}/#/messages/browse`);
    await p.locator('table.messages tbody tr').first().waitFor({ timeout: WAIT });
    await p.getByText('Produce a message').click();
    t.ok(await p.locator('.note', { hasText: '--http-allow-writes' }).first().isVisible(), 'the note says how to enable writes');
    t.ok(await p.locator('button[type=submit]:has-text("Produce")').isDisabled(), 'Produce is disabled');
    await p.goto(`${ro.http.url}/#/topics/browse`);
    await waitText(p, 'h1', 'browse');
    await p.locator('button', { hasText: 'Delete topic' }).waitFor({ timeout: WAIT });
    t.ok(await p.locator('button', { hasText: 'Delete topic' }).isDisabled(), 'Delete topic is disabled');
    t.ok(await p.locator('header .badge', { hasText: 'read-only' }).isVisible(), 'the header says read-only');
    await shot(p, 'read-only');
    t.same(roSeen.take(), [], 'no console errors');
    await p.close();
  });
});
