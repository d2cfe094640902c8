/**
 * A Samsa broker with several listeners (PLAINTEXT, SSL, SASL_PLAINTEXT,
 * SASL_SSL, ...) on free loopback ports, a temporary data dir, and stopped in
 * the test's teardown. `bootstrap('SASL_SSL')` is the address of a listener.
 * With `certs`, a throwaway CA, broker certificate and client certificates
 * (samsa dev-certs) are written to a temporary dir and the SSL settings point
 * at them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker, type RunningBroker } from '../../src/broker/index.js';
import { writeDevCerts } from '../../src/security/dev-certs.js';

interface Teardown { teardown(fn: () => unknown): void }

export const ADMIN = { username: 'admin', password: 'admin-secret' };
export const ALICE = { username: 'alice', password: 'alice-secret' };

/** PLAIN users admin and alice (sasl.jaas.config), admin a super user. */
export const PLAIN_USERS = {
  'sasl.jaas.config': `org.apache.kafka.common.security.plain.PlainLoginModule required username="${ADMIN.username}" password="${ADMIN.password}" user_${ADMIN.username}="${ADMIN.password}" user_${ALICE.username}="${ALICE.password}";`,
  'super.users': `User:${ADMIN.username}`,
};

export interface SecureBroker {
  samsa: RunningBroker;
  /** host:port of the named listener. */
  bootstrap(listener: string): string;
  port(listener: string): number;
  /** The dev-certs dir (ca.pem, broker.pem, client-<name>.pem/.key), when certs were asked for. */
  certs?: string;
  /** Stops the broker and starts it again on the same data dir and ports. */
  restart(extraFlags?: Record<string, string>): Promise<void>;
}

export async function secureBroker(t: Teardown, opts: {
  listeners: string[];
  flags?: Record<string, string>;
  /** Client certificate names to issue (subject CN=<name>). */
  clients?: string[];
  certs?: boolean;
  logLevel?: 'silent' | 'warn' | 'info' | 'debug';
}): Promise<SecureBroker> {
  const dataDir = mkdtempSync(join(tmpdir(), 'samsa-sec-'));
  let certs: string | undefined;
  const tlsFlags: Record<string, string> = {};
  if (opts.certs || opts.clients) {
    certs = mkdtempSync(join(tmpdir(), 'samsa-certs-'));
    await writeDevCerts(certs, { clients: opts.clients ?? [], force: true });
    Object.assign(tlsFlags, { 'ssl.certificate.location': join(certs, 'broker.pem'), 'ssl.key.location': join(certs, 'broker.key'), 'ssl.truststore.location': join(certs, 'ca.pem') });
  }
  let listeners = opts.listeners.map((name) => `${name}://127.0.0.1:0`).join(',');
  const start = (extra: Record<string, string> = {}) => startBroker({ flags: { 'log.dirs': dataDir, listeners, ...tlsFlags, ...opts.flags, ...extra }, logLevel: opts.logLevel ?? 'silent' });
  const b: SecureBroker = {
    samsa: await start(),
    certs,
    port: (name) => {
      const l = b.samsa.listeners.find((x) => x.name === name.toUpperCase());
      if (!l) throw new Error(`no listener ${name}`);
      return l.port;
    },
    bootstrap: (name) => `127.0.0.1:${b.port(name)}`,
    restart: async (extra) => {
      await b.samsa.close();
      b.samsa = await start(extra);
    },
  };
  // Restarts keep the ports the first start picked.
  listeners = b.samsa.listeners.map((l) => `${l.name}://127.0.0.1:${l.port}`).join(',');
  t.teardown(async () => {
    await b.samsa.close();
    rmSync(dataDir, { recursive: true, force: true });
    if (certs) rmSync(certs, { recursive: true, force: true });
  });
  return b;
}
