/**
 * CreatePartitions (API 37), v0-v3.
 *
 * Behavior: partitions only grow (INVALID_PARTITIONS otherwise, with Kafka's
 * messages); assignments, if given, must place each new partition on this
 * broker alone (INVALID_REPLICA_ASSIGNMENT); validate_only checks without
 * changing anything; a topic named twice is INVALID_REQUEST.
 */
import { ApiKey } from '../../wire/generated/api-keys.js';
import type { CreatePartitionsRequest, CreatePartitionsResponse } from '../../wire/generated/create-partitions.js';
import { ErrorCode, KafkaError } from '../../wire/errors.js';
import type { BrokerContext } from '../broker-context.js';

export const createPartitions = {
  apiKey: ApiKey.CreatePartitions,
  minVersion: 0,
  maxVersion: 3,
  handle(ctx: BrokerContext, req: CreatePartitionsRequest): CreatePartitionsResponse {
    const names = req.topics.map((t) => t.name);
    const results = req.topics.map((t) => {
      try {
        if (names.indexOf(t.name) !== names.lastIndexOf(t.name)) throw new KafkaError(ErrorCode.INVALID_REQUEST, 'Duplicate topic in request.');
        if (t.assignments?.some((a) => a.brokerIds.length !== 1 || a.brokerIds[0] !== ctx.nodeId)) {
          throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `New partitions must be assigned to broker ${ctx.nodeId} only (a single-broker cluster).`);
        }
        ctx.topics.createPartitions(t.name, t.count, req.validateOnly);
        return { name: t.name, errorCode: ErrorCode.NONE, errorMessage: null };
      } catch (err) {
        if (!(err instanceof KafkaError)) throw err;
        return { name: t.name, errorCode: err.code, errorMessage: err.message };
      }
    });
    return { throttleTimeMs: 0, results };
  },
};
