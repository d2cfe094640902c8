/**
 * InitProducerId (API 22), v0-v5.
 *
 * Behavior: without a transactional id (idempotent producers) every call gets
 * a new producer id with epoch 0, as Kafka does; ids come from the broker's
 * persisted ProducerIdManager and never repeat across restarts (nor across
 * the brokers of a cluster: they reserve blocks in the cluster metadata;
 * COORDINATOR_LOAD_IN_PROGRESS while a block is on its way). A request
 * with producer_id/producer_epoch (v3+, KIP-360) where only one of them is -1
 * is INVALID_REQUEST. An empty transactional id is INVALID_REQUEST.
 *
 * With a transactional id the transaction coordinator answers: the id keeps
 * its producer id and every call bumps the epoch, fencing older producers
 * (an open transaction of theirs is aborted first); a transaction timeout
 * above transaction.max.timeout.ms is INVALID_TRANSACTION_TIMEOUT; a stale
 * producer id/epoch (v3+) is PRODUCER_FENCED (v4+; INVALID_PRODUCER_EPOCH before).
 *
 * Difference from Kafka: when an open transaction must be aborted first,
 * Kafka answers CONCURRENT_TRANSACTIONS while it writes the abort markers and
 * the client retries; Samsa writes them and answers in the same round trip
 * (same outcome: the old epoch fenced, its records aborted).
 *
 * Authorization, before anything else (Kafka 3.x): with a transactional id,
 * WRITE on it, else TRANSACTIONAL_ID_AUTHORIZATION_FAILED; without one
 * (idempotent producers), IDEMPOTENT_WRITE on the cluster or WRITE on some
 * topic (authorizeByResourceType), else CLUSTER_AUTHORIZATION_FAILED.
 */
import { ApiKey } from '../../wire/generated/api-keys.js';
import { KafkaError } from '../../wire/errors.js';
import type { InitProducerIdRequest, InitProducerIdResponse } from '../../wire/generated/init-producer-id.js';
import type { DataPathContext } from './data-path-context.js';
import { fencedAs, type TransactionCoordinator } from '../../coordinator/txn/transaction-coordinator.js';
import { ErrorCode } from '../../wire/errors.js';
import { AclOperation, ResourceType, allowed, allowedOnAny, allowedOnCluster } from '../request-authorization.js';

export const initProducerId = {
  apiKey: ApiKey.InitProducerId,
  minVersion: 0,
  maxVersion: 5,
  async handle(ctx: DataPathContext & { txns: TransactionCoordinator }, req: InitProducerIdRequest, version: number): Promise<InitProducerIdResponse> {
    const fail = (errorCode: number): InitProducerIdResponse => ({ throttleTimeMs: 0, errorCode, producerId: -1n, producerEpoch: -1 });
    if (req.transactionalId !== null) {
      if (!allowed(ctx, AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, req.transactionalId)) return fail(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    } else if (!allowedOnCluster(ctx, AclOperation.IDEMPOTENT_WRITE) && !allowedOnAny(ctx, AclOperation.WRITE, ResourceType.TOPIC)) {
      return fail(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    }
    const pid = req.producerId ?? -1n;
    const epoch = req.producerEpoch ?? -1;
    if ((pid === -1n) !== (epoch === -1)) return fail(ErrorCode.INVALID_REQUEST);
    if (req.transactionalId === '') return fail(ErrorCode.INVALID_REQUEST);
    try {
      if (req.transactionalId !== null) {
        await ctx.txns.prepare(req.transactionalId);
        const r = await ctx.txns.initProducerId(req.transactionalId, req.transactionTimeoutMs, pid === -1n ? null : { producerId: Number(pid), producerEpoch: epoch });
        return { throttleTimeMs: 0, errorCode: fencedAs(r.errorCode, version, 4), producerId: BigInt(r.producerId), producerEpoch: r.producerEpoch };
      }
      return { throttleTimeMs: 0, errorCode: 0, producerId: BigInt(ctx.producerIds.allocate()), producerEpoch: 0 };
    } catch (err) {
      // A cluster's broker whose next block of producer ids has not arrived yet: retriable.
      if (err instanceof KafkaError) return fail(err.code);
      throw err;
    }
  },
};
