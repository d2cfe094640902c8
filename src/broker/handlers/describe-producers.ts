/**
 * DescribeProducers (API 61), v0.
 *
 * Behavior: the idempotent and transactional producers a partition knows:
 * id, epoch, last sequence and timestamp, and the first offset of the open
 * transaction (-1 when none). Unknown partitions get UNKNOWN_TOPIC_OR_PARTITION.
 */
import { ApiKey } from '../../wire/generated/api-keys.js';
import type { DescribeProducersRequest, DescribeProducersResponse } from '../../wire/generated/describe-producers.js';
import { ErrorCode } from '../../wire/errors.js';
import { defineHandler } from '../handler.js';

export const describeProducers = defineHandler<DescribeProducersRequest, DescribeProducersResponse>({
  apiKey: ApiKey.DescribeProducers,
  minVersion: 0,
  maxVersion: 0,
  handle(ctx, req) {
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((p) => {
          const states = ctx.replicaManager.producerStates(t.name, p);
          if (states === undefined) return { partitionIndex: p, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: null, activeProducers: [] };
          return {
            partitionIndex: p, errorCode: ErrorCode.NONE, errorMessage: null,
            activeProducers: [...states].map((e) => ({
              producerId: BigInt(e.producerId), producerEpoch: e.producerEpoch, lastSequence: e.batches[e.batches.length - 1]?.lastSeq ?? -1,
              lastTimestamp: BigInt(e.lastTimestamp), coordinatorEpoch: e.coordinatorEpoch, currentTxnStartOffset: BigInt(e.currentTxnFirstOffset),
            })),
          };
        }),
      })),
    };
  },
});
