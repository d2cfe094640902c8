/**
 * The ssl.* settings of a listener as the broker's settings table lists them
 * (Kafka's names, defaults, docs, validators), apart from tls-options.ts, which
 * reads certificates and builds TLS contexts from them: every broker's config
 * loads this table at start-up, and only a TLS listener needs the rest.
 */
import { createRequire } from 'node:module';
import type { SecureVersion } from 'node:tls';
import { ConfigError } from '../config/config-error.js';
import { parseSslPrincipalMappingRules } from './ssl-principal.js';

export type Validate = (v: string) => string | undefined;
export interface SslSettingDef { default: string; doc: string; validate?: Validate }

export const PROTOCOLS: readonly SecureVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];
const STORE_TYPES = ['JKS', 'PKCS12', 'PEM'];

const oneOf = (...values: string[]): Validate => (v) => (v === '' || values.includes(v.toLowerCase()) ? undefined : `must be one of ${values.join(', ')}`);
const storeType: Validate = (v) => (v === '' || STORE_TYPES.includes(v.toUpperCase()) ? undefined : 'must be PEM or PKCS12 (or JKS, read only when the file is really PKCS12)');
const messageOf = (f: () => unknown): string | undefined => {
  try { f(); return undefined; } catch (e) { return (e as Error).message; }
};

// node:tls (with its OpenSSL bindings, ~3 ms) is loaded when a TLS listener or
// setting needs it: the settings table below is read by every broker's config.
let tlsModule: typeof import('node:tls') | undefined;
export const nodeTls = () => (tlsModule ??= createRequire(import.meta.url)('node:tls') as typeof import('node:tls'));

const NO_EFFECT = 'accepted so that Kafka configurations start unchanged; no effect (a Java setting)';

/** Setting names this module reads, with defaults and docs, for the broker's settings table. */
export const SSL_SETTINGS: Record<string, SslSettingDef> = {
  'ssl.keystore.type': { default: 'JKS', validate: storeType, doc: 'format of ssl.keystore.location: PEM (private key and certificate chain in one file) or PKCS12. JKS (Kafka\'s default) means: recognise the file; a real JKS file is refused, convert it with keytool -importkeystore -srckeystore broker.jks -destkeystore broker.p12 -deststoretype PKCS12' },
  'ssl.keystore.location': { default: '', doc: 'the broker\'s private key and certificate chain: a PEM file holding both, or a PKCS12 file' },
  'ssl.keystore.password': { default: '', doc: 'password of a PKCS12 keystore (PEM takes none: an encrypted PEM key takes ssl.key.password)' },
  'ssl.key.password': { default: '', doc: 'passphrase of an encrypted PEM private key (in ssl.keystore.location, ssl.keystore.key or ssl.key.location)' },
  'ssl.keystore.key': { default: '', doc: 'the private key as PEM text, with ssl.keystore.certificate.chain, instead of ssl.keystore.location' },
  'ssl.keystore.certificate.chain': { default: '', doc: 'the certificate chain as PEM text, the broker\'s own certificate first' },
  'ssl.certificate.location': { default: '', doc: 'PEM file with the certificate chain, with ssl.key.location, instead of ssl.keystore.location (Samsa extension: librdkafka\'s names; samsa dev-certs writes such files)' },
  'ssl.key.location': { default: '', doc: 'PEM file with the private key of ssl.certificate.location (Samsa extension: librdkafka\'s name)' },
  'ssl.truststore.type': { default: 'JKS', validate: storeType, doc: 'format of ssl.truststore.location: PEM (CA certificates) or PKCS12. JKS (Kafka\'s default) means: recognise the file, as for ssl.keystore.type' },
  'ssl.truststore.location': { default: '', doc: 'CA certificates that client certificates (and other brokers\' certificates) must chain to; unset: the CAs node trusts by default' },
  'ssl.truststore.password': { default: '', doc: 'password of a PKCS12 truststore (PEM takes none)' },
  'ssl.truststore.certificates': { default: '', doc: 'trusted CA certificates as PEM text, instead of ssl.truststore.location' },
  'ssl.ca.location': { default: '', doc: 'PEM file of trusted CA certificates, instead of ssl.truststore.location (Samsa extension: librdkafka\'s name)' },
  'ssl.client.auth': { default: 'none', validate: oneOf('none', 'requested', 'required'), doc: 'client certificates: none (not asked for), requested (asked for; a client without one connects as User:ANONYMOUS, one whose certificate does not verify is disconnected), required (a client without a valid one cannot connect)' },
  'ssl.enabled.protocols': { default: 'TLSv1.2,TLSv1.3', validate: (v) => messageOf(() => protocolRange(v)), doc: 'TLS versions accepted; node takes a range, so the lowest to the highest listed are enabled' },
  'ssl.protocol': { default: 'TLSv1.3', validate: oneOf('tls', 'tlsv1', 'tlsv1.1', 'tlsv1.2', 'tlsv1.3', 'ssl'), doc: 'TLSv1.2 or lower stops connections to other brokers from offering newer versions, as in Kafka; the listener follows ssl.enabled.protocols' },
  'ssl.cipher.suites': { default: '', validate: (v) => messageOf(() => cipherList(v)), doc: 'cipher suites allowed, by their IANA names as Java uses (TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256) or OpenSSL\'s (ECDHE-RSA-AES128-GCM-SHA256); empty: node\'s defaults. Listing only TLS 1.2 suites disables TLS 1.3 and the reverse' },
  'ssl.endpoint.identification.algorithm': { default: 'https', validate: oneOf('https', 'none'), doc: 'https: connections to other brokers check that the broker\'s certificate names the host connected to; none: they do not (Kafka turns the check off with an empty value, which reads as unset here)' },
  'ssl.principal.mapping.rules': { default: 'DEFAULT', validate: (v) => messageOf(() => parseSslPrincipalMappingRules(v)), doc: 'how a client certificate\'s subject DN becomes the principal name: RULE:pattern/replacement/ (optionally L or U after the last slash for lower or upper case) and DEFAULT (the DN as it is), comma-separated, first match wins' },
  'ssl.keymanager.algorithm': { default: 'SunX509', doc: NO_EFFECT },
  'ssl.trustmanager.algorithm': { default: 'PKIX', doc: NO_EFFECT },
  'ssl.provider': { default: '', doc: NO_EFFECT },
  'ssl.secure.random.implementation': { default: '', doc: NO_EFFECT },
  'ssl.engine.factory.class': { default: '', doc: NO_EFFECT },
  'ssl.allow.dn.changes': { default: 'false', validate: oneOf('true', 'false'), doc: 'accepted, no effect: Samsa reads keystores at start-up only' },
  'ssl.allow.san.changes': { default: 'false', validate: oneOf('true', 'false'), doc: 'accepted, no effect: Samsa reads keystores at start-up only' },
};

/** The lowest and highest version listed (node takes a range, Java a set). */
export function protocolRange(value: string): { minVersion: SecureVersion; maxVersion: SecureVersion } {
  const listed = value.split(',').map((p) => p.trim()).filter(Boolean);
  if (listed.length === 0) return { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' };
  const indexes = listed.map((p) => {
    const i = PROTOCOLS.findIndex((known) => known.toLowerCase() === p.toLowerCase());
    if (i < 0) throw new ConfigError(`${p} is not a TLS version node supports (${PROTOCOLS.join(', ')})`);
    return i;
  });
  return { minVersion: PROTOCOLS[Math.min(...indexes)]!, maxVersion: PROTOCOLS[Math.max(...indexes)]! };
}

// IANA names of the TLS 1.2 suites in common use, as Java writes them; OpenSSL
// spells the same suites differently (TLS 1.3 suites have one name in both).
const IANA_SUITE = /^TLS_(ECDHE_ECDSA|ECDHE_RSA|DHE_RSA|RSA)_WITH_(AES_(128|256)_(GCM|CBC)|CHACHA20_POLY1305)_(SHA|SHA256|SHA384)$/;

function opensslSuiteName(name: string): string {
  const m = IANA_SUITE.exec(name.toUpperCase());
  if (!m) return name.toUpperCase();
  const exchange = m[1] === 'RSA' ? '' : `${m[1]!.replace('_', '-')}-`;
  if (m[2] === 'CHACHA20_POLY1305') return `${exchange}CHACHA20-POLY1305`;
  return `${exchange}AES${m[3]}${m[4] === 'GCM' ? '-GCM' : ''}-${m[5]}`;
}

/** ssl.cipher.suites in OpenSSL's names; a suite node does not know is a ConfigError (OpenSSL would skip it silently). */
export function cipherList(value: string): string[] {
  const listed = value.split(',').map((c) => c.trim()).filter((c) => c !== '' && c !== 'TLS_EMPTY_RENEGOTIATION_INFO_SCSV');
  const known = new Set(nodeTls().getCiphers());
  return listed.map((suite) => {
    const name = opensslSuiteName(suite);
    if (!known.has(name.toLowerCase())) throw new ConfigError(`${suite} is not a cipher suite this node (OpenSSL) supports`);
    return name;
  });
}
