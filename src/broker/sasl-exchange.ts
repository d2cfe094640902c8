/**
 * One step of a connection's SASL exchange: the client's token goes to the
 * session's mechanism; when the mechanism says the exchange is complete the
 * session takes the principal and its lifetime (KIP-368): the smaller of
 * connections.max.reauth.ms and the credential's own expiry (an OAUTHBEARER
 * token's exp), none when neither applies.
 *
 * Used by SaslAuthenticate and by the raw tokens that follow SaslHandshake v0.
 * A re-authentication must end with the principal it started with, as Kafka
 * requires.
 */
import { SaslAuthenticationError } from '../security/sasl/mechanisms.js';
import type { ClientSession } from './client-session.js';

export type SaslStep =
  | { ok: true; challenge: Buffer; complete: boolean; lifetimeMs: number }
  | { ok: false; message: string; detail: string };

export async function saslStep(session: ClientSession, token: Buffer, reauthMs: number, now: () => number): Promise<SaslStep> {
  const server = session.sasl;
  if (!server) return { ok: false, message: 'Unexpected SASL token: no SaslHandshake began an exchange', detail: 'SASL token without a handshake' };
  let result;
  try {
    result = await server.evaluate(token);
  } catch (e) {
    session.sasl = undefined;
    if (e instanceof SaslAuthenticationError) return { ok: false, message: e.message, detail: e.log ?? e.message };
    throw e;
  }
  if (result.user === undefined) return { ok: true, challenge: result.challenge, complete: false, lifetimeMs: 0 };
  const principal = `User:${result.user}`;
  session.sasl = undefined;
  if (session.authenticated && principal !== session.principal) {
    return { ok: false, message: `Cannot change principals during re-authentication from ${session.principal}: ${principal}`, detail: 're-authentication with another principal' };
  }
  const t = now();
  const ends = [reauthMs > 0 ? t + reauthMs : Infinity, result.expiresAt ?? Infinity];
  const end = Math.min(...ends);
  session.principal = principal;
  session.authenticated = true;
  session.expiresAt = end === Infinity ? 0 : end;
  return { ok: true, challenge: result.challenge, complete: true, lifetimeMs: end === Infinity ? 0 : Math.max(0, end - t) };
}
