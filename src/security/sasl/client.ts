/**
 * The client side of SASL PLAIN (RFC 4616) and SCRAM-SHA-256/512 (RFC 5802,
 * RFC 7677) for Samsa's own connections: the admin commands, and one broker
 * to another over a SASL inter-broker listener.
 *
 * A client starts with the first token and then answers each server token:
 * step() returns the next token to send, or null when the exchange is over
 * (and, for SCRAM, the server has proved that it knows the credential).
 *
 * SCRAM, two rounds:
 *   client-first  "n,,n=<user>,r=<client nonce>"
 *   server-first  "r=<nonce>,s=<base64 salt>,i=<iterations>"
 *   client-final  "c=biws,r=<nonce>,p=<base64 ClientProof>"
 *   server-final  "v=<base64 ServerSignature>" (or "e=<error>")
 * The password is taken as its UTF-8 bytes without SASLprep, as Kafka's
 * clients do; iterations below 4096 are refused as Kafka's client refuses them.
 */
import { pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { MIN_ITERATIONS, decodeBase64, hash, hmac, isScramMechanism, scramHash, type ScramMechanism } from './scram-credentials.js';

export interface SaslClient {
  readonly mechanism: string;
  /** The first token the client sends. */
  start(): Buffer;
  /** The answer to a server token; null when the exchange is complete. Throws Error when the server's token is wrong. */
  step(challenge: Buffer): Buffer | null;
}

export const CLIENT_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;

/** `clientNonce` is replaceable for tests that replay published exchanges (RFC 7677). */
export function saslClient(mechanism: string, username: string, password: string, clientNonce?: string): SaslClient {
  if (mechanism === 'PLAIN') return new PlainClient(username, password);
  if (isScramMechanism(mechanism)) return new ScramClient(mechanism, username, password, clientNonce);
  throw new Error(`SASL mechanism ${mechanism} is not supported by this client (it knows ${CLIENT_MECHANISMS.join(', ')})`);
}

class PlainClient implements SaslClient {
  readonly mechanism = 'PLAIN';
  constructor(private readonly username: string, private readonly password: string) {}
  start(): Buffer { return Buffer.from(`\0${this.username}\0${this.password}`, 'utf8'); }
  step(): null { return null; }
}

/** RFC 5802 saslname: ',' and '=' escaped. */
const saslName = (s: string) => s.replace(/=/g, '=3D').replace(/,/g, '=2C');

function attributes(message: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of message.split(',')) {
    const eq = part.indexOf('=');
    if (eq === 1) out.set(part[0]!, part.slice(2));
  }
  return out;
}

/** SaltedPassword = Hi(password, salt, iterations): PBKDF2 with HMAC of the mechanism's hash. */
export function saltedPassword(mechanism: ScramMechanism, password: string, salt: Buffer, iterations: number): Buffer {
  const { name, bytes } = scramHash(mechanism);
  return pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, bytes, name);
}

class ScramClient implements SaslClient {
  private readonly clientFirstBare: string;
  private expectedServerSignature: Buffer | undefined;
  private state: 'first' | 'final' | 'done' = 'first';

  constructor(
    readonly mechanism: ScramMechanism,
    username: string,
    private readonly password: string,
    private readonly clientNonce = randomBytes(24).toString('base64url'),
  ) {
    this.clientFirstBare = `n=${saslName(username)},r=${this.clientNonce}`;
  }

  start(): Buffer { return Buffer.from(`n,,${this.clientFirstBare}`, 'utf8'); }

  step(challenge: Buffer): Buffer | null {
    const message = challenge.toString('utf8');
    const a = attributes(message);
    if (a.has('e')) throw new Error(`the broker refused the SCRAM exchange: ${a.get('e')}`);
    if (this.state === 'first') return this.clientFinal(message, a);
    if (this.state === 'final') {
      const v = decodeBase64(a.get('v') ?? '');
      if (!v || !this.expectedServerSignature || v.length !== this.expectedServerSignature.length || !timingSafeEqual(v, this.expectedServerSignature)) {
        throw new Error('the broker\'s SCRAM server signature is wrong: it does not know this user\'s credential');
      }
      this.state = 'done';
      return null;
    }
    throw new Error('SCRAM exchange already complete');
  }

  private clientFinal(serverFirst: string, a: Map<string, string>): Buffer {
    const nonce = a.get('r');
    const salt = decodeBase64(a.get('s') ?? '');
    const iterations = Number(a.get('i'));
    if (!nonce || !nonce.startsWith(this.clientNonce) || nonce.length === this.clientNonce.length) throw new Error('the broker\'s SCRAM nonce does not extend ours');
    if (!salt || salt.length === 0) throw new Error('the broker sent no SCRAM salt');
    if (!Number.isInteger(iterations) || iterations < MIN_ITERATIONS) throw new Error(`the broker asked for ${a.get('i')} SCRAM iterations (at least ${MIN_ITERATIONS} expected)`);
    const salted = saltedPassword(this.mechanism, this.password, salt, iterations);
    const clientKey = hmac(this.mechanism, salted, 'Client Key');
    const storedKey = hash(this.mechanism, clientKey);
    const withoutProof = `c=biws,r=${nonce}`;
    const authMessage = `${this.clientFirstBare},${serverFirst},${withoutProof}`;
    const signature = hmac(this.mechanism, storedKey, authMessage);
    const proof = Buffer.alloc(clientKey.length);
    for (let i = 0; i < proof.length; i++) proof[i] = clientKey[i]! ^ signature[i]!;
    this.expectedServerSignature = hmac(this.mechanism, hmac(this.mechanism, salted, 'Server Key'), authMessage);
    this.state = 'final';
    return Buffer.from(`${withoutProof},p=${proof.toString('base64')}`, 'utf8');
  }
}
