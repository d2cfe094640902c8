import t, { type Test } from 'tap';
import { MAX_SASL_TOKEN_BYTES, SaslAuthenticationError, createSaslServer, type SaslServer, type SaslUsers } from '../../src/security/sasl/mechanisms.js';
import { resolveOAuthBearerOptions, type OAuthBearerOptions } from '../../src/security/sasl/oauthbearer.js';

// The client side, as Kafka's unsecured login module builds it: an unsecured
// JWS (base64url JSON header with alg none, base64url JSON claims, empty
// signature) inside an RFC 7628 initial response.
const NOW = 1_700_000_000_000;
const nowS = NOW / 1000;
const b64url = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const jws = (claims: Record<string, unknown>, header: Record<string, unknown> = { alg: 'none' }, signature = '') => `${b64url(header)}.${b64url(claims)}.${signature}`;
const initial = (token: string, opts: { authzid?: string; extensions?: Record<string, string>; gs2Flag?: string } = {}) => {
  const ext = Object.entries(opts.extensions ?? {}).map(([k, v]) => `${k}=${v}\x01`).join('');
  return Buffer.from(`${opts.gs2Flag ?? 'n'},${opts.authzid ? `a=${opts.authzid}` : ''},\x01auth=Bearer ${token}\x01${ext}\x01`);
};

const noUsers: SaslUsers = { plainPassword: () => undefined, scramCredential: () => undefined };
const server = (oauthbearer: OAuthBearerOptions = {}): SaslServer => createSaslServer('OAUTHBEARER', noUsers, { now: () => NOW, oauthbearer })!;
const good = { sub: 'alice', exp: nowS + 3600, iat: nowS - 10 };

async function rejected(t: Test, token: Buffer, opts: OAuthBearerOptions, expected: Record<string, string>, reason: RegExp): Promise<void> {
  const s = server(opts);
  const first = await s.evaluate(token);
  t.equal(first.user, undefined, 'not authenticated');
  t.same(JSON.parse(first.challenge.toString()), expected, 'RFC 7628 error challenge');
  try {
    await s.evaluate(Buffer.from([0x01]));
    t.fail('the exchange went on after the error');
  } catch (e) {
    t.type(e, SaslAuthenticationError);
    t.equal((e as Error).message, first.challenge.toString(), "the failure carries the error JSON, as Kafka's does");
    t.match((e as SaslAuthenticationError).log ?? '', reason);
  }
}

async function malformed(t: Test, token: Buffer, log: RegExp | string, opts: OAuthBearerOptions = {}): Promise<void> {
  try {
    await server(opts).evaluate(token);
    t.fail(`${JSON.stringify(token.toString())} was accepted`);
  } catch (e) {
    t.type(e, SaslAuthenticationError);
    t.match((e as Error).message, typeof log === 'string' ? log : /^Authentication failed/);
    if (typeof log !== 'string') t.match((e as SaslAuthenticationError).log ?? '', log);
  }
}

t.test('a valid unsecured token authenticates its subject until it expires', async (t) => {
  const s = server();
  const r = await s.evaluate(initial(jws(good)));
  t.equal(r.user, 'alice');
  t.equal(r.expiresAt, (nowS + 3600) * 1000, 'exp in ms, for the session lifetime');
  t.equal(r.challenge.length, 0);
  await t.rejects(async () => s.evaluate(Buffer.from([0x01])), /after the exchange ended/);

  t.equal((await server().evaluate(initial(jws({ sub: 'bob', exp: nowS + 1.5 })))).expiresAt, NOW + 1500, 'fractional exp, no iat');
  t.equal((await server().evaluate(initial(jws(good), { authzid: 'alice', extensions: { traceId: 'abc 123' } }))).user, 'alice', 'authzid equal to the subject, extensions ignored');
  t.equal((await server().evaluate(initial(jws(good), { gs2Flag: 'y' }))).user, 'alice', '"y" channel binding flag');
  const lower = Buffer.from(initial(jws(good)).toString().replace('Bearer', 'bearer'));
  t.equal((await server().evaluate(lower)).user, 'alice', 'scheme is case-insensitive');
});

t.test('expiry and issue time, with and without clock skew', async (t) => {
  await rejected(t, initial(jws({ sub: 'alice', exp: nowS - 10 })), {}, { status: 'invalid_token' }, /expired/);
  await rejected(t, initial(jws({ sub: 'alice', exp: nowS })), {}, { status: 'invalid_token' }, /expired/);
  t.equal((await server({ allowableClockSkewMs: 5000 }).evaluate(initial(jws({ sub: 'alice', exp: nowS - 1 })))).user, 'alice', 'expired 1 s ago, within 5 s of skew');
  await rejected(t, initial(jws({ sub: 'alice' })), {}, { status: 'invalid_token' }, /no expiration time/);
  await rejected(t, initial(jws({ sub: 'alice', exp: String(nowS + 60) })), {}, { status: 'invalid_token' }, /'exp' claim is not a number/);
  await rejected(t, initial(jws({ sub: 'alice', exp: nowS + 60, iat: nowS + 30 })), {}, { status: 'invalid_token' }, /issued at/);
  t.equal((await server({ allowableClockSkewMs: 60_000 }).evaluate(initial(jws({ sub: 'alice', exp: nowS + 60, iat: nowS + 30 })))).user, 'alice', 'issued 30 s ahead, within skew');
  await rejected(t, initial(jws({ sub: 'alice', exp: nowS + 60, iat: nowS + 60 })), { allowableClockSkewMs: 120_000 }, { status: 'invalid_token' }, /not after issued-at/);
});

t.test('the principal claim', async (t) => {
  await rejected(t, initial(jws({ exp: nowS + 60 })), {}, { status: 'invalid_token' }, /no principal name in JWT claim: sub/);
  await rejected(t, initial(jws({ sub: '  ', exp: nowS + 60 })), {}, { status: 'invalid_token' }, /no principal name/);
  await rejected(t, initial(jws({ sub: 42, exp: nowS + 60 })), {}, { status: 'invalid_token' }, /no principal name/);
  t.equal((await server({ principalClaimName: 'client_id' }).evaluate(initial(jws({ client_id: 'svc', sub: 'alice', exp: nowS + 60 })))).user, 'svc', 'configurable principal claim');
  await rejected(t, initial(jws({ sub: 'alice', exp: nowS + 60 })), { principalClaimName: 'client_id' }, { status: 'invalid_token' }, /claim: client_id/);
  await rejected(t, initial(jws({ exp: nowS + 60 })), { principalClaimName: 'toString' }, { status: 'invalid_token' }, /claim: toString/);
  await malformed(t, initial(jws(good), { authzid: 'admin' }), "Authentication failed: Client requested an authorization id (admin) that is different from the token's principal name (alice)");
});

t.test('only unsecured tokens: signed ones and broken ones are refused', async (t) => {
  const claims = { sub: 'alice', exp: nowS + 60 };
  await rejected(t, initial(jws(claims, { alg: 'HS256', typ: 'JWT' }, 'c2lnbmF0dXJl')), {}, { status: 'invalid_token' }, /'none' for an algorithm, not "HS256"/);
  await rejected(t, initial(jws(claims, { alg: 'HS256' })), {}, { status: 'invalid_token' }, /'none' for an algorithm/);
  await rejected(t, initial(jws(claims, { typ: 'JWT' })), {}, { status: 'invalid_token' }, /'none' for an algorithm/);
  await rejected(t, initial(jws(claims, { alg: 'none' }, 'c2ln')), {}, { status: 'invalid_token' }, /must not contain a digital signature/);
  await rejected(t, initial(jws(claims).slice(0, -1)), {}, { status: 'invalid_token' }, /three dot-separated parts/);
  await rejected(t, initial(`${b64url({ alg: 'none' })}..`), {}, { status: 'invalid_token' }, /three dot-separated parts/);
  await rejected(t, initial(`${b64url({ alg: 'none' })}.${Buffer.from('not json').toString('base64url')}.`), {}, { status: 'invalid_token' }, /not base64url-encoded JSON objects/);
  await rejected(t, initial(`${b64url({ alg: 'none' })}.${b64url([1, 2])}.`), {}, { status: 'invalid_token' }, /JSON objects/);
  await rejected(t, initial(`${b64url({ alg: 'none' })}.${Buffer.from([0xff, 0xfe]).toString('base64url')}.`), {}, { status: 'invalid_token' }, /JSON objects/);
});

t.test('required scope', async (t) => {
  const opts = { requiredScope: ['produce', 'consume'] };
  await rejected(t, initial(jws({ ...good, scope: ['consume'] })), opts, { status: 'insufficient_scope', scope: 'produce consume' }, /lacks required scope produce/);
  await rejected(t, initial(jws(good)), opts, { status: 'insufficient_scope', scope: 'produce consume' }, /lacks required scope produce/);
  await rejected(t, initial(jws({ ...good, scope: 'produce consume' })), opts, { status: 'insufficient_scope', scope: 'produce consume' }, /lacks required scope/);
  await rejected(t, initial(jws({ ...good, scope: 7 })), opts, { status: 'invalid_token' }, /neither a string nor an array/);
  t.equal((await server(opts).evaluate(initial(jws({ ...good, scope: ['consume', ' produce ', 'admin'] })))).user, 'alice');
  t.equal((await server({ requiredScope: ['produce'] }).evaluate(initial(jws({ ...good, scope: 'produce' })))).user, 'alice', 'a string scope is one scope');
  t.equal((await server({ requiredScope: ['produce'], scopeClaimName: 'scp' }).evaluate(initial(jws({ ...good, scp: ['produce'] })))).user, 'alice', 'configurable scope claim');
});

t.test('after the error challenge the exchange fails whatever the client sends', async (t) => {
  const s = server();
  const first = await s.evaluate(initial(jws({ sub: 'alice', exp: nowS - 1 })));
  t.same(JSON.parse(first.challenge.toString()), { status: 'invalid_token' });
  await t.rejects(async () => s.evaluate(initial(jws(good))), { name: 'SaslAuthenticationError', message: '{"status":"invalid_token"}' });
  await t.rejects(async () => s.evaluate(Buffer.from([0x01])), /after the exchange ended/);
});

t.test('malformed initial responses fail at once with the generic message', async (t) => {
  const generic = 'Authentication failed during authentication due to invalid credentials with SASL mechanism OAUTHBEARER';
  const token = jws(good);
  const cases: [string | Buffer, RegExp][] = [
    ['', /no GS2 header/],
    ['garbage', /no GS2 header/],
    [`p=tls-unique,,\x01auth=Bearer ${token}\x01\x01`, /channel binding/],
    [`x,,\x01auth=Bearer ${token}\x01\x01`, /channel binding flag/],
    [`n,b=alice,\x01auth=Bearer ${token}\x01\x01`, /authorization id/],
    [`n,,auth=Bearer ${token}\x01\x01`, /framed/],
    [`n,,\x01auth=Bearer ${token}\x01`, /framed/],
    ['n,,\x01\x01', /framed/],
    [`n,,\x01\x01\x01`, /key=value/],
    [`n,,\x01foo=bar\x01\x01`, /'auth' not specified/],
    [`n,,\x01auth=Basic dXNlcjpwdw==\x01\x01`, /not Bearer/],
    [`n,,\x01auth=Bearer\x01\x01`, /invalid 'auth' format/],
    [`n,,\x01auth=Bearer a b\x01\x01`, /invalid 'auth' format/],
    [`n,,\x01auth=Bearer ${token}\x01auth=Bearer ${token}\x01\x01`, /given twice/],
    [`n,,\x01auth=Bearer ${token}\x011x=y\x01\x01`, /key=value/],
    [Buffer.from([0x6e, 0x2c, 0x2c, 0x01, 0xc3, 0x28, 0x01, 0x01]), /not UTF-8/],
  ];
  for (const [bytes, log] of cases) {
    try {
      await server().evaluate(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes));
      t.fail(`${JSON.stringify(bytes.toString())} was accepted`);
    } catch (e) {
      t.type(e, SaslAuthenticationError);
      t.equal((e as Error).message, generic);
      t.match((e as SaslAuthenticationError).log ?? '', log);
    }
  }
  const huge = initial(jws({ ...good, pad: 'x'.repeat(MAX_SASL_TOKEN_BYTES) }));
  await t.rejects(async () => server().evaluate(huge), { name: 'SaslAuthenticationError', message: /larger than the limit of 65536 bytes/ });
});

t.test('random bytes never throw anything but SaslAuthenticationError', async (t) => {
  let seed = 99;
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) & 0xff;
  const valid = initial(jws(good));
  let others = 0;
  let accepted = 0;
  for (let i = 0; i < 300; i++) {
    const bytes = i % 2 ? Buffer.from(Array.from({ length: rnd() % 64 }, rnd)) : Buffer.from(valid);
    if (i % 2 === 0) for (let k = 0; k < 2; k++) bytes[rnd() % bytes.length] = rnd();
    try {
      const r = await server().evaluate(bytes);
      if (r.user) accepted++;
    } catch (e) {
      if (!(e instanceof SaslAuthenticationError)) others++;
    }
  }
  t.equal(others, 0);
  t.ok(accepted < 150, 'most mangled tokens are refused');
});

t.test('options: defaults and refusals', async (t) => {
  t.same(resolveOAuthBearerOptions(), { principalClaimName: 'sub', scopeClaimName: 'scope', requiredScope: [], allowableClockSkewMs: 0 });
  t.same(resolveOAuthBearerOptions({ principalClaimName: ' ', scopeClaimName: ' scp ', requiredScope: ['a', ''] }), { principalClaimName: 'sub', scopeClaimName: 'scp', requiredScope: ['a'], allowableClockSkewMs: 0 });
  t.throws(() => resolveOAuthBearerOptions({ allowableClockSkewMs: -1 }), RangeError);
  t.throws(() => resolveOAuthBearerOptions({ allowableClockSkewMs: 1.5 }), RangeError);
  t.throws(() => resolveOAuthBearerOptions({ requiredScope: ['a b'] }), RangeError);
});
