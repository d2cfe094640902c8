/**
 * Heartbeat (API 12), v0-v4.
 *
 * Behavior: keeps a member's session alive; REBALANCE_IN_PROGRESS tells it to
 * rejoin; UNKNOWN_MEMBER_ID / ILLEGAL_GENERATION for stale members.
 *
 * Version notes: v3+ carries group_instance_id; a static member replaced by a
 * later join with the same instance id gets FENCED_INSTANCE_ID (Kafka's
 * ClassicGroup.validateMember), one unknown to the group UNKNOWN_MEMBER_ID.
 *
 * Authorization: READ on the group, else GROUP_AUTHORIZATION_FAILED.
 */
import { ApiKey } from '../../wire/generated/api-keys.js';
import type { HeartbeatRequest, HeartbeatResponse } from '../../wire/generated/heartbeat.js';
import { defineHandler } from '../handler.js';
import { ErrorCode } from '../../wire/errors.js';
import { AclOperation, ResourceType, allowed } from '../request-authorization.js';

export const heartbeat = defineHandler<HeartbeatRequest, HeartbeatResponse>({
  apiKey: ApiKey.Heartbeat,
  minVersion: 0,
  maxVersion: 4,
  async handle(ctx, req, version) {
    if (!allowed(ctx, AclOperation.READ, ResourceType.GROUP, req.groupId)) return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
    await ctx.groups.prepare(req.groupId);
    return { throttleTimeMs: 0, errorCode: ctx.groups.heartbeat(req.groupId, req.generationId, req.memberId, version >= 3 ? req.groupInstanceId ?? null : null) };
  },
});
