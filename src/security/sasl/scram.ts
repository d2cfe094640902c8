/**
 * SASL/SCRAM-SHA-256 and SCRAM-SHA-512 server (RFC 5802, RFC 7677), two rounds:
 *
 *   client-first  gs2-header client-first-bare   e.g. "n,,n=user,r=<client nonce>"
 *   server-first  "r=<client nonce><server nonce>,s=<base64 salt>,i=<iterations>"
 *   client-final  "c=<base64 gs2-header>,r=<nonce>,p=<base64 ClientProof>"
 *   server-final  "v=<base64 ServerSignature>"
 *
 * AuthMessage = client-first-bare "," server-first "," client-final-without-proof,
 * taken byte for byte as sent. The proof checks out when
 * H(ClientProof XOR HMAC(StoredKey, AuthMessage)) equals StoredKey.
 *
 * Behaviour follows Kafka's ScramSaslServer: no channel binding (a "p=" flag
 * fails; "y" is accepted, meaning the client could bind but believes we cannot),
 * an authzid must equal the user, extensions other than tokenauth are ignored,
 * credentials below MIN_ITERATIONS are refused, and every failure but the
 * authzid one reaches the client as one generic sentence with the reason only
 * in the log.
 *
 * Differences from Kafka, all deliberate:
 * - An unknown user is not refused at the first message (Kafka refuses it there,
 *   with the same generic sentence): the exchange goes on with a made-up
 *   credential whose salt is derived from the user name with a per-process
 *   secret, so repeated attempts see a stable salt, and fails at the proof like
 *   a wrong password. A client cannot tell "no such user" from "wrong password".
 * - c= must be the base64 of the gs2 header the client sent first (RFC 5802;
 *   Kafka does not compare it). The final nonce must end with the combined
 *   nonce, as Kafka checks it: librdkafka before 2.6.1 (Debian's kcat) sends
 *   its client nonce again in front of it.
 * - tokenauth=true (delegation tokens) is refused: Samsa has no delegation tokens.
 * - "y" as channel binding flag is accepted (RFC 5802 section 6); Kafka only takes "n".
 * - User names may be any UTF-8 (RFC 5802); Kafka accepts ASCII only.
 */
import { nodeCrypto } from '../node-crypto.js';
import { SaslAuthenticationError, checkTokenSize, decodeSaslName, decodeUtf8, exchangeOver, invalidCredentials, type SaslResult, type SaslServer, type SaslUsers } from './mechanisms.js';
import { DEFAULT_ITERATIONS, MIN_ITERATIONS, decodeBase64, hash, hmac, scramHash, type ScramCredential, type ScramMechanism } from './scram-credentials.js';

interface Round1 {
  user: string;
  gs2Header: string;
  clientFirstBare: string;
  serverFirst: string;
  nonce: string;
  credential: ScramCredential;
  /** False when the user has no credential and `credential` is made up. */
  known: boolean;
}

export class ScramSaslServer implements SaslServer {
  private state: 'client-first' | 'client-final' | 'ended' = 'client-first';
  private round1: Round1 | undefined;

  /** `serverNonce` is replaceable for tests that replay published exchanges (RFC 7677). */
  constructor(
    readonly mechanism: ScramMechanism,
    private readonly users: SaslUsers,
    private readonly serverNonce: () => string = () => nodeCrypto().randomBytes(18).toString('base64url'),
  ) {}

  evaluate(token: Buffer): SaslResult {
    const state = this.state;
    if (state === 'ended') throw exchangeOver(this.mechanism);
    // Any failure ends the exchange; success of the first round reopens it below.
    this.state = 'ended';
    try {
      checkTokenSize(this.mechanism, token);
      const message = decodeUtf8(token);
      if (message === undefined) throw this.fail('SCRAM message is not UTF-8');
      if (state === 'client-first') {
        const challenge = this.clientFirst(message);
        this.state = 'client-final';
        return { challenge };
      }
      return this.clientFinal(message);
    } catch (e) {
      this.round1 = undefined;
      if (e instanceof SaslAuthenticationError) throw e;
      throw this.fail(`unexpected error in SCRAM exchange: ${(e as Error)?.message ?? String(e)}`);
    }
  }

  private clientFirst(message: string): Buffer {
    const first = parseClientFirst(message, (log) => this.fail(log));
    if (first.authzid !== '' && first.authzid !== first.user) {
      throw new SaslAuthenticationError('Authentication failed: Client requested an authorization id that is different from username', `SCRAM user '${first.user}' asked for authorization id '${first.authzid}'`);
    }
    let stored: ScramCredential | undefined;
    try {
      stored = this.users.scramCredential(first.user, this.mechanism);
    } catch (e) {
      throw this.fail(`SCRAM credential lookup for '${first.user}' failed: ${(e as Error)?.message ?? String(e)}`);
    }
    if (stored && stored.mechanism !== this.mechanism) throw this.fail(`credential of '${first.user}' is for ${stored.mechanism}, not ${this.mechanism}`);
    if (stored && stored.iterations < MIN_ITERATIONS) throw this.fail(`credential of '${first.user}' has ${stored.iterations} iterations, fewer than the minimum ${MIN_ITERATIONS}`);
    const credential = stored ?? madeUpCredential(this.mechanism, first.user);
    const nonce = first.clientNonce + this.serverNonce();
    const serverFirst = `r=${nonce},s=${credential.salt.toString('base64')},i=${credential.iterations}`;
    this.round1 = { user: first.user, gs2Header: first.gs2Header, clientFirstBare: first.bare, serverFirst, nonce, credential, known: stored !== undefined };
    return Buffer.from(serverFirst, 'utf8');
  }

  private clientFinal(message: string): SaslResult {
    const r1 = this.round1!;
    this.round1 = undefined;
    const proofAt = message.lastIndexOf(',p=');
    if (proofAt < 0) throw this.fail('client-final message has no proof');
    const withoutProof = message.slice(0, proofAt);
    const attrs = withoutProof.split(',');
    if (attrs.length < 2 || !attrs[0]!.startsWith('c=') || !attrs[1]!.startsWith('r=')) throw this.fail('client-final message does not start with c=...,r=...');
    if (!attrs.slice(2).every((a) => EXTENSION.test(a))) throw this.fail('client-final message has a malformed extension');
    const binding = decodeBase64(attrs[0]!.slice(2));
    if (!binding || !binding.equals(Buffer.from(r1.gs2Header, 'utf8'))) throw this.fail('channel binding attribute c= does not repeat the GS2 header of the first message');
    if (!attrs[1]!.slice(2).endsWith(r1.nonce)) throw this.fail('Invalid client nonce in the final client message.');
    const proof = decodeBase64(message.slice(proofAt + 3));
    const { bytes } = scramHash(this.mechanism);
    if (!proof || proof.length !== bytes) throw this.fail(`client proof is not ${bytes} bytes of base64`);

    const { storedKey, serverKey } = r1.credential;
    const authMessage = `${r1.clientFirstBare},${r1.serverFirst},${withoutProof}`;
    const clientSignature = hmac(this.mechanism, storedKey, authMessage);
    const clientKey = xor(proof, clientSignature);
    const proofMatches = storedKey.length === bytes && nodeCrypto().timingSafeEqual(hash(this.mechanism, clientKey), storedKey);
    if (!r1.known) throw this.fail(`unknown SCRAM user '${r1.user}'`);
    if (!proofMatches) throw this.fail(`invalid client proof for SCRAM user '${r1.user}' (wrong password)`);
    const serverSignature = hmac(this.mechanism, serverKey, authMessage);
    return { challenge: Buffer.from(`v=${serverSignature.toString('base64')}`, 'utf8'), user: r1.user };
  }

  private fail(log: string): SaslAuthenticationError {
    return invalidCredentials(this.mechanism, log);
  }
}

interface ClientFirst {
  gs2Header: string;
  authzid: string;
  bare: string;
  user: string;
  clientNonce: string;
}

/** key=value after the fixed attributes; Kafka's ALPHA+ keys, values without commas. */
const EXTENSION = /^[A-Za-z]+=[^,]+$/;
/** printable ASCII except comma (RFC 5802 `printable`). */
const NONCE = /^[\x21-\x2B\x2D-\x7E]+$/;

function parseClientFirst(message: string, fail: (log: string) => Error): ClientFirst {
  const flagEnd = message.indexOf(',');
  const authzEnd = flagEnd < 0 ? -1 : message.indexOf(',', flagEnd + 1);
  if (authzEnd < 0) throw fail('client-first message has no GS2 header');
  const flag = message.slice(0, flagEnd);
  if (flag.startsWith('p=')) throw fail('client requested channel binding, which Samsa does not support');
  if (flag !== 'n' && flag !== 'y') throw fail('client-first message has a bad GS2 channel binding flag');
  const authzField = message.slice(flagEnd + 1, authzEnd);
  let authzid = '';
  if (authzField !== '') {
    const decoded = authzField.startsWith('a=') ? decodeSaslName(authzField.slice(2)) : undefined;
    if (decoded === undefined) throw fail('client-first message has a malformed authorization id');
    authzid = decoded;
  }
  const bare = message.slice(authzEnd + 1);
  const attrs = bare.split(',');
  if (attrs[0]!.startsWith('m=')) throw fail('client-first message has a mandatory extension (m=), which Samsa does not support');
  if (attrs.length < 2 || !attrs[0]!.startsWith('n=') || !attrs[1]!.startsWith('r=')) throw fail('client-first message does not hold n=<user>,r=<nonce>');
  const user = decodeSaslName(attrs[0]!.slice(2));
  if (user === undefined) throw fail('client-first message has a malformed user name');
  const clientNonce = attrs[1]!.slice(2);
  if (!NONCE.test(clientNonce)) throw fail('client-first message has a malformed nonce');
  for (const ext of attrs.slice(2)) {
    if (!EXTENSION.test(ext)) throw fail('client-first message has a malformed extension');
    const [key, value] = [ext.slice(0, ext.indexOf('=')), ext.slice(ext.indexOf('=') + 1)];
    if (key === 'tokenauth' && value.toLowerCase() === 'true') throw fail('delegation token authentication (tokenauth=true) is not supported');
  }
  return { gs2Header: message.slice(0, authzEnd + 1), authzid, bare, user, clientNonce };
}

/** The salt of a user who does not exist must be the same on every attempt, or a client could tell. */
let madeUpSaltSecret: Buffer | undefined;

function madeUpCredential(mechanism: ScramMechanism, user: string): ScramCredential {
  const { bytes } = scramHash(mechanism);
  const { createHmac, randomBytes } = nodeCrypto();
  madeUpSaltSecret ??= randomBytes(32);
  return {
    mechanism,
    salt: createHmac('sha256', madeUpSaltSecret).update(`${mechanism}\u0000${user}`).digest(),
    iterations: DEFAULT_ITERATIONS,
    storedKey: randomBytes(bytes),
    serverKey: randomBytes(bytes),
  };
}

function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}
