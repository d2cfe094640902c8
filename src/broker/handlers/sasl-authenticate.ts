/**
 * SaslAuthenticate (API 36), v0-v2.
 *
 * Behavior: carries one client token of the exchange SaslHandshake began to
 * its mechanism and returns the mechanism's answer. A failed exchange gets
 * SASL_AUTHENTICATION_FAILED with the mechanism's message and the connection
 * closes after the response, with a log line naming the client and why. A
 * request with no exchange in progress gets ILLEGAL_SASL_STATE (and the
 * connection closes, on a SASL listener).
 *
 * Version notes: v1+ carries session_lifetime_ms (KIP-368): the time left
 * before the client must re-authenticate, 0 for no limit. v2 is the flexible
 * version of v1.
 */
import { ApiKey } from '../../wire/generated/api-keys.js';
import type { SaslAuthenticateRequest, SaslAuthenticateResponse } from '../../wire/generated/sasl-authenticate.js';
import { ErrorCode } from '../../wire/errors.js';
import { isSasl } from '../../config/listeners.js';
import { defineHandler } from '../handler.js';
import { saslStep } from '../sasl-exchange.js';

const EMPTY = Buffer.alloc(0);

export const saslAuthenticate = defineHandler<SaslAuthenticateRequest, SaslAuthenticateResponse>({
  apiKey: ApiKey.SaslAuthenticate,
  minVersion: 0,
  maxVersion: 2,
  async handle(ctx, req, version) {
    const s = ctx.session;
    if (!s.sasl || s.rawTokens) {
      if (isSasl(s.listener.protocol)) ctx.closeAfterResponse('SaslAuthenticate without a SaslHandshake v1 first');
      return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, errorMessage: 'Unexpected SaslAuthenticate request: no SASL exchange is in progress', authBytes: EMPTY, sessionLifetimeMs: 0n };
    }
    const mechanism = s.sasl.mechanism;
    const step = await saslStep(s, req.authBytes, ctx.security.reauthMs(s.listener), Date.now);
    if (!step.ok) {
      ctx.closeAfterResponse(`${mechanism} authentication failed for client ${ctx.clientId ?? '-'}: ${step.detail}`);
      return { errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED, errorMessage: step.message, authBytes: EMPTY, sessionLifetimeMs: 0n };
    }
    if (step.complete) {
      s.authenticateVersion = version;
      ctx.log.debug(`conn ${ctx.connectionId}: authenticated as ${s.principal} with ${mechanism}${step.lifetimeMs ? ` for ${step.lifetimeMs} ms` : ''}`);
    }
    return { errorCode: ErrorCode.NONE, errorMessage: null, authBytes: step.challenge, sessionLifetimeMs: BigInt(step.lifetimeMs) };
  },
  errorResponse(_req, _version, errorCode, message) {
    return { errorCode, errorMessage: message, authBytes: EMPTY, sessionLifetimeMs: 0n };
  },
});
