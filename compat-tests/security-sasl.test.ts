/**
 * SASL with real clients, on SASL_PLAINTEXT and SASL_SSL:
 * - PLAIN (users from sasl.jaas.config), SCRAM-SHA-256 and SCRAM-SHA-512
 *   (credentials in the cluster metadata) with kafkajs and kcat: the right
 *   password gives a produce and consume round trip as that user; a wrong
 *   password and an unknown user are refused with SASL_AUTHENTICATION_FAILED.
 * - A listener serving PLAIN only refuses SCRAM with UNSUPPORTED_SASL_MECHANISM.
 * - OAUTHBEARER with unsecured JWTs: kafkajs with a token it makes, kcat with
 *   librdkafka's built-in token (sasl.oauthbearer.config=principal=alice);
 *   an expired token is refused.
 * Who the broker took the client for is read from its debug log
 * ("authenticated as User:<name> with <mechanism>").
 */
import t from 'tap';
import type { SASLOptions } from 'kafkajs';
import { ALICE, PLAIN_USERS, secureBroker } from './helpers/secure-broker.js';
import {
  SCRAM_MECHANISMS, addScramUser, captureLog, jwtFor, kafkaFor, kafkajsRoundTrip, kcatArgsFor, kcatFails, kcatRoundTrip,
  plainToken, rejection, saslAuthenticate, saslHandshake, wireClosedWithin, wireConnect, type KcatSasl,
} from './helpers/security-clients.js';
import { ErrorCode } from '../src/wire/errors.js';

type PasswordMechanism = 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
const MECHANISMS: PasswordMechanism[] = ['PLAIN', ...SCRAM_MECHANISMS];
const LISTENERS = ['SASL_PLAINTEXT', 'SASL_SSL'];

const kafkajsSasl = (mechanism: PasswordMechanism, username: string, password: string) =>
  ({ mechanism: mechanism.toLowerCase(), username, password }) as SASLOptions;

async function startBroker(t: Parameters<typeof secureBroker>[0]) {
  const b = await secureBroker(t, {
    listeners: [...LISTENERS, 'PLAINONLY'],
    certs: true,
    flags: {
      ...PLAIN_USERS,
      'listener.security.protocol.map': 'SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL,PLAINONLY:SASL_PLAINTEXT',
      'listener.name.plainonly.sasl.enabled.mechanisms': 'PLAIN',
    },
  });
  for (const m of SCRAM_MECHANISMS) await addScramUser(b, m, ALICE.username, ALICE.password);
  return b;
}

t.test('PLAIN and SCRAM over SASL_PLAINTEXT and SASL_SSL: kafkajs and kcat round trips; wrong passwords and unknown users refused', async (t) => {
  const b = await startBroker(t);
  const log = captureLog(b);

  for (const listener of LISTENERS) {
    for (const mechanism of MECHANISMS) {
      const tag = `${listener.toLowerCase()}-${mechanism.toLowerCase()}`;
      await t.test(`kafkajs ${mechanism} over ${listener}`, async (t) => {
        log.length = 0;
        const kafka = kafkaFor(b, listener, { sasl: kafkajsSasl(mechanism, ALICE.username, ALICE.password) });
        t.same(await kafkajsRoundTrip(kafka, `kafkajs-${tag}`, ['one', 'two']), ['one', 'two'], 'round trip');
        t.ok(log.some((l) => l.includes(`authenticated as User:alice with ${mechanism}`)), 'the broker took the client for User:alice');
      });
      await t.test(`kcat ${mechanism} over ${listener}`, async (t) => {
        log.length = 0;
        const kcatSasl: KcatSasl = { mechanism, username: ALICE.username, password: ALICE.password };
        t.same(await kcatRoundTrip(kcatArgsFor(b, listener, { sasl: kcatSasl }), `kcat-${tag}`, ['three']), ['three'], 'round trip');
        t.ok(log.some((l) => l.includes(`authenticated as User:alice with ${mechanism}`)), 'the broker took the client for User:alice');
      });
    }
  }

  await t.test('refusals', async (t) => {
    // Every mechanism on both listeners with kafkajs; kcat in parallel on SASL_PLAINTEXT (each waits out its metadata timeout).
    for (const listener of LISTENERS) {
      for (const mechanism of MECHANISMS) {
        for (const [what, user, password] of [['wrong password', ALICE.username, 'not-her-password'], ['unknown user', 'mallory', ALICE.password]] as const) {
          const e = await rejection(kafkaFor(b, listener, { sasl: kafkajsSasl(mechanism, user, password) }, { retries: 0 }).admin().connect());
          t.equal(e.name, 'KafkaJSSASLAuthenticationError', `kafkajs ${mechanism} ${what} over ${listener}: an authentication error`);
          // The broker's SASL_AUTHENTICATION_FAILED message reaches the client.
          const expected = mechanism === 'PLAIN' ? /Authentication failed: Invalid username or password/ : new RegExp(`invalid credentials with SASL mechanism ${mechanism}`);
          t.match(e.message, expected, `kafkajs ${mechanism} ${what} over ${listener}: ${e.message}`);
        }
      }
    }
    const kcatRefusals = await Promise.all(MECHANISMS.flatMap((mechanism) => [
      { mechanism, what: 'wrong password', user: ALICE.username, password: 'not-her-password' },
      { mechanism, what: 'unknown user', user: 'mallory', password: ALICE.password },
    ]).map(async (c) => ({ ...c, stderr: await kcatFails(['-L', ...kcatArgsFor(b, 'SASL_PLAINTEXT', { sasl: { mechanism: c.mechanism, username: c.user, password: c.password } }), '-m', '4']) })));
    for (const r of kcatRefusals) {
      t.match(r.stderr, /SASL authentication error: Authentication failed/, `kcat ${r.mechanism} ${r.what}: refused by the broker`);
    }
    t.notOk(log.some((l) => /authenticated as User:mallory/.test(l)), 'mallory never authenticated');

    // The error code itself, as a bare client sees it: SASL_AUTHENTICATION_FAILED, then the connection closes.
    const raw = await wireConnect(b, 'SASL_PLAINTEXT');
    t.equal((await saslHandshake(raw, 'PLAIN')).errorCode, ErrorCode.NONE, 'raw SaslHandshake PLAIN accepted');
    const failed = await saslAuthenticate(raw, plainToken(ALICE.username, 'nope'));
    t.equal(failed.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED, `raw SaslAuthenticate with a wrong password: SASL_AUTHENTICATION_FAILED (${failed.errorMessage})`);
    t.ok(await wireClosedWithin(raw, 5000), 'and the broker closes the connection');
  });
});

t.test('a listener serving PLAIN only refuses SCRAM with UNSUPPORTED_SASL_MECHANISM', async (t) => {
  const b = await startBroker(t);
  const plainOnly = (sasl: SASLOptions) => kafkaFor(b, 'PLAINONLY', { sasl }, { retries: 0 });
  t.same(await kafkajsRoundTrip(plainOnly(kafkajsSasl('PLAIN', ALICE.username, ALICE.password)), 'plain-only', ['p']), ['p'], 'PLAIN works on the PLAIN-only listener');

  const e = await rejection(plainOnly(kafkajsSasl('SCRAM-SHA-256', ALICE.username, ALICE.password)).admin().connect());
  t.match(`${e.type ?? ''} ${e.message}`, /UNSUPPORTED_SASL_MECHANISM|does not support the requested SASL mechanism|not supported by the server/, `kafkajs SCRAM-SHA-256 on the PLAIN-only listener is refused (${e.type} ${e.message})`);

  const raw = await wireConnect(b, 'PLAINONLY');
  const answer = await saslHandshake(raw, 'SCRAM-SHA-512');
  t.equal(answer.errorCode, ErrorCode.UNSUPPORTED_SASL_MECHANISM, 'raw SaslHandshake SCRAM-SHA-512: UNSUPPORTED_SASL_MECHANISM');
  t.same(answer.mechanisms, ['PLAIN'], 'the answer lists the listener\'s mechanisms');
  t.ok(await wireClosedWithin(raw, 5000), 'and the connection closes');

  const kcatRefused = await kcatFails(['-L', ...kcatArgsFor(b, 'PLAINONLY', { protocol: 'SASL_PLAINTEXT', sasl: { mechanism: 'SCRAM-SHA-512', username: ALICE.username, password: ALICE.password } }), '-m', '4']);
  t.match(kcatRefused, /SCRAM-SHA-512.*not supported by broker|Unsupported SASL mechanism/i, 'kcat SCRAM-SHA-512 on the PLAIN-only listener is refused');
});

t.test('OAUTHBEARER (unsecured JWT): kafkajs and kcat as alice; an expired token is refused', async (t) => {
  const b = await startBroker(t);
  const log = captureLog(b);
  for (const listener of LISTENERS) {
    const kafka = kafkaFor(b, listener, { sasl: { mechanism: 'oauthbearer', oauthBearerProvider: async () => ({ value: jwtFor('alice', 3_600_000) }) } });
    t.same(await kafkajsRoundTrip(kafka, `oauth-${listener.toLowerCase()}`, ['jwt']), ['jwt'], `kafkajs OAUTHBEARER over ${listener}: round trip`);
  }
  t.ok(log.some((l) => /authenticated as User:alice with OAUTHBEARER for \d+ ms/.test(l)), 'the broker took the token\'s sub for the principal, the session capped by its exp');

  // An expired token: the broker answers SaslAuthenticate with the RFC 7628 error
  // status as a challenge (no error code yet), as Kafka does. kafkajs 2.2.4 takes
  // that for success and sends its next request, which the broker refuses by closing
  // the connection (Kafka does the same), so kafkajs sees a closed connection.
  log.length = 0;
  const expiredAdmin = kafkaFor(b, 'SASL_PLAINTEXT', { sasl: { mechanism: 'oauthbearer', oauthBearerProvider: async () => ({ value: jwtFor('alice', -60_000) }) } }, { retries: 0 }).admin();
  const expired = await rejection(expiredAdmin.connect().then(() => expiredAdmin.describeCluster()));
  await expiredAdmin.disconnect();
  t.match(expired.message, /Closed connection|invalid_token/, `kafkajs with an expired token gets nothing done (${expired.name}: ${expired.message})`);
  t.notOk(log.some((l) => l.includes('authenticated as')), 'the broker did not authenticate it');

  // The exchange a complete client sees: the error status, then (after the client's \x01) SASL_AUTHENTICATION_FAILED.
  const raw = await wireConnect(b, 'SASL_PLAINTEXT');
  t.equal((await saslHandshake(raw, 'OAUTHBEARER')).errorCode, ErrorCode.NONE, 'raw SaslHandshake OAUTHBEARER accepted');
  const first = await saslAuthenticate(raw, Buffer.from(`n,,\x01auth=Bearer ${jwtFor('alice', -60_000)}\x01\x01`));
  t.equal(first.errorCode, ErrorCode.NONE, 'the expired token is answered with a challenge, not yet an error');
  t.match(first.authBytes.toString(), /"status":"invalid_token"/, 'the challenge is the RFC 7628 invalid_token status');
  const second = await saslAuthenticate(raw, Buffer.from([1]));
  t.equal(second.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED, `the client's 0x01 byte ends the exchange: SASL_AUTHENTICATION_FAILED (${second.errorMessage})`);
  t.ok(await wireClosedWithin(raw, 5000), 'and the connection closes');

  log.length = 0;
  t.same(await kcatRoundTrip(kcatArgsFor(b, 'SASL_SSL', { sasl: { mechanism: 'OAUTHBEARER', config: 'principal=alice' } }), 'oauth-kcat', ['built-in jwt']), ['built-in jwt'], 'kcat OAUTHBEARER with librdkafka\'s unsecured JWT: round trip');
  t.ok(log.some((l) => l.includes('authenticated as User:alice with OAUTHBEARER')), 'kcat authenticated as User:alice');
});
