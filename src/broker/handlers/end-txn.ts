/**
 * EndTxn (API 26), v0-v4.
 *
 * Behavior: commits or aborts the producer's open transaction: markers are
 * written to every partition in it (and the transaction's offsets become
 * visible or are dropped) before the answer. A retry after completion gets
 * NONE; the other outcome of a completed transaction, or no transaction,
 * is INVALID_TXN_STATE; while markers are being written, CONCURRENT_TRANSACTIONS.
 *
 * Authorization: WRITE on the transactional id, else
 * TRANSACTIONAL_ID_AUTHORIZATION_FAILED.
 *
 * Version notes: PRODUCER_FENCED from v2, INVALID_PRODUCER_EPOCH before. v5
 * (KIP-890 part 2, an epoch bump per transaction) is not served.
 */
import { ApiKey } from '../../wire/generated/api-keys.js';
import type { EndTxnRequest, EndTxnResponse } from '../../wire/generated/end-txn.js';
import { defineHandler } from '../handler.js';
import { fencedAs } from '../../coordinator/txn/transaction-coordinator.js';
import { ErrorCode } from '../../wire/errors.js';
import { AclOperation, ResourceType, allowed } from '../request-authorization.js';

export const endTxn = defineHandler<EndTxnRequest, EndTxnResponse>({
  apiKey: ApiKey.EndTxn,
  minVersion: 0,
  maxVersion: 4,
  async handle(ctx, req, version) {
    if (!allowed(ctx, AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, req.transactionalId)) return { throttleTimeMs: 0, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED };
    await ctx.txns.prepare(req.transactionalId);
    const code = await ctx.txns.endTxn(req.transactionalId, Number(req.producerId), req.producerEpoch, req.committed);
    return { throttleTimeMs: 0, errorCode: fencedAs(code, version, 2) };
  },
});
