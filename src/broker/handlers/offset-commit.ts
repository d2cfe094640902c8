/**
 * OffsetCommit (API 8), v1-v9.
 *
 * Behavior: validated as Kafka's classic group (GroupCoordinator.commit):
 * a member commits with its generation (UNKNOWN_MEMBER_ID,
 * ILLEGAL_GENERATION otherwise; v7+ FENCED_INSTANCE_ID for a replaced static
 * member), also while the group is preparing a rebalance (the commit a
 * consumer makes as it gives partitions up), but not between join and sync
 * (REBALANCE_IN_PROGRESS); generation -1 commits for an Empty or missing
 * group (consumers that assign partitions themselves, admin tools) and is
 * UNKNOWN_MEMBER_ID without a member id to a group with members; generation
 * >= 0 to a missing group: ILLEGAL_GENERATION, GROUP_ID_NOT_FOUND from v9.
 * A null committed_metadata is stored as "".
 *
 * To a consumer-protocol (KIP-848) group, validated as Kafka's ConsumerGroup:
 * generation_id_or_member_epoch carries the member epoch; -1 without members
 * commits (admin tools); otherwise the member id must be a member
 * (UNKNOWN_MEMBER_ID) and the epoch its own (STALE_MEMBER_EPOCH); such a
 * member committing with v8 or older gets UNSUPPORTED_VERSION.
 *
 * Unknown topic or partition:
 * UNKNOWN_TOPIC_OR_PARTITION for that entry. The answer is sent once the
 * offset records are committed to __consumer_offsets (replicated); a group
 * whose partition this broker does not lead gets NOT_COORDINATOR, one still
 * loading COORDINATOR_LOAD_IN_PROGRESS, and a failed write the coordinator
 * error Kafka maps it to (NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE,
 * INVALID_COMMIT_OFFSET_SIZE).
 *
 * Authorization (KafkaApis.handleOffsetCommitRequest): READ on the group,
 * else every partition is GROUP_AUTHORIZATION_FAILED; READ on each topic,
 * else its partitions are TOPIC_AUTHORIZATION_FAILED (before
 * UNKNOWN_TOPIC_OR_PARTITION). When no partition is left to commit, the
 * group is not consulted, as in Kafka.
 *
 * Version notes: v1 (deprecated, removed in Kafka 4.0) is served as Kafka 3.x
 * does, because older sarama (Debian 12's 1.22.1) commits with it unless
 * Consumer.Offsets.Retention is set. Its per-partition commit_timestamp is
 * ignored: the commit time is the broker's (Kafka 3.x takes a client's
 * timestamp other than -1; sarama sends -1). v0 (ZooKeeper-era storage) is
 * not served.
 */
import { ApiKey } from '../../wire/generated/api-keys.js';
import type { OffsetCommitRequest, OffsetCommitResponse } from '../../wire/generated/offset-commit.js';
import { ErrorCode } from '../../wire/errors.js';
import { defineHandler, errorEntry } from '../handler.js';
import { AclOperation, ResourceType, allowed, checker } from '../request-authorization.js';

export const offsetCommit = defineHandler<OffsetCommitRequest, OffsetCommitResponse>({
  apiKey: ApiKey.OffsetCommit,
  minVersion: 1,
  maxVersion: 9,
  async handle(ctx, req, version) {
    const answer = (codeOf: (topic: string, partition: number) => number): OffsetCommitResponse => ({
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: codeOf(t.name, p.partitionIndex) })) })),
    });
    if (!allowed(ctx, AclOperation.READ, ResourceType.GROUP, req.groupId)) return answer(() => ErrorCode.GROUP_AUTHORIZATION_FAILED);
    const mayRead = checker(ctx, AclOperation.READ, ResourceType.TOPIC);
    const known = (topic: string, p: number) => { const t = ctx.metadata.topic(topic); return t !== undefined && p >= 0 && p < t.partitions; };
    // NONE: the partition goes to the group coordinator.
    const refusal = (topic: string, p: number) => (!mayRead(topic) ? ErrorCode.TOPIC_AUTHORIZATION_FAILED : !known(topic, p) ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.NONE);
    const now = Date.now();
    const offsets = req.topics.flatMap((t) => t.partitions.filter((p) => refusal(t.name, p.partitionIndex) === ErrorCode.NONE).map((p) => ({
      topic: t.name, partition: p.partitionIndex,
      offset: { offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch ?? -1, metadata: p.committedMetadata, commitTimestamp: now },
    })));
    if (offsets.length === 0) return answer(refusal);
    await ctx.groups.prepare(req.groupId);
    let code = ctx.groups.commit(req.groupId, req.generationIdOrMemberEpoch ?? -1, req.memberId ?? '', offsets, version >= 7 ? req.groupInstanceId ?? null : null, version);
    // Answer once the offset records are in __consumer_offsets.
    if (code === ErrorCode.NONE) {
      try { await ctx.groups.written(req.groupId); } catch (err) { code = errorEntry(ctx, err, 'OffsetCommit').errorCode; }
    }
    return answer((topic, p) => refusal(topic, p) || code);
  },
});
