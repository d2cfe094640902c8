/**
 * The console's login gate against SASL brokers: without a login /api/* and
 * /metrics answer 401; a wrong password is refused with the broker's message;
 * a login sets an HttpOnly SameSite=Strict cookie that works until logout;
 * HTTP Basic credentials work too (curl, Prometheus); the console acts as the
 * logged-in user, so the broker's ACLs decide what each user sees and may do;
 * writes from another site are refused. Also a SASL_SSL-only broker, where
 * the console's client has to trust the broker's own certificate.
 */
import t from 'tap';
import kafkajs from 'kafkajs';
import { ADMIN, ALICE, PLAIN_USERS, secureBroker } from './helpers/secure-broker.js';
import { aclBroker, grant } from './helpers/acl-clients.js';
import { addScramUser } from './helpers/security-clients.js';
import { consoleHttp } from './helpers/console-http.js';

const { AclResourceTypes, AclOperationTypes } = kafkajs;

const basic = (u: { username: string; password: string }) => ({ authorization: `Basic ${Buffer.from(`${u.username}:${u.password}`).toString('base64')}` });

t.test('SASL_PLAINTEXT with ACLs: 401 without a login, cookie and Basic logins, each user sees what its ACLs allow', async (t) => {
  const { b, admin } = await aclBroker(t);
  await admin.createTopics({ topics: ['public', 'secret'].map((topic) => ({ topic })) });
  await grant(admin, { type: AclResourceTypes.TOPIC, name: 'public', op: AclOperationTypes.DESCRIBE });
  const c = await consoleHttp(t, b.samsa, true);

  const session = await c.api('GET', '/api/session');
  t.equal(session.status, 200);
  t.match(session.body, { authRequired: true, user: null, allowWrites: true }, 'a login is required');

  const anon = await c.api('GET', '/api/topics');
  t.equal(anon.status, 401, 'no login: 401');
  t.equal(anon.body.code, 'LOGIN_REQUIRED');
  t.notOk(anon.headers.get('www-authenticate'), 'no Basic challenge for the API (a browser would pop up a dialog)');
  const metrics = await c.api('GET', '/metrics');
  t.equal(metrics.status, 401, '/metrics needs a login too');
  t.match(metrics.headers.get('www-authenticate'), /^Basic /, '/metrics asks for Basic credentials');
  t.equal((await c.api('GET', '/api/cluster')).status, 401, 'every other /api route too');

  const wrong = await c.api('POST', '/api/login', { username: ALICE.username, password: 'not-it' });
  t.equal(wrong.status, 401, 'wrong password: 401');
  t.equal(wrong.body.code, 'SASL_AUTHENTICATION_FAILED');
  t.match(wrong.body.error, /authentication as alice .* failed/, 'with the broker\'s refusal');
  t.notOk(wrong.headers.get('set-cookie'), 'and no cookie');
  t.equal((await c.api('POST', '/api/login', { username: 'alice' })).status, 400, 'a body without a password: 400');

  const login = await c.api('POST', '/api/login', ALICE);
  t.equal(login.status, 200, 'login');
  t.match(login.body, { authRequired: true, user: 'alice' });
  const setCookie = login.headers.get('set-cookie') ?? '';
  t.match(setCookie, /^samsa_session=[A-Za-z0-9_-]{40,};/, 'a random session id');
  t.match(setCookie, /HttpOnly/, 'HttpOnly');
  t.match(setCookie, /SameSite=Strict/, 'SameSite=Strict');
  const cookie = { cookie: setCookie.split(';')[0]! };

  t.match((await c.api('GET', '/api/session', undefined, cookie)).body, { user: 'alice' }, 'the session knows the user');
  const aliceTopics = await c.api('GET', '/api/topics', undefined, cookie);
  t.equal(aliceTopics.status, 200);
  t.same(aliceTopics.body.map((x: { name: string }) => x.name), ['public'], 'alice sees only the topic she may DESCRIBE');
  t.equal((await c.api('GET', '/api/topics/secret', undefined, cookie)).status, 403, 'and secret is refused to her');
  const create = await c.api('POST', '/api/topics', { name: 'alices' }, cookie);
  t.equal(create.status, 403, 'creating a topic without CREATE: 403');
  t.equal(create.body.code, 'TOPIC_AUTHORIZATION_FAILED', 'with the broker\'s error');
  t.equal((await c.api('GET', '/api/overview', undefined, cookie)).status, 200, 'the overview works for her');

  const adminTopics = await c.api('GET', '/api/topics', undefined, basic(ADMIN));
  t.equal(adminTopics.status, 200, 'Basic credentials work');
  t.same(adminTopics.body.map((x: { name: string }) => x.name), ['public', 'secret'], 'the super user sees both');
  const scraped = await c.api('GET', '/metrics', undefined, basic(ADMIN));
  t.equal(scraped.status, 200, '/metrics with Basic credentials (a Prometheus scrape)');
  t.match(scraped.body, /kafka_topic_partitions/, 'answers the metrics');
  const badBasic = await c.api('GET', '/api/topics', undefined, basic({ username: 'admin', password: 'nope' }));
  t.equal(badBasic.status, 401, 'wrong Basic credentials: 401');

  const cross = await c.api('POST', '/api/topics', { name: 'csrf' }, { ...basic(ADMIN), origin: 'http://evil.example' });
  t.equal(cross.status, 403, 'a write from another origin is refused');
  t.equal(cross.body.code, 'CROSS_ORIGIN');
  t.equal((await c.api('DELETE', '/api/topics/public', undefined, { ...basic(ADMIN), 'sec-fetch-site': 'cross-site' })).status, 403, 'Sec-Fetch-Site: cross-site is refused');
  t.equal((await c.api('POST', '/api/login', ADMIN, { origin: 'http://evil.example' })).status, 403, 'a login from another origin too');
  const same = await c.api('POST', '/api/topics', { name: 'made-by-admin' }, { ...basic(ADMIN), origin: c.http.url, 'sec-fetch-site': 'same-origin' });
  t.equal(same.status, 201, 'a same-origin write goes through');

  const logout = await c.api('POST', '/api/logout', undefined, cookie);
  t.equal(logout.status, 200, 'logout');
  t.match(logout.headers.get('set-cookie'), /Max-Age=0/, 'clears the cookie');
  t.equal((await c.api('GET', '/api/topics', undefined, cookie)).status, 401, 'the old cookie no longer works');
});

t.test('SASL_SSL only, SCRAM users: the console trusts the broker\'s own certificate and logs in with SCRAM', async (t) => {
  const b = await secureBroker(t, { listeners: ['SASL_SSL'], certs: true, flags: { ...PLAIN_USERS, 'sasl.enabled.mechanisms': 'SCRAM-SHA-256' } });
  await addScramUser(b, 'SCRAM-SHA-256', 'carol', 'carol-secret');
  const c = await consoleHttp(t, b.samsa, false);
  t.equal((await c.api('POST', '/api/login', ALICE)).status, 401, 'a PLAIN-only user cannot log in where only SCRAM is served');
  const login = await c.api('POST', '/api/login', { username: 'carol', password: 'carol-secret' });
  t.equal(login.status, 200, 'carol logs in over SASL_SSL');
  const cookie = { cookie: (login.headers.get('set-cookie') ?? '').split(';')[0]! };
  const overview = await c.api('GET', '/api/overview', undefined, cookie);
  t.equal(overview.status, 200, 'the overview through TLS');
  t.equal(overview.body.brokers.length, 1);
  const create = await c.api('POST', '/api/topics', { name: 'nope' }, cookie);
  t.equal(create.status, 403, 'writes are off');
  t.equal(create.body.code, 'WRITES_DISABLED');
});

t.test('SSL only, no SASL: no login needed, the console connects over TLS as ANONYMOUS', async (t) => {
  const b = await secureBroker(t, { listeners: ['SSL'], certs: true });
  const c = await consoleHttp(t, b.samsa, true);
  t.match((await c.api('GET', '/api/session')).body, { authRequired: false, user: null }, 'no login');
  const created = await c.api('POST', '/api/topics', { name: 'over-tls' });
  t.equal(created.status, 201, 'a topic created through the TLS listener');
  t.equal((await c.api('GET', '/api/topics')).body[0]?.name, 'over-tls', 'and listed');
});
