/**
 * LeaveGroup (API 13), v0-v5.
 *
 * Behavior: the members leave at once and the group rebalances without
 * waiting for their session timeout. v0-v2 name one member; v3+ a batch
 * (by member id or group.instance.id), each with its own error code, as
 * Kafka's classicGroupLeave: an empty member id with an instance id removes
 * that static member (admin removal); a member id handed out with
 * MEMBER_ID_REQUIRED and not yet joined is dropped; a member id with an
 * instance id whose current member is another gets FENCED_INSTANCE_ID and
 * removes nobody. An unknown group: UNKNOWN_MEMBER_ID for the request.
 *
 * Authorization: READ on the group, else GROUP_AUTHORIZATION_FAILED for the
 * request (no member results).
 */
import { ApiKey } from '../../wire/generated/api-keys.js';
import type { LeaveGroupRequest, LeaveGroupResponse } from '../../wire/generated/leave-group.js';
import { defineHandler } from '../handler.js';
import { ErrorCode } from '../../wire/errors.js';
import { AclOperation, ResourceType, allowed } from '../request-authorization.js';

export const leaveGroup = defineHandler<LeaveGroupRequest, LeaveGroupResponse>({
  apiKey: ApiKey.LeaveGroup,
  minVersion: 0,
  maxVersion: 5,
  async handle(ctx, req, version) {
    if (!allowed(ctx, AclOperation.READ, ResourceType.GROUP, req.groupId)) return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, members: [] };
    await ctx.groups.prepare(req.groupId);
    const members = version >= 3 ? (req.members ?? []).map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId })) : [{ memberId: req.memberId ?? '', groupInstanceId: null }];
    const r = ctx.groups.leave(req.groupId, members);
    return { throttleTimeMs: 0, errorCode: version >= 3 ? r.errorCode : r.members[0]?.errorCode ?? r.errorCode, members: r.members };
  },
});
