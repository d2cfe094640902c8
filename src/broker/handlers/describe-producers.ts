/**
 * DescribeProducers (API 61), v0.
 *
 * Behavior: the idempotent and transactional producers a partition knows:
 * id, epoch, last sequence and timestamp, and the first offset of the open
 * transaction (-1 when none). Unknown partitions get UNKNOWN_TOPIC_OR_PARTITION.
 *
 * Authorization (KafkaApis.handleDescribeProducersRequest): an illegal topic
 * name is INVALID_TOPIC_EXCEPTION first; then READ on the topic, else
 * TOPIC_AUTHORIZATION_FAILED for its partitions, with Kafka's messages.
 */
import { ApiKey } from '../../wire/generated/api-keys.js';
import type { DescribeProducersRequest, DescribeProducersResponse } from '../../wire/generated/describe-producers.js';
import { ErrorCode } from '../../wire/errors.js';
import { defineHandler } from '../handler.js';
import type { BrokerContext } from '../broker-context.js';
import { topicNameError } from '../../controller/metadata-store.js';
import { AclOperation, ResourceType, allowed, deniedMessage } from '../request-authorization.js';

type PartitionEntry = DescribeProducersResponse['topics'][number]['partitions'][number];

function describePartition(ctx: BrokerContext, topic: string, partitionIndex: number): PartitionEntry {
  const states = ctx.replicaManager.producerStates(topic, partitionIndex);
  if (states === undefined) return { partitionIndex, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: null, activeProducers: [] };
  return {
    partitionIndex, errorCode: ErrorCode.NONE, errorMessage: null,
    activeProducers: [...states].map((e) => ({
      producerId: BigInt(e.producerId), producerEpoch: e.producerEpoch, lastSequence: e.batches[e.batches.length - 1]?.lastSeq ?? -1,
      lastTimestamp: BigInt(e.lastTimestamp), coordinatorEpoch: e.coordinatorEpoch, currentTxnStartOffset: BigInt(e.currentTxnFirstOffset),
    })),
  };
}

/** Why a topic's partitions are not described: an illegal name, then a missing READ. */
function refusal(ctx: BrokerContext, topic: string): { errorCode: number; errorMessage: string } | undefined {
  const invalid = topicNameError(topic);
  if (invalid) return { errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION, errorMessage: invalid };
  if (!allowed(ctx, AclOperation.READ, ResourceType.TOPIC, topic)) return { errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: deniedMessage(ErrorCode.TOPIC_AUTHORIZATION_FAILED) };
  return undefined;
}

export const describeProducers = defineHandler<DescribeProducersRequest, DescribeProducersResponse>({
  apiKey: ApiKey.DescribeProducers,
  minVersion: 0,
  maxVersion: 0,
  handle(ctx, req) {
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => {
        const refused = refusal(ctx, t.name);
        return {
          name: t.name,
          partitions: t.partitionIndexes.map((p): PartitionEntry => (refused ? { partitionIndex: p, ...refused, activeProducers: [] } : describePartition(ctx, t.name, p))),
        };
      }),
    };
  },
});
