import t from 'tap';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import { ConfigError } from '../../src/config/broker-config.js';
import { writeDevCerts } from '../../src/security/dev-certs.js';

const root = mkdtempSync(join(tmpdir(), 'samsa-dev-certs-'));
t.teardown(() => rmSync(root, { recursive: true, force: true }));

/** The certificates of a PEM file, in order. */
const certificates = (path: string) =>
  readFileSync(path, 'utf8').split(/(?<=-----END CERTIFICATE-----\n)/).filter((c) => c.includes('BEGIN')).map((c) => new X509Certificate(c));

t.test('writes a CA, a broker certificate for the local names and client certificates', async (t) => {
  const dir = join(root, 'certs');
  const { files, usage } = await writeDevCerts(dir, { hosts: ['kafka.local', '10.1.2.3'], clients: ['alice', 'svc_reporting'], days: 30 });
  const names = ['ca.pem', 'ca.key', 'broker.pem', 'broker.key', 'broker.p12', 'client-alice.pem', 'client-alice.key', 'client-svc_reporting.pem', 'client-svc_reporting.key'];
  t.same(files, names.map((n) => join(dir, n)));
  t.equal(statSync(join(dir, 'broker.key')).mode & 0o777, 0o600, 'keys are readable by their owner only');
  t.equal(statSync(join(dir, 'ca.key')).mode & 0o777, 0o600);

  const [ca] = certificates(join(dir, 'ca.pem'));
  t.ok(ca!.ca, 'ca.pem is a CA');
  t.ok(ca!.checkPrivateKey(createPrivateKey(readFileSync(join(dir, 'ca.key')))), 'ca.key is its key');

  const chain = certificates(join(dir, 'broker.pem'));
  t.equal(chain.length, 2, 'broker.pem: the broker certificate, then the CA');
  const broker = chain[0]!;
  t.equal(chain[1]!.fingerprint256, ca!.fingerprint256);
  t.ok(broker.checkIssued(ca!) && broker.verify(ca!.publicKey), 'signed by the CA');
  t.notOk(broker.ca);
  t.equal(broker.subjectAltName, 'DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, DNS:kafka.local, IP Address:10.1.2.3');
  t.equal(broker.checkHost('kafka.local'), 'kafka.local');
  t.equal(broker.checkIP('::1'), '::1');
  t.same(broker.keyUsage?.sort(), ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2'], 'serverAuth and clientAuth (a broker is also a client of other brokers)');
  const lifetime = Date.parse(broker.validTo) - Date.parse(broker.validFrom);
  t.equal(Math.round(lifetime / 86_400_000), 30, 'valid for the days asked');
  t.ok(Date.parse(broker.validFrom) < Date.now(), 'already valid');

  const key = createPrivateKey(readFileSync(join(dir, 'broker.key')));
  t.ok(broker.checkPrivateKey(key), 'broker.key is the broker certificate\'s key');
  t.match(readFileSync(join(dir, 'broker.key'), 'utf8'), /^-----BEGIN PRIVATE KEY-----/, 'unencrypted PKCS#8 PEM');
  t.doesNotThrow(() => createSecureContext({ pfx: readFileSync(join(dir, 'broker.p12')), passphrase: 'samsa-dev' }), 'broker.p12 opens with samsa-dev');
  t.throws(() => createSecureContext({ pfx: readFileSync(join(dir, 'broker.p12')), passphrase: 'other' }), 'and not with another password');

  for (const name of ['alice', 'svc_reporting']) {
    const [client] = certificates(join(dir, `client-${name}.pem`));
    t.equal(client!.subject, `CN=${name}`);
    t.ok(client!.checkIssued(ca!) && client!.verify(ca!.publicKey), `client ${name} signed by the CA`);
    t.same(client!.keyUsage, ['1.3.6.1.5.5.7.3.2'], 'clientAuth');
    t.ok(client!.checkPrivateKey(createPrivateKey(readFileSync(join(dir, `client-${name}.key`)))));
  }

  t.match(usage, `ssl.keystore.location=${join(dir, 'broker.p12')}`, 'usage: broker settings');
  t.match(usage, 'ssl.keystore.password=samsa-dev');
  t.match(usage, `-X ssl.ca.location=${join(dir, 'ca.pem')}`, 'usage: kcat');
  t.match(usage, `ssl.key.location=${join(dir, 'client-alice.key')}`, 'usage: mTLS with the first client');
  t.match(usage, /new Kafka\(/, 'usage: kafkajs');
});

t.test('existing files are kept unless force', async (t) => {
  const dir = join(root, 'again');
  await writeDevCerts(dir, { p12Password: 'first-pw' });
  const before = readFileSync(join(dir, 'ca.pem'), 'utf8');
  await t.rejects(writeDevCerts(dir), { name: 'ConfigError', message: /already holds ca\.pem, ca\.key, broker\.pem, broker\.key, broker\.p12.*--force/ });
  t.equal(readFileSync(join(dir, 'ca.pem'), 'utf8'), before, 'nothing was replaced');

  const { usage } = await writeDevCerts(dir, { force: true, clients: ['bob'], p12Password: 'second-pw' });
  t.not(readFileSync(join(dir, 'ca.pem'), 'utf8'), before, 'force: a new CA');
  t.doesNotThrow(() => createSecureContext({ pfx: readFileSync(join(dir, 'broker.p12')), passphrase: 'second-pw' }), 'the p12 password given');
  t.match(usage, 'ssl.keystore.password=second-pw');

  const other = join(root, 'one-file');
  await writeDevCerts(other, {});
  rmSync(join(other, 'ca.pem'));
  writeFileSync(join(other, 'client-bob.key'), 'mine');
  await t.rejects(writeDevCerts(other, { clients: ['bob'] }), /already holds ca\.key, broker\.pem, broker\.key, broker\.p12, client-bob\.key:/, 'names every file in the way');
  t.equal(readFileSync(join(other, 'client-bob.key'), 'utf8'), 'mine');
  t.throws(() => statSync(join(other, 'ca.pem')), 'and writes none of the others');
});

t.test('bad names and days are refused before anything is written', async (t) => {
  const dir = join(root, 'bad');
  await t.rejects(writeDevCerts(dir, { clients: ['../evil'] }), ConfigError);
  await t.rejects(writeDevCerts(dir, { hosts: ['not a host'] }), ConfigError);
  await t.rejects(writeDevCerts(dir, { days: 0 }), ConfigError);
  t.throws(() => statSync(dir), 'no directory was made');
});
