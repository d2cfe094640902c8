/**
 * SASL session lifetimes and re-authentication (KIP-368), and the old
 * SaslHandshake v0 exchange, on a SASL_PLAINTEXT listener with
 * connections.max.reauth.ms=2000:
 * - kafkajs keeps producing for more than two session lifetimes: it
 *   re-authenticates on the same connection, which the broker never closes.
 * - a bare client reads session_lifetime_ms; one that lets it run out has its
 *   connection closed at its next request; one that re-authenticates in time
 *   keeps working past the first lifetime.
 * - an OAUTHBEARER token that expires before connections.max.reauth.ms caps
 *   session_lifetime_ms at its exp.
 * - re-authentication as another user (or with another mechanism) is refused.
 * - SaslHandshake v0 then a bare PLAIN token authenticates; a wrong password
 *   closes the connection without an answer.
 */
import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { ADMIN, ALICE, PLAIN_USERS, secureBroker } from './helpers/secure-broker.js';
import { rawConnect, closedWithin, readFrame, requestFrame } from './helpers/raw.js';
import { captureLog, jwtFor, kafkaFor, plainToken, saslAuthenticate, saslHandshake, wireClosedWithin, wireConnect, wireMetadata } from './helpers/security-clients.js';
import { ErrorCode } from '../src/wire/errors.js';
import { ApiKey } from '../src/wire/generated/api-keys.js';

const REAUTH_MS = 2000;

async function startBroker(t: Parameters<typeof secureBroker>[0]) {
  const b = await secureBroker(t, { listeners: ['SASL_PLAINTEXT'], flags: { ...PLAIN_USERS, 'connections.max.reauth.ms': String(REAUTH_MS) } });
  return { b, log: captureLog(b) };
}

/** Authentications per connection id, from the broker's debug lines. */
function authenticationsByConnection(log: string[], principal: string): Map<number, number> {
  const counts = new Map<number, number>();
  for (const l of log) {
    const m = /conn (\d+): authenticated as (\S+) with/.exec(l);
    if (m && m[2] === principal) counts.set(Number(m[1]), (counts.get(Number(m[1])) ?? 0) + 1);
  }
  return counts;
}

t.test('kafkajs keeps producing across several session lifetimes by re-authenticating on the same connection', async (t) => {
  const { b, log } = await startBroker(t);
  // Re-authenticate once less than 500 ms of the session is left (kafkajs checks before each request).
  const producer = kafkaFor(b, 'SASL_PLAINTEXT', { sasl: { mechanism: 'plain', username: ALICE.username, password: ALICE.password } }, { reauthenticationThreshold: 500 }).producer();
  await producer.connect();
  t.teardown(() => producer.disconnect());
  const started = Date.now();
  let sent = 0;
  while (Date.now() - started < 2.5 * REAUTH_MS) {
    await producer.send({ topic: 'reauth', acks: -1, messages: [{ value: `m${sent}` }] });
    sent++;
    await sleep(200);
  }
  t.ok(sent > 10, `${sent} sends succeeded over ${Date.now() - started} ms`);
  const counts = authenticationsByConnection(log, 'User:alice');
  const most = Math.max(...counts.values());
  t.ok(most >= 3, `one connection authenticated ${most} times (per connection: ${JSON.stringify([...counts])})`);
  t.notOk(log.some((l) => /SASL session .* expired/.test(l)), 'no connection was closed for an expired session');
  t.ok(log.some((l) => new RegExp(`authenticated as User:alice with PLAIN for ${REAUTH_MS} ms`).test(l)), 'each session was given connections.max.reauth.ms');
});

t.test('a bare client: session_lifetime_ms, closed after it runs out, kept open by re-authenticating in time', async (t) => {
  const { b, log } = await startBroker(t);
  const plainLogin = async (c: Awaited<ReturnType<typeof wireConnect>>, user = ALICE) => {
    const h = await saslHandshake(c, 'PLAIN');
    t.equal(h.errorCode, ErrorCode.NONE, 'SaslHandshake v1 PLAIN');
    return saslAuthenticate(c, plainToken(user.username, user.password));
  };

  const lapsing = await wireConnect(b, 'SASL_PLAINTEXT');
  const first = await plainLogin(lapsing);
  t.equal(first.errorCode, ErrorCode.NONE, 'authenticated');
  t.equal(first.sessionLifetimeMs, BigInt(REAUTH_MS), 'session_lifetime_ms is connections.max.reauth.ms');
  t.equal((await wireMetadata(lapsing)).brokers.length, 1, 'Metadata served within the session');
  await sleep(REAUTH_MS + 300);
  const late = await wireMetadata(lapsing).then(() => 'answered', (e: Error) => e.message);
  t.equal(late, 'connection closed', 'a Metadata request after the session ran out: the connection is closed instead of answered');
  t.ok(log.some((l) => /closing connection \d+ .*SASL session of User:alice expired/.test(l)), 'the broker logged why');

  const renewing = await wireConnect(b, 'SASL_PLAINTEXT');
  t.equal((await plainLogin(renewing)).errorCode, ErrorCode.NONE, 'second client authenticated');
  await sleep(REAUTH_MS * 0.6);
  const again = await plainLogin(renewing);
  t.equal(again.errorCode, ErrorCode.NONE, 're-authenticated before the session ran out');
  t.equal(again.sessionLifetimeMs, BigInt(REAUTH_MS), 'with a new session lifetime');
  await sleep(REAUTH_MS * 0.6);
  t.equal((await wireMetadata(renewing)).brokers.length, 1, 'Metadata served after the first session would have ended');
  t.notOk(renewing.closed, 'the connection is still open');
  renewing.close();
});

t.test('an OAUTHBEARER token expiring before connections.max.reauth.ms caps session_lifetime_ms', async (t) => {
  const { b } = await startBroker(t);
  const login = async (lifetimeMs: number) => {
    const c = await wireConnect(b, 'SASL_PLAINTEXT');
    t.teardown(() => c.close());
    const token = jwtFor('alice', lifetimeMs);
    const expMs = (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { exp: number }).exp * 1000;
    t.equal((await saslHandshake(c, 'OAUTHBEARER')).errorCode, ErrorCode.NONE, 'SaslHandshake OAUTHBEARER');
    const before = Date.now();
    const r = await saslAuthenticate(c, Buffer.from(`n,,\x01auth=Bearer ${token}\x01\x01`));
    t.equal(r.errorCode, ErrorCode.NONE, `token valid for about ${lifetimeMs} ms accepted`);
    return { lifetime: Number(r.sessionLifetimeMs), left: expMs - before };
  };
  const short = await login(1500);
  t.ok(short.lifetime > 0 && short.lifetime <= short.left && short.lifetime < REAUTH_MS, `session_lifetime_ms ${short.lifetime} is the time left on the token (${short.left} ms), below connections.max.reauth.ms`);
  const long = await login(3_600_000);
  t.equal(long.lifetime, REAUTH_MS, 'a token valid for an hour gets connections.max.reauth.ms');
});

t.test('re-authentication cannot change the principal or the mechanism', async (t) => {
  const { b } = await startBroker(t);
  const asAlice = async () => {
    const c = await wireConnect(b, 'SASL_PLAINTEXT');
    await saslHandshake(c, 'PLAIN');
    t.equal((await saslAuthenticate(c, plainToken(ALICE.username, ALICE.password))).errorCode, ErrorCode.NONE, 'authenticated as alice');
    return c;
  };
  const c = await asAlice();
  t.equal((await saslHandshake(c, 'PLAIN')).errorCode, ErrorCode.NONE, 're-authentication handshake accepted');
  const other = await saslAuthenticate(c, plainToken(ADMIN.username, ADMIN.password));
  t.equal(other.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED, `re-authenticating as admin: SASL_AUTHENTICATION_FAILED (${other.errorMessage})`);
  t.match(other.errorMessage ?? '', /Cannot change principals/, 'the message says why');
  t.ok(await wireClosedWithin(c, 5000), 'and the connection closes');

  const d = await asAlice();
  const switched = await saslHandshake(d, 'SCRAM-SHA-256');
  t.equal(switched.errorCode, ErrorCode.ILLEGAL_SASL_STATE, 're-authenticating with another mechanism: ILLEGAL_SASL_STATE');
  t.ok(await wireClosedWithin(d, 5000), 'and the connection closes');
});

t.test('SaslHandshake v0 then a bare PLAIN token: authenticated; a wrong password closes the connection unanswered', async (t) => {
  const { b, log } = await startBroker(t);
  const mechanism = Buffer.from('PLAIN');
  const handshakeBody = Buffer.concat([Buffer.from([0, mechanism.length]), mechanism]);
  const bareToken = (token: Buffer) => {
    const size = Buffer.alloc(4);
    size.writeInt32BE(token.length);
    return Buffer.concat([size, token]);
  };

  const good = await rawConnect(b.port('SASL_PLAINTEXT'));
  t.teardown(() => good.destroy());
  good.write(requestFrame(ApiKey.SaslHandshake, 0, 1, handshakeBody));
  const hs = await readFrame(good);
  t.equal(hs.readInt32BE(0), 1, 'SaslHandshake v0 answered');
  t.equal(hs.readInt16BE(4), ErrorCode.NONE, 'PLAIN accepted');
  good.write(bareToken(plainToken(ALICE.username, ALICE.password)));
  const answer = await readFrame(good);
  t.equal(answer.length, 0, 'the bare token is answered with an empty bare frame');
  // Metadata v1 for all topics (null array): served, so the connection is authenticated.
  good.write(requestFrame(ApiKey.Metadata, 1, 2, Buffer.from([0xff, 0xff, 0xff, 0xff])));
  const md = await readFrame(good);
  t.equal(md.readInt32BE(0), 2, 'a Metadata request is then answered');
  t.ok(log.some((l) => /authenticated as User:alice with PLAIN/.test(l)), 'the broker authenticated User:alice');

  const bad = await rawConnect(b.port('SASL_PLAINTEXT'));
  bad.write(requestFrame(ApiKey.SaslHandshake, 0, 1, handshakeBody));
  t.equal((await readFrame(bad)).readInt16BE(4), ErrorCode.NONE, 'second client: PLAIN accepted');
  let answered = false;
  bad.on('data', () => { answered = true; });
  bad.write(bareToken(plainToken(ALICE.username, 'wrong')));
  t.ok(await closedWithin(bad, 5000), 'a wrong password closes the connection');
  t.notOk(answered, 'with nothing sent back');
});
