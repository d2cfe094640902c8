import t, { type Test } from 'tap';
import { MAX_SASL_TOKEN_BYTES, SASL_MECHANISMS, SaslAuthenticationError, createSaslServer, type SaslUsers } from '../../src/security/sasl/mechanisms.js';

// The client side of PLAIN is one message (RFC 4616): [authzid] NUL authcid NUL passwd.
const plain = (authzid: string, user: string, password: string) => Buffer.from(`${authzid}\u0000${user}\u0000${password}`, 'utf8');

const passwords: Record<string, string> = { alice: 'alice-secret', 'bjørn': 'pässwörd', admin: 'x' };
const users: SaslUsers = {
  plainPassword: (u) => (Object.hasOwn(passwords, u) ? passwords[u] : undefined),
  scramCredential: () => undefined,
};

async function refused(t: Test, token: Buffer, message: string | RegExp, log?: RegExp, u: SaslUsers = users): Promise<void> {
  const server = createSaslServer('PLAIN', u)!;
  try {
    await server.evaluate(token);
    t.fail(`${JSON.stringify(token.toString())} was accepted`);
  } catch (e) {
    t.type(e, SaslAuthenticationError);
    if (typeof message === 'string') t.equal((e as Error).message, message);
    else t.match((e as Error).message, message);
    if (log) t.match((e as SaslAuthenticationError).log ?? '', log);
    t.notMatch((e as SaslAuthenticationError).log ?? '', /secret|wrong-pw/, 'no password in the log detail');
  }
}

t.test('the mechanisms Samsa knows, and none else', async (t) => {
  t.same([...SASL_MECHANISMS], ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER']);
  for (const m of SASL_MECHANISMS) t.equal(createSaslServer(m, users)?.mechanism, m);
  t.equal(createSaslServer('GSSAPI', users), undefined);
  t.equal(createSaslServer('plain', users), undefined, 'mechanism names are case-sensitive, as in Kafka');
});

t.test('PLAIN: the right password authenticates the user', async (t) => {
  const server = createSaslServer('PLAIN', users)!;
  const result = await server.evaluate(plain('', 'alice', 'alice-secret'));
  t.equal(result.user, 'alice');
  t.equal(result.challenge.length, 0, 'nothing to send back');
  t.equal(result.expiresAt, undefined);
  t.equal((await createSaslServer('PLAIN', users)!.evaluate(plain('alice', 'alice', 'alice-secret'))).user, 'alice', 'authzid equal to the user');
  t.equal((await createSaslServer('PLAIN', users)!.evaluate(plain('', 'bjørn', 'pässwörd'))).user, 'bjørn', 'UTF-8 names and passwords');
  try {
    await server.evaluate(plain('', 'alice', 'alice-secret'));
    t.fail('a second message was taken');
  } catch (e) {
    t.match((e as Error).message, /after the exchange ended/);
  }
});

t.test('PLAIN: wrong password and unknown user get the same message', async (t) => {
  const msg = 'Authentication failed: Invalid username or password';
  await refused(t, plain('', 'alice', 'wrong-pw'), msg, /wrong password for PLAIN user 'alice'/);
  await refused(t, plain('', 'nobody', 'wrong-pw'), msg, /unknown PLAIN user 'nobody'/);
  await refused(t, plain('', 'alice', 'alice-secret2'), msg, undefined);
  await refused(t, plain('', 'alice', 'alice-secre'), msg, undefined);
  await refused(t, plain('', 'admin', 'X'), msg, undefined);
});

t.test('PLAIN: authzid must be the user', async (t) => {
  await refused(t, plain('admin', 'alice', 'alice-secret'), 'Authentication failed: Client requested an authorization id that is different from username', /asked for authorization id 'admin'/);
  await refused(t, plain('admin', 'alice', 'wrong-pw'), 'Authentication failed: Invalid username or password', undefined);
});

t.test('PLAIN: malformed messages', async (t) => {
  await refused(t, Buffer.alloc(0), 'Invalid SASL/PLAIN response: expected 3 tokens, got 1');
  await refused(t, Buffer.from('alice\u0000alice-secret'), 'Invalid SASL/PLAIN response: expected 3 tokens, got 2');
  await refused(t, Buffer.from('\u0000alice\u0000alice-secret\u0000'), 'Invalid SASL/PLAIN response: expected 3 tokens, got 4');
  await refused(t, plain('', '', 'pw'), 'Authentication failed: username not specified');
  await refused(t, plain('', 'alice', ''), 'Authentication failed: password not specified');
  await refused(t, Buffer.from([0, 0x61, 0, 0xc3, 0x28]), 'Invalid SASL/PLAIN response: not UTF-8');
  await refused(t, plain('', 'alice', 'a'.repeat(MAX_SASL_TOKEN_BYTES)), /larger than the limit/);
  const broken: SaslUsers = { plainPassword: () => { throw new Error('config gone'); }, scramCredential: () => undefined };
  await refused(t, plain('', 'alice', 'alice-secret'), 'Authentication failed: credentials for user could not be verified', /config gone/, broken);
});

t.test('PLAIN: random bytes never throw anything but SaslAuthenticationError', async (t) => {
  let seed = 7;
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) & 0xff;
  let others = 0;
  let accepted = 0;
  for (let i = 0; i < 300; i++) {
    const bytes = Buffer.from(Array.from({ length: rnd() % 40 }, () => (rnd() % 4 === 0 ? 0 : rnd())));
    try {
      await createSaslServer('PLAIN', users)!.evaluate(bytes);
      accepted++;
    } catch (e) {
      if (!(e instanceof SaslAuthenticationError)) others++;
    }
  }
  t.equal(others, 0);
  t.equal(accepted, 0);
});
