/**
 * AddOffsetsToTxn (API 25), v0-v4.
 *
 * Behavior: adds the group's __consumer_offsets partition to the producer's
 * transaction, so that a later TxnOffsetCommit's offsets are committed or
 * dropped with it. Errors as for AddPartitionsToTxn.
 *
 * Authorization, before anything else: WRITE on the transactional id (else
 * TRANSACTIONAL_ID_AUTHORIZATION_FAILED), then READ on the group (else
 * GROUP_AUTHORIZATION_FAILED).
 *
 * Version notes: PRODUCER_FENCED from v2, INVALID_PRODUCER_EPOCH before.
 */
import { ApiKey } from '../../wire/generated/api-keys.js';
import type { AddOffsetsToTxnRequest, AddOffsetsToTxnResponse } from '../../wire/generated/add-offsets-to-txn.js';
import { ErrorCode } from '../../wire/errors.js';
import { defineHandler } from '../handler.js';
import { fencedAs } from '../../coordinator/txn/transaction-coordinator.js';
import { OFFSETS_TOPIC } from '../../coordinator/group/offsets-topic.js';
import { AclOperation, ResourceType, allowed } from '../request-authorization.js';

export const addOffsetsToTxn = defineHandler<AddOffsetsToTxnRequest, AddOffsetsToTxnResponse>({
  apiKey: ApiKey.AddOffsetsToTxn,
  minVersion: 0,
  maxVersion: 4,
  async handle(ctx, req, version) {
    if (!allowed(ctx, AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, req.transactionalId)) return { throttleTimeMs: 0, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED };
    if (!allowed(ctx, AclOperation.READ, ResourceType.GROUP, req.groupId)) return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
    if (!req.groupId) return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_GROUP_ID };
    await ctx.txns.prepare(req.transactionalId);
    // The group's partition is only known once __consumer_offsets exists; the client looks for the group's coordinator next.
    try { await ctx.groups.ensureTopic(); } catch { return { throttleTimeMs: 0, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE }; }
    const partition = ctx.groups.partitionOf(req.groupId);
    const [r] = await ctx.txns.addPartitions(req.transactionalId, Number(req.producerId), req.producerEpoch, [{ topic: OFFSETS_TOPIC, partition }]);
    return { throttleTimeMs: 0, errorCode: fencedAs(r!.errorCode, version, 2) };
  },
});
