/**
 * ListTransactions (API 66), v0-v1.
 *
 * Behavior: the transactional ids of the __transaction_state partitions this
 * broker leads (clients ask every broker), filtered by state names (names this
 * broker does not know come back in unknown_state_filters), producer ids, and
 * (v1) transactions started more than duration_filter ms ago, as Kafka filters.
 *
 * Authorization: only the transactional ids the principal may DESCRIBE are listed.
 */
import { ApiKey } from '../../wire/generated/api-keys.js';
import type { ListTransactionsRequest, ListTransactionsResponse } from '../../wire/generated/list-transactions.js';
import { ErrorCode } from '../../wire/errors.js';
import { defineHandler } from '../handler.js';
import { TXN_STATES } from '../../coordinator/txn/txn-records.js';
import { AclOperation, ResourceType, checker } from '../request-authorization.js';

export const listTransactions = defineHandler<ListTransactionsRequest, ListTransactionsResponse>({
  apiKey: ApiKey.ListTransactions,
  minVersion: 0,
  maxVersion: 1,
  handle(ctx, req) {
    const known = new Set<string>(TXN_STATES);
    const states = new Set(req.stateFilters.filter((s) => known.has(s)));
    const pids = new Set(req.producerIdFilters.map(Number));
    const minDuration = Number(req.durationFilter ?? -1n);
    const now = Date.now();
    const mayDescribe = checker(ctx, AclOperation.DESCRIBE, ResourceType.TRANSACTIONAL_ID);
    return {
      throttleTimeMs: 0,
      // As Kafka: the ids already loaded, with COORDINATOR_LOAD_IN_PROGRESS while some partition still loads.
      errorCode: ctx.txns.loading() ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : ErrorCode.NONE,
      unknownStateFilters: req.stateFilters.filter((s) => !known.has(s)),
      transactionStates: ctx.txns.all()
        .filter((m) => m.state !== 'Dead' && (req.stateFilters.length === 0 || states.has(m.state)) && (pids.size === 0 || pids.has(m.producerId)))
        .filter((m) => minDuration < 0 || now - m.startTimestamp > minDuration)
        .filter((m) => mayDescribe(m.transactionalId))
        .map((m) => ({ transactionalId: m.transactionalId, producerId: BigInt(m.producerId), transactionState: m.state })),
    };
  },
});
