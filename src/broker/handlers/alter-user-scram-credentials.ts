/**
 * AlterUserScramCredentials (API 51), v0.
 *
 * Behavior: deletes and upserts SCRAM credentials. An upsertion carries what
 * the client computed (salt, SaltedPassword = Hi(password, salt, iterations));
 * the broker keeps only the StoredKey and ServerKey derived from it, as
 * 'scram' security records in the cluster metadata, so every broker serves
 * the change. One result per user, in the order users first appear
 * (deletions, then upsertions); all of a user's alterations are applied
 * together or not at all. Per user, the first problem found wins:
 * - an empty user name: UNACCEPTABLE_CREDENTIAL;
 * - a mechanism other than 1 (SCRAM-SHA-256) or 2 (SCRAM-SHA-512):
 *   UNSUPPORTED_SASL_MECHANISM;
 * - iterations outside 4096..16384: UNACCEPTABLE_CREDENTIAL ("Too few
 *   iterations" / "Too many iterations");
 * - the same (user, mechanism) twice, in deletions, upsertions or both:
 *   DUPLICATE_RESOURCE;
 * - deleting a credential the user does not have: RESOURCE_NOT_FOUND.
 * Needs ALTER on the cluster, else every user gets CLUSTER_AUTHORIZATION_FAILED.
 *
 * Differences from Kafka: duplicates are per (user, mechanism), as the
 * ZooKeeper-era broker checked them (KRaft's controller also refuses one
 * user's SCRAM-SHA-256 and SCRAM-SHA-512 changes in one request, which
 * kafka-configs.sh sends when given both). An empty salt or salted password
 * is UNACCEPTABLE_CREDENTIAL (Kafka derives keys from them anyway).
 *
 * Version notes: v0 is the only version (flexible).
 */
import { ApiKey } from '../../wire/generated/api-keys.js';
import type { AlterUserScramCredentialsRequest, AlterUserScramCredentialsResponse } from '../../wire/generated/alter-user-scram-credentials.js';
import { ErrorCode } from '../../wire/errors.js';
import { credentialFromSaltedPassword, encodeCredential, iterationsProblem, type ScramMechanism } from '../../security/sasl/scram-credentials.js';
import type { SecurityRecord } from '../../controller/cluster-metadata.js';
import { defineHandler, errorEntry } from '../handler.js';
import { AclOperation, allowedOnCluster, deniedMessage } from '../request-authorization.js';
import { scramKey } from '../broker-security.js';
import { scramMechanismName } from './describe-user-scram-credentials.js';

interface Problem { errorCode: number; errorMessage: string }

interface Alteration {
  user: string;
  mechanism: number;
  upsertion?: { iterations: number; salt: Buffer; saltedPassword: Buffer };
}

/** What is wrong with one alteration on its own, or undefined. */
function alterationProblem(a: Alteration): Problem | undefined {
  if (a.user === '') return { errorCode: ErrorCode.UNACCEPTABLE_CREDENTIAL, errorMessage: 'Username must not be empty' };
  if (!scramMechanismName(a.mechanism)) return { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, errorMessage: 'Unknown SCRAM mechanism' };
  if (!a.upsertion) return undefined;
  const iterations = iterationsProblem(a.upsertion.iterations);
  if (iterations) return { errorCode: ErrorCode.UNACCEPTABLE_CREDENTIAL, errorMessage: iterations };
  if (a.upsertion.salt.length === 0) return { errorCode: ErrorCode.UNACCEPTABLE_CREDENTIAL, errorMessage: 'Salt must not be empty' };
  if (a.upsertion.saltedPassword.length === 0) return { errorCode: ErrorCode.UNACCEPTABLE_CREDENTIAL, errorMessage: 'Salted password must not be empty' };
  return undefined;
}

/** The error for every user of the request, sorted (Kafka's getErrorResponse). */
function refused(req: AlterUserScramCredentialsRequest, errorCode: number, errorMessage: string): AlterUserScramCredentialsResponse {
  const users = [...new Set([...req.deletions, ...req.upsertions].map((a) => a.name))].sort();
  return { throttleTimeMs: 0, results: users.map((user) => ({ user, errorCode, errorMessage })) };
}

export const alterUserScramCredentials = defineHandler<AlterUserScramCredentialsRequest, AlterUserScramCredentialsResponse>({
  apiKey: ApiKey.AlterUserScramCredentials,
  minVersion: 0,
  maxVersion: 0,
  async handle(ctx, req) {
    if (!allowedOnCluster(ctx, AclOperation.ALTER)) return refused(req, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, deniedMessage(ErrorCode.CLUSTER_AUTHORIZATION_FAILED));
    const alterations: Alteration[] = [
      ...req.deletions.map((d) => ({ user: d.name, mechanism: d.mechanism })),
      ...req.upsertions.map((u) => ({ user: u.name, mechanism: u.mechanism, upsertion: u })),
    ];
    // Users in the order they first appear; each maps to its first problem, if any.
    const problems = new Map<string, Problem | undefined>();
    for (const a of alterations) if (!problems.get(a.user)) problems.set(a.user, alterationProblem(a));
    const seen = new Set<string>();
    for (const a of alterations) {
      const pair = `${a.mechanism}:${a.user}`;
      if (seen.has(pair) && !problems.get(a.user)) {
        problems.set(a.user, { errorCode: ErrorCode.DUPLICATE_RESOURCE, errorMessage: 'A user credential cannot be altered twice in the same request' });
      }
      seen.add(pair);
    }
    const stored = ctx.metadata.securityRecords('scram');
    for (const a of alterations) {
      if (a.upsertion || problems.get(a.user)) continue;
      if (!stored.has(scramKey(scramMechanismName(a.mechanism)!, a.user))) {
        problems.set(a.user, { errorCode: ErrorCode.RESOURCE_NOT_FOUND, errorMessage: 'Attempt to delete a user credential that does not exist' });
      }
    }

    const records: SecurityRecord[] = [];
    for (const a of alterations) {
      if (problems.get(a.user)) continue;
      const mechanism = scramMechanismName(a.mechanism)! as ScramMechanism;
      const key = scramKey(mechanism, a.user);
      if (!a.upsertion) { records.push({ kind: 'scram', key, value: null }); continue; }
      const { salt, saltedPassword, iterations } = a.upsertion;
      records.push({ kind: 'scram', key, value: encodeCredential(credentialFromSaltedPassword(mechanism, salt, saltedPassword, iterations)) });
    }
    let writeFailure: Problem | undefined;
    if (records.length > 0) {
      try {
        await ctx.security.write(records);
      } catch (err) {
        writeFailure = errorEntry(ctx, err, 'a SCRAM credential change');
      }
    }
    return {
      throttleTimeMs: 0,
      results: [...problems].map(([user, problem]) => ({ user, ...(problem ?? writeFailure ?? { errorCode: ErrorCode.NONE, errorMessage: null }) })),
    };
  },
  errorResponse: (req, _version, errorCode, errorMessage) => refused(req, errorCode, errorMessage),
});
