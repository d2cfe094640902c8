/**
 * DescribeTransactions (API 65), v0.
 *
 * Behavior: state, timeout, start time, producer id/epoch and partitions of
 * each transactional id; an unknown id gets TRANSACTIONAL_ID_NOT_FOUND, one
 * whose __transaction_state partition this broker does not lead
 * NOT_COORDINATOR (COORDINATOR_LOAD_IN_PROGRESS while it loads).
 *
 * Authorization: DESCRIBE on each transactional id, else
 * TRANSACTIONAL_ID_AUTHORIZATION_FAILED for it; the partitions listed are
 * only those of topics the principal may DESCRIBE.
 */
import { ApiKey } from '../../wire/generated/api-keys.js';
import type { DescribeTransactionsRequest, DescribeTransactionsResponse } from '../../wire/generated/describe-transactions.js';
import { ErrorCode } from '../../wire/errors.js';
import { defineHandler } from '../handler.js';
import { AclOperation, ResourceType, allowed, checker } from '../request-authorization.js';

export const describeTransactions = defineHandler<DescribeTransactionsRequest, DescribeTransactionsResponse>({
  apiKey: ApiKey.DescribeTransactions,
  minVersion: 0,
  maxVersion: 0,
  async handle(ctx, req) {
    const mayDescribe = checker(ctx, AclOperation.DESCRIBE, ResourceType.TRANSACTIONAL_ID);
    const mayDescribeTopic = checker(ctx, AclOperation.DESCRIBE, ResourceType.TOPIC);
    await Promise.all(req.transactionalIds.filter(mayDescribe).map((id) => ctx.txns.prepare(id)));
    return {
      throttleTimeMs: 0,
      transactionStates: req.transactionalIds.map((id) => {
        const status = mayDescribe(id) ? ctx.txns.coordinatorStatus(id) : ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
        if (status !== ErrorCode.NONE) return { errorCode: status, transactionalId: id, transactionState: '', transactionTimeoutMs: 0, transactionStartTimeMs: -1n, producerId: -1n, producerEpoch: -1, topics: [] };
        const m = ctx.txns.get(id);
        if (!m) return { errorCode: ErrorCode.TRANSACTIONAL_ID_NOT_FOUND, transactionalId: id, transactionState: '', transactionTimeoutMs: 0, transactionStartTimeMs: -1n, producerId: -1n, producerEpoch: -1, topics: [] };
        const topics = new Map<string, number[]>();
        for (const p of m.partitions.values()) topics.set(p.topic, [...(topics.get(p.topic) ?? []), p.partition]);
        return {
          errorCode: ErrorCode.NONE, transactionalId: id, transactionState: m.state, transactionTimeoutMs: m.timeoutMs,
          transactionStartTimeMs: BigInt(m.startTimestamp), producerId: BigInt(m.producerId), producerEpoch: m.producerEpoch,
          topics: [...topics].filter(([topic]) => mayDescribeTopic(topic)).map(([topic, partitions]) => ({ topic, partitions })),
        };
      }),
    };
  },
});
