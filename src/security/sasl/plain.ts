/**
 * SASL/PLAIN server (RFC 4616): one client message, `[authzid] NUL authcid NUL passwd`,
 * checked against the password the broker has configured for authcid
 * (Kafka's JAAS `user_<name>="<password>"`).
 *
 * Behaviour follows Kafka's PlainSaslServer: exactly three NUL-separated
 * fields; empty user name or password refused; the password is checked before
 * the authzid, and an authzid may only repeat the user name. A wrong password
 * and an unknown user get the same message. The comparison runs on SHA-256
 * digests of equal length so its time does not depend on where the passwords
 * differ or on how long the configured one is.
 *
 * Difference from Kafka: a message that is not valid UTF-8 is refused as
 * malformed (Kafka decodes it with replacement characters and then fails the
 * password check).
 */
import { nodeCrypto } from '../node-crypto.js';
import { SaslAuthenticationError, checkTokenSize, decodeUtf8, exchangeOver, type SaslResult, type SaslServer, type SaslUsers } from './mechanisms.js';

const MECHANISM = 'PLAIN';

export class PlainSaslServer implements SaslServer {
  readonly mechanism = MECHANISM;
  private done = false;

  constructor(private readonly users: SaslUsers) {}

  evaluate(token: Buffer): SaslResult {
    if (this.done) throw exchangeOver(MECHANISM);
    // PLAIN is a single message: whatever happens now ends the exchange.
    this.done = true;
    checkTokenSize(MECHANISM, token);
    const message = decodeUtf8(token);
    if (message === undefined) throw new SaslAuthenticationError('Invalid SASL/PLAIN response: not UTF-8');
    const fields = message.split('\u0000');
    if (fields.length !== 3) throw new SaslAuthenticationError(`Invalid SASL/PLAIN response: expected 3 tokens, got ${fields.length}`);
    const [authzid, user, password] = fields as [string, string, string];
    if (user === '') throw new SaslAuthenticationError('Authentication failed: username not specified');
    if (password === '') throw new SaslAuthenticationError('Authentication failed: password not specified');

    let expected: string | undefined;
    try {
      expected = this.users.plainPassword(user);
    } catch (e) {
      throw new SaslAuthenticationError('Authentication failed: credentials for user could not be verified', `PLAIN user lookup failed: ${(e as Error)?.message ?? e}`);
    }
    // An unknown user still pays for a comparison, so timing does not tell it apart.
    const matches = passwordsEqual(password, expected ?? '');
    if (expected === undefined || !matches) {
      throw new SaslAuthenticationError('Authentication failed: Invalid username or password', expected === undefined ? `unknown PLAIN user '${user}'` : `wrong password for PLAIN user '${user}'`);
    }
    if (authzid !== '' && authzid !== user) {
      throw new SaslAuthenticationError('Authentication failed: Client requested an authorization id that is different from username', `PLAIN user '${user}' asked for authorization id '${authzid}'`);
    }
    return { challenge: Buffer.alloc(0), user };
  }
}

function passwordsEqual(given: string, expected: string): boolean {
  const { createHash, timingSafeEqual } = nodeCrypto();
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}
