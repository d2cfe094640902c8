/**
 * The security settings (Kafka's names): TLS, SASL, the authorizer and
 * quotas. TLS and SASL settings may be given per listener, as in Kafka, with
 * the prefix `listener.name.<listener name in lower case>.` (and a SASL
 * mechanism's JAAS config as `listener.name.<listener>.<mechanism>.sasl.jaas.config`);
 * a prefixed setting wins over the plain one for its listener.
 */
export interface SecuritySettingDef {
  default: string;
  doc: string;
  validate?: (v: string) => string | undefined;
  /** May be given per listener (listener.name.<name>.<key>). */
  perListener?: boolean;
}

const oneOf = (...values: string[]) => (v: string) => (values.includes(v) ? undefined : `must be one of ${values.join(', ')}`);
const int = (min: number) => (v: string) => (/^-?\d+$/.test(v) && Number(v) >= min ? undefined : `must be an integer >= ${min}`);
const bool = (v: string) => (v === 'true' || v === 'false' ? undefined : 'must be true or false');

export const KNOWN_SASL_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER'];
const mechanisms = (v: string) => {
  const bad = v.split(',').map((m) => m.trim()).filter((m) => m && !KNOWN_SASL_MECHANISMS.includes(m));
  return bad.length ? `unknown SASL mechanism${bad.length > 1 ? 's' : ''} ${bad.join(', ')} (Samsa serves ${KNOWN_SASL_MECHANISMS.join(', ')}; GSSAPI/Kerberos is not supported)` : undefined;
};

export const SECURITY_SETTINGS: Record<string, SecuritySettingDef> = {
  'ssl.keystore.type': { default: 'PEM', validate: oneOf('PEM', 'PKCS12', 'JKS'), perListener: true, doc: 'format of ssl.keystore.location: PEM (key and certificate chain in one file) or PKCS12 (Kafka\'s default is JKS, which only Java reads: convert it to PKCS12)' },
  'ssl.keystore.location': { default: '', perListener: true, doc: 'the broker\'s key and certificate chain (PEM or PKCS12 file)' },
  'ssl.keystore.password': { default: '', perListener: true, doc: 'password of a PKCS12 keystore' },
  'ssl.key.password': { default: '', perListener: true, doc: 'passphrase of an encrypted PEM private key' },
  'ssl.keystore.certificate.chain': { default: '', perListener: true, doc: 'the certificate chain as inline PEM (instead of ssl.keystore.location)' },
  'ssl.keystore.key': { default: '', perListener: true, doc: 'the private key as inline PEM (instead of ssl.keystore.location)' },
  'ssl.certificate.location': { default: '', perListener: true, doc: 'PEM certificate chain file, with ssl.key.location (Samsa extension, librdkafka\'s names)' },
  'ssl.key.location': { default: '', perListener: true, doc: 'PEM private key file, with ssl.certificate.location (Samsa extension, librdkafka\'s names)' },
  'ssl.truststore.type': { default: 'PEM', validate: oneOf('PEM', 'PKCS12', 'JKS'), perListener: true, doc: 'format of ssl.truststore.location' },
  'ssl.truststore.location': { default: '', perListener: true, doc: 'CA certificates trusted for client certificates (and, between brokers, for the other broker\'s)' },
  'ssl.truststore.password': { default: '', perListener: true, doc: 'password of a PKCS12 truststore' },
  'ssl.truststore.certificates': { default: '', perListener: true, doc: 'trusted CA certificates as inline PEM' },
  'ssl.ca.location': { default: '', perListener: true, doc: 'PEM file of trusted CA certificates (Samsa extension, librdkafka\'s name for ssl.truststore.location)' },
  'ssl.client.auth': { default: 'none', validate: oneOf('none', 'requested', 'required'), perListener: true, doc: 'client certificates: none, requested (used when given) or required (mTLS)' },
  'ssl.enabled.protocols': { default: 'TLSv1.2,TLSv1.3', perListener: true, doc: 'TLS versions accepted' },
  'ssl.cipher.suites': { default: '', perListener: true, doc: 'cipher suites accepted (OpenSSL names; empty: Node\'s defaults)' },
  'ssl.principal.mapping.rules': { default: 'DEFAULT', perListener: true, doc: 'how a client certificate\'s subject becomes a principal name (RULE:pattern/replacement/[LU], DEFAULT: the whole subject DN)' },
  'ssl.endpoint.identification.algorithm': { default: 'https', validate: oneOf('https', ''), perListener: true, doc: 'between brokers: check the other broker\'s certificate names its host (https) or not (empty)' },
  'sasl.enabled.mechanisms': { default: KNOWN_SASL_MECHANISMS.join(','), validate: mechanisms, perListener: true, doc: 'SASL mechanisms served (Kafka\'s default is GSSAPI, which Samsa does not serve; Samsa serves all of its mechanisms unless told otherwise)' },
  'sasl.mechanism.inter.broker.protocol': { default: 'PLAIN', validate: oneOf('PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'), doc: 'mechanism brokers authenticate with to each other on a SASL inter-broker listener (its JAAS config\'s username and password; Kafka\'s default is GSSAPI)' },
  'sasl.jaas.config': { default: '', perListener: true, doc: 'JAAS config: PLAIN users as user_<name>="<password>", and username/password the broker itself uses between brokers' },
  'connections.max.reauth.ms': { default: '0', validate: int(0), perListener: true, doc: 'SASL sessions last at most this long; clients re-authenticate before (KIP-368; 0: sessions never expire)' },
  'sasl.server.max.receive.size': { default: '524288', validate: int(1), doc: 'largest request a client may send before its SASL exchange succeeds' },
  'super.users': { default: '', doc: 'principals allowed everything, separated by ; (e.g. User:admin;User:CN=broker)' },
  'allow.everyone.if.no.acl.found': { default: 'true', validate: bool, doc: 'a resource with no ACLs at all is open to everyone (Kafka\'s default is false; Samsa\'s is true so a broker with no ACLs serves every client, as before there were ACLs)' },
  'authorizer.class.name': { default: 'org.apache.kafka.metadata.authorizer.StandardAuthorizer', doc: 'accepted for Kafka configs; Samsa always runs its own ACL authorizer with StandardAuthorizer\'s rules' },
  'quota.window.num': { default: '11', validate: int(1), doc: 'samples kept when measuring a client\'s rate against its quota' },
  'quota.window.size.seconds': { default: '1', validate: int(1), doc: 'length of one quota sample' },
};

/** `listener.name.<listener>.<key>` or `listener.name.<listener>.<mechanism>.sasl.jaas.config`: the listener and the setting, or undefined. */
export function parseListenerKey(key: string): { listener: string; key: string } | undefined {
  const m = /^listener\.name\.([a-z0-9_]+)\.(.+)$/i.exec(key);
  if (!m) return undefined;
  const rest = m[2]!;
  const jaas = /^([a-z0-9-]+)\.sasl\.jaas\.config$/i.exec(rest);
  if (jaas && KNOWN_SASL_MECHANISMS.includes(jaas[1]!.toUpperCase())) return { listener: m[1]!.toUpperCase(), key: `${jaas[1]!.toLowerCase()}.sasl.jaas.config` };
  if (SECURITY_SETTINGS[rest]?.perListener) return { listener: m[1]!.toUpperCase(), key: rest };
  return undefined;
}
