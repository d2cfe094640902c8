/**
 * Heartbeat (API 12), v0-v4.
 *
 * Behavior: keeps a member's session alive; REBALANCE_IN_PROGRESS tells it to
 * rejoin; UNKNOWN_MEMBER_ID / ILLEGAL_GENERATION for stale members.
 */
import { ApiKey } from '../../wire/generated/api-keys.js';
import type { HeartbeatRequest, HeartbeatResponse } from '../../wire/generated/heartbeat.js';
import { defineHandler } from '../handler.js';

export const heartbeat = defineHandler<HeartbeatRequest, HeartbeatResponse>({
  apiKey: ApiKey.Heartbeat,
  minVersion: 0,
  maxVersion: 4,
  handle(ctx, req) {
    return { throttleTimeMs: 0, errorCode: ctx.groups.heartbeat(req.groupId, req.generationId, req.memberId) };
  },
});
