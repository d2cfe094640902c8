/**
 * JoinGroup (API 11), v0-v9.
 *
 * Behavior: the classic protocol (src/coordinator/group). The answer waits
 * until the rebalance completes: every known member rejoined, or the
 * rebalance timeout passed. v4+: a join without a member id gets
 * MEMBER_ID_REQUIRED and an id to rejoin with (KIP-394), which lapses after
 * the session timeout if unused, as in Kafka. The leader receives
 * the members and their metadata for the chosen protocol.
 *
 * Static members (group.instance.id, v5+): one that comes back under a new
 * member id replaces its old self and, in a Stable group, keeps its
 * assignment with no rebalance; a stale member id gets FENCED_INSTANCE_ID.
 * A returning static leader gets the member list with skip_assignment (v9,
 * KIP-814): it must not compute a new assignment that SyncGroup would ignore.
 *
 * Authorization: READ on the group, else GROUP_AUTHORIZATION_FAILED.
 *
 * Version notes: v0 has no rebalance timeout (the session timeout is used).
 */
import { ApiKey } from '../../wire/generated/api-keys.js';
import type { JoinGroupRequest, JoinGroupResponse } from '../../wire/generated/join-group.js';
import { defineHandler } from '../handler.js';
import { ErrorCode } from '../../wire/errors.js';
import { AclOperation, ResourceType, allowed } from '../request-authorization.js';

export const joinGroup = defineHandler<JoinGroupRequest, JoinGroupResponse>({
  apiKey: ApiKey.JoinGroup,
  minVersion: 0,
  maxVersion: 9,
  async handle(ctx, req, version) {
    if (!allowed(ctx, AclOperation.READ, ResourceType.GROUP, req.groupId)) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, generationId: -1, protocolType: null, protocolName: version >= 7 ? null : '', leader: '', skipAssignment: false, memberId: '', members: [] };
    }
    await ctx.groups.prepare(req.groupId);
    const r = await ctx.groups.join({
      groupId: req.groupId, memberId: req.memberId, groupInstanceId: req.groupInstanceId ?? null,
      clientId: ctx.clientId ?? '', clientHost: ctx.clientHost,
      sessionTimeoutMs: req.sessionTimeoutMs, rebalanceTimeoutMs: version >= 1 ? req.rebalanceTimeoutMs ?? req.sessionTimeoutMs : req.sessionTimeoutMs,
      protocolType: req.protocolType, protocols: req.protocols, requireKnownMemberId: version >= 4,
    });
    // protocol_name is nullable only from v7; error answers carry "" before that.
    return { throttleTimeMs: 0, ...r, protocolName: r.protocolName ?? (version >= 7 ? null : ''), skipAssignment: r.skipAssignment ?? false };
  },
});
