/**
 * SCRAM credentials (RFC 5802 section 3): what the broker keeps per user and
 * mechanism. Only derived keys are kept, never the password:
 *
 *   SaltedPassword = Hi(password, salt, iterations)      (PBKDF2 with HMAC-H)
 *   StoredKey      = H(HMAC(SaltedPassword, "Client Key"))
 *   ServerKey      = HMAC(SaltedPassword, "Server Key")
 *
 * StoredKey lets the server check a client proof, ServerKey lets it prove
 * itself to the client; neither lets anyone log in as the user.
 *
 * The stored form (encodeCredential) is one JSON object with base64 fields:
 *   {"mechanism":"SCRAM-SHA-256","salt":"..","iterations":4096,"storedKey":"..","serverKey":".."}
 */
import { nodeCrypto } from '../node-crypto.js';

export type ScramMechanism = 'SCRAM-SHA-256' | 'SCRAM-SHA-512';

export interface ScramCredential {
  mechanism: ScramMechanism;
  salt: Buffer;
  iterations: number;
  storedKey: Buffer;
  serverKey: Buffer;
}

/** Kafka's bounds: iterations 4096..16384 (AlterUserScramCredentials refuses others with UNACCEPTABLE_CREDENTIAL). */
export const MIN_ITERATIONS = 4096;
export const MAX_ITERATIONS = 16384;
export const DEFAULT_ITERATIONS = 4096;

/** Random salt length for credentials made here (Kafka's tools use about 26 bytes; any length works). */
const SALT_BYTES = 32;

const HASHES: Record<ScramMechanism, { name: 'sha256' | 'sha512'; bytes: number }> = {
  'SCRAM-SHA-256': { name: 'sha256', bytes: 32 },
  'SCRAM-SHA-512': { name: 'sha512', bytes: 64 },
};

export function isScramMechanism(mechanism: string): mechanism is ScramMechanism {
  return Object.hasOwn(HASHES, mechanism);
}

/** The hash behind a mechanism: its node:crypto name and its output length. */
export function scramHash(mechanism: ScramMechanism): { name: 'sha256' | 'sha512'; bytes: number } {
  return HASHES[mechanism];
}

export function hmac(mechanism: ScramMechanism, key: Buffer, data: Buffer | string): Buffer {
  return nodeCrypto().createHmac(HASHES[mechanism].name, key).update(data).digest();
}

export function hash(mechanism: ScramMechanism, data: Buffer): Buffer {
  return nodeCrypto().createHash(HASHES[mechanism].name).update(data).digest();
}

/**
 * Why these iterations are refused, in Kafka's words for UNACCEPTABLE_CREDENTIAL,
 * or undefined when they are acceptable.
 */
export function iterationsProblem(iterations: number): string | undefined {
  if (!Number.isInteger(iterations) || iterations < MIN_ITERATIONS) return 'Too few iterations';
  if (iterations > MAX_ITERATIONS) return 'Too many iterations';
  return undefined;
}

/**
 * From a salted password (what AlterUserScramCredentials sends: salt + SaltedPassword = Hi(password, salt, i)).
 * Throws RangeError for iterations outside MIN_ITERATIONS..MAX_ITERATIONS or an empty salt or salted password.
 */
export function credentialFromSaltedPassword(mechanism: ScramMechanism, salt: Buffer, saltedPassword: Buffer, iterations: number): ScramCredential {
  if (!isScramMechanism(mechanism)) throw new RangeError(`unknown SCRAM mechanism ${String(mechanism)}`);
  const problem = iterationsProblem(iterations);
  if (problem) throw new RangeError(`${problem}: ${iterations} (allowed ${MIN_ITERATIONS}..${MAX_ITERATIONS})`);
  if (salt.length === 0) throw new RangeError('empty SCRAM salt');
  if (saltedPassword.length === 0) throw new RangeError('empty SCRAM salted password');
  const clientKey = hmac(mechanism, saltedPassword, 'Client Key');
  return {
    mechanism,
    salt: Buffer.from(salt),
    iterations,
    storedKey: hash(mechanism, clientKey),
    serverKey: hmac(mechanism, saltedPassword, 'Server Key'),
  };
}

/**
 * From a clear password (the CLI `samsa users create` and config use it): a random salt, as Kafka
 * makes, and Hi via PBKDF2. The password is taken as its UTF-8 bytes without SASLprep, as Kafka does.
 */
export function credentialFromPassword(mechanism: ScramMechanism, password: string, iterations: number = DEFAULT_ITERATIONS): ScramCredential {
  if (!isScramMechanism(mechanism)) throw new RangeError(`unknown SCRAM mechanism ${String(mechanism)}`);
  const problem = iterationsProblem(iterations);
  if (problem) throw new RangeError(`${problem}: ${iterations} (allowed ${MIN_ITERATIONS}..${MAX_ITERATIONS})`);
  const { pbkdf2Sync, randomBytes } = nodeCrypto();
  const salt = randomBytes(SALT_BYTES);
  const { name, bytes } = HASHES[mechanism];
  return credentialFromSaltedPassword(mechanism, salt, pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, bytes, name), iterations);
}

/** A JSON-safe form for cluster metadata: salted keys only, base64 fields. */
export function encodeCredential(c: ScramCredential): string {
  return JSON.stringify({
    mechanism: c.mechanism,
    salt: c.salt.toString('base64'),
    iterations: c.iterations,
    storedKey: c.storedKey.toString('base64'),
    serverKey: c.serverKey.toString('base64'),
  });
}

/** The inverse of encodeCredential; throws Error with the reason for anything it did not write. */
export function decodeCredential(s: string): ScramCredential {
  let o: unknown;
  try {
    o = JSON.parse(s);
  } catch {
    throw new Error('stored SCRAM credential is not JSON');
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new Error('stored SCRAM credential is not a JSON object');
  const { mechanism, salt, iterations, storedKey, serverKey } = o as Record<string, unknown>;
  if (typeof mechanism !== 'string' || !isScramMechanism(mechanism)) throw new Error(`stored SCRAM credential has unknown mechanism ${JSON.stringify(mechanism)}`);
  if (typeof iterations !== 'number' || !Number.isInteger(iterations) || iterations < 1) throw new Error(`stored SCRAM credential has bad iterations ${JSON.stringify(iterations)}`);
  const bytes = HASHES[mechanism].bytes;
  const c: ScramCredential = {
    mechanism,
    salt: base64Field('salt', salt),
    iterations,
    storedKey: base64Field('storedKey', storedKey),
    serverKey: base64Field('serverKey', serverKey),
  };
  if (c.salt.length === 0) throw new Error('stored SCRAM credential has an empty salt');
  if (c.storedKey.length !== bytes || c.serverKey.length !== bytes) throw new Error(`stored SCRAM credential keys are not ${bytes} bytes long for ${mechanism}`);
  return c;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Strict standard base64 (Buffer.from alone skips bad characters silently); undefined when malformed. */
export function decodeBase64(s: string): Buffer | undefined {
  return BASE64.test(s) ? Buffer.from(s, 'base64') : undefined;
}

function base64Field(name: string, v: unknown): Buffer {
  const b = typeof v === 'string' ? decodeBase64(v) : undefined;
  if (!b) throw new Error(`stored SCRAM credential field ${name} is not base64`);
  return b;
}
