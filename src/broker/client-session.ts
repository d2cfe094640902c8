/**
 * Who is on the other end of one connection: the listener it came in on, the
 * principal it authenticated as, and where its SASL exchange stands.
 *
 * - PLAINTEXT and SSL listeners need no SASL: the principal is User:ANONYMOUS,
 *   or on SSL with a client certificate the certificate's subject.
 * - On SASL listeners only ApiVersions, SaslHandshake and SaslAuthenticate
 *   are served until the exchange succeeds (the dispatcher enforces it).
 *   SaslHandshake v0 means the tokens that follow are bare size-prefixed
 *   frames with no request header (`rawTokens`), as Kafka 0.10 clients send them.
 * - A session authenticated with SaslAuthenticate v1+ may be re-authenticated
 *   (KIP-368) with the same mechanism and principal; one with a lifetime
 *   (connections.max.reauth.ms, or an OAUTHBEARER token's expiry) that has
 *   run out serves nothing but re-authentication: the dispatcher closes the
 *   connection on any other request.
 */
import type { Listener } from '../config/listeners.js';
import { isSasl } from '../config/listeners.js';
import type { SaslServer } from '../security/sasl/mechanisms.js';

export const ANONYMOUS = 'User:ANONYMOUS';

export class ClientSession {
  /** "User:<name>" (Kafka's KafkaPrincipal in its string form). */
  principal: string;
  /** Set once a SASL exchange has succeeded (always true on listeners without SASL). */
  authenticated: boolean;
  /** The mechanism of the exchange in progress or last completed. */
  mechanism?: string;
  /** The exchange in progress (between SaslHandshake and its successful end). */
  sasl?: SaslServer;
  /** SaslHandshake v0: the next frames are raw SASL tokens. */
  rawTokens = false;
  /** The SaslAuthenticate version of the last exchange: v0 clients cannot re-authenticate. */
  authenticateVersion = -1;
  /** When the session ends (ms since epoch), 0 for never. */
  expiresAt = 0;
  /** Set by a handler: the connection closes once this request's response is written. */
  closeAfter?: string;

  constructor(
    readonly listener: Listener,
    /** The client's IP address, as ACL host rules see it. */
    readonly host: string,
    /** From the client certificate on TLS listeners, else ANONYMOUS. */
    principal = ANONYMOUS,
  ) {
    this.principal = principal;
    this.authenticated = !isSasl(listener.protocol);
  }

  expired(now: number): boolean { return this.expiresAt > 0 && now >= this.expiresAt; }
}
