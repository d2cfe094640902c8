/**
 * How the console's backend reaches the brokers of this process over the
 * Kafka protocol: which listener, at which addresses, with which TLS trust and
 * which SASL mechanisms. It goes through a listener like any client, so the
 * broker authenticates the logged-in user and its ACLs apply to the console.
 *
 * - With a SASL listener (SASL_PLAINTEXT preferred over SASL_SSL: no TLS cost
 *   on loopback), every user logs in there and a login is required.
 * - Otherwise the first PLAINTEXT (else SSL) listener, as User:ANONYMOUS.
 * - A listener bound to every interface is reached on loopback.
 * - TLS trusts what the broker itself presents (its own certificate chain and
 *   its truststore) and does not check the host name: the other end is this
 *   process.
 */
import { rootCertificates } from 'node:tls';
import { isSasl, isTls, type Listener } from '../config/listeners.js';
import type { TlsSettings } from '../cli/admin-connection.js';
import type { HttpTarget } from './route.js';

/** Mechanisms the console's client can log in with, in the order it tries them. */
const LOGIN_MECHANISMS = ['SCRAM-SHA-512', 'SCRAM-SHA-256', 'PLAIN'];

export interface ConsoleConnectionPlan {
  /** True when the console connects through a SASL listener: each user logs in with their own credentials. */
  authRequired: boolean;
  listenerName: string;
  /** The listener's address on every running broker of this process (brokers stopped since are left out). */
  bootstrap(): string[];
  tls?: TlsSettings;
  /** The listener's enabled mechanisms the client knows, in the order to try them (empty without SASL). */
  mechanisms: string[];
}

const PREFERENCE = ['SASL_PLAINTEXT', 'SASL_SSL', 'PLAINTEXT', 'SSL'];

function address(l: Listener): string {
  const host = l.host === '' || l.host === '0.0.0.0' ? '127.0.0.1' : l.host === '::' ? '::1' : l.host;
  return `${host.includes(':') ? `[${host}]` : host}:${l.port}`;
}

export async function consoleConnectionPlan(target: HttpTarget): Promise<ConsoleConnectionPlan> {
  const first = target.brokers()[0];
  if (!first) throw new Error('no broker is running');
  const sasl = first.listeners.some((l) => isSasl(l.protocol));
  const candidates = first.listeners.filter((l) => isSasl(l.protocol) === sasl);
  const listener = [...candidates].sort((a, b) => PREFERENCE.indexOf(a.protocol) - PREFERENCE.indexOf(b.protocol))[0]!;
  const config = first.context.config;
  const setting = (key: string) => config.listenerSetting(listener.name, key);
  const enabled = setting('sasl.enabled.mechanisms').split(',').map((m) => m.trim().toUpperCase());
  const mechanisms = sasl ? LOGIN_MECHANISMS.filter((m) => enabled.includes(m)) : [];
  if (sasl && mechanisms.length === 0) {
    throw new Error(`listener ${listener.name} enables none of ${LOGIN_MECHANISMS.join(', ')}: the console cannot log users in there`);
  }
  let tls: TlsSettings | undefined;
  if (isTls(listener.protocol)) {
    const { tlsServerOptions } = await import('../security/tls-options.js');
    const own = tlsServerOptions({ get: setting });
    const pems = [
      ...rootCertificates,
      ...(Array.isArray(own.ca) ? own.ca.map(String) : own.ca ? [String(own.ca)] : []),
      // The broker's chain (its certificate, then its CA's in `samsa dev-certs` files): a self-signed or CA-issued certificate verifies.
      ...(typeof own.cert === 'string' ? [own.cert] : []),
    ];
    tls = { ca: Buffer.from(pems.join('\n')), checkHostname: false };
  }
  return {
    authRequired: sasl,
    listenerName: listener.name,
    bootstrap: () => target.brokers().map((b) => b.listeners.find((l) => l.name === listener.name)).filter((l): l is Listener => l !== undefined).map(address),
    tls,
    mechanisms,
  };
}
