/**
 * SyncGroup (API 14), v0-v5.
 *
 * Behavior: the leader's assignment is stored and relayed; followers wait for
 * it. UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION, REBALANCE_IN_PROGRESS as Kafka;
 * v5+ checks protocol type and name (INCONSISTENT_GROUP_PROTOCOL). v3+
 * carries group_instance_id: a replaced static member is FENCED_INSTANCE_ID.
 *
 * Authorization: READ on the group, else GROUP_AUTHORIZATION_FAILED.
 */
import { ApiKey } from '../../wire/generated/api-keys.js';
import type { SyncGroupRequest, SyncGroupResponse } from '../../wire/generated/sync-group.js';
import { defineHandler } from '../handler.js';
import { ErrorCode } from '../../wire/errors.js';
import { AclOperation, ResourceType, allowed } from '../request-authorization.js';

export const syncGroup = defineHandler<SyncGroupRequest, SyncGroupResponse>({
  apiKey: ApiKey.SyncGroup,
  minVersion: 0,
  maxVersion: 5,
  async handle(ctx, req, version) {
    if (!allowed(ctx, AclOperation.READ, ResourceType.GROUP, req.groupId)) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) };
    }
    await ctx.groups.prepare(req.groupId);
    const r = await ctx.groups.sync(req.groupId, req.generationId, req.memberId,
      version >= 5 ? req.protocolType ?? null : null, version >= 5 ? req.protocolName ?? null : null, req.assignments,
      version >= 3 ? req.groupInstanceId ?? null : null);
    return { throttleTimeMs: 0, errorCode: r.errorCode, protocolType: r.protocolType, protocolName: r.protocolName, assignment: r.assignment };
  },
});
