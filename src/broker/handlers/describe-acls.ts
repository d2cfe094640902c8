/**
 * DescribeAcls (API 29), v0-v3.
 *
 * Behavior: the ACL bindings the filter matches (acl.ts matchesFilter: null
 * strings and ANY match anything; MATCH with a name matches the bindings that
 * apply to that resource: its LITERAL ones, LITERAL "*" and PREFIXED ones
 * whose name starts it), grouped by resource pattern (type, name, pattern
 * type), as Kafka's DescribeAclsResponse.aclsResources groups them, in the
 * order of their canonical keys (Kafka's order is a hash map's). Codes
 * outside the enums match nothing, as in Kafka.
 *
 * Authorization: DESCRIBE on the cluster, else CLUSTER_AUTHORIZATION_FAILED
 * and no resources.
 *
 * Version notes: v0 has no pattern type filter: it matches LITERAL bindings
 * only (Kafka turns a v0 ANY into LITERAL). A filter with an UNKNOWN (0)
 * code is a request Kafka cannot parse and closes the connection for;
 * Samsa answers INVALID_REQUEST saying which field, and stays open.
 * v2+ is flexible. Samsa always runs its authorizer, so SECURITY_DISABLED is
 * never answered.
 */
import { ApiKey } from '../../wire/generated/api-keys.js';
import type { DescribeAclsRequest, DescribeAclsResponse, DescribeAclsResponseDescribeAclsResource } from '../../wire/generated/describe-acls.js';
import { ErrorCode } from '../../wire/errors.js';
import { defineHandler } from '../handler.js';
import { PatternType, aclKey, filterError, type AclBinding, type AclBindingFilter } from '../../security/acl.js';
import { AclOperation, allowedOnCluster, deniedMessage } from '../request-authorization.js';

/** The filter fields DescribeAcls and DeleteAcls share. */
export interface WireAclFilter {
  resourceTypeFilter: number; resourceNameFilter: string | null; patternTypeFilter?: number;
  principalFilter: string | null; hostFilter: string | null; operation: number; permissionType: number;
}

/** The filter a request carries; v0 has no pattern type and means LITERAL. */
export function aclFilterOf(f: WireAclFilter): AclBindingFilter {
  return {
    resourceType: f.resourceTypeFilter, resourceName: f.resourceNameFilter, patternType: f.patternTypeFilter ?? PatternType.LITERAL,
    principal: f.principalFilter, host: f.hostFilter, operation: f.operation, permissionType: f.permissionType,
  };
}

/** Bindings grouped by resource pattern, each group where its first binding comes. */
export function byResource(bindings: readonly AclBinding[]): DescribeAclsResponseDescribeAclsResource[] {
  const groups = new Map<string, DescribeAclsResponseDescribeAclsResource>();
  for (const b of bindings) {
    const key = JSON.stringify([b.resourceType, b.resourceName, b.patternType]);
    let r = groups.get(key);
    if (r === undefined) groups.set(key, r = { resourceType: b.resourceType, resourceName: b.resourceName, patternType: b.patternType, acls: [] });
    r.acls.push({ principal: b.principal, host: b.host, operation: b.operation, permissionType: b.permissionType });
  }
  return [...groups.values()];
}

const failed = (errorCode: number, errorMessage: string): DescribeAclsResponse => ({ throttleTimeMs: 0, errorCode, errorMessage, resources: [] });

export const describeAcls = defineHandler<DescribeAclsRequest, DescribeAclsResponse>({
  apiKey: ApiKey.DescribeAcls,
  minVersion: 0,
  maxVersion: 3,
  handle(ctx, req) {
    const filter = aclFilterOf(req);
    const invalid = filterError(filter);
    if (invalid !== undefined) return failed(ErrorCode.INVALID_REQUEST, invalid);
    if (!allowedOnCluster(ctx, AclOperation.DESCRIBE)) return failed(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, deniedMessage(ErrorCode.CLUSTER_AUTHORIZATION_FAILED));
    const matching = ctx.security.authorizer.matching(filter).sort((a, b) => (aclKey(a) < aclKey(b) ? -1 : aclKey(a) > aclKey(b) ? 1 : 0));
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, resources: byResource(matching) };
  },
  errorResponse: (_req, _version, errorCode, errorMessage) => failed(errorCode, errorMessage),
});
