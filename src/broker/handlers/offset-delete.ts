/**
 * OffsetDelete (API 47), v0.
 *
 * Behavior: removes a group's committed offsets for the partitions named.
 * GROUP_ID_NOT_FOUND for an unknown group; partitions of a topic that the
 * group's consumer members subscribe to get GROUP_SUBSCRIBED_TO_TOPIC (their
 * subscriptions are read from the members' ConsumerProtocolSubscription).
 *
 * Authorization: DELETE on the group, else GROUP_AUTHORIZATION_FAILED with no
 * partitions; READ on each topic, else its partitions are
 * TOPIC_AUTHORIZATION_FAILED and are not passed to the group.
 */
import { ApiKey } from '../../wire/generated/api-keys.js';
import type { OffsetDeleteRequest, OffsetDeleteResponse } from '../../wire/generated/offset-delete.js';
import { decodeConsumerProtocolSubscription } from '../../wire/generated/consumer-protocol-subscription.js';
import { Reader } from '../../wire/protocol/reader.js';
import { defineHandler } from '../handler.js';
import { ErrorCode } from '../../wire/errors.js';
import { AclOperation, ResourceType, allowed, checker } from '../request-authorization.js';

/** Topics of a consumer member's subscription (int16 version, then the struct); none when unreadable. */
function subscribedTopics(metadata: Buffer): string[] {
  try {
    return decodeConsumerProtocolSubscription(new Reader(metadata, 2), Math.min(metadata.readInt16BE(0), 3)).topics;
  } catch {
    return [];
  }
}

export const offsetDelete = defineHandler<OffsetDeleteRequest, OffsetDeleteResponse>({
  apiKey: ApiKey.OffsetDelete,
  minVersion: 0,
  maxVersion: 0,
  async handle(ctx, req) {
    if (!allowed(ctx, AclOperation.DELETE, ResourceType.GROUP, req.groupId)) return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, throttleTimeMs: 0, topics: [] };
    const mayRead = checker(ctx, AclOperation.READ, ResourceType.TOPIC);
    await ctx.groups.prepare(req.groupId);
    const readable = req.topics.filter((t) => mayRead(t.name));
    const r = ctx.groups.deleteOffsets(req.groupId, readable.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => p.partitionIndex) })), subscribedTopics);
    return {
      errorCode: r.errorCode,
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: !mayRead(t.name) ? ErrorCode.TOPIC_AUTHORIZATION_FAILED : r.partitions.find((x) => x.topic === t.name && x.partition === p.partitionIndex)?.errorCode ?? r.errorCode })),
      })),
    };
  },
});
