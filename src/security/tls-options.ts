/**
 * node:tls options for an SSL (or SASL_SSL) listener and for the connections a
 * broker makes to other brokers, from Kafka's ssl.* settings of that listener.
 * Files are read when the options are built, and every mistake (a missing file,
 * a wrong password, a key that is not the certificate's, a Java-only format) is
 * a ConfigError naming the setting and the file, so start-up stops with a
 * sentence instead of a failing handshake later.
 *
 * Formats: PEM and PKCS12 as Kafka reads them, plus librdkafka's file names
 * (ssl.certificate.location, ssl.key.location, ssl.ca.location) that many people
 * already have. JKS is Java's own format: a file with JKS's magic number is
 * refused with the keytool command that converts it. ssl.keystore.type and
 * ssl.truststore.type left at Kafka's default JKS mean "recognise the file":
 * Java itself reads a PKCS12 file under type JKS, and Samsa also reads PEM there.
 * A PKCS12 keystore is handed to OpenSSL; one using algorithms OpenSSL 3 no
 * longer loads by default (RC2, from older keytool or openssl) and PKCS12
 * truststores (certificates without a key, which OpenSSL will not load alone)
 * are read with node-forge.
 *
 * ssl.client.auth=requested: node accepts the handshake of a client whose
 * certificate fails verification and marks the socket unauthorized, where Java
 * fails the handshake; the listener closes such a connection after the
 * handshake (see sslPrincipalOfConnection in ssl-principal.ts).
 */
import { readFileSync } from 'node:fs';
import type { X509Certificate } from 'node:crypto';
import { createRequire } from 'node:module';
import type { ConnectionOptions, SecureVersion, TlsOptions } from 'node:tls';
import { ConfigError } from '../config/config-error.js';
import { nodeCrypto } from './node-crypto.js';
import { PROTOCOLS, SSL_SETTINGS, cipherList, nodeTls, protocolRange } from './ssl-settings.js';

export { SSL_SETTINGS } from './ssl-settings.js';

/** The ssl.* settings of one listener, Kafka's names (values as strings, '' when unset). */
export interface SslSettings { get(key: string): string }

/** Server options for a listener: the broker's key and certificate, client certificate checks, versions and ciphers. */
export function tlsServerOptions(s: SslSettings): TlsOptions {
  const read = reader(s);
  const keystore = loadKeystore(read);
  if (!keystore) {
    throw new ConfigError('an SSL listener needs the broker\'s certificate and private key: set ssl.keystore.location (a PEM or PKCS12 file), ssl.keystore.key with ssl.keystore.certificate.chain, or ssl.certificate.location with ssl.key.location (samsa dev-certs writes a set to try)');
  }
  const ca = loadTruststore(read);
  const clientAuth = read('ssl.client.auth').toLowerCase();
  const options: TlsOptions = {
    ...keystore,
    ...(ca && { ca }),
    ...versionsAndCiphers(read),
    requestCert: clientAuth !== 'none',
    rejectUnauthorized: clientAuth === 'required',
  };
  checkContext(options);
  return options;
}

/** Client-side options for broker-to-broker connections over an SSL/SASL_SSL listener (trust the truststore; present the keystore when there is one). */
export function tlsClientOptions(s: SslSettings): ConnectionOptions {
  const read = reader(s);
  const keystore = loadKeystore(read);
  const ca = loadTruststore(read);
  const tls = versionsAndCiphers(read);
  const cap = PROTOCOLS.find((p) => p.toLowerCase() === read('ssl.protocol').toLowerCase());
  if (cap && PROTOCOLS.indexOf(cap) < PROTOCOLS.indexOf(tls.maxVersion)) {
    if (PROTOCOLS.indexOf(cap) < PROTOCOLS.indexOf(tls.minVersion)) {
      throw new ConfigError(`ssl.protocol=${cap} is below every version ssl.enabled.protocols and ssl.cipher.suites allow`);
    }
    tls.maxVersion = cap;
  }
  const checkHost = read('ssl.endpoint.identification.algorithm').toLowerCase() === 'https';
  const options: ConnectionOptions = {
    ...keystore,
    ...(ca && { ca }),
    ...tls,
    rejectUnauthorized: true,
    // without the check the certificate must still chain to a trusted CA, but may name any host
    ...(!checkHost && { checkServerIdentity: () => undefined }),
  };
  checkContext(options);
  return options;
}

type Read = (key: string) => string;

/** Reads a setting, '' (unset) giving the default; values are trimmed as Kafka trims them. */
function reader(s: SslSettings): Read {
  return (key) => {
    const def = SSL_SETTINGS[key];
    const value = (s.get(key) ?? '').trim();
    if (value === '') return def?.default ?? '';
    const problem = def?.validate?.(value);
    if (problem) throw new ConfigError(`invalid value '${value}' for ${key}: ${problem}`);
    return value;
  };
}


/**
 * The version range and ciphers string. Java negotiates TLS 1.3 only with a
 * TLS 1.3 suite enabled (and TLS 1.2 only with an older one), while node keeps
 * its default suites for a version the list says nothing about; so the range
 * narrows to the versions the listed suites serve, as the handshake would in Kafka.
 */
function versionsAndCiphers(read: Read): { minVersion: SecureVersion; maxVersion: SecureVersion; ciphers?: string } {
  const range = protocolRange(read('ssl.enabled.protocols'));
  const suites = cipherList(read('ssl.cipher.suites'));
  if (suites.length === 0) return range;
  const tls13 = suites.some((s) => s.startsWith('TLS_'));
  const older = suites.some((s) => !s.startsWith('TLS_'));
  if (!tls13 && range.maxVersion === 'TLSv1.3') range.maxVersion = 'TLSv1.2';
  if (!older) range.minVersion = 'TLSv1.3';
  if (PROTOCOLS.indexOf(range.minVersion) > PROTOCOLS.indexOf(range.maxVersion)) {
    throw new ConfigError(`ssl.cipher.suites has no suite for the versions in ssl.enabled.protocols (${read('ssl.enabled.protocols')}): TLS 1.3 suites are named TLS_AES_..., TLS_CHACHA20_...`);
  }
  return { ...range, ciphers: suites.join(':') };
}

/** Builds a context once so that a key/certificate mismatch or an unusable option stops start-up. */
function checkContext(options: TlsOptions | ConnectionOptions): void {
  try {
    nodeTls().createSecureContext(options);
  } catch (e) {
    throw new ConfigError(`the ssl.* settings do not make a usable TLS context: ${(e as Error).message}`);
  }
}

// ---- Reading keystores and truststores ----

type KeyMaterial = { key: string; cert: string } | { pfx: Buffer; passphrase: string };
type FileFormat = 'PEM' | 'PKCS12';

function readSettingFile(setting: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EACCES' ? 'permission denied' : err.code === 'EISDIR' ? 'it is a directory, not a file' : err.message;
    throw new ConfigError(`${setting}=${path}: cannot read it (${why})`);
  }
}

/** What the file holds, checked against the declared type (JKS: whatever it is, if not JKS). */
function fileFormat(bytes: Buffer, typeSetting: string, type: string, setting: string, path: string): FileFormat {
  const magic = bytes.length >= 4 ? bytes.readUInt32BE(0) : 0;
  if (magic === 0xfeedfeed || magic === 0xcececece) {
    throw new ConfigError(`${setting}=${path} is a JKS (Java-only) keystore: convert it to PKCS12 with keytool -importkeystore -srckeystore ${path} -destkeystore ${path}.p12 -deststoretype PKCS12, then set ${setting}=${path}.p12 and ${typeSetting}=PKCS12`);
  }
  const actual: FileFormat = bytes.includes('-----BEGIN ') ? 'PEM' : 'PKCS12';
  const declared = type.toUpperCase();
  if (declared !== 'JKS' && declared !== actual) {
    throw new ConfigError(`${typeSetting}=${declared} but ${setting}=${path} ${actual === 'PEM' ? 'is a PEM file: set' : 'is not PEM (it looks like PKCS12): set'} ${typeSetting}=${actual}`);
  }
  return actual;
}

function loadKeystore(read: Read): KeyMaterial | undefined {
  const type = read('ssl.keystore.type');
  const location = read('ssl.keystore.location');
  const password = read('ssl.keystore.password');
  const keyPassword = read('ssl.key.password');
  const inlineKey = read('ssl.keystore.key');
  const inlineChain = read('ssl.keystore.certificate.chain');
  const certLocation = read('ssl.certificate.location');
  const keyLocation = read('ssl.key.location');
  const noStorePassword = (what: string) => {
    if (password) throw new ConfigError(`ssl.keystore.password cannot be used with ${what}: PEM has no store password (an encrypted PEM key takes ssl.key.password)`);
  };

  if (inlineKey || inlineChain) {
    if (!inlineKey || !inlineChain) throw new ConfigError('ssl.keystore.key and ssl.keystore.certificate.chain go together: set both');
    if (location || certLocation || keyLocation) throw new ConfigError('ssl.keystore.key is set, and so is a keystore file (ssl.keystore.location or ssl.certificate.location): set one of them');
    if (type.toUpperCase() === 'PKCS12') throw new ConfigError('ssl.keystore.key holds PEM text: set ssl.keystore.type=PEM (it is PKCS12)');
    noStorePassword('ssl.keystore.key');
    return pemKeystore({ text: inlineChain, what: 'ssl.keystore.certificate.chain' }, { text: inlineKey, what: 'ssl.keystore.key' }, keyPassword);
  }
  if (certLocation || keyLocation) {
    if (!certLocation || !keyLocation) throw new ConfigError('ssl.certificate.location and ssl.key.location go together: set both');
    if (location) throw new ConfigError('ssl.keystore.location and ssl.certificate.location are both set: set one of them');
    noStorePassword('ssl.certificate.location');
    const certs = { text: readSettingFile('ssl.certificate.location', certLocation).toString('utf8'), what: `ssl.certificate.location=${certLocation}` };
    const key = { text: readSettingFile('ssl.key.location', keyLocation).toString('utf8'), what: `ssl.key.location=${keyLocation}` };
    return pemKeystore(certs, key, keyPassword);
  }
  if (!location) {
    if (password) throw new ConfigError('ssl.keystore.password is set but ssl.keystore.location is not');
    return undefined;
  }
  const bytes = readSettingFile('ssl.keystore.location', location);
  const where = `ssl.keystore.location=${location}`;
  if (fileFormat(bytes, 'ssl.keystore.type', type, 'ssl.keystore.location', location) === 'PEM') {
    noStorePassword('a PEM keystore');
    const text = bytes.toString('utf8');
    return pemKeystore({ text, what: where }, { text, what: where }, keyPassword);
  }
  return pkcs12Keystore(bytes, password, where);
}

interface PemSource { text: string; what: string }

function pemKeystore(certSource: PemSource, keySource: PemSource, keyPassword: string): KeyMaterial {
  const certs = pemCertificates(certSource);
  const keys = pemBlocks(keySource.text).filter((b) => b.label.endsWith('PRIVATE KEY'));
  if (keys.length !== 1) {
    throw new ConfigError(`${keySource.what}: expected one private key (-----BEGIN PRIVATE KEY-----), found ${keys.length}`);
  }
  const block = keys[0]!;
  const encrypted = block.label === 'ENCRYPTED PRIVATE KEY' || block.pem.includes('Proc-Type: 4,ENCRYPTED');
  if (encrypted && !keyPassword) throw new ConfigError(`${keySource.what}: the private key is encrypted: set ssl.key.password`);
  let key;
  try {
    key = nodeCrypto().createPrivateKey({ key: block.pem, format: 'pem', ...(encrypted && { passphrase: keyPassword }) });
  } catch (e) {
    const why = encrypted ? 'ssl.key.password does not decrypt it' : 'it is not a private key node can read';
    throw new ConfigError(`${keySource.what}: ${why} (${(e as Error).message})`);
  }
  if (!certs[0]!.x509.checkPrivateKey(key)) {
    throw new ConfigError(`${keySource.what}: the private key does not belong to the first certificate in ${certSource.what} (the broker's own certificate must come first, then its CA chain)`);
  }
  return { key: key.export({ type: 'pkcs8', format: 'pem' }) as string, cert: certs.map((c) => c.pem).join('') };
}

interface PemBlock { label: string; pem: string }

/** PEM blocks, tolerating the forms settings arrive in: one line with spaces (a properties continuation) or literal \n (an environment variable). */
function pemBlocks(text: string): PemBlock[] {
  const out: PemBlock[] = [];
  const normalized = text.replace(/\\n/g, '\n');
  for (const m of normalized.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g)) {
    const label = m[1]!;
    const body = m[2]!;
    // a legacy encrypted key's headers (Proc-Type, DEK-Info) need their lines kept
    if (body.includes(':')) { out.push({ label, pem: `${m[0]}\n` }); continue; }
    const base64 = body.replace(/\s+/g, '');
    out.push({ label, pem: `-----BEGIN ${label}-----\n${base64.replace(/(.{64})/g, '$1\n').replace(/\n?$/, '\n')}-----END ${label}-----\n` });
  }
  return out;
}

function pemCertificates(source: PemSource): { pem: string; x509: X509Certificate }[] {
  const blocks = pemBlocks(source.text).filter((b) => b.label === 'CERTIFICATE');
  if (blocks.length === 0) throw new ConfigError(`${source.what}: no certificate found (expected -----BEGIN CERTIFICATE-----)`);
  return blocks.map((b, i) => {
    try {
      return { pem: b.pem, x509: new (nodeCrypto().X509Certificate)(b.pem) };
    } catch (e) {
      throw new ConfigError(`${source.what}: certificate ${i + 1} cannot be read (${(e as Error).message})`);
    }
  });
}

function pkcs12Keystore(pfx: Buffer, password: string, where: string): KeyMaterial {
  try {
    nodeTls().createSecureContext({ pfx, passphrase: password });
    return { pfx, passphrase: password };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (/mac verify failure/i.test(err.message)) throw wrongPassword('ssl.keystore.password', password, where);
    if (err.code !== 'ERR_CRYPTO_UNSUPPORTED_OPERATION') throw new ConfigError(`${where}: not a usable PKCS12 keystore (${err.message})`);
  }
  // OpenSSL 3 without its legacy provider cannot decrypt RC2 (older keytool and openssl output): forge can
  const bags = readPkcs12(pfx, password, 'ssl.keystore.password', where);
  if (bags.keys.length !== 1) throw new ConfigError(`${where}: expected one private key in the PKCS12 file, found ${bags.keys.length}`);
  const keyId = bags.keys[0]!.localKeyId;
  const own = bags.certs.findIndex((c) => keyId !== undefined && c.localKeyId === keyId);
  const ordered = own > 0 ? [bags.certs[own]!, ...bags.certs.filter((_, i) => i !== own)] : bags.certs;
  if (ordered.length === 0) throw new ConfigError(`${where}: the PKCS12 file holds no certificate`);
  return pemKeystore({ text: ordered.map((c) => c.pem).join(''), what: where }, { text: bags.keys[0]!.pem, what: where }, '');
}

function wrongPassword(setting: string, password: string, where: string): ConfigError {
  return new ConfigError(password ? `${where}: ${setting} is wrong (the PKCS12 integrity check failed)` : `${where}: the PKCS12 file needs a password: set ${setting}`);
}

function loadTruststore(read: Read): string[] | undefined {
  const type = read('ssl.truststore.type');
  const location = read('ssl.truststore.location');
  const caLocation = read('ssl.ca.location');
  const password = read('ssl.truststore.password');
  const inline = read('ssl.truststore.certificates');
  const noPemPassword = () => {
    if (password) throw new ConfigError('ssl.truststore.password cannot be used with PEM certificates (PEM has no store password)');
  };
  if (inline) {
    if (location || caLocation) throw new ConfigError('ssl.truststore.certificates is set, and so is a truststore file (ssl.truststore.location or ssl.ca.location): set one of them');
    if (type.toUpperCase() === 'PKCS12') throw new ConfigError('ssl.truststore.certificates holds PEM text: set ssl.truststore.type=PEM (it is PKCS12)');
    noPemPassword();
    return pemCertificates({ text: inline, what: 'ssl.truststore.certificates' }).map((c) => c.pem);
  }
  if (location && caLocation && location !== caLocation) throw new ConfigError('ssl.truststore.location and ssl.ca.location are both set: set one of them');
  const setting = location ? 'ssl.truststore.location' : 'ssl.ca.location';
  const path = location || caLocation;
  if (!path) {
    if (password) throw new ConfigError('ssl.truststore.password is set but ssl.truststore.location is not');
    return undefined;
  }
  const bytes = readSettingFile(setting, path);
  const where = `${setting}=${path}`;
  if (fileFormat(bytes, 'ssl.truststore.type', type, setting, path) === 'PEM') {
    noPemPassword();
    return pemCertificates({ text: bytes.toString('utf8'), what: where }).map((c) => c.pem);
  }
  // a key's own certificates are not trust anchors, as in a Java truststore
  const bags = readPkcs12(bytes, password, 'ssl.truststore.password', where);
  const keyIds = new Set(bags.keys.map((k) => k.localKeyId));
  const trusted = bags.certs.filter((c) => c.localKeyId === undefined || !keyIds.has(c.localKeyId));
  if (trusted.length === 0) throw new ConfigError(`${where}: the PKCS12 truststore holds no trusted certificate`);
  return trusted.map((c) => c.pem);
}

type Forge = typeof import('node-forge');

interface Pkcs12Contents {
  certs: { pem: string; localKeyId?: string }[];
  keys: { pem: string; localKeyId?: string }[];
}

/** The certificates and keys of a PKCS12 file, by node-forge (loaded only when a file needs it). */
function readPkcs12(bytes: Buffer, password: string, passwordSetting: string, where: string): Pkcs12Contents {
  const forge = createRequire(import.meta.url)('node-forge') as Forge;
  let p12: ReturnType<Forge['pkcs12']['pkcs12FromAsn1']>;
  try {
    p12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(bytes.toString('binary')), false, password);
  } catch (e) {
    const message = (e as Error).message;
    if (/MAC could not be verified|Invalid password/i.test(message)) throw wrongPassword(passwordSetting, password, where);
    throw new ConfigError(`${where}: not a readable PKCS12 file (${message})`);
  }
  const { oids } = forge.pki;
  const derToPem = (label: string, asn1: Parameters<Forge['asn1']['toDer']>[0]) =>
    `-----BEGIN ${label}-----\n${forge.util.encode64(forge.asn1.toDer(asn1).getBytes(), 64)}\n-----END ${label}-----\n`;
  const localKeyId = (bag: { attributes: Record<string, string[] | undefined> }) => {
    const id = bag.attributes?.localKeyId?.[0];
    return id === undefined ? undefined : forge.util.bytesToHex(id);
  };
  const certs = (p12.getBags({ bagType: oids.certBag! })[oids.certBag!] ?? []).map((bag) => ({
    pem: bag.cert ? forge.pki.certificateToPem(bag.cert) : derToPem('CERTIFICATE', bag.asn1),
    localKeyId: localKeyId(bag),
  }));
  const keyBags = [
    ...(p12.getBags({ bagType: oids.pkcs8ShroudedKeyBag! })[oids.pkcs8ShroudedKeyBag!] ?? []),
    ...(p12.getBags({ bagType: oids.keyBag! })[oids.keyBag!] ?? []),
  ];
  const keys = keyBags.map((bag) => ({
    pem: bag.key ? forge.pki.privateKeyToPem(bag.key) : derToPem('PRIVATE KEY', bag.asn1),
    localKeyId: localKeyId(bag),
  }));
  return { certs, keys };
}
