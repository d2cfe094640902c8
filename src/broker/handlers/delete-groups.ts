/**
 * DeleteGroups (API 42), v0-v2.
 *
 * Behavior: removes a group without members and its offsets, classic or
 * consumer-protocol (KIP-848: its records tombstoned); NON_EMPTY_GROUP while
 * members remain, GROUP_ID_NOT_FOUND for unknown groups.
 *
 * Authorization: DELETE on each group, else GROUP_AUTHORIZATION_FAILED for it.
 */
import { ApiKey } from '../../wire/generated/api-keys.js';
import type { DeleteGroupsRequest, DeleteGroupsResponse } from '../../wire/generated/delete-groups.js';
import { defineHandler } from '../handler.js';
import { ErrorCode } from '../../wire/errors.js';
import { AclOperation, ResourceType, checker } from '../request-authorization.js';

export const deleteGroups = defineHandler<DeleteGroupsRequest, DeleteGroupsResponse>({
  apiKey: ApiKey.DeleteGroups,
  minVersion: 0,
  maxVersion: 2,
  async handle(ctx, req) {
    const mayDelete = checker(ctx, AclOperation.DELETE, ResourceType.GROUP);
    await Promise.all(req.groupsNames.filter(mayDelete).map((id) => ctx.groups.prepare(id)));
    return {
      throttleTimeMs: 0,
      results: req.groupsNames.map((groupId) => ({ groupId, errorCode: mayDelete(groupId) ? ctx.groups.deleteGroup(groupId) : ErrorCode.GROUP_AUTHORIZATION_FAILED })),
    };
  },
});
