/**
 * confluent-kafka-python (librdkafka 2.0.2, Debian's python3-confluent-kafka)
 * under security settings, through helpers/security_client.py:
 * - SASL_SSL with SCRAM-SHA-512: produce and consume as alice; a wrong
 *   password fails with an authentication error. PLAIN over SASL_SSL too, so a
 *   SCRAM failure can be told apart from a TLS one.
 * - SSL with ssl.client.auth=required: with client-alice's certificate,
 *   produce and consume; without a certificate, no connection.
 */
import t from 'tap';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ALICE, PLAIN_USERS, secureBroker, type SecureBroker } from './helpers/secure-broker.js';
import { runJsonChild } from './helpers/json-child.js';
import { addScramUser, captureLog, certFiles } from './helpers/security-clients.js';

// Debian's python3 (where python3-confluent-kafka installs), not the first python3 on PATH.
const PYTHON = process.env.PYTHON ?? '/usr/bin/python3';
const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'helpers', 'security_client.py');

interface ClientOutput {
  produced: number;
  consumed: string[];
  errors: { code: number; name: string; str: string }[];
  failed?: string;
}

function python(conf: Record<string, string>, topic: string, values: string[], consume = true) {
  return runJsonChild<ClientOutput>(PYTHON, [SCRIPT, JSON.stringify({ conf, topic, values, consume, timeout: 15 })], { killAfterMs: 45_000, what: 'security_client.py' });
}

const saslSsl = (b: SecureBroker, mechanism: string, username: string, password: string) => ({
  'bootstrap.servers': b.bootstrap('SASL_SSL'),
  'security.protocol': 'SASL_SSL',
  'ssl.ca.location': certFiles(b).ca,
  'sasl.mechanisms': mechanism,
  'sasl.username': username,
  'sasl.password': password,
});

t.test('SASL_SSL: SCRAM-SHA-512 and PLAIN round trips; a wrong password fails', async (t) => {
  const b = await secureBroker(t, { listeners: ['SASL_SSL'], certs: true, flags: { ...PLAIN_USERS } });
  await addScramUser(b, 'SCRAM-SHA-512', ALICE.username, ALICE.password);
  const log = captureLog(b);

  const plain = await python(saslSsl(b, 'PLAIN', ALICE.username, ALICE.password), 'py-plain', ['p1', 'p2']);
  t.equal(plain.code, 0, `PLAIN over SASL_SSL: the client succeeded${plain.out.failed ? ` (${plain.out.failed}; ${JSON.stringify(plain.out.errors)})` : ''}`);
  t.same(plain.out.consumed, ['p1', 'p2'], 'PLAIN over SASL_SSL: round trip');

  const scram = await python(saslSsl(b, 'SCRAM-SHA-512', ALICE.username, ALICE.password), 'py-scram', ['s1', 's2', 's3']);
  t.equal(scram.code, 0, `SCRAM-SHA-512 over SASL_SSL: the client succeeded${scram.out.failed ? ` (${scram.out.failed}; ${scram.out.errors.map((e) => e.str).join(' | ')}; broker: ${log.filter((l) => l.startsWith('warn')).join(' | ')})` : ''}`);
  t.same(scram.out.consumed, ['s1', 's2', 's3'], 'SCRAM-SHA-512 over SASL_SSL: round trip');
  t.ok(log.some((l) => l.includes('authenticated as User:alice with SCRAM-SHA-512')), 'the broker authenticated User:alice with SCRAM-SHA-512');

  const wrong = await python(saslSsl(b, 'SCRAM-SHA-512', ALICE.username, 'not-her-password'), 'py-scram', ['never'], false);
  t.equal(wrong.code, 1, 'a wrong password: the client fails');
  t.equal(wrong.out.produced, 0, 'nothing was produced');
  const auth = wrong.out.errors.find((e) => e.name === '_AUTHENTICATION');
  t.ok(auth, `librdkafka reported an authentication error (${JSON.stringify(wrong.out.errors)})`);
  t.match(auth?.str ?? '', /invalid credentials with SASL mechanism SCRAM-SHA-512/, 'carrying the broker\'s message');
});

t.test('SSL with a client certificate (ssl.client.auth=required)', async (t) => {
  const b = await secureBroker(t, { listeners: ['SSL'], clients: ['alice'], flags: { 'ssl.client.auth': 'required' } });
  const f = certFiles(b);
  const ssl = { 'bootstrap.servers': b.bootstrap('SSL'), 'security.protocol': 'SSL', 'ssl.ca.location': f.ca };

  const withCert = await python({ ...ssl, 'ssl.certificate.location': f.cert('alice'), 'ssl.key.location': f.key('alice') }, 'py-mtls', ['c1', 'c2']);
  t.equal(withCert.code, 0, `with client-alice's certificate: the client succeeded${withCert.out.failed ? ` (${withCert.out.failed})` : ''}`);
  t.same(withCert.out.consumed, ['c1', 'c2'], 'round trip');

  const without = await runJsonChild<ClientOutput>(PYTHON, [SCRIPT, JSON.stringify({ conf: ssl, topic: 'py-mtls', values: ['never'], consume: false, timeout: 4 })], { killAfterMs: 30_000, what: 'security_client.py' });
  t.equal(without.code, 1, 'without a certificate: the client fails');
  t.equal(without.out.produced, 0, 'nothing was produced');
  t.ok(without.out.errors.some((e) => /SSL|certificate|Disconnected|transport/i.test(e.str)), `librdkafka reported the failed connection (${without.out.errors.map((e) => e.str).join(' | ')})`);
});
