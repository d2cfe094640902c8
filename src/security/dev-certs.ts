/**
 * `samsa dev-certs`: a throwaway CA and the certificates to try TLS and mTLS
 * locally, in the file forms both Samsa and the usual clients read.
 *
 * Files written to the directory (keys unencrypted PKCS#8 PEM, mode 0600):
 *   ca.pem, ca.key                   the CA (trust ca.pem in clients, and in the broker for mTLS)
 *   broker.pem, broker.key           the broker's certificate then the CA's, and its key
 *   broker.p12                       the same key and chain as PKCS12 (for ssl.keystore.type=PKCS12)
 *   client-<name>.pem, .key          a client certificate with subject CN=<name>, for mTLS
 * The broker certificate names localhost, 127.0.0.1, ::1 and any extra hosts in
 * its subjectAltName, and serves for both serverAuth and clientAuth (a broker is
 * the client of other brokers). Keys are RSA 2048 made by node:crypto (forge's
 * own key generation is slow); node-forge, loaded only here, issues the
 * certificates, since node:crypto cannot.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { generateKeyPair, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { ConfigError } from '../config/config-error.js';

type Forge = typeof import('node-forge');
type ForgeCertificate = ReturnType<Forge['pki']['createCertificate']>;

export interface DevCertsOptions {
  /** Host names or IP addresses the broker certificate must also be valid for. */
  hosts?: string[];
  /** Client certificates to issue, one per name (subject CN=<name>). */
  clients?: string[];
  /** Validity in days (default 825, the longest clients such as Apple's accept for a server certificate). */
  days?: number;
  /** Replace files that already exist. */
  force?: boolean;
  /** Password of broker.p12 (default samsa-dev). */
  p12Password?: string;
}

const DEFAULT_HOSTS = ['localhost', '127.0.0.1', '::1'];
const DNS_NAME = /^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/;
const CLIENT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const DAY_MS = 86_400_000;

/** Writes the CA, broker and client certificates into dir and says how to use them. Existing files are refused unless force. */
export async function writeDevCerts(dir: string, opts: DevCertsOptions = {}): Promise<{ files: string[]; usage: string }> {
  const days = opts.days ?? 825;
  if (!Number.isInteger(days) || days < 1) throw new ConfigError(`days must be a whole number of days >= 1, not ${days}`);
  const hosts = [...new Set([...DEFAULT_HOSTS, ...(opts.hosts ?? []).map((h) => h.trim()).filter(Boolean)])];
  for (const host of hosts) {
    if (!isIP(host) && !DNS_NAME.test(host)) throw new ConfigError(`'${host}' is neither an IP address nor a host name`);
  }
  const clients = [...new Set(opts.clients ?? [])];
  for (const name of clients) {
    if (!CLIENT_NAME.test(name)) throw new ConfigError(`client name '${name}' may hold only letters, digits, '.', '_' and '-' (it names a file and the certificate's CN)`);
  }
  const password = opts.p12Password ?? 'samsa-dev';

  const root = resolve(dir);
  const path = (name: string) => join(root, name);
  const names = ['ca.pem', 'ca.key', 'broker.pem', 'broker.key', 'broker.p12', ...clients.flatMap((c) => [`client-${c}.pem`, `client-${c}.key`])];
  if (!opts.force) {
    const existing = names.filter((n) => existsSync(path(n)));
    if (existing.length > 0) throw new ConfigError(`${root} already holds ${existing.join(', ')}: refusing to overwrite them (use --force to replace them)`);
  }

  const forge = await loadForge();
  const [caKeys, brokerKeys, ...clientKeys] = await Promise.all([newKeyPair(), newKeyPair(), ...clients.map(() => newKeyPair())]);
  const notBefore = new Date(Date.now() - 3_600_000); // an hour back, for clocks that disagree a little
  const notAfter = new Date(notBefore.getTime() + days * DAY_MS);
  const validity = { notBefore, notAfter };

  const ca = issue(forge, {
    cn: `Samsa dev CA ${randomBytes(4).toString('hex')}`, keys: caKeys, validity,
    extensions: [
      { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    ],
  });
  const broker = issue(forge, {
    cn: 'samsa-broker', keys: brokerKeys, validity, issuer: { cert: ca, keys: caKeys },
    extensions: [
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
      { name: 'subjectAltName', altNames: hosts.map((h) => (isIP(h) ? { type: 7, ip: h } : { type: 2, value: h })) },
    ],
  });
  const clientCerts = clients.map((name, i) => issue(forge, {
    cn: name, keys: clientKeys[i]!, validity, issuer: { cert: ca, keys: caKeys },
    extensions: [
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', clientAuth: true },
    ],
  }));

  const pem = (cert: ForgeCertificate) => forge.pki.certificateToPem(cert).replace(/\r\n/g, '\n');
  const p12 = forge.pkcs12.toPkcs12Asn1(forge.pki.privateKeyFromPem(brokerKeys.privateKey), [broker, ca], password, {
    algorithm: 'aes256', friendlyName: 'broker', generateLocalKeyId: true,
  });
  const contents: Record<string, string | Buffer> = {
    'ca.pem': pem(ca),
    'ca.key': caKeys.privateKey,
    'broker.pem': pem(broker) + pem(ca),
    'broker.key': brokerKeys.privateKey,
    'broker.p12': Buffer.from(forge.asn1.toDer(p12).getBytes(), 'binary'),
  };
  clients.forEach((name, i) => {
    contents[`client-${name}.pem`] = pem(clientCerts[i]!);
    contents[`client-${name}.key`] = clientKeys[i]!.privateKey;
  });

  mkdirSync(root, { recursive: true });
  for (const name of names) {
    const secret = name.endsWith('.key') || name.endsWith('.p12');
    writeFileSync(path(name), contents[name]!, { mode: secret ? 0o600 : 0o644, flag: opts.force ? 'w' : 'wx' });
  }
  return { files: names.map(path), usage: usageText(root, days, password, clients[0]) };
}

// Required, not imported: node-forge is CommonJS, and the bundled command (scripts/bundle.mjs) is too.
async function loadForge(): Promise<Forge> {
  return createRequire(import.meta.url)('node-forge') as Forge;
}

interface KeyPairPem { publicKey: string; privateKey: string }

function newKeyPair(): Promise<KeyPairPem> {
  return promisify(generateKeyPair)('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
}

interface IssueSpec {
  cn: string;
  keys: KeyPairPem;
  validity: { notBefore: Date; notAfter: Date };
  /** The signer; absent: self-signed. */
  issuer?: { cert: ForgeCertificate; keys: KeyPairPem };
  extensions: object[];
}

function issue(forge: Forge, spec: IssueSpec): ForgeCertificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(spec.keys.publicKey);
  // 16 random bytes, the first below 0x80 so that the DER integer stays positive
  cert.serialNumber = (randomBytes(1)[0]! & 0x7f | 0x01).toString(16).padStart(2, '0') + randomBytes(15).toString('hex');
  cert.validity.notBefore = spec.validity.notBefore;
  cert.validity.notAfter = spec.validity.notAfter;
  // UTF8String, as OpenSSL and Java write a CN (forge's default, PrintableString, cannot hold '_')
  // forge's typings call this field a class; it takes the ASN.1 type
  cert.setSubject([{ shortName: 'CN', value: spec.cn, valueTagClass: forge.asn1.Type.UTF8 as number as import('node-forge').asn1.Class }]);
  cert.setIssuer(spec.issuer ? spec.issuer.cert.subject.attributes : cert.subject.attributes);
  const issuerKeyId = spec.issuer
    ? spec.issuer.cert.generateSubjectKeyIdentifier().getBytes()
    : cert.generateSubjectKeyIdentifier().getBytes();
  cert.setExtensions([...spec.extensions, { name: 'subjectKeyIdentifier' }, { name: 'authorityKeyIdentifier', keyIdentifier: issuerKeyId }]);
  cert.sign(forge.pki.privateKeyFromPem((spec.issuer?.keys ?? spec.keys).privateKey), forge.md.sha256.create());
  return cert;
}

function usageText(dir: string, days: number, password: string, client: string | undefined): string {
  const f = (name: string) => join(dir, name);
  const mtls = (line: string) => (client ? [line] : []);
  return [
    `Wrote a throwaway CA and certificates to ${dir}, valid for ${days} days. For development only: anyone holding ca.key can make certificates your clients will trust.`,
    '',
    'Broker settings (server.properties):',
    '  listeners=SSL://localhost:9093',
    '  ssl.keystore.type=PKCS12',
    `  ssl.keystore.location=${f('broker.p12')}`,
    `  ssl.keystore.password=${password}`,
    `  # or the PEM files: ssl.certificate.location=${f('broker.pem')} and ssl.key.location=${f('broker.key')}`,
    '  # mTLS (clients must present a certificate from this CA):',
    '  ssl.client.auth=required',
    '  ssl.truststore.type=PEM',
    `  ssl.truststore.location=${f('ca.pem')}`,
    '',
    'kcat (librdkafka):',
    `  kcat -b localhost:9093 -X security.protocol=ssl -X ssl.ca.location=${f('ca.pem')} -L`,
    ...mtls(`  mTLS: add -X ssl.certificate.location=${f(`client-${client}.pem`)} -X ssl.key.location=${f(`client-${client}.key`)}`),
    '',
    'kafkajs:',
    `  new Kafka({ brokers: ['localhost:9093'], ssl: { ca: [fs.readFileSync('${f('ca.pem')}', 'utf8')] } })`,
    ...mtls(`  mTLS: add cert: fs.readFileSync('${f(`client-${client}.pem`)}', 'utf8'), key: fs.readFileSync('${f(`client-${client}.key`)}', 'utf8') to ssl`),
    '',
    'Java clients:',
    '  security.protocol=SSL',
    '  ssl.truststore.type=PEM',
    `  ssl.truststore.location=${f('ca.pem')}`,
    '',
  ].join('\n');
}
