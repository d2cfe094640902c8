import t, { type Test } from 'tap';
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { MAX_SASL_TOKEN_BYTES, SaslAuthenticationError, createSaslServer, type SaslServer, type SaslUsers } from '../../src/security/sasl/mechanisms.js';
import { ScramSaslServer } from '../../src/security/sasl/scram.js';
import {
  MAX_ITERATIONS, MIN_ITERATIONS, credentialFromPassword, credentialFromSaltedPassword, decodeCredential, encodeCredential,
  type ScramCredential, type ScramMechanism,
} from '../../src/security/sasl/scram-credentials.js';

// A SCRAM client written from RFC 5802 alone, with Hi as the RFC's HMAC loop
// rather than pbkdf2, so it does not share code or shortcuts with the server.
const H = { 'SCRAM-SHA-256': 'sha256', 'SCRAM-SHA-512': 'sha512' } as const;

function hi(mech: ScramMechanism, password: string, salt: Buffer, iterations: number): Buffer {
  const mac = (data: Buffer) => createHmac(H[mech], Buffer.from(password, 'utf8')).update(data).digest();
  let u = mac(Buffer.concat([salt, Buffer.from([0, 0, 0, 1])]));
  const out = Buffer.from(u);
  for (let i = 1; i < iterations; i++) {
    u = mac(u);
    for (let j = 0; j < out.length; j++) out[j]! ^= u[j]!;
  }
  return out;
}

function escapeName(name: string): string {
  return name.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

class ScramClient {
  readonly bare: string;
  private authMessage = '';
  private saltedPassword: Buffer = Buffer.alloc(0);

  constructor(
    readonly mech: ScramMechanism,
    readonly user: string,
    readonly password: string,
    readonly nonce = randomBytes(16).toString('base64'),
    readonly gs2Header = 'n,,',
  ) {
    this.bare = `n=${escapeName(user)},r=${nonce}`;
  }

  first(): Buffer {
    return Buffer.from(this.gs2Header + this.bare);
  }

  /** The client-final message; the overrides make it lie in one way or another. */
  final(serverFirst: Buffer, lie: { nonce?: string; binding?: string; flipProofBit?: boolean } = {}): Buffer {
    const sf = serverFirst.toString();
    const attrs = Object.fromEntries(sf.split(',').map((a) => [a[0], a.slice(2)]));
    if (!attrs.r!.startsWith(this.nonce)) throw new Error('server nonce does not extend ours');
    this.saltedPassword = hi(this.mech, this.password, Buffer.from(attrs.s!, 'base64'), Number(attrs.i));
    const clientKey = createHmac(H[this.mech], this.saltedPassword).update('Client Key').digest();
    const storedKey = createHash(H[this.mech]).update(clientKey).digest();
    const withoutProof = `c=${lie.binding ?? Buffer.from(this.gs2Header).toString('base64')},r=${lie.nonce ?? attrs.r}`;
    this.authMessage = `${this.bare},${sf},${withoutProof}`;
    const signature = createHmac(H[this.mech], storedKey).update(this.authMessage).digest();
    const proof = Buffer.from(clientKey.map((b, i) => b ^ signature[i]!));
    if (lie.flipProofBit) proof[0]! ^= 1;
    return Buffer.from(`${withoutProof},p=${proof.toString('base64')}`);
  }

  serverIsGenuine(serverFinal: Buffer): boolean {
    const serverKey = createHmac(H[this.mech], this.saltedPassword).update('Server Key').digest();
    const expected = createHmac(H[this.mech], serverKey).update(this.authMessage).digest();
    return serverFinal.toString() === `v=${expected.toString('base64')}`;
  }
}

function usersWith(creds: Record<string, ScramCredential>): SaslUsers {
  return {
    plainPassword: () => undefined,
    scramCredential: (user, mech) => (Object.hasOwn(creds, user) && creds[user]!.mechanism === mech ? creds[user] : undefined),
  };
}

const GENERIC = (mech: string) => `Authentication failed during authentication due to invalid credentials with SASL mechanism ${mech}`;

async function refused(t: Test, server: SaslServer, token: Buffer, message: string | RegExp, log?: RegExp): Promise<SaslAuthenticationError> {
  try {
    await server.evaluate(token);
  } catch (e) {
    t.type(e, SaslAuthenticationError, 'a SaslAuthenticationError, nothing else');
    const err = e as SaslAuthenticationError;
    if (typeof message === 'string') t.equal(err.message, message);
    else t.match(err.message, message);
    if (log) t.match(err.log ?? '', log);
    return err;
  }
  t.fail(`token ${JSON.stringify(token.toString())} was accepted`);
  return new SaslAuthenticationError('accepted');
}

t.test('RFC 7677 section 3: the published SCRAM-SHA-256 exchange, byte for byte', async (t) => {
  const salt = Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64');
  const cred = credentialFromSaltedPassword('SCRAM-SHA-256', salt, pbkdf2Sync('pencil', salt, 4096, 32, 'sha256'), 4096);
  const server = new ScramSaslServer('SCRAM-SHA-256', usersWith({ user: cred }), () => '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0');
  const client = new ScramClient('SCRAM-SHA-256', 'user', 'pencil', 'rOprNGfwEbeRWgbNEkqO');

  t.equal(client.first().toString(), 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO');
  const first = server.evaluate(client.first());
  t.equal(first.challenge.toString(), 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096');
  t.equal(first.user, undefined, 'not done after the first round');

  const final = client.final(first.challenge);
  t.equal(final.toString(), 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=', 'the test client computes the RFC proof');
  const done = server.evaluate(final);
  t.equal(done.challenge.toString(), 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=');
  t.equal(done.user, 'user');
  t.equal(done.expiresAt, undefined);
});

for (const mech of ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const) {
  t.test(`${mech}: a full exchange with a credential made from a password`, async (t) => {
    const users = usersWith({ alice: credentialFromPassword(mech, 'alice-secret') });
    const server = createSaslServer(mech, users)!;
    t.equal(server.mechanism, mech);
    const client = new ScramClient(mech, 'alice', 'alice-secret');
    const first = await server.evaluate(client.first());
    t.match(first.challenge.toString(), new RegExp(`^r=${client.nonce.replace(/[+/]/g, '\\$&')}[^,]+,s=[A-Za-z0-9+/=]+,i=4096$`));
    const done = await server.evaluate(client.final(first.challenge));
    t.ok(client.serverIsGenuine(done.challenge), 'server signature proves the server knows the ServerKey');
    t.equal(done.user, 'alice');
    await refused(t, server, Buffer.from('again'), /after the exchange ended/);
  });

  t.test(`${mech}: wrong password and unknown user fail alike, at the proof`, async (t) => {
    const users = usersWith({ alice: credentialFromPassword(mech, 'right') });
    const wrong = new ScramClient(mech, 'alice', 'wrong');
    const s1 = createSaslServer(mech, users)!;
    const e1 = await refused(t, s1, wrong.final((await s1.evaluate(wrong.first())).challenge), GENERIC(mech), /wrong password/);

    const ghost = new ScramClient(mech, 'ghost', 'whatever');
    const s2 = createSaslServer(mech, users)!;
    const ghostFirst = (await s2.evaluate(ghost.first())).challenge.toString();
    t.match(ghostFirst, /^r=[^,]+,s=[A-Za-z0-9+/=]+,i=4096$/, 'an unknown user still gets a salt and iteration count');
    const e2 = await refused(t, s2, ghost.final(Buffer.from(ghostFirst)), GENERIC(mech), /unknown SCRAM user 'ghost'/);
    t.equal(e1.message, e2.message, 'the client sees the same message');

    const s3 = createSaslServer(mech, users)!;
    const again = (await s3.evaluate(new ScramClient(mech, 'ghost', 'x').first())).challenge.toString();
    t.equal(again.split(',')[1], ghostFirst.split(',')[1], 'the made-up salt is stable across attempts');
    const aliceSalt = users.scramCredential('alice', mech)!.salt;
    t.equal(Buffer.from(ghostFirst.split(',')[1]!.slice(2), 'base64').length, aliceSalt.length, 'and as long as a real one');
  });
}

t.test('final message lies: nonce, proof, channel binding', async (t) => {
  const mech = 'SCRAM-SHA-256';
  const users = usersWith({ bob: credentialFromPassword(mech, 'pw') });
  const run = async (lie: Parameters<ScramClient['final']>[1], log: RegExp) => {
    const server = createSaslServer(mech, users)!;
    const client = new ScramClient(mech, 'bob', 'pw');
    const first = await server.evaluate(client.first());
    await refused(t, server, client.final(first.challenge, lie), GENERIC(mech), log);
    await refused(t, server, client.final(first.challenge), /after the exchange ended/, undefined);
  };
  await run({ nonce: 'someoneelsesnonce' }, /Invalid client nonce in the final client message\./);
  await run({ flipProofBit: true }, /invalid client proof/);
  await run({ binding: Buffer.from('y,,').toString('base64') }, /c= does not repeat the GS2 header/);
  await run({ binding: 'not base64!' }, /c= does not repeat/);
});

t.test('GS2 header: no channel binding, "y" accepted, authzid must be the user', async (t) => {
  const mech = 'SCRAM-SHA-512';
  const users = usersWith({ bob: credentialFromPassword(mech, 'pw') });
  await refused(t, createSaslServer(mech, users)!, Buffer.from('p=tls-unique,,n=bob,r=abc'), GENERIC(mech), /channel binding/);

  const y = new ScramClient(mech, 'bob', 'pw', 'nonce1', 'y,,');
  let server = createSaslServer(mech, users)!;
  t.equal((await server.evaluate(y.final((await server.evaluate(y.first())).challenge))).user, 'bob', 'y,, with c=eSws');

  const same = new ScramClient(mech, 'bob', 'pw', 'nonce2', 'n,a=bob,');
  server = createSaslServer(mech, users)!;
  t.equal((await server.evaluate(same.final((await server.evaluate(same.first())).challenge))).user, 'bob', 'authzid equal to the user');

  await refused(t, createSaslServer(mech, users)!, Buffer.from('n,a=admin,n=bob,r=abc'), 'Authentication failed: Client requested an authorization id that is different from username', /asked for authorization id 'admin'/);
  });

t.test('user names with escaped "," and "="', async (t) => {
  const mech = 'SCRAM-SHA-256';
  const name = 'CN=svc,O=acme';
  const server = createSaslServer(mech, usersWith({ [name]: credentialFromPassword(mech, 'pw') }))!;
  const client = new ScramClient(mech, name, 'pw');
  t.match(client.first().toString(), 'n=CN=3Dsvc=2CO=3Dacme');
  t.equal((await server.evaluate(client.final((await server.evaluate(client.first())).challenge))).user, name);
  await refused(t, createSaslServer(mech, usersWith({}))!, Buffer.from('n,,n=a=41b,r=abc'), GENERIC(mech), /malformed user name/);
});

t.test('extensions: tokenauth refused, others ignored; mandatory m= refused', async (t) => {
  const mech = 'SCRAM-SHA-256';
  const users = usersWith({ bob: credentialFromPassword(mech, 'pw') });
  await refused(t, createSaslServer(mech, users)!, Buffer.from('n,,n=bob,r=abc,tokenauth=true'), GENERIC(mech), /tokenauth/);
  await refused(t, createSaslServer(mech, users)!, Buffer.from('n,,m=x,n=bob,r=abc'), GENERIC(mech), /mandatory extension/);
  const server = createSaslServer(mech, users)!;
  const first = await server.evaluate(Buffer.from('n,,n=bob,r=abc,foo=bar'));
  t.match(first.challenge.toString(), /^r=abc/, 'an unknown extension does not stop the exchange');
});

t.test('stored credentials the server will not use', async (t) => {
  const mech = 'SCRAM-SHA-256';
  const weak: ScramCredential = { ...credentialFromPassword(mech, 'pw'), iterations: 1000 };
  await refused(t, createSaslServer(mech, usersWith({ bob: weak }))!, Buffer.from('n,,n=bob,r=abc'), GENERIC(mech), /1000 iterations, fewer than the minimum 4096/);
  const throwing: SaslUsers = { plainPassword: () => undefined, scramCredential: () => { throw new Error('metadata not loaded'); } };
  await refused(t, createSaslServer(mech, throwing)!, Buffer.from('n,,n=bob,r=abc'), GENERIC(mech), /metadata not loaded/);
});

t.test('malformed first messages: each a SaslAuthenticationError', async (t) => {
  const mech = 'SCRAM-SHA-256';
  const users = usersWith({ bob: credentialFromPassword(mech, 'pw') });
  for (const bad of ['', 'n', 'n,', 'n,,', 'n,,n=bob', 'n,,r=abc,n=bob', 'n,,n=,r=abc', 'n,,n=bob,r=', 'n,,n=bob,r=a b', 'x,,n=bob,r=abc', 'n,b=bob,n=bob,r=abc', 'n,,n=bob,r=abc,bad']) {
    await refused(t, createSaslServer(mech, users)!, Buffer.from(bad), GENERIC(mech));
  }
  await refused(t, createSaslServer(mech, users)!, Buffer.from([0x6e, 0x2c, 0x2c, 0xff, 0xfe]), GENERIC(mech), /not UTF-8/);
  await refused(t, createSaslServer(mech, users)!, Buffer.alloc(MAX_SASL_TOKEN_BYTES + 1, 0x61), /larger than the limit of 65536 bytes/);
});

t.test('malformed final messages: each a SaslAuthenticationError', async (t) => {
  const mech = 'SCRAM-SHA-512';
  const users = usersWith({ bob: credentialFromPassword(mech, 'pw') });
  const good = new ScramClient(mech, 'bob', 'pw');
  for (const bad of ['', 'p=', 'c=biws,p=AAAA', 'r=x,c=biws,p=AAAA', 'c=biws,r=x,p=', 'c=biws,r=x,p=!!!!', 'c=biws,r=x,p=AAAA', 'c=biws,r=x,zz,p=AAAA']) {
    const server = createSaslServer(mech, users)!;
    const first = (await server.evaluate(good.first())).challenge.toString();
    const nonce = first.split(',')[0]!.slice(2);
    await refused(t, server, Buffer.from(bad.replace('r=x', `r=${nonce}`)), GENERIC(mech));
  }
});

t.test('random bytes never throw anything but SaslAuthenticationError', async (t) => {
  let seed = 0x5a5a;
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) & 0xff;
  const mech = 'SCRAM-SHA-256';
  const users = usersWith({ bob: credentialFromPassword(mech, 'pw') });
  const valid = new ScramClient(mech, 'bob', 'pw');
  let others = 0;
  for (let i = 0; i < 300; i++) {
    const len = rnd() % 80;
    const noise = Buffer.from(Array.from({ length: len }, rnd));
    // Half pure noise, half a valid message with a few bytes changed.
    const base = i % 2 ? noise : Buffer.from(valid.first());
    if (i % 2 === 0) for (let k = 0; k < 3; k++) base[rnd() % base.length] = rnd();
    for (const round of [1, 2]) {
      const server = createSaslServer(mech, users)!;
      try {
        if (round === 2) await server.evaluate(valid.first());
        await server.evaluate(base);
      } catch (e) {
        if (!(e instanceof SaslAuthenticationError)) others++;
      }
    }
  }
  t.equal(others, 0);
});

t.test('credentials: from a password, from a salted password, stored form, bounds', async (t) => {
  t.equal(MIN_ITERATIONS, 4096);
  t.equal(MAX_ITERATIONS, 16384);
  for (const mech of ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const) {
    const c = credentialFromPassword(mech, 'pencil');
    t.equal(c.iterations, 4096, 'default iterations');
    const len = mech === 'SCRAM-SHA-256' ? 32 : 64;
    t.equal(c.storedKey.length, len);
    t.equal(c.serverKey.length, len);
    const again = credentialFromSaltedPassword(mech, c.salt, hi(mech, 'pencil', c.salt, 4096), 4096);
    t.same(again, c, 'the same keys from the salted password the client side computes');
    t.not(credentialFromPassword(mech, 'pencil').salt.toString('hex'), c.salt.toString('hex'), 'a fresh random salt each time');

    const stored = encodeCredential(c);
    t.notMatch(stored, /pencil/);
    t.same(Object.keys(JSON.parse(stored)).sort(), ['iterations', 'mechanism', 'salt', 'serverKey', 'storedKey']);
    t.same(decodeCredential(stored), c, 'decode(encode(c)) is c');
  }
  t.throws(() => credentialFromPassword('SCRAM-SHA-256', 'pw', MIN_ITERATIONS - 1), { name: 'RangeError', message: /Too few iterations/ });
  t.throws(() => credentialFromSaltedPassword('SCRAM-SHA-256', randomBytes(16), randomBytes(32), MAX_ITERATIONS + 1), { name: 'RangeError', message: /Too many iterations/ });
  t.equal(credentialFromPassword('SCRAM-SHA-512', 'pw', MAX_ITERATIONS).iterations, MAX_ITERATIONS);
  t.throws(() => credentialFromSaltedPassword('SCRAM-SHA-256', Buffer.alloc(0), randomBytes(32), 4096), RangeError);

  const good = JSON.parse(encodeCredential(credentialFromPassword('SCRAM-SHA-256', 'pw')));
  for (const bad of ['', 'nope', '[]', '{}', JSON.stringify({ ...good, mechanism: 'MD5' }), JSON.stringify({ ...good, salt: 'a*b' }),
    JSON.stringify({ ...good, storedKey: 'AAAA' }), JSON.stringify({ ...good, iterations: '4096' }), JSON.stringify({ ...good, salt: '' })]) {
    t.throws(() => decodeCredential(bad), /stored SCRAM credential|not JSON/, `refuses ${bad.slice(0, 40)}`);
  }
});
