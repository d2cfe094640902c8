/**
 * The console's login form in chromium, against a broker with a SASL
 * listener: the page asks for a user before anything else, a wrong password
 * shows the broker's refusal, the broker's users log in, log out, and a
 * user's ACLs decide what the console shows.
 */
import t from 'tap';
import { mkdirSync } from 'node:fs';
import kafkajs from 'kafkajs';
import { chromium, type Page } from 'playwright-core';
import { ADMIN, ALICE, PLAIN_USERS, secureBroker } from './helpers/secure-broker.js';
import { consoleHttp } from './helpers/console-http.js';

const { Kafka, logLevel } = kafkajs;

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const SHOTS = 'build/console-screenshots';
/** A bound on each wait for the page, not a timing assertion. */
const WAIT = 20_000;

function watch(page: Page) {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
  return { take: () => errors.splice(0) };
}

t.test('login form against a SASL_PLAINTEXT broker', async (t) => {
  mkdirSync(SHOTS, { recursive: true });
  // alice may see only the topics named public-*; admin is a super user.
  const b = await secureBroker(t, { listeners: ['SASL_PLAINTEXT'], flags: { ...PLAIN_USERS, 'allow.everyone.if.no.acl.found': 'false' } });
  const kafka = new Kafka({ brokers: [b.bootstrap('SASL_PLAINTEXT')], sasl: { mechanism: 'plain', ...ADMIN }, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  await admin.createTopics({ topics: [{ topic: 'public-events' }, { topic: 'private-ledger' }] });
  await admin.createAcls({ acl: [{
    resourceType: kafkajs.AclResourceTypes.TOPIC, resourceName: 'public-', resourcePatternType: kafkajs.ResourcePatternTypes.PREFIXED,
    principal: `User:${ALICE.username}`, host: '*', operation: kafkajs.AclOperationTypes.DESCRIBE, permissionType: kafkajs.AclPermissionTypes.ALLOW,
  }] });
  const c = await consoleHttp(t, b.samsa, true);

  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  t.teardown(() => browser.close());
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  const seen = watch(page);

  await page.goto(`${c.http.url}/#/topics`);
  await page.locator('form', { hasText: 'requires a login' }).waitFor({ timeout: WAIT });
  t.equal(await page.locator('header.top').count(), 0, 'nothing of the console before a login');
  await page.screenshot({ path: `${SHOTS}/login.png` });
  t.same(seen.take(), [], 'the login page loads with no console errors');

  await page.fill('input[name=username]', ALICE.username);
  await page.fill('input[name=password]', 'not-her-password');
  await page.click('button[type=submit]');
  await page.locator('.error', { hasText: /alice/ }).waitFor({ timeout: WAIT });
  t.match(await page.locator('.error').textContent(), /fail/i, 'a wrong password: the broker\'s refusal is shown');
  seen.take(); // the refused login's 401 is logged by the browser

  await page.fill('input[name=password]', ALICE.password);
  await page.click('button[type=submit]');
  await page.locator('header .user', { hasText: ALICE.username }).waitFor({ timeout: WAIT });
  await page.locator('table.grid td a', { hasText: 'public-events' }).waitFor({ timeout: WAIT });
  t.equal(await page.locator('table.grid td a', { hasText: 'private-ledger' }).count(), 0, 'alice sees only what her ACLs let her describe');
  t.same(seen.take(), [], 'no console errors once logged in');

  await page.reload();
  await page.locator('header .user', { hasText: ALICE.username }).waitFor({ timeout: WAIT });
  t.pass('the session survives a reload (its cookie)');

  await page.click('header button:has-text("Log out")');
  await page.locator('form', { hasText: 'requires a login' }).waitFor({ timeout: WAIT });
  t.pass('log out brings the login form back');

  await page.fill('input[name=username]', ADMIN.username);
  await page.fill('input[name=password]', ADMIN.password);
  await page.click('button[type=submit]');
  await page.locator('table.grid td a', { hasText: 'private-ledger' }).waitFor({ timeout: WAIT });
  t.pass('the super user sees every topic');
  t.same(seen.take(), [], 'no console errors');
});
