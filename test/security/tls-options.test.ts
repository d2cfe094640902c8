import t, { type Test } from 'tap';
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createServer, type ConnectionOptions, type TLSSocket, type TlsOptions } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { ConfigError } from '../../src/config/broker-config.js';
import { writeDevCerts } from '../../src/security/dev-certs.js';
import { principalFromCertificate, sslPrincipalOfConnection } from '../../src/security/ssl-principal.js';
import { SSL_SETTINGS, tlsClientOptions, tlsServerOptions, type SslSettings } from '../../src/security/tls-options.js';

type Forge = typeof import('node-forge');
const forgeModule = await import('node-forge');
const forge = (forgeModule as { default?: Forge }).default ?? forgeModule;

// One CA with a broker and client alice; a second, unrelated CA with client mallory.
const dir = mkdtempSync(join(tmpdir(), 'samsa-tls-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const rogueDir = join(dir, 'rogue');
await writeDevCerts(dir, { clients: ['alice'] });
await writeDevCerts(rogueDir, { clients: ['mallory'] });
const file = (name: string) => join(dir, name);
const text = (name: string) => readFileSync(name, 'utf8');

// Derived files: a Kafka-style PEM keystore (key and chain in one file), a PKCS12
// keystore OpenSSL 3 cannot decrypt by default (DES), a certificates-only PKCS12 truststore.
writeFileSync(file('keystore.pem'), text(file('broker.key')) + text(file('broker.pem')));
const brokerKey = forge.pki.privateKeyFromPem(text(file('broker.key')));
const brokerChain = text(file('broker.pem')).split(/(?<=-----END CERTIFICATE-----\n)/).filter(Boolean).map((c) => forge.pki.certificateFromPem(c));
const der = (asn1: ReturnType<Forge['pkcs12']['toPkcs12Asn1']>) => Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary');
writeFileSync(file('legacy.p12'), der(forge.pkcs12.toPkcs12Asn1(brokerKey, brokerChain, 'old-pw', { algorithm: 'des' as never })));
writeFileSync(file('truststore.p12'), der(forge.pkcs12.toPkcs12Asn1(null, [forge.pki.certificateFromPem(text(file('ca.pem')))], 'trust-pw')));
writeFileSync(file('fake.jks'), Buffer.concat([Buffer.from([0xfe, 0xed, 0xfe, 0xed, 0, 0, 0, 2]), Buffer.alloc(64)]));

const settings = (values: Record<string, string>): SslSettings => ({ get: (key) => values[key] ?? '' });
const PKCS12_KEYSTORE = { 'ssl.keystore.type': 'PKCS12', 'ssl.keystore.location': file('broker.p12'), 'ssl.keystore.password': 'samsa-dev' };
const trustCa = { ca: text(file('ca.pem')) };

interface Served {
  port: number;
  /** The principal of each connection that completed its handshake, or why it got none. */
  principals: string[];
  handshakeError: Promise<unknown[]>;
}

/** A TLS server on 127.0.0.1 that records principals and answers "ping" with "pong"; closed when the test ends. */
async function serve(t: Test, options: TlsOptions, rules = 'DEFAULT'): Promise<Served> {
  const principals: string[] = [];
  const sockets = new Set<TLSSocket>();
  const server = createServer(options, (socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    try {
      principals.push(sslPrincipalOfConnection(socket, rules));
    } catch (e) {
      principals.push(`rejected: ${(e as Error).message}`);
      socket.destroy();
      return;
    }
    socket.on('data', () => socket.end('pong'));
  });
  const handshakeError = once(server, 'tlsClientError');
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { port: (server.address() as AddressInfo).port, principals, handshakeError };
}

type Exchange = { ok: true; protocol: string | null; cipher: string } | { ok: false; error: string };

/** Connects, sends "ping" and waits for "pong": ok only when the server answered. */
function exchange(port: number, options: ConnectionOptions): Promise<Exchange> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, ...options });
    socket.on('secureConnect', () => socket.write('ping'));
    socket.on('data', (data) => {
      if (String(data) !== 'pong') return;
      resolve({ ok: true, protocol: socket.getProtocol(), cipher: socket.getCipher().standardName });
      socket.destroy();
    });
    socket.on('error', (e) => { resolve({ ok: false, error: e.message }); socket.destroy(); });
    socket.on('close', () => resolve({ ok: false, error: 'closed before an answer' }));
  });
}

t.test('every keystore form serves a client that trusts ca.pem and checks the host name', async (t) => {
  const forms: Record<string, Record<string, string>> = {
    'PEM keystore': { 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': file('keystore.pem') },
    'PEM keystore, type left at JKS': { 'ssl.keystore.location': file('keystore.pem') },
    'PKCS12 keystore': PKCS12_KEYSTORE,
    'PKCS12 keystore, type left at JKS': { 'ssl.keystore.location': file('broker.p12'), 'ssl.keystore.password': 'samsa-dev' },
    'PKCS12 keystore OpenSSL cannot decrypt (read by forge)': { 'ssl.keystore.type': 'PKCS12', 'ssl.keystore.location': file('legacy.p12'), 'ssl.keystore.password': 'old-pw' },
    'certificate and key locations': { 'ssl.certificate.location': file('broker.pem'), 'ssl.key.location': file('broker.key') },
    'inline PEM': { 'ssl.keystore.type': 'PEM', 'ssl.keystore.key': text(file('broker.key')), 'ssl.keystore.certificate.chain': text(file('broker.pem')) },
    'inline PEM on one line, as a properties continuation leaves it': {
      'ssl.keystore.type': 'PEM',
      'ssl.keystore.key': text(file('broker.key')).replace(/\n/g, ' '),
      'ssl.keystore.certificate.chain': text(file('broker.pem')).replace(/\n/g, ' '),
    },
  };
  for (const [name, values] of Object.entries(forms)) {
    const { port, principals } = await serve(t, tlsServerOptions(settings(values)));
    t.match(await exchange(port, { ...trustCa, servername: 'localhost' }), { ok: true }, `${name}: servername localhost (DNS SAN)`);
    t.match(await exchange(port, trustCa), { ok: true }, `${name}: 127.0.0.1 (IP SAN)`);
    t.same(principals, ['ANONYMOUS', 'ANONYMOUS'], `${name}: ssl.client.auth=none asks for no certificate`);
  }
  const { port } = await serve(t, tlsServerOptions(settings(PKCS12_KEYSTORE)));
  t.match(await exchange(port, { ...trustCa, servername: 'kafka.elsewhere.example' }), { ok: false, error: /kafka.elsewhere.example/ },
    'a name the certificate does not hold is refused by the client');
  t.match(await exchange(port, { servername: 'localhost' }), { ok: false, error: /self-signed|unable to (get|verify)/ }, 'a client that does not trust the CA refuses');
});

t.test('ssl.client.auth=required: only clients with a certificate from the truststore connect', async (t) => {
  const options = tlsServerOptions(settings({ ...PKCS12_KEYSTORE, 'ssl.client.auth': 'required', 'ssl.truststore.location': file('ca.pem') }));
  t.equal(options.requestCert, true);
  t.equal(options.rejectUnauthorized, true);
  const served = await serve(t, options);
  t.match(await exchange(served.port, { ...trustCa, servername: 'localhost' }), { ok: false }, 'no client certificate: refused');
  t.match(await served.handshakeError, [{ message: /certificate/ }], 'the server saw the failed handshake');
  const alice = { cert: text(file('client-alice.pem')), key: text(file('client-alice.key')) };
  t.match(await exchange(served.port, { ...trustCa, ...alice, servername: 'localhost' }), { ok: true }, 'alice\'s certificate: accepted');
  const mallory = { cert: text(join(rogueDir, 'client-mallory.pem')), key: text(join(rogueDir, 'client-mallory.key')) };
  t.match(await exchange(served.port, { ...trustCa, ...mallory, servername: 'localhost' }), { ok: false }, 'a certificate from another CA: refused');
  t.same(served.principals, ['CN=alice'], 'the principal is the certificate\'s subject');

  t.equal(principalFromCertificate(new X509Certificate(alice.cert)), 'CN=alice', 'principalFromCertificate of the same certificate file');

  const mapped = await serve(t, options, 'RULE:^CN=(.*)$/$1/U');
  t.match(await exchange(mapped.port, { ...trustCa, ...alice, servername: 'localhost' }), { ok: true });
  t.same(mapped.principals, ['ALICE'], 'ssl.principal.mapping.rules applied');
});

t.test('ssl.client.auth=requested: anonymous without a certificate, disconnected with an unverifiable one', async (t) => {
  const options = tlsServerOptions(settings({ ...PKCS12_KEYSTORE, 'ssl.client.auth': 'requested', 'ssl.ca.location': file('ca.pem') }));
  t.equal(options.requestCert, true);
  t.equal(options.rejectUnauthorized, false);
  const served = await serve(t, options);
  t.match(await exchange(served.port, { ...trustCa, servername: 'localhost' }), { ok: true }, 'no certificate: connected');
  const alice = { cert: text(file('client-alice.pem')), key: text(file('client-alice.key')) };
  t.match(await exchange(served.port, { ...trustCa, ...alice, servername: 'localhost' }), { ok: true }, 'alice: connected');
  const mallory = { cert: text(join(rogueDir, 'client-mallory.pem')), key: text(join(rogueDir, 'client-mallory.key')) };
  t.match(await exchange(served.port, { ...trustCa, ...mallory, servername: 'localhost' }), { ok: false }, 'mallory (another CA): disconnected, as Java fails the handshake');
  t.match(served.principals, ['ANONYMOUS', 'CN=alice', /^rejected: client certificate rejected/]);
});

t.test('tlsClientOptions: a broker connecting to another broker', async (t) => {
  const server = await serve(t, tlsServerOptions(settings({ ...PKCS12_KEYSTORE, 'ssl.client.auth': 'required', 'ssl.truststore.location': file('ca.pem') })));
  const asBroker = {
    ...PKCS12_KEYSTORE,
    'ssl.truststore.type': 'PKCS12', 'ssl.truststore.location': file('truststore.p12'), 'ssl.truststore.password': 'trust-pw',
  };
  t.match(await exchange(server.port, { ...tlsClientOptions(settings(asBroker)), servername: 'localhost' }), { ok: true, protocol: 'TLSv1.3' },
    'trusts the PKCS12 truststore, presents the keystore');
  t.same(server.principals, ['CN=samsa-broker']);
  t.match(await exchange(server.port, { ...tlsClientOptions(settings(asBroker)), servername: 'kafka.elsewhere.example' }), { ok: false },
    'ssl.endpoint.identification.algorithm=https (default) checks the host name');
  t.match(await exchange(server.port, { ...tlsClientOptions(settings({ ...asBroker, 'ssl.endpoint.identification.algorithm': 'none' })), servername: 'kafka.elsewhere.example' }),
    { ok: true }, 'none: no host name check, the CA still has to vouch');
  t.match(await exchange(server.port, { ...tlsClientOptions(settings({ ...asBroker, 'ssl.protocol': 'TLSv1.2' })), servername: 'localhost' }),
    { ok: true, protocol: 'TLSv1.2' }, 'ssl.protocol=TLSv1.2 keeps the client at TLS 1.2, as in Kafka');
  const anonymous = tlsClientOptions(settings({ 'ssl.truststore.location': file('ca.pem') }));
  t.notOk('pfx' in anonymous || 'key' in anonymous, 'no keystore: no client certificate');
});

t.test('protocols and cipher suites', async (t) => {
  const only13 = tlsServerOptions(settings({ ...PKCS12_KEYSTORE, 'ssl.enabled.protocols': 'TLSv1.3' }));
  t.match(only13, { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' });
  t.match(tlsServerOptions(settings(PKCS12_KEYSTORE)), { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' }, 'Kafka\'s default TLSv1.2,TLSv1.3');
  const server13 = await serve(t, only13);
  t.match(await exchange(server13.port, { ...trustCa, servername: 'localhost', maxVersion: 'TLSv1.2' }), { ok: false }, 'a TLS 1.2 client cannot reach a TLSv1.3-only listener');

  const suite = tlsServerOptions(settings({ ...PKCS12_KEYSTORE, 'ssl.cipher.suites': 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256' }));
  t.equal(suite.ciphers, 'ECDHE-RSA-AES128-GCM-SHA256', 'Java\'s (IANA) name becomes OpenSSL\'s');
  const server = await serve(t, suite);
  t.match(await exchange(server.port, { ...trustCa, servername: 'localhost' }), { ok: true, protocol: 'TLSv1.2', cipher: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256' },
    'the handshake uses that suite (TLS 1.3 is off without a TLS 1.3 suite)');
  t.equal(tlsServerOptions(settings({ ...PKCS12_KEYSTORE, 'ssl.cipher.suites': 'TLS_AES_256_GCM_SHA384, ECDHE-RSA-AES256-GCM-SHA384' })).ciphers,
    'TLS_AES_256_GCM_SHA384:ECDHE-RSA-AES256-GCM-SHA384', 'TLS 1.3 names and OpenSSL names pass through');
  t.match(tlsServerOptions(settings({ ...PKCS12_KEYSTORE, 'ssl.cipher.suites': 'TLS_AES_128_GCM_SHA256' })), { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' },
    'only TLS 1.3 suites: TLS 1.3 only');
  t.throws(() => tlsServerOptions(settings({ ...PKCS12_KEYSTORE, 'ssl.enabled.protocols': 'TLSv1.3', 'ssl.cipher.suites': 'TLS_RSA_WITH_AES_128_GCM_SHA256' })),
    { name: 'ConfigError', message: /ssl.cipher.suites has no suite for the versions in ssl.enabled.protocols/ });
});

t.test('mistakes stop start-up with a ConfigError naming the setting and the file', async (t) => {
  const fails = (values: Record<string, string>, message: RegExp, what: string) => {
    t.throws(() => tlsServerOptions(settings(values)), ConfigError, what);
    t.throws(() => tlsServerOptions(settings(values)), { message }, what);
  };
  const missing = file('nowhere.p12');
  fails({ ...PKCS12_KEYSTORE, 'ssl.keystore.location': missing }, new RegExp(`ssl.keystore.location=${missing}.*no such file`), 'missing keystore');
  fails({ ...PKCS12_KEYSTORE, 'ssl.keystore.password': 'wrong' }, /ssl.keystore.password is wrong/, 'wrong PKCS12 password');
  fails({ ...PKCS12_KEYSTORE, 'ssl.keystore.password': '' }, /needs a password: set ssl.keystore.password/, 'no PKCS12 password');
  fails({ 'ssl.keystore.type': 'PKCS12', 'ssl.keystore.location': file('legacy.p12'), 'ssl.keystore.password': 'wrong' }, /ssl.keystore.password is wrong/, 'wrong password, forge path');
  fails({ 'ssl.keystore.type': 'JKS', 'ssl.keystore.location': file('fake.jks'), 'ssl.keystore.password': 'x' },
    /ssl.keystore.location=.*fake.jks is a JKS.*keytool -importkeystore .*-deststoretype PKCS12/, 'a JKS file');
  fails({ 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': file('broker.p12') }, /ssl.keystore.type=PEM but ssl.keystore.location=.*set ssl.keystore.type=PKCS12/, 'type PEM, file PKCS12');
  fails({ 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': file('keystore.pem'), 'ssl.keystore.password': 'x' }, /ssl.keystore.password cannot be used/, 'store password with PEM');
  fails({ 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': file('broker.pem') }, /ssl.keystore.location=.*broker.pem: expected one private key/, 'PEM keystore without its key');
  fails({ 'ssl.certificate.location': file('broker.pem'), 'ssl.key.location': file('client-alice.key') }, /ssl.key.location=.*client-alice.key: the private key does not belong/, 'key of another certificate');
  fails({ 'ssl.certificate.location': file('broker.pem') }, /ssl.certificate.location and ssl.key.location go together/, 'certificate without key');
  fails({}, /needs the broker's certificate and private key/, 'no keystore at all');
  fails({ ...PKCS12_KEYSTORE, 'ssl.truststore.location': file('missing-ca.pem') }, /ssl.truststore.location=.*missing-ca.pem.*no such file/, 'missing truststore');
  fails({ ...PKCS12_KEYSTORE, 'ssl.truststore.type': 'PKCS12', 'ssl.truststore.location': file('truststore.p12'), 'ssl.truststore.password': 'nope' }, /ssl.truststore.password is wrong/, 'wrong truststore password');
  fails({ ...PKCS12_KEYSTORE, 'ssl.enabled.protocols': 'TLSv1.2,SSLv3' }, /ssl.enabled.protocols: SSLv3 is not a TLS version/, 'unknown protocol');
  fails({ ...PKCS12_KEYSTORE, 'ssl.cipher.suites': 'TLS_FAKE_WITH_NOTHING' }, /ssl.cipher.suites: TLS_FAKE_WITH_NOTHING is not a cipher suite/, 'unknown suite');
  fails({ ...PKCS12_KEYSTORE, 'ssl.client.auth': 'sometimes' }, /ssl.client.auth: must be one of none, requested, required/, 'bad ssl.client.auth');

  // an encrypted PEM key: its passphrase in ssl.key.password
  const { createPrivateKey } = await import('node:crypto');
  const encrypted = createPrivateKey(text(file('broker.key'))).export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'key-pw' }) as string;
  writeFileSync(file('broker-encrypted.key'), encrypted);
  const encryptedKey = { 'ssl.certificate.location': file('broker.pem'), 'ssl.key.location': file('broker-encrypted.key') };
  fails(encryptedKey, /ssl.key.location=.*broker-encrypted.key: the private key is encrypted: set ssl.key.password/, 'encrypted key, no passphrase');
  fails({ ...encryptedKey, 'ssl.key.password': 'wrong' }, /ssl.key.password does not decrypt it/, 'wrong passphrase');
  t.ok(tlsServerOptions(settings({ ...encryptedKey, 'ssl.key.password': 'key-pw' })).key, 'right passphrase');
});

t.test('the settings table: Kafka\'s names and defaults, validators for the broker config', async (t) => {
  t.match(SSL_SETTINGS, {
    'ssl.keystore.type': { default: 'JKS' }, 'ssl.truststore.type': { default: 'JKS' }, 'ssl.client.auth': { default: 'none' },
    'ssl.enabled.protocols': { default: 'TLSv1.2,TLSv1.3' }, 'ssl.principal.mapping.rules': { default: 'DEFAULT' },
    'ssl.endpoint.identification.algorithm': { default: 'https' }, 'ssl.protocol': { default: 'TLSv1.3' },
  });
  t.match(SSL_SETTINGS['ssl.certificate.location']!.doc, /Samsa extension/);
  t.equal(SSL_SETTINGS['ssl.principal.mapping.rules']!.validate!('RULE:^CN=(.*)$/$1/,DEFAULT'), undefined);
  t.match(SSL_SETTINGS['ssl.principal.mapping.rules']!.validate!('RULE:broken'), /invalid rule/);
  t.match(SSL_SETTINGS['ssl.enabled.protocols']!.validate!('TLSv1.3,SSLv2'), /SSLv2/);
  t.match(SSL_SETTINGS['ssl.keystore.type']!.validate!('BKS'), /PEM or PKCS12/);
});
