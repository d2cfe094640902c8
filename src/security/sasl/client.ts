/**
 * The client side of PLAIN and SCRAM, for Samsa's own connections: one broker
 * to another over a SASL inter-broker listener, and the `samsa` CLI. Each
 * exchange is a list of steps: `first()` gives the first token, `next()`
 * takes the server's answer and gives the next token, or undefined once the
 * exchange is over (throwing when the server's answer does not check out, e.g.
 * a SCRAM server signature that proves the server does not know the key).
 */
import { randomBytes } from 'node:crypto';
import { pbkdf2Sync } from 'node:crypto';
import { hash, hmac, isScramMechanism, scramHash, type ScramMechanism } from './scram-credentials.js';

export interface SaslClient {
  readonly mechanism: string;
  first(): Buffer;
  next(challenge: Buffer): Buffer | undefined;
}

export function createSaslClient(mechanism: string, username: string, password: string): SaslClient {
  if (mechanism === 'PLAIN') return plainClient(username, password);
  if (isScramMechanism(mechanism)) return scramClient(mechanism, username, password);
  throw new Error(`Samsa's client side does not speak SASL mechanism ${mechanism} (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512)`);
}

function plainClient(username: string, password: string): SaslClient {
  return {
    mechanism: 'PLAIN',
    first: () => Buffer.from(`\u0000${username}\u0000${password}`, 'utf8'),
    next: () => undefined,
  };
}

const saslName = (s: string) => s.replace(/=/g, '=3D').replace(/,/g, '=2C');

function scramClient(mechanism: ScramMechanism, username: string, password: string): SaslClient {
  const nonce = randomBytes(24).toString('base64url');
  const clientFirstBare = `n=${saslName(username)},r=${nonce}`;
  let serverSignature: Buffer | undefined;
  let step = 0;
  return {
    mechanism,
    first: () => Buffer.from(`n,,${clientFirstBare}`, 'utf8'),
    next(challenge) {
      step++;
      const text = challenge.toString('utf8');
      const attrs = new Map(text.split(',').map((kv) => [kv.slice(0, 1), kv.slice(2)] as const));
      if (step === 1) {
        const serverNonce = attrs.get('r') ?? '';
        const salt = Buffer.from(attrs.get('s') ?? '', 'base64');
        const iterations = Number(attrs.get('i'));
        if (!serverNonce.startsWith(nonce) || salt.length === 0 || !Number.isInteger(iterations) || iterations < 1) {
          throw new Error(`malformed SCRAM server-first message: ${text.slice(0, 100)}`);
        }
        const { name, bytes } = scramHash(mechanism);
        const salted = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, bytes, name);
        const clientKey = hmac(mechanism, salted, 'Client Key');
        const storedKey = hash(mechanism, clientKey);
        const finalBare = `c=biws,r=${serverNonce}`;
        const authMessage = `${clientFirstBare},${text},${finalBare}`;
        const clientSignature = hmac(mechanism, storedKey, authMessage);
        const proof = Buffer.from(clientKey.map((b, i) => b ^ clientSignature[i]!));
        serverSignature = hmac(mechanism, hmac(mechanism, salted, 'Server Key'), authMessage);
        return Buffer.from(`${finalBare},p=${proof.toString('base64')}`, 'utf8');
      }
      if (step === 2) {
        if (attrs.has('e')) throw new Error(`SCRAM authentication failed: ${attrs.get('e')}`);
        if (!serverSignature || attrs.get('v') !== serverSignature.toString('base64')) throw new Error('the server\'s SCRAM signature does not match: it does not know this user\'s key');
        return undefined;
      }
      throw new Error('unexpected SCRAM message after the exchange ended');
    },
  };
}
