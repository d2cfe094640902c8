/**
 * The security settings (Kafka's names): TLS, SASL, the authorizer and
 * quotas. TLS and SASL settings may be given per listener, as in Kafka, with
 * the prefix `listener.name.<listener name in lower case>.` (and a SASL
 * mechanism's JAAS config as `listener.name.<listener>.<mechanism>.sasl.jaas.config`);
 * a prefixed setting wins over the plain one for its listener.
 */
import { SSL_SETTINGS } from '../security/ssl-settings.js';

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
  ...Object.fromEntries(Object.entries(SSL_SETTINGS).map(([k, d]) => [k, { ...d, perListener: true }])),
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
