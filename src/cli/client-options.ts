/**
 * The flags every admin command shares: where the broker is and how to reach
 * it securely, and the output format.
 *
 *   --bootstrap host:port[,host:port]   (default $SAMSA_BOOTSTRAP, else 127.0.0.1:9092)
 *   --command-config FILE               Kafka client properties, as kafka-*.sh take them:
 *       security.protocol               PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL
 *       sasl.mechanism                  PLAIN, SCRAM-SHA-256, SCRAM-SHA-512
 *       sasl.jaas.config                ...LoginModule required username="u" password="p";
 *       sasl.username, sasl.password    (librdkafka's names, instead of the JAAS line)
 *       ssl.truststore.location         PEM CA certificates (ssl.truststore.type PEM);
 *       ssl.ca.location                 the same, librdkafka's name
 *       ssl.certificate.location, ssl.key.location, ssl.key.password, or a PEM
 *       ssl.keystore.location holding both: a client certificate (mutual TLS)
 *       ssl.endpoint.identification.algorithm   empty (or none) skips the host name check
 *   --user-auth USER:PASSWORD           SASL user (SASL_PLAINTEXT, or SASL_SSL with --tls)
 *   --sasl-mechanism M                  default PLAIN; `--mechanism` too where the command
 *                                       has no --mechanism of its own (acls, quotas)
 *   --tls                               TLS (SSL, or SASL_SSL with a user)
 *   --ca FILE                           PEM CA file (implies --tls)
 *   --format table|json                 (default table)
 * Flags override the properties file. Other client properties in the file
 * are ignored, as they do not apply to these commands.
 */
import { readFileSync } from 'node:fs';
import { CLIENT_MECHANISMS } from '../security/sasl/client.js';
import type { ConnectionSettings, TlsSettings } from './admin-connection.js';
import { UsageError } from './cluster.js';
import type { FlagSpec, ParsedFlags } from './cli-flags.js';

export { UsageError };

export const CLIENT_FLAGS: FlagSpec = {
  'bootstrap': 'value', 'command-config': 'value', 'user-auth': 'value', 'sasl-mechanism': 'value',
  'tls': 'switch', 'ca': 'value', 'format': 'value',
};

export type OutputFormat = 'table' | 'json';

export function outputFormat(f: ParsedFlags): OutputFormat {
  const v = f.value('format') ?? 'table';
  if (v !== 'table' && v !== 'json') throw new UsageError(`--format takes table or json, not ${v}`);
  return v;
}

/**
 * Java properties as Kafka's tools read them: `key=value`, `key: value` or
 * `key value`, # and ! comments, a trailing backslash continues a line, and
 * backslash escapes (\t, \n, \uXXXX; any other character stands for itself).
 */
export function parseJavaProperties(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!.replace(/^\s+/, '');
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    while (/(^|[^\\])(\\\\)*\\$/.test(line) && i + 1 < lines.length) line = line.slice(0, -1) + lines[++i]!.replace(/^\s+/, '');
    const m = /^((?:[^\\=:\s]|\\.)+)\s*[=:\s]?\s*(.*)$/s.exec(line);
    if (!m) continue;
    out[unescapeProperty(m[1]!)] = unescapeProperty(m[2]!.replace(/\\$/, ''));
  }
  return out;
}

function unescapeProperty(s: string): string {
  return s.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_, c: string) => {
    if (c.length === 5) return String.fromCharCode(parseInt(c.slice(1), 16));
    return ({ t: '\t', n: '\n', r: '\r', f: '\f' } as Record<string, string>)[c] ?? c;
  });
}

function readFile(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new UsageError(`cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** A PEM file, or a clear refusal for the Java formats this client does not read. */
function readPem(path: string, what: string): Buffer {
  const b = readFile(path, what);
  if (!b.includes('-----BEGIN ')) throw new UsageError(`${what} ${path} is not PEM; convert a JKS or PKCS12 store with: keytool -exportcert -rfc -keystore ${path} -alias <alias> > ca.pem`);
  return b;
}

const PROTOCOLS = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'];

/** The connection settings from the shared flags (and the --command-config file they may name). */
export async function connectionSettings(f: ParsedFlags, mechanismAlias?: string): Promise<ConnectionSettings> {
  const file = f.value('command-config');
  const p = file ? parseJavaProperties(readFile(file, 'the --command-config file').toString('utf8')) : {};
  const setting = (key: string) => (p[key] ?? '').trim();

  let protocol = (setting('security.protocol') || 'PLAINTEXT').toUpperCase();
  if (!PROTOCOLS.includes(protocol)) throw new UsageError(`security.protocol ${protocol} in ${file}: expected one of ${PROTOCOLS.join(', ')}`);
  let mechanism = setting('sasl.mechanism') || undefined;
  let username = p['sasl.username'];
  let password = p['sasl.password'];
  if (setting('sasl.jaas.config')) {
    // Loaded only for a file that has a JAAS line (it brings the broker's config modules).
    const { jaasOptions } = await import('../broker/jaas-config.js');
    let o: Map<string, string>;
    try {
      o = jaasOptions(setting('sasl.jaas.config'), `sasl.jaas.config in ${file}`);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    username = o.get('username') ?? username;
    password = o.get('password') ?? password;
  }
  const tls: TlsSettings = { checkHostname: !['', 'none'].includes((p['ssl.endpoint.identification.algorithm'] ?? 'https').trim().toLowerCase()) };
  const truststoreType = setting('ssl.truststore.type').toUpperCase();
  if (truststoreType && truststoreType !== 'PEM' && truststoreType !== 'JKS') throw new UsageError(`ssl.truststore.type ${truststoreType} in ${file}: this client reads PEM CA files only`);
  const caFile = setting('ssl.truststore.location') || setting('ssl.ca.location');
  if (caFile) tls.ca = readPem(caFile, 'the CA file');
  const keystore = setting('ssl.keystore.location');
  const certFile = setting('ssl.certificate.location') || keystore;
  const keyFile = setting('ssl.key.location') || keystore;
  if (certFile) tls.cert = readPem(certFile, 'the client certificate file');
  if (keyFile) tls.key = readPem(keyFile, 'the client key file');
  if (setting('ssl.key.password')) tls.passphrase = setting('ssl.key.password');

  const userAuth = f.value('user-auth');
  if (userAuth !== undefined) {
    const colon = userAuth.indexOf(':');
    if (colon <= 0) throw new UsageError('--user-auth takes USER:PASSWORD');
    username = userAuth.slice(0, colon);
    password = userAuth.slice(colon + 1);
    if (!protocol.startsWith('SASL_')) protocol = protocol === 'SSL' ? 'SASL_SSL' : 'SASL_PLAINTEXT';
  }
  mechanism = f.value('sasl-mechanism') ?? mechanismAlias ?? mechanism;
  const ca = f.value('ca');
  if (ca !== undefined) tls.ca = readPem(ca, 'the --ca file');
  if (f.has('tls') || ca !== undefined) protocol = protocol.startsWith('SASL_') ? 'SASL_SSL' : 'SSL';

  const settings: ConnectionSettings = {
    bootstrap: (f.value('bootstrap') ?? process.env.SAMSA_BOOTSTRAP ?? '127.0.0.1:9092').split(',').map((s) => s.trim()).filter(Boolean),
  };
  if (protocol === 'SSL' || protocol === 'SASL_SSL') settings.tls = tls;
  if (protocol.startsWith('SASL_')) {
    if (username === undefined || password === undefined) {
      throw new UsageError(`${protocol} needs a user: --user-auth USER:PASSWORD, or sasl.jaas.config (or sasl.username and sasl.password) in --command-config`);
    }
    mechanism = (mechanism ?? 'PLAIN').toUpperCase();
    if (!(CLIENT_MECHANISMS as readonly string[]).includes(mechanism)) throw new UsageError(`SASL mechanism ${mechanism}: this client speaks ${CLIENT_MECHANISMS.join(', ')}`);
    settings.sasl = { mechanism, username, password };
  }
  return settings;
}
