/**
 * OffsetFetch (API 9), v1-v9.
 *
 * Behavior: committed offsets of a group; a partition with none gets offset
 * -1 and empty metadata. A null topic list (v2+) means every topic the group
 * has offsets for. v8+ asks for several groups at once. Offsets committed in
 * an open transaction are not shown; with require_stable (v7+) such a
 * partition gets UNSTABLE_OFFSET_COMMIT (retriable) instead, as in Kafka.
 * A group whose __consumer_offsets partition this broker does not lead gets
 * NOT_COORDINATOR (COORDINATOR_LOAD_IN_PROGRESS while it loads): per group
 * from v8, at the top from v2, per partition before.
 *
 * v9 (KIP-848): a member of a consumer-protocol group sends its member id
 * and epoch: an unknown member is UNKNOWN_MEMBER_ID, another epoch
 * STALE_MEMBER_EPOCH (for the group); no member id with epoch -1 (admin
 * tools) reads freely, and classic groups take any.
 *
 * Authorization: DESCRIBE on the group, else GROUP_AUTHORIZATION_FAILED
 * where a group error goes (above). DESCRIBE on each topic: asked for all
 * topics, those the principal may not describe are left out; named, they get
 * TOPIC_AUTHORIZATION_FAILED with offset -1.
 *
 * Difference from Kafka: v1 has no top-level error, so a group error is put
 * on each partition asked for (Kafka answers v1 with no partitions then).
 */
import { ApiKey } from '../../wire/generated/api-keys.js';
import type { OffsetFetchRequest, OffsetFetchResponse } from '../../wire/generated/offset-fetch.js';
import { ErrorCode } from '../../wire/errors.js';
import { defineHandler } from '../handler.js';
import type { BrokerContext } from '../broker-context.js';
import { AclOperation, ResourceType, allowed, checker } from '../request-authorization.js';

function topicsOf(ctx: BrokerContext, groupId: string, wanted: { name: string; partitionIndexes: number[] }[] | null, requireStable: boolean, mayDescribe: (topic: string) => boolean) {
  const offsets = ctx.groups.committedOffsets(groupId);
  const list = wanted ?? [...(offsets ?? new Map()).entries()].map(([name, parts]) => ({ name, partitionIndexes: [...parts.keys()] })).filter((t) => mayDescribe(t.name));
  return list.map((t) => ({
    name: t.name,
    partitions: t.partitionIndexes.map((p) => {
      if (!mayDescribe(t.name)) return { partitionIndex: p, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED };
      if (requireStable && ctx.groups.hasPendingTxnOffset(groupId, t.name, p)) {
        return { partitionIndex: p, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT };
      }
      const o = offsets?.get(t.name)?.get(p);
      return { partitionIndex: p, committedOffset: o?.offset ?? -1n, committedLeaderEpoch: o?.leaderEpoch ?? -1, metadata: o ? o.metadata : '', errorCode: ErrorCode.NONE };
    }),
  }));
}

export const offsetFetch = defineHandler<OffsetFetchRequest, OffsetFetchResponse>({
  apiKey: ApiKey.OffsetFetch,
  minVersion: 1,
  maxVersion: 9,
  async handle(ctx, req, version) {
    const mayDescribe = checker(ctx, AclOperation.DESCRIBE, ResourceType.TOPIC);
    const groupAllowed = (id: string) => allowed(ctx, AclOperation.DESCRIBE, ResourceType.GROUP, id);
    const statusOf = (id: string) => (groupAllowed(id) ? ctx.groups.coordinatorStatus(id) : ErrorCode.GROUP_AUTHORIZATION_FAILED);
    const ids = version >= 8 ? (req.groups ?? []).map((g) => g.groupId) : [req.groupId ?? ''];
    await Promise.all(ids.filter(groupAllowed).map((id) => ctx.groups.prepare(id)));
    if (version >= 8) {
      return {
        throttleTimeMs: 0,
        groups: (req.groups ?? []).map((g) => {
          let status = statusOf(g.groupId);
          // v9: a consumer-protocol member fetches with its member id and epoch.
          if (status === ErrorCode.NONE && version >= 9) status = ctx.groups.validateOffsetFetch(g.groupId, g.memberId ?? null, g.memberEpoch ?? -1);
          return { groupId: g.groupId, topics: status === ErrorCode.NONE ? topicsOf(ctx, g.groupId, g.topics, req.requireStable ?? false, mayDescribe) : [], errorCode: status };
        }),
      };
    }
    const groupId = req.groupId ?? '';
    const status = statusOf(groupId);
    if (status !== ErrorCode.NONE) {
      // Before v2 there is no top-level error: each partition carries it.
      const topics = (req.topics ?? []).map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((p) => ({ partitionIndex: p, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: status })) }));
      return { throttleTimeMs: 0, errorCode: status, topics: version >= 2 ? [] : topics };
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, topics: topicsOf(ctx, groupId, req.topics ?? null, req.requireStable ?? false, mayDescribe) };
  },
});
