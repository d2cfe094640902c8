/**
 * InitProducerId (API 22), v0-v5.
 *
 * Behavior: without a transactional id (idempotent producers) every call gets
 * a new producer id with epoch 0, as Kafka does; ids come from the broker's
 * persisted ProducerIdManager and never repeat across restarts. A request
 * with producer_id/producer_epoch (v3+, KIP-360) where only one of them is -1
 * is INVALID_REQUEST. An empty transactional id is INVALID_REQUEST.
 *
 * Version notes / difference from Kafka: there is no transaction coordinator
 * yet, so a non-empty transactional id gets COORDINATOR_NOT_AVAILABLE
 * (transactions come later).
 */
import { ApiKey } from '../../wire/generated/api-keys.js';
import type { InitProducerIdRequest, InitProducerIdResponse } from '../../wire/generated/init-producer-id.js';
import type { DataPathContext } from './data-path-context.js';

const INVALID_REQUEST = 42;
const COORDINATOR_NOT_AVAILABLE = 15;

export const initProducerId = {
  apiKey: ApiKey.InitProducerId,
  minVersion: 0,
  maxVersion: 5,
  handle(ctx: DataPathContext, req: InitProducerIdRequest): InitProducerIdResponse {
    const fail = (errorCode: number): InitProducerIdResponse => ({ throttleTimeMs: 0, errorCode, producerId: -1n, producerEpoch: -1 });
    const pid = req.producerId ?? -1n;
    const epoch = req.producerEpoch ?? -1;
    if ((pid === -1n) !== (epoch === -1)) return fail(INVALID_REQUEST);
    if (req.transactionalId !== null) return fail(req.transactionalId === '' ? INVALID_REQUEST : COORDINATOR_NOT_AVAILABLE);
    return { throttleTimeMs: 0, errorCode: 0, producerId: BigInt(ctx.producerIds.allocate()), producerEpoch: 0 };
  },
};
