/**
 * What the security compat tests share: kafkajs and kcat settings for a
 * listener of a secureBroker (TLS trust, client certificates, SASL), SCRAM
 * users written straight into the cluster metadata, unsecured JWTs for
 * OAUTHBEARER, a round trip (produce, then consume it all back), a bare SASL
 * client over one TCP connection (SaslHandshake, SaslAuthenticate, a SCRAM
 * client that can be told to lie), and two in-process windows on the broker:
 * the principal each request of one API ran as, and the broker's log lines.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { Kafka, logLevel, type SASLOptions } from 'kafkajs';
import type { SecureBroker } from './secure-broker.js';
import { kcat, type KcatMessage } from './kcat.js';
import { WireClient } from './wire-client.js';
import { until } from './until.js';
import type { Handler } from '../../src/broker/handler.js';
import { scramKey } from '../../src/broker/broker-security.js';
import { credentialFromPassword, encodeCredential, hash, hmac, scramHash, type ScramMechanism } from '../../src/security/sasl/scram-credentials.js';
import { ApiKey } from '../../src/wire/generated/api-keys.js';
import type { Reader } from '../../src/wire/protocol/reader.js';
import type { Writer } from '../../src/wire/protocol/writer.js';
import { encodeSaslHandshakeRequest, decodeSaslHandshakeResponse, type SaslHandshakeResponse } from '../../src/wire/generated/sasl-handshake.js';
import { encodeSaslAuthenticateRequest, decodeSaslAuthenticateResponse, type SaslAuthenticateResponse } from '../../src/wire/generated/sasl-authenticate.js';
import { encodeMetadataRequest, decodeMetadataResponse, type MetadataResponse } from '../../src/wire/generated/metadata.js';

interface Teardown { teardown(fn: () => unknown): void }

export const SCRAM_MECHANISMS: ScramMechanism[] = ['SCRAM-SHA-256', 'SCRAM-SHA-512'];

const isTlsListener = (listener: string) => listener.toUpperCase().endsWith('SSL');

/** The dev-certs files of a broker started with certs or clients. */
export function certFiles(b: SecureBroker): { ca: string; cert(name: string): string; key(name: string): string } {
  const dir = b.certs;
  if (!dir) throw new Error('the broker was started without certificates');
  return { ca: join(dir, 'ca.pem'), cert: (name) => join(dir, `client-${name}.pem`), key: (name) => join(dir, `client-${name}.key`) };
}

export interface ClientSecurity {
  /** SASL credentials (kafkajs' form); required on SASL listeners. */
  sasl?: SASLOptions;
  /** Present the dev certificate client-<name> (mTLS). */
  clientCert?: string;
  /** Leave the dev CA out of the trust store (node's default CAs only). */
  untrusted?: boolean;
}

/**
 * A kafkajs client for one listener. Retries are few and short so a refusal
 * surfaces as an error quickly instead of after kafkajs' long default backoff.
 */
export function kafkaFor(b: SecureBroker, listener: string, sec: ClientSecurity = {}, extra: { clientId?: string; reauthenticationThreshold?: number; retries?: number } = {}): Kafka {
  let ssl: { ca?: string[]; cert?: string; key?: string } | boolean | undefined;
  if (isTlsListener(listener)) {
    if (sec.untrusted) ssl = true;
    else {
      const f = certFiles(b);
      ssl = { ca: [readFileSync(f.ca, 'utf8')] };
      if (sec.clientCert) Object.assign(ssl, { cert: readFileSync(f.cert(sec.clientCert), 'utf8'), key: readFileSync(f.key(sec.clientCert), 'utf8') });
    }
  }
  return new Kafka({
    clientId: extra.clientId ?? 'samsa-security-compat',
    brokers: [b.bootstrap(listener)],
    ssl,
    sasl: sec.sasl,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    authenticationTimeout: 5000,
    ...(extra.reauthenticationThreshold !== undefined && { reauthenticationThreshold: extra.reauthenticationThreshold }),
    retry: { retries: extra.retries ?? 2, initialRetryTime: 100, maxRetryTime: 500 },
  });
}

export type KcatSasl =
  | { mechanism: 'PLAIN' | ScramMechanism; username: string; password: string }
  | { mechanism: 'OAUTHBEARER'; config: string };

/** kcat's -b and -X settings for one listener (`protocol` for a listener not named after its security protocol). */
export function kcatArgsFor(b: SecureBroker, listener: string, sec: { sasl?: KcatSasl; clientCert?: string; untrusted?: boolean; protocol?: string } = {}): string[] {
  const l = listener.toUpperCase();
  const x: string[] = [`security.protocol=${sec.protocol ?? (l.startsWith('SASL_') ? l : isTlsListener(l) ? 'SSL' : 'PLAINTEXT')}`];
  if (isTlsListener(l)) {
    const f = certFiles(b);
    if (!sec.untrusted) x.push(`ssl.ca.location=${f.ca}`);
    if (sec.clientCert) x.push(`ssl.certificate.location=${f.cert(sec.clientCert)}`, `ssl.key.location=${f.key(sec.clientCert)}`);
  }
  if (sec.sasl) {
    x.push(`sasl.mechanisms=${sec.sasl.mechanism}`);
    // librdkafka makes its own unsecured JWT only when told that is what it should do
    if (sec.sasl.mechanism === 'OAUTHBEARER') x.push('enable.sasl.oauthbearer.unsecure.jwt=true', `sasl.oauthbearer.config=${sec.sasl.config}`);
    else x.push(`sasl.username=${sec.sasl.username}`, `sasl.password=${sec.sasl.password}`);
  }
  return ['-b', b.bootstrap(listener), ...x.flatMap((s) => ['-X', s])];
}

/** A SCRAM credential for user, written into the cluster metadata as the broker's own write path would. */
export async function addScramUser(b: SecureBroker, mechanism: ScramMechanism, user: string, password: string): Promise<void> {
  await b.samsa.context.security.write([{ kind: 'scram', key: scramKey(mechanism, user), value: encodeCredential(credentialFromPassword(mechanism, password)) }]);
}

const b64url = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');

/** An unsecured JWS (alg none, empty signature), as Kafka's unsecured validator reads it. */
export function unsecuredJwt(claims: Record<string, unknown>): string {
  return `${b64url({ alg: 'none' })}.${b64url(claims)}.`;
}

/** A token for sub valid for `lifetimeMs` from now (negative: already expired), exp and iat in seconds. */
export function jwtFor(sub: string, lifetimeMs: number): string {
  const now = Date.now();
  return unsecuredJwt({ sub, iat: Math.floor(now / 1000) - (lifetimeMs < 0 ? 3600 : 0), exp: Math.floor((now + lifetimeMs) / 1000) });
}

/** Produces `values` to topic, then reads the topic from its start with a fresh group until it has as many records; returns what was read. */
export async function kafkajsRoundTrip(kafka: Kafka, topic: string, values: string[]): Promise<string[]> {
  const producer = kafka.producer({ allowAutoTopicCreation: true });
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages: values.map((value) => ({ value })) });
  } finally {
    await producer.disconnect();
  }
  return kafkajsConsume(kafka, topic, values.length);
}

/** Reads `count` records of topic from its start with a fresh consumer group. */
export async function kafkajsConsume(kafka: Kafka, topic: string, count: number): Promise<string[]> {
  const consumer = kafka.consumer({ groupId: `reader-${randomBytes(4).toString('hex')}`, maxWaitTimeInMs: 200 });
  const seen: string[] = [];
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => { seen.push(message.value?.toString() ?? ''); } });
    await until(() => seen.length >= count, 20_000, `${count} records of ${topic}`);
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

/** Produces lines with kcat, then consumes the topic to its end; returns the payloads read. */
export async function kcatRoundTrip(args: string[], topic: string, lines: string[]): Promise<string[]> {
  await kcat(['-P', ...args, '-t', topic], lines.join('\n') + '\n');
  const { stdout } = await kcat(['-C', ...args, '-t', topic, '-o', 'beginning', '-e', '-J', '-q']);
  return stdout.split('\n').filter((l) => l.trim() !== '').map((l) => (JSON.parse(l) as KcatMessage).payload ?? '');
}

/** Runs kcat expecting it to fail; resolves with its stderr (rejects if it succeeds). */
export async function kcatFails(args: string[], input?: string, timeoutMs = 20_000): Promise<string> {
  try {
    await kcat(args, input, timeoutMs);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error(`kcat ${args.join(' ')} succeeded where it should have failed`);
}

/** The error a promise rejects with (fails when it resolves). */
export async function rejection(p: Promise<unknown>): Promise<Error & { type?: string; name: string }> {
  try {
    await p;
  } catch (e) {
    return e as Error & { type?: string };
  }
  throw new Error('expected a rejection, got success');
}

/**
 * Records the principal every request of `handler`'s API ran as (ctx.session
 * of the connection), by wrapping the registered handler for the rest of the
 * test: the dispatcher calls the same descriptor object.
 */
export function recordPrincipals(t: Teardown, handler: Handler): string[] {
  const seen: string[] = [];
  const original = handler.handle;
  handler.handle = function (ctx, request, version) {
    seen.push(ctx.session.principal);
    return original.call(this, ctx, request, version);
  };
  t.teardown(() => { handler.handle = original; });
  return seen;
}

/** The broker's log lines ("<level> <message>") from now on, debug included, kept in memory instead of written to stderr. */
export function captureLog(b: SecureBroker): string[] {
  const log = b.samsa.context.log;
  const lines: string[] = [];
  log.level = 'debug';
  for (const level of ['debug', 'info', 'warn', 'error'] as const) log[level] = (m: string) => { lines.push(`${level} ${m}`); };
  return lines;
}

// ---- a bare SASL client over WireClient ----

export async function wireConnect(b: SecureBroker, listener: string): Promise<WireClient> {
  return WireClient.connect('127.0.0.1', b.port(listener));
}

/** WireClient.request, except that on a connection already closed it rejects at once instead of waiting forever. */
function ask<T>(c: WireClient, apiKey: number, version: number, encode: (w: Writer) => void, decode: (r: Reader) => T): Promise<T> {
  if (c.closed) return Promise.reject(new Error('connection closed'));
  return c.request(apiKey, version, encode, decode);
}

export function saslHandshake(c: WireClient, mechanism: string, version = 1): Promise<SaslHandshakeResponse> {
  return ask(c, ApiKey.SaslHandshake, version, (w) => encodeSaslHandshakeRequest(w, { mechanism }, version), (r) => decodeSaslHandshakeResponse(r, version));
}

export function saslAuthenticate(c: WireClient, authBytes: Buffer, version = 1): Promise<SaslAuthenticateResponse> {
  return ask(c, ApiKey.SaslAuthenticate, version, (w) => encodeSaslAuthenticateRequest(w, { authBytes }, version), (r) => decodeSaslAuthenticateResponse(r, version));
}

export function wireMetadata(c: WireClient, version = 9): Promise<MetadataResponse> {
  return ask(c, ApiKey.Metadata, version, (w) => encodeMetadataRequest(w, { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false }, version), (r) => decodeMetadataResponse(r, version));
}

export const plainToken = (user: string, password: string) => Buffer.from(`\u0000${user}\u0000${password}`, 'utf8');

/** Resolves true once the broker has closed the client's connection, false when it is still open after `ms` (a bound on waiting). */
export async function wireClosedWithin(c: WireClient, ms: number): Promise<boolean> {
  try {
    await until(() => c.closed, ms, 'the connection to close');
    return true;
  } catch {
    return false;
  }
}

/**
 * The client side of SCRAM (RFC 5802) without channel binding. `final` may be
 * given another nonce than the server's, to play a client that lies.
 */
export class ScramClient {
  private readonly clientFirstBare: string;
  private serverSignature?: Buffer;

  constructor(private readonly mechanism: ScramMechanism, user: string, private readonly password: string, readonly nonce = randomBytes(18).toString('base64url')) {
    this.clientFirstBare = `n=${user.replace(/=/g, '=3D').replace(/,/g, '=2C')},r=${nonce}`;
  }

  first(): Buffer { return Buffer.from(`n,,${this.clientFirstBare}`, 'utf8'); }

  final(serverFirstBytes: Buffer, opts: { nonce?: string } = {}): Buffer {
    const serverFirst = serverFirstBytes.toString('utf8');
    const attrs = new Map(serverFirst.split(',').map((a) => [a.slice(0, 1), a.slice(2)]));
    const salt = Buffer.from(attrs.get('s')!, 'base64');
    const iterations = Number(attrs.get('i'));
    const { name, bytes } = scramHash(this.mechanism);
    const salted = pbkdf2Sync(Buffer.from(this.password, 'utf8'), salt, iterations, bytes, name);
    const clientKey = hmac(this.mechanism, salted, 'Client Key');
    const withoutProof = `c=${Buffer.from('n,,').toString('base64')},r=${opts.nonce ?? attrs.get('r')!}`;
    const authMessage = `${this.clientFirstBare},${serverFirst},${withoutProof}`;
    const signature = hmac(this.mechanism, hash(this.mechanism, clientKey), authMessage);
    const proof = Buffer.from(clientKey.map((x, i) => x ^ signature[i]!));
    this.serverSignature = hmac(this.mechanism, hmac(this.mechanism, salted, 'Server Key'), authMessage);
    return Buffer.from(`${withoutProof},p=${proof.toString('base64')}`, 'utf8');
  }

  /** Whether the server-final message proves the server knew the credential. */
  verifies(serverFinal: Buffer): boolean {
    return this.serverSignature !== undefined && serverFinal.toString('utf8') === `v=${this.serverSignature.toString('base64')}`;
  }
}
