/**
 * TxnOffsetCommit (API 28), v0-v4.
 *
 * Behavior: offsets committed inside a transaction. First the transaction
 * coordinator verifies that the group's __consumer_offsets partition is in
 * the producer's open transaction, as Kafka 3.6+ does for every version
 * (KIP-890 part 1, transaction.partition.verification.enable's default; Kafka
 * 2.4 answered NONE and kept the offsets pending): an unknown transactional
 * id or another producer id is INVALID_PRODUCER_ID_MAPPING, another epoch
 * INVALID_PRODUCER_EPOCH, an empty transactional id INVALID_REQUEST, a
 * transaction being completed CONCURRENT_TRANSACTIONS, and no AddOffsetsToTxn
 * first INVALID_TXN_STATE. The offsets are written as the producer's
 * transactional records and become visible to OffsetFetch only when the
 * transaction commits. v3+ member id / generation / group instance id are
 * checked like OffsetCommit's (UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION,
 * FENCED_INSTANCE_ID). To a consumer-protocol (KIP-848) group the member
 * epoch goes in generation_id, as Kafka has it: an unknown member is
 * UNKNOWN_MEMBER_ID, another epoch ILLEGAL_GENERATION. Unknown partitions get
 * UNKNOWN_TOPIC_OR_PARTITION.
 *
 * Version notes: v4 (KIP-890) gets TRANSACTION_ABORTABLE instead of
 * INVALID_TXN_STATE for a group not added to the transaction.
 *
 * A group whose __consumer_offsets partition this broker does not lead gets
 * NOT_COORDINATOR (COORDINATOR_LOAD_IN_PROGRESS while it loads).
 *
 * Authorization, before anything else (KafkaApis.handleTxnOffsetCommitRequest):
 * WRITE on the transactional id, then READ on the group, each refusal on
 * every partition (TRANSACTIONAL_ID_ / GROUP_AUTHORIZATION_FAILED); READ on
 * each topic, else its partitions are TOPIC_AUTHORIZATION_FAILED (before
 * UNKNOWN_TOPIC_OR_PARTITION). With no partition left, nothing is verified
 * or written, as in Kafka.
 */
import { ApiKey } from '../../wire/generated/api-keys.js';
import type { TxnOffsetCommitRequest, TxnOffsetCommitResponse } from '../../wire/generated/txn-offset-commit.js';
import { ErrorCode } from '../../wire/errors.js';
import { defineHandler, errorEntry } from '../handler.js';
import { OFFSETS_TOPIC } from '../../coordinator/group/offsets-topic.js';
import { AclOperation, ResourceType, allowed, checker } from '../request-authorization.js';

export const txnOffsetCommit = defineHandler<TxnOffsetCommitRequest, TxnOffsetCommitResponse>({
  apiKey: ApiKey.TxnOffsetCommit,
  minVersion: 0,
  maxVersion: 4,
  async handle(ctx, req, version) {
    const answer = (codeOf: (topic: string, partition: number) => number): TxnOffsetCommitResponse => ({
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: codeOf(t.name, p.partitionIndex) })) })),
    });
    if (!allowed(ctx, AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, req.transactionalId)) return answer(() => ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    if (!allowed(ctx, AclOperation.READ, ResourceType.GROUP, req.groupId)) return answer(() => ErrorCode.GROUP_AUTHORIZATION_FAILED);
    const mayRead = checker(ctx, AclOperation.READ, ResourceType.TOPIC);
    const known = (topic: string, p: number) => { const t = ctx.metadata.topic(topic); return t !== undefined && p >= 0 && p < t.partitions; };
    // NONE: the partition goes on to the transaction and group checks.
    const refusal = (topic: string, p: number) => (!mayRead(topic) ? ErrorCode.TOPIC_AUTHORIZATION_FAILED : !known(topic, p) ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.NONE);
    if (!req.topics.some((t) => t.partitions.some((p) => refusal(t.name, p.partitionIndex) === ErrorCode.NONE))) return answer(refusal);
    if (req.groupId) await ctx.groups.prepare(req.groupId);
    const now = Date.now();
    const producerId = Number(req.producerId);
    let code: number = req.groupId ? ErrorCode.NONE : ErrorCode.INVALID_GROUP_ID;
    // Kafka's group coordinator answers for its groups before the transaction is verified.
    if (code === ErrorCode.NONE) code = ctx.groups.coordinatorStatus(req.groupId);
    if (code === ErrorCode.NONE) code = ctx.txns.verifyOffsetsPartition(req.transactionalId, producerId, req.producerEpoch, OFFSETS_TOPIC, ctx.groups.partitionOf(req.groupId), version, 4);
    if (code === ErrorCode.NONE) {
      const offsets = req.topics.flatMap((t) => t.partitions.filter((p) => refusal(t.name, p.partitionIndex) === ErrorCode.NONE).map((p) => ({
        topic: t.name, partition: p.partitionIndex,
        offset: { offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch ?? -1, metadata: p.committedMetadata, commitTimestamp: now },
      })));
      code = ctx.groups.txnCommit(req.groupId, { producerId, producerEpoch: req.producerEpoch }, req.generationId ?? -1, req.memberId ?? '', req.groupInstanceId ?? null, offsets);
      if (code === ErrorCode.NONE) {
        try { await ctx.groups.written(req.groupId); } catch (err) { code = errorEntry(ctx, err, 'TxnOffsetCommit').errorCode; }
      }
    }
    return answer((topic, p) => refusal(topic, p) || code);
  },
});
