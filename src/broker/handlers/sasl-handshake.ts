/**
 * SaslHandshake (API 17), v0-v1.
 *
 * Behavior: on a SASL listener, picks the mechanism of the exchange that
 * follows and lists the mechanisms the listener serves. A mechanism it does
 * not serve gets UNSUPPORTED_SASL_MECHANISM and the connection closes after
 * the response, as Kafka does. A second handshake before the exchange ends,
 * or a re-authentication (KIP-368) that changes mechanism, gets
 * ILLEGAL_SASL_STATE and the connection closes. On a listener without SASL,
 * or after an exchange that cannot be repeated (a client that authenticated
 * with SaslAuthenticate v0 cannot re-authenticate), the answer is
 * ILLEGAL_SASL_STATE and the connection stays open.
 *
 * Version notes: after v0 the client sends its SASL tokens as bare
 * size-prefixed frames with no request header; v1 clients send them in
 * SaslAuthenticate requests.
 */
import { ApiKey } from '../../wire/generated/api-keys.js';
import type { SaslHandshakeRequest, SaslHandshakeResponse } from '../../wire/generated/sasl-handshake.js';
import { ErrorCode } from '../../wire/errors.js';
import { isSasl } from '../../config/listeners.js';
import { defineHandler } from '../handler.js';

export const saslHandshake = defineHandler<SaslHandshakeRequest, SaslHandshakeResponse>({
  apiKey: ApiKey.SaslHandshake,
  minVersion: 0,
  maxVersion: 1,
  handle(ctx, req, version) {
    const s = ctx.session;
    const mechanisms = ctx.security.mechanisms(s.listener);
    const refuse = (errorCode: number, close?: string): SaslHandshakeResponse => {
      if (close) ctx.closeAfterResponse(close);
      return { errorCode, mechanisms };
    };
    if (!isSasl(s.listener.protocol)) return refuse(ErrorCode.ILLEGAL_SASL_STATE);
    if (s.sasl) return refuse(ErrorCode.ILLEGAL_SASL_STATE, 'a second SaslHandshake before the SASL exchange ended');
    if (s.authenticated) {
      if (version < 1 || s.authenticateVersion < 1) return refuse(ErrorCode.ILLEGAL_SASL_STATE);
      if (req.mechanism !== s.mechanism) return refuse(ErrorCode.ILLEGAL_SASL_STATE, `SASL mechanism changed from ${s.mechanism} to ${req.mechanism} during re-authentication`);
    }
    const server = ctx.security.saslServer(s.listener, req.mechanism);
    if (!server) return refuse(ErrorCode.UNSUPPORTED_SASL_MECHANISM, `unsupported SASL mechanism ${JSON.stringify(req.mechanism.slice(0, 64))} (listener ${s.listener.name} serves ${mechanisms.join(', ')})`);
    s.sasl = server;
    s.mechanism = req.mechanism;
    s.rawTokens = version === 0;
    return { errorCode: ErrorCode.NONE, mechanisms };
  },
  errorResponse(_req, _version, errorCode) {
    return { errorCode, mechanisms: [] };
  },
});
