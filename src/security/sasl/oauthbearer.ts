/**
 * SASL/OAUTHBEARER server (RFC 7628) with Kafka's *unsecured* token validator:
 * for development only, since the token carries no signature and anyone can
 * write one for any user.
 *
 * Client initial response:  gs2-header \x01 "auth=Bearer <token>" \x01 [key=value \x01]* \x01
 *   e.g. "n,,\x01auth=Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9.\x01\x01"
 * The token is an unsecured JWS: base64url JSON header with "alg":"none",
 * "." base64url JSON claims, "." and an empty signature.
 *
 * Validation follows Kafka's unsecured validator: the principal claim (default
 * "sub") must be a non-blank string; "exp" (seconds) is required and must be
 * later than now minus the allowed clock skew; "iat", when present, must not
 * be later than now plus the skew, and must be before "exp"; every required
 * scope must be in the scope claim (default "scope": one string, which Kafka
 * takes as a single scope, or an array of strings). Extensions are accepted
 * and ignored.
 *
 * Exchange, as Kafka's OAuthBearerSaslServer runs it: a good token completes
 * at once with an empty challenge. A bad token is answered with the RFC 7628
 * error JSON ({"status":"invalid_token"} or {"status":"insufficient_scope",
 * "scope":...}) as the challenge; the client must then send a single \x01 and
 * the exchange fails with that JSON as the message. A malformed message fails
 * at once with Kafka's generic sentence.
 *
 * Differences from Kafka: after the error challenge anything the client sends
 * ends the exchange (Kafka would read a new initial response); the scope in
 * the error JSON is space-delimited as RFC 7628 says (Kafka prints a Java
 * list); the header and claims are decoded as base64url (Kafka's decoder only
 * takes standard base64); authzid escapes (=2C, =3D) are decoded before the
 * comparison with the principal; a "y" channel binding flag is accepted.
 */
import { SaslAuthenticationError, checkTokenSize, decodeSaslName, decodeUtf8, exchangeOver, invalidCredentials, type SaslResult, type SaslServer } from './mechanisms.js';

const MECHANISM = 'OAUTHBEARER';

export interface OAuthBearerOptions {
  /** Claim holding the principal name; "sub" by default (Kafka's unsecuredValidatorPrincipalClaimName). */
  principalClaimName?: string;
  /** Claim holding the token's scope; "scope" by default (unsecuredValidatorScopeClaimName). */
  scopeClaimName?: string;
  /** Scopes every token must carry; none by default (unsecuredValidatorRequiredScope). */
  requiredScope?: string[];
  /** Clock skew tolerated on exp and iat, in ms; 0 by default (unsecuredValidatorAllowableClockSkewMs). */
  allowableClockSkewMs?: number;
}

type ResolvedOptions = Required<OAuthBearerOptions>;

/** RFC 6749 scope-token characters. */
const SCOPE_ITEM = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/**
 * The options with defaults filled in; throws RangeError for a setting Kafka
 * would refuse, so the broker can call it at start-up and stop with the reason.
 */
export function resolveOAuthBearerOptions(o: OAuthBearerOptions = {}): ResolvedOptions {
  const skew = o.allowableClockSkewMs ?? 0;
  if (!Number.isSafeInteger(skew) || skew < 0) throw new RangeError(`allowable clock skew must be a non-negative whole number of ms, not ${skew}`);
  const requiredScope = (o.requiredScope ?? []).filter((s) => s !== '');
  const bad = requiredScope.find((s) => !SCOPE_ITEM.test(s));
  if (bad !== undefined) throw new RangeError(`invalid required scope value: ${JSON.stringify(bad)}`);
  return {
    principalClaimName: o.principalClaimName?.trim() || 'sub',
    scopeClaimName: o.scopeClaimName?.trim() || 'scope',
    requiredScope,
    allowableClockSkewMs: skew,
  };
}

export class OAuthBearerSaslServer implements SaslServer {
  readonly mechanism = MECHANISM;
  private readonly options: ResolvedOptions;
  private state: 'initial' | 'error-sent' | 'ended' = 'initial';
  private refusal: SaslAuthenticationError | undefined;

  constructor(options: OAuthBearerOptions, private readonly now: () => number = Date.now) {
    this.options = resolveOAuthBearerOptions(options);
  }

  evaluate(token: Buffer): SaslResult {
    const state = this.state;
    this.state = 'ended';
    if (state === 'ended') throw exchangeOver(MECHANISM);
    if (state === 'error-sent') {
      const refusal = this.refusal!;
      this.refusal = undefined;
      if (token.length === 1 && token[0] === 0x01) throw refusal;
      throw new SaslAuthenticationError(refusal.message, `${refusal.log}; the client then sent something other than the \\x01 acknowledgement`);
    }
    checkTokenSize(MECHANISM, token);
    const initial = parseInitialResponse(token);
    const verdict = validateUnsecuredJws(initial.token, this.options, this.now());
    if ('status' in verdict) {
      const json = JSON.stringify(verdict.scope === undefined ? { status: verdict.status } : { status: verdict.status, scope: verdict.scope });
      this.refusal = new SaslAuthenticationError(json, `OAUTHBEARER token refused: ${verdict.reason}`);
      this.state = 'error-sent';
      return { challenge: Buffer.from(json, 'utf8') };
    }
    if (initial.authzid !== '' && initial.authzid !== verdict.principal) {
      throw new SaslAuthenticationError(`Authentication failed: Client requested an authorization id (${initial.authzid}) that is different from the token's principal name (${verdict.principal})`);
    }
    return { challenge: Buffer.alloc(0), user: verdict.principal, expiresAt: verdict.expiresAt };
  }
}

interface InitialResponse {
  authzid: string;
  token: string;
}

const KEY = /^[A-Za-z]+$/;
const VALUE = /^[\x21-\x7E \t\r\n]+$/;
const AUTH = /^(\w+) +([-_~+/.a-zA-Z0-9]+=*)$/;

function parseInitialResponse(bytes: Buffer): InitialResponse {
  const fail = (log: string) => invalidCredentials(MECHANISM, `Invalid OAUTHBEARER client first message: ${log}`);
  const message = decodeUtf8(bytes);
  if (message === undefined) throw fail('not UTF-8');
  const flagEnd = message.indexOf(',');
  const authzEnd = flagEnd < 0 ? -1 : message.indexOf(',', flagEnd + 1);
  if (authzEnd < 0) throw fail('no GS2 header');
  const flag = message.slice(0, flagEnd);
  if (flag.startsWith('p=')) throw fail('client requested channel binding, which Samsa does not support');
  if (flag !== 'n' && flag !== 'y') throw fail('bad GS2 channel binding flag');
  const authzField = message.slice(flagEnd + 1, authzEnd);
  let authzid = '';
  if (authzField !== '') {
    const decoded = authzField.startsWith('a=') ? decodeSaslName(authzField.slice(2)) : undefined;
    if (decoded === undefined) throw fail('malformed authorization id');
    authzid = decoded;
  }
  // After the header: \x01, then key=value pairs each ending in \x01, then a closing \x01.
  const rest = message.slice(authzEnd + 1);
  if (!rest.startsWith('\x01') || !rest.endsWith('\x01\x01') || rest.length < 3) throw fail('not framed by \\x01 separators');
  const pairs = rest.slice(1, -2).split('\x01');
  const values = new Map<string, string>();
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const [key, value] = eq < 0 ? [pair, ''] : [pair.slice(0, eq), pair.slice(eq + 1)];
    if (!KEY.test(key) || !VALUE.test(value)) throw fail('malformed key=value pair');
    if (values.has(key)) throw fail(`key ${key} given twice`);
    values.set(key, value);
  }
  const auth = values.get('auth');
  if (auth === undefined) throw fail("'auth' not specified");
  const m = AUTH.exec(auth);
  if (!m) throw fail("invalid 'auth' format");
  if (m[1]!.toLowerCase() !== 'bearer') throw fail(`scheme ${m[1]} is not Bearer`);
  return { authzid, token: m[2]! };
}

type Verdict =
  | { principal: string; expiresAt: number }
  | { status: 'invalid_token' | 'insufficient_scope'; scope?: string; reason: string };

/** Kafka's unsecured JWS validation; never throws, a bad token is a verdict with a reason. */
export function validateUnsecuredJws(token: string, o: ResolvedOptions, nowMs: number): Verdict {
  const invalid = (reason: string): Verdict => ({ status: 'invalid_token', reason });
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] === '' || parts[1] === '') return invalid('not three dot-separated parts (header.claims.signature)');
  const header = decodeJsonPart(parts[0]!);
  const claims = decodeJsonPart(parts[1]!);
  if (!header || !claims) return invalid('header or claims are not base64url-encoded JSON objects');
  const alg = claim(header, 'alg');
  if (alg !== 'none') return invalid(`unsecured JWS must have 'none' for an algorithm, not ${JSON.stringify(alg) ?? 'none given'}`);
  if (parts[2] !== '') return invalid('unsecured JWS must not contain a digital signature');

  const scope = tokenScope(claim(claims, o.scopeClaimName));
  if (scope === undefined) return invalid(`the '${o.scopeClaimName}' claim is neither a string nor an array`);
  const exp = claim(claims, 'exp');
  if (exp === undefined) return invalid('no expiration time (exp) in JWT');
  if (typeof exp !== 'number' || !Number.isFinite(exp)) return invalid("the 'exp' claim is not a number");
  const principal = claim(claims, o.principalClaimName);
  if (typeof principal !== 'string' || principal.trim() === '') return invalid(`no principal name in JWT claim: ${o.principalClaimName}`);
  const iat = claim(claims, 'iat');
  if (iat !== undefined && (typeof iat !== 'number' || !Number.isFinite(iat))) return invalid("the 'iat' claim is not a number");

  const skew = o.allowableClockSkewMs;
  if (iat !== undefined && iat * 1000 > nowMs + skew) return invalid(`issued at ${iat} s, after now (${nowMs} ms) plus allowed clock skew (${skew} ms)`);
  if (nowMs - skew >= exp * 1000) return invalid(`expired at ${exp} s, now is ${nowMs} ms (allowed clock skew ${skew} ms)`);
  if (iat !== undefined && exp <= iat) return invalid(`expiration time ${exp} s is not after issued-at ${iat} s`);
  const missing = o.requiredScope.find((s) => !scope.has(s));
  if (missing !== undefined) {
    return { status: 'insufficient_scope', scope: o.requiredScope.join(' '), reason: `scope [${[...scope].join(' ')}] lacks required scope ${missing}` };
  }
  return { principal, expiresAt: Math.round(exp * 1000) };
}

const BASE64_ANY = /^[A-Za-z0-9_\-+/]+={0,2}$/;

function decodeJsonPart(part: string): Record<string, unknown> | undefined {
  if (!BASE64_ANY.test(part)) return undefined;
  const text = decodeUtf8(Buffer.from(part, 'base64'));
  if (text === undefined) return undefined;
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Own properties only: a claim named like an Object.prototype member is not there unless sent. */
function claim(o: Record<string, unknown>, name: string): unknown {
  return Object.hasOwn(o, name) ? o[name] : undefined;
}

/** A string is one scope (as Kafka's unsecured validator takes it), an array is many; blanks drop out. */
function tokenScope(v: unknown): Set<string> | undefined {
  if (v === undefined || v === null) return new Set();
  if (typeof v === 'string') return new Set(v.trim() === '' ? [] : [v.trim()]);
  if (Array.isArray(v)) return new Set(v.filter((s): s is string => typeof s === 'string' && s.trim() !== '').map((s) => s.trim()));
  return undefined;
}
