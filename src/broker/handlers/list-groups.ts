/**
 * ListGroups (API 16), v0-v5.
 *
 * Behavior: the groups of the __consumer_offsets partitions this broker
 * leads (clients ask every broker), with their protocol type;
 * v4+ filters by state (case-insensitive; a consumer-protocol group's states
 * are Empty, Assigning, Reconciling, Stable), v5+ by type: "classic" or
 * "consumer" (KIP-848 groups, protocol type "consumer").
 *
 * Authorization: DESCRIBE on the cluster lists every group; without it only
 * the groups the principal may DESCRIBE are listed.
 */
import { ApiKey } from '../../wire/generated/api-keys.js';
import type { ListGroupsRequest, ListGroupsResponse } from '../../wire/generated/list-groups.js';
import { ErrorCode } from '../../wire/errors.js';
import { defineHandler } from '../handler.js';
import { AclOperation, ResourceType, allowedOnCluster, checker } from '../request-authorization.js';

export const listGroups = defineHandler<ListGroupsRequest, ListGroupsResponse>({
  apiKey: ApiKey.ListGroups,
  minVersion: 0,
  maxVersion: 5,
  handle(ctx, req) {
    const states = (req.statesFilter ?? []).map((s) => s.toLowerCase());
    const types = (req.typesFilter ?? []).map((s) => s.toLowerCase());
    const mayDescribe = allowedOnCluster(ctx, AclOperation.DESCRIBE) ? () => true : checker(ctx, AclOperation.DESCRIBE, ResourceType.GROUP);
    const groups = ctx.groups.all()
      .filter((g) => mayDescribe(g.groupId))
      .filter((g) => states.length === 0 || states.includes(g.state.toLowerCase()))
      .filter((g) => types.length === 0 || types.includes(g.type))
      .map((g) => ({ groupId: g.groupId, protocolType: g.protocolType ?? '', groupState: g.state, groupType: g.type }));
    // As Kafka: the groups already loaded, with COORDINATOR_LOAD_IN_PROGRESS while some partition still loads.
    return { throttleTimeMs: 0, errorCode: ctx.groups.loading() ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : ErrorCode.NONE, groups };
  },
});
