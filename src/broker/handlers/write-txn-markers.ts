/**
 * WriteTxnMarkers (API 27), v0-v1. Broker to broker: a transaction
 * coordinator sends the commit or abort markers of a transaction to the
 * leaders of the partitions in it.
 *
 * Behavior: each partition gets the marker as a control batch appended as
 * its leader and replicated (acks=all) before the answer; per partition NONE
 * or the append's error: UNKNOWN_TOPIC_OR_PARTITION (not here),
 * NOT_LEADER_OR_FOLLOWER (another broker leads it), a stale producer epoch or
 * coordinator epoch (INVALID_PRODUCER_EPOCH, TRANSACTION_COORDINATOR_FENCED),
 * NOT_ENOUGH_REPLICAS, KAFKA_STORAGE_ERROR, REQUEST_TIMED_OUT; the
 * coordinator retries the retriable ones. A marker written to a
 * __consumer_offsets partition also settles the producer's transactional
 * offset commits there (visible to OffsetFetch on commit, dropped on abort),
 * as Kafka's group coordinator does on onTransactionCompleted.
 *
 * A producer id Samsa cannot hold exactly (above 2^53: it never hands one
 * out) gets UNKNOWN_PRODUCER_ID rather than a marker for a rounded id.
 *
 * Authorization: ALTER or CLUSTER_ACTION on the cluster (the sending
 * broker's principal), else CLUSTER_AUTHORIZATION_FAILED on every partition.
 */
import { ApiKey } from '../../wire/generated/api-keys.js';
import type { WriteTxnMarkersRequest, WriteTxnMarkersResponse } from '../../wire/generated/write-txn-markers.js';
import { ErrorCode } from '../../wire/errors.js';
import { defineHandler } from '../handler.js';
import { OFFSETS_TOPIC } from '../../coordinator/group/offsets-topic.js';
import { AclOperation, allowedOnCluster } from '../request-authorization.js';

/** Every partition of every marker answered with one error (Kafka's getErrorResponse). */
function failAll(req: WriteTxnMarkersRequest, errorCode: number): WriteTxnMarkersResponse {
  return {
    markers: req.markers.map((m) => ({
      producerId: m.producerId,
      topics: m.topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, errorCode })) })),
    })),
  };
}

export const writeTxnMarkers = defineHandler<WriteTxnMarkersRequest, WriteTxnMarkersResponse>({
  apiKey: ApiKey.WriteTxnMarkers,
  minVersion: 0,
  maxVersion: 1,
  async handle(ctx, req) {
    if (!allowedOnCluster(ctx, AclOperation.ALTER) && !allowedOnCluster(ctx, AclOperation.CLUSTER_ACTION)) {
      return failAll(req, ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    }
    const markers = await Promise.all(req.markers.map(async (m) => {
      const producerId = Number(m.producerId);
      const topics = await Promise.all(m.topics.map(async (t) => ({
        name: t.name,
        partitions: await Promise.all(t.partitionIndexes.map(async (partitionIndex) => {
          let errorCode: number;
          if (!Number.isSafeInteger(producerId)) return { partitionIndex, errorCode: ErrorCode.UNKNOWN_PRODUCER_ID };
          try {
            errorCode = await ctx.replicaManager.writeTxnMarker(t.name, partitionIndex, producerId, m.producerEpoch, m.transactionResult, m.coordinatorEpoch);
          } catch (err) {
            ctx.log.error(`writing a transaction marker to ${t.name}-${partitionIndex} failed: ${(err as Error)?.stack ?? String(err)}`);
            errorCode = ErrorCode.UNKNOWN_SERVER_ERROR;
          }
          if (t.name === OFFSETS_TOPIC && errorCode === ErrorCode.NONE) ctx.groups.completeTxnInPartition(producerId, m.transactionResult, partitionIndex);
          return { partitionIndex, errorCode };
        })),
      })));
      return { producerId: m.producerId, topics };
    }));
    return { markers };
  },
  errorResponse: (req, _version, errorCode) => failAll(req, errorCode),
});
