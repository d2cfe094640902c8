/**
 * DescribeClientQuotas (API 48), v0-v1.
 *
 * Behavior: the quota entities of the cluster metadata ('quota' security
 * records) that match the filter, each with all its values. Filter rules are
 * Kafka's (quota-entity.ts filterError/matchesFilter): EXACT a name, DEFAULT
 * the default entity, SPECIFIED any entity of the type, the <default> one
 * included; strict leaves out entities with types the filter does not name.
 * A bad filter is INVALID_REQUEST (UNSUPPORTED_VERSION for an unknown entity
 * type) at the top level with entries null, as is CLUSTER_AUTHORIZATION_FAILED
 * without DESCRIBE_CONFIGS on the cluster. Entities are listed user before
 * client-id, a default entity's name null; entries sorted by entity.
 *
 * Version notes: v1 is the flexible version of v0.
 */
import { ApiKey } from '../../wire/generated/api-keys.js';
import type { DescribeClientQuotasRequest, DescribeClientQuotasResponse } from '../../wire/generated/describe-client-quotas.js';
import { ErrorCode } from '../../wire/errors.js';
import { entityToWire, filterError, matchesFilter, parseEntityKey } from '../../security/quota-entity.js';
import { defineHandler } from '../handler.js';
import { AclOperation, allowedOnCluster, deniedMessage } from '../request-authorization.js';

const refused = (errorCode: number, errorMessage: string): DescribeClientQuotasResponse => ({ throttleTimeMs: 0, errorCode, errorMessage, entries: null });

export const describeClientQuotas = defineHandler<DescribeClientQuotasRequest, DescribeClientQuotasResponse>({
  apiKey: ApiKey.DescribeClientQuotas,
  minVersion: 0,
  maxVersion: 1,
  handle(ctx, req) {
    if (!allowedOnCluster(ctx, AclOperation.DESCRIBE_CONFIGS)) return refused(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, deniedMessage(ErrorCode.CLUSTER_AUTHORIZATION_FAILED));
    const problem = filterError(req.components);
    if (problem) return refused(problem.code, problem.message);

    const entries = [];
    const stored = ctx.metadata.securityRecords('quota');
    for (const key of [...stored.keys()].sort()) {
      let entity;
      let values: Record<string, number>;
      try {
        entity = parseEntityKey(key);
        values = JSON.parse(stored.get(key)!) as Record<string, number>;
      } catch {
        continue; // BrokerSecurity already warned about this record when it was applied
      }
      if (!matchesFilter(entity, req.components, req.strict)) continue;
      entries.push({ entity: entityToWire(entity), values: Object.entries(values).map(([k, value]) => ({ key: k, value })) });
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, entries };
  },
  errorResponse: (_req, _version, errorCode, errorMessage) => refused(errorCode, errorMessage),
});
