/**
 * DescribeGroups (API 15), v0-v5.
 *
 * Behavior: state, protocol type and chosen protocol, and each member with
 * its metadata and assignment. An unknown group is described as Dead with no
 * error, as Kafka does (v6's GROUP_ID_NOT_FOUND is not in these specs); so is
 * a consumer-protocol (KIP-848) group, as Kafka 4.0 answers v0-v5 for one
 * (clients describe those with ConsumerGroupDescribe).
 * A group whose __consumer_offsets partition this broker does not lead gets
 * NOT_COORDINATOR (COORDINATOR_LOAD_IN_PROGRESS while it loads).
 *
 * Authorization: DESCRIBE on each group, else GROUP_AUTHORIZATION_FAILED for
 * it. v3+ with include_authorized_operations: each group answered without an
 * error (Dead ones too) carries its authorized operations bit field.
 */
import { ApiKey } from '../../wire/generated/api-keys.js';
import type { DescribeGroupsRequest, DescribeGroupsResponse } from '../../wire/generated/describe-groups.js';
import { ErrorCode } from '../../wire/errors.js';
import { defineHandler } from '../handler.js';
import { AclOperation, OPERATIONS_NOT_REQUESTED, ResourceType, allowed, authorizedOperations } from '../request-authorization.js';

export const describeGroups = defineHandler<DescribeGroupsRequest, DescribeGroupsResponse>({
  apiKey: ApiKey.DescribeGroups,
  minVersion: 0,
  maxVersion: 5,
  async handle(ctx, req, version) {
    const mayDescribe = new Map(req.groups.map((id) => [id, allowed(ctx, AclOperation.DESCRIBE, ResourceType.GROUP, id)]));
    await Promise.all(req.groups.filter((id) => mayDescribe.get(id)).map((id) => ctx.groups.prepare(id)));
    const withOperations = version >= 3 && req.includeAuthorizedOperations === true;
    const groups = req.groups.map((id) => {
      if (!mayDescribe.get(id)) return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, groupId: id, groupState: '', protocolType: '', protocolData: '', members: [], authorizedOperations: OPERATIONS_NOT_REQUESTED };
      const status = ctx.groups.coordinatorStatus(id);
      if (status !== ErrorCode.NONE) return { errorCode: status, groupId: id, groupState: '', protocolType: '', protocolData: '', members: [], authorizedOperations: OPERATIONS_NOT_REQUESTED };
      const g = ctx.groups.group(id);
      if (!g) return { errorCode: ErrorCode.NONE, groupId: id, groupState: 'Dead', protocolType: '', protocolData: '', members: [], authorizedOperations: OPERATIONS_NOT_REQUESTED };
      return {
        errorCode: ErrorCode.NONE, groupId: id, groupState: g.state, protocolType: g.protocolType ?? '', protocolData: g.state === 'Stable' || g.state === 'CompletingRebalance' ? g.protocolName ?? '' : '',
        members: [...g.members.values()].map((m) => ({
          memberId: m.memberId, groupInstanceId: m.groupInstanceId, clientId: m.clientId, clientHost: m.clientHost,
          memberMetadata: m.protocols.find((p) => p.name === g.protocolName)?.metadata ?? Buffer.alloc(0), memberAssignment: m.assignment,
        })),
        authorizedOperations: OPERATIONS_NOT_REQUESTED,
      };
    });
    if (withOperations) for (const g of groups) if (g.errorCode === ErrorCode.NONE) g.authorizedOperations = authorizedOperations(ctx, ResourceType.GROUP, g.groupId);
    return { throttleTimeMs: 0, groups };
  },
});
