/**
 * DescribeUserScramCredentials (API 50), v0.
 *
 * Behavior: lists the SCRAM mechanisms and iterations of users (never the
 * salt or keys), from the 'scram' security records of the cluster metadata.
 * A null or empty user list means every user with a credential, sorted by
 * name. A named user without any credential is RESOURCE_NOT_FOUND, a user
 * named more than once DUPLICATE_RESOURCE (one result per distinct name, in
 * request order). Needs DESCRIBE on the cluster, else
 * CLUSTER_AUTHORIZATION_FAILED at the top level (and on each named user, as
 * Kafka's error response does).
 *
 * Version notes: v0 is the only version (flexible).
 */
import { ApiKey } from '../../wire/generated/api-keys.js';
import type { DescribeUserScramCredentialsRequest, DescribeUserScramCredentialsResponse } from '../../wire/generated/describe-user-scram-credentials.js';
import { ErrorCode } from '../../wire/errors.js';
import { defineHandler } from '../handler.js';
import { AclOperation, allowedOnCluster, deniedMessage } from '../request-authorization.js';

/** The mechanism codes of the SCRAM admin APIs (Kafka's ScramMechanism.type). */
export const SCRAM_MECHANISM_TYPES: Readonly<Record<string, number>> = { 'SCRAM-SHA-256': 1, 'SCRAM-SHA-512': 2 };

/** The mechanism name of a wire code; undefined for 0 (UNKNOWN) and codes Kafka does not define. */
export function scramMechanismName(type: number): string | undefined {
  return Object.keys(SCRAM_MECHANISM_TYPES).find((name) => SCRAM_MECHANISM_TYPES[name] === type);
}

/** The error everywhere (Kafka's getErrorResponse): top level and each distinct named user. */
function refused(req: DescribeUserScramCredentialsRequest, errorCode: number, errorMessage: string): DescribeUserScramCredentialsResponse {
  const users = [...new Set((req.users ?? []).map((u) => u.name))];
  return { throttleTimeMs: 0, errorCode, errorMessage, results: users.map((user) => ({ user, errorCode, errorMessage, credentialInfos: [] })) };
}

export const describeUserScramCredentials = defineHandler<DescribeUserScramCredentialsRequest, DescribeUserScramCredentialsResponse>({
  apiKey: ApiKey.DescribeUserScramCredentials,
  minVersion: 0,
  maxVersion: 0,
  handle(ctx, req) {
    if (!allowedOnCluster(ctx, AclOperation.DESCRIBE)) return refused(req, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, deniedMessage(ErrorCode.CLUSTER_AUTHORIZATION_FAILED));
    const credentials = ctx.security.scramUsers();
    const infos = (user: string) => (credentials.get(user) ?? [])
      .map((c) => ({ mechanism: SCRAM_MECHANISM_TYPES[c.mechanism] ?? 0, iterations: c.iterations }))
      .sort((a, b) => a.mechanism - b.mechanism);
    const ok = (user: string) => ({ user, errorCode: ErrorCode.NONE, errorMessage: null, credentialInfos: infos(user) });

    if (!req.users || req.users.length === 0) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, results: [...credentials.keys()].sort().map(ok) };
    }
    const times = new Map<string, number>();
    for (const { name } of req.users) times.set(name, (times.get(name) ?? 0) + 1);
    const results = [...times].map(([user, n]) => {
      if (n > 1) {
        return { user, errorCode: ErrorCode.DUPLICATE_RESOURCE, errorMessage: `Cannot describe SCRAM credentials for the same user twice in a single request: ${user}`, credentialInfos: [] };
      }
      if (!credentials.has(user)) {
        return { user, errorCode: ErrorCode.RESOURCE_NOT_FOUND, errorMessage: `Attempt to describe a user credential that does not exist: ${user}`, credentialInfos: [] };
      }
      return ok(user);
    });
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, results };
  },
  errorResponse: (req, _version, errorCode, errorMessage) => refused(req, errorCode, errorMessage),
});
