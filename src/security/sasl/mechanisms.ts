/**
 * The SASL mechanisms Samsa serves, behind one small interface the broker's
 * SaslHandshake/SaslAuthenticate handling drives: one SaslServer per exchange
 * on one connection, fed each client token (SaslAuthenticate auth_bytes) in turn.
 *
 * Pure: no sockets, no framing, no clocks except the injected `now`. Every
 * failure, including bytes that make no sense, is a SaslAuthenticationError
 * whose message is what the client may be told; anything else escaping a
 * mechanism is a bug. Messages follow Kafka's: PLAIN names the problem, SCRAM
 * and malformed OAUTHBEARER messages get one generic sentence (so a client
 * cannot learn whether a user exists), OAUTHBEARER token failures get the RFC
 * 7628 JSON error status.
 *
 * The mechanism modules import the error class and helpers from here and this
 * module imports their servers; the cycle is safe because neither side uses
 * the other's exports while its module body runs, only inside functions.
 */
import { OAuthBearerSaslServer, type OAuthBearerOptions } from './oauthbearer.js';
import { PlainSaslServer } from './plain.js';
import { ScramSaslServer } from './scram.js';
import type { ScramCredential } from './scram-credentials.js';

export type { OAuthBearerOptions } from './oauthbearer.js';
export type { ScramCredential } from './scram-credentials.js';

/**
 * A failed or malformed exchange. `message` is what the client is told;
 * `log` is extra detail for the broker's log line (never a password or key).
 */
export class SaslAuthenticationError extends Error {
  constructor(message: string, readonly log?: string) {
    super(message);
    this.name = 'SaslAuthenticationError';
  }
}

export interface SaslResult {
  /** Bytes to send back (SaslAuthenticate auth_bytes); empty Buffer when none. */
  challenge: Buffer;
  /** Set when the exchange is complete and succeeded: the authenticated user name (principal User:<name>). */
  user?: string;
  /** For OAUTHBEARER: the token's expiry (ms since epoch), so the broker can cap the session lifetime (KIP-368). */
  expiresAt?: number;
}

/** One authentication exchange on one connection: evaluate is called with each client token in turn. */
export interface SaslServer {
  readonly mechanism: string;
  evaluate(token: Buffer): SaslResult | Promise<SaslResult>;
}

/** Where mechanisms find users; the broker implements it from its config and cluster metadata. */
export interface SaslUsers {
  /** PLAIN: the configured password of a user, undefined when none (compared in constant time). */
  plainPassword(user: string): string | undefined;
  /** SCRAM: the stored credential of user for mechanism ('SCRAM-SHA-256' | 'SCRAM-SHA-512'), undefined when none. */
  scramCredential(user: string, mechanism: string): ScramCredential | undefined;
}

export const SASL_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER'] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

/**
 * The largest client token any mechanism reads. Real tokens are far smaller
 * (a PLAIN or SCRAM message is under 1 KiB, a JWT a few KiB); the limit keeps a
 * hostile client from making the parsers and JSON.parse chew on megabytes.
 * Kafka's own bound is the frame limit sasl.server.max.receive.size (512 KiB).
 */
export const MAX_SASL_TOKEN_BYTES = 64 * 1024;

export interface SaslServerOptions {
  /** Clock for token expiry checks (ms since epoch); Date.now by default. */
  now?: () => number;
  oauthbearer?: OAuthBearerOptions;
}

/** A new server for one exchange, or undefined for a mechanism Samsa does not know. */
export function createSaslServer(mechanism: string, users: SaslUsers, opts: SaslServerOptions = {}): SaslServer | undefined {
  switch (mechanism) {
    case 'PLAIN':
      return new PlainSaslServer(users);
    case 'SCRAM-SHA-256':
    case 'SCRAM-SHA-512':
      return new ScramSaslServer(mechanism, users);
    case 'OAUTHBEARER':
      return new OAuthBearerSaslServer(opts.oauthbearer ?? {}, opts.now ?? Date.now);
    default:
      return undefined;
  }
}

/** Kafka's sentence for a failure whose details must stay in the broker's log. */
export function invalidCredentials(mechanism: string, log: string): SaslAuthenticationError {
  return new SaslAuthenticationError(`Authentication failed during authentication due to invalid credentials with SASL mechanism ${mechanism}`, log);
}

export function checkTokenSize(mechanism: string, token: Buffer): void {
  if (token.length > MAX_SASL_TOKEN_BYTES) {
    throw new SaslAuthenticationError(`Authentication failed: ${mechanism} token of ${token.length} bytes is larger than the limit of ${MAX_SASL_TOKEN_BYTES} bytes`);
  }
}

/** An exchange that already ended (succeeded or failed) takes no more tokens. */
export function exchangeOver(mechanism: string): SaslAuthenticationError {
  return new SaslAuthenticationError(`Authentication failed: unexpected ${mechanism} token after the exchange ended`);
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Decodes UTF-8 strictly: a token that is not UTF-8 is malformed, never
 * silently turned into replacement characters that might match something.
 */
export function decodeUtf8(bytes: Buffer): string | undefined {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/** RFC 5802 saslname: "," is sent as =2C and "=" as =3D; any other "=" or a NUL is malformed. */
export function decodeSaslName(s: string): string | undefined {
  if (s === '' || s.includes('\u0000') || /=(?!2C|3D)/.test(s)) return undefined;
  return s.replace(/=2C|=3D/g, (m) => (m === '=2C' ? ',' : '='));
}
