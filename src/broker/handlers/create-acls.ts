/**
 * CreateAcls (API 30), v0-v3.
 *
 * Behavior: each creation is checked on its own (acl.ts bindingError, Kafka's
 * AclApis and AclControlManager.validateNewAcl checks: a concrete resource
 * type, LITERAL or PREFIXED, a non-empty name, "kafka-cluster" for CLUSTER, a
 * "Type:name" principal, a host, a concrete operation, ALLOW or DENY); a
 * refused one gets INVALID_REQUEST with the reason. The valid ones are
 * written to the cluster metadata together (an 'acl' security record each),
 * so every broker of the cluster enforces them, and the answer waits until
 * this broker's authorizer has them: a client that creates an ACL and then
 * acts is judged by it. Creating a binding that exists succeeds and stores it
 * once. Bindings survive restarts with the metadata.
 *
 * Authorization: ALTER on the cluster, else CLUSTER_AUTHORIZATION_FAILED for
 * every creation.
 *
 * Version notes: v0 has no pattern type (LITERAL). A creation with an
 * UNKNOWN (0) code is a request Kafka cannot parse and closes the connection
 * for; Samsa answers that creation INVALID_REQUEST. v2+ is flexible.
 */
import { ApiKey } from '../../wire/generated/api-keys.js';
import type { CreateAclsRequest, CreateAclsRequestAclCreation, CreateAclsResponse } from '../../wire/generated/create-acls.js';
import { ErrorCode } from '../../wire/errors.js';
import { defineHandler } from '../handler.js';
import { PatternType, aclKey, bindingError, describeBinding, type AclBinding } from '../../security/acl.js';
import { AclOperation, allowedOnCluster, deniedMessage } from '../request-authorization.js';

function bindingOf(c: CreateAclsRequestAclCreation): AclBinding {
  return {
    resourceType: c.resourceType, resourceName: c.resourceName, patternType: c.resourcePatternType ?? PatternType.LITERAL,
    principal: c.principal, host: c.host, operation: c.operation, permissionType: c.permissionType,
  };
}

const failed = (req: CreateAclsRequest, errorCode: number, errorMessage: string): CreateAclsResponse =>
  ({ throttleTimeMs: 0, results: req.creations.map(() => ({ errorCode, errorMessage })) });

export const createAcls = defineHandler<CreateAclsRequest, CreateAclsResponse>({
  apiKey: ApiKey.CreateAcls,
  minVersion: 0,
  maxVersion: 3,
  async handle(ctx, req) {
    const bindings = req.creations.map(bindingOf);
    if (!allowedOnCluster(ctx, AclOperation.ALTER)) return failed(req, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, deniedMessage(ErrorCode.CLUSTER_AUTHORIZATION_FAILED));
    const problems = bindings.map(bindingError);
    const valid = bindings.filter((_, i) => problems[i] === undefined);
    if (valid.length > 0) await ctx.security.write(valid.map((b) => ({ kind: 'acl' as const, key: aclKey(b), value: '1' })));
    for (const b of valid) ctx.log.info(`ACL added by ${ctx.session.principal}: ${describeBinding(b)}`);
    return {
      throttleTimeMs: 0,
      results: problems.map((problem) => (problem === undefined ? { errorCode: ErrorCode.NONE, errorMessage: null } : { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: problem })),
    };
  },
  errorResponse: (req, _version, errorCode, errorMessage) => failed(req, errorCode, errorMessage),
});
