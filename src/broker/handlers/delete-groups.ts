/**
 * DeleteGroups (API 42), v0-v2.
 *
 * Behavior: removes a group without members and its offsets;
 * NON_EMPTY_GROUP while members remain, GROUP_ID_NOT_FOUND for unknown groups.
 */
import { ApiKey } from '../../wire/generated/api-keys.js';
import type { DeleteGroupsRequest, DeleteGroupsResponse } from '../../wire/generated/delete-groups.js';
import { defineHandler } from '../handler.js';

export const deleteGroups = defineHandler<DeleteGroupsRequest, DeleteGroupsResponse>({
  apiKey: ApiKey.DeleteGroups,
  minVersion: 0,
  maxVersion: 2,
  async handle(ctx, req) {
    await Promise.all(req.groupsNames.map((id) => ctx.groups.prepare(id)));
    return { throttleTimeMs: 0, results: req.groupsNames.map((groupId) => ({ groupId, errorCode: ctx.groups.deleteGroup(groupId) })) };
  },
});
