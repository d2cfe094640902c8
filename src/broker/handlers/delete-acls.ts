/**
 * DeleteAcls (API 31), v0-v3.
 *
 * Behavior: each filter removes the bindings it matches (acl.ts
 * matchesFilter, as DescribeAcls) and answers them as its matching ACLs,
 * each with NONE; a filter with a code outside the enums is INVALID_REQUEST
 * with the reason (Kafka's AclControlManager.validateFilter) and removes
 * nothing. A binding matched by several filters is listed by each and
 * removed once. The removals of the whole request are written to the cluster
 * metadata together, and the answer waits until this broker's authorizer no
 * longer has them.
 *
 * Authorization: ALTER on the cluster, else CLUSTER_AUTHORIZATION_FAILED for
 * every filter.
 *
 * Version notes: v0 has no pattern type filter: it matches LITERAL bindings
 * only, and the matching ACLs carry no pattern type. A filter with an
 * UNKNOWN (0) code is a request Kafka cannot parse and closes the
 * connection for; Samsa answers that filter INVALID_REQUEST. v2+ is flexible.
 */
import { ApiKey } from '../../wire/generated/api-keys.js';
import type { DeleteAclsRequest, DeleteAclsResponse, DeleteAclsResponseDeleteAclsFilterResult } from '../../wire/generated/delete-acls.js';
import { ErrorCode } from '../../wire/errors.js';
import { defineHandler } from '../handler.js';
import { aclKey, describeBinding, filterError, type AclBinding } from '../../security/acl.js';
import { AclOperation, allowedOnCluster, deniedMessage } from '../request-authorization.js';
import { aclFilterOf } from './describe-acls.js';

const failed = (req: DeleteAclsRequest, errorCode: number, errorMessage: string): DeleteAclsResponse =>
  ({ throttleTimeMs: 0, filterResults: req.filters.map(() => ({ errorCode, errorMessage, matchingAcls: [] })) });

export const deleteAcls = defineHandler<DeleteAclsRequest, DeleteAclsResponse>({
  apiKey: ApiKey.DeleteAcls,
  minVersion: 0,
  maxVersion: 3,
  async handle(ctx, req) {
    const filters = req.filters.map(aclFilterOf);
    if (!allowedOnCluster(ctx, AclOperation.ALTER)) return failed(req, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, deniedMessage(ErrorCode.CLUSTER_AUTHORIZATION_FAILED));
    const removed = new Map<string, AclBinding>();
    const filterResults = filters.map((f): DeleteAclsResponseDeleteAclsFilterResult => {
      const invalid = filterError(f);
      if (invalid !== undefined) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: invalid, matchingAcls: [] };
      const matching = ctx.security.authorizer.matching(f);
      for (const b of matching) removed.set(aclKey(b), b);
      return {
        errorCode: ErrorCode.NONE, errorMessage: null,
        matchingAcls: matching.map((b) => ({
          errorCode: ErrorCode.NONE, errorMessage: null, resourceType: b.resourceType, resourceName: b.resourceName, patternType: b.patternType,
          principal: b.principal, host: b.host, operation: b.operation, permissionType: b.permissionType,
        })),
      };
    });
    if (removed.size > 0) await ctx.security.write([...removed.keys()].map((key) => ({ kind: 'acl' as const, key, value: null })));
    for (const b of removed.values()) ctx.log.info(`ACL removed by ${ctx.session.principal}: ${describeBinding(b)}`);
    return { throttleTimeMs: 0, filterResults };
  },
  errorResponse: (req, _version, errorCode, errorMessage) => failed(req, errorCode, errorMessage),
});
