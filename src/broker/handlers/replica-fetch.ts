/**
 * Fetch from a follower (replica_id >= 0, or replica_state from v15): the
 * leader records the follower's position (high watermark, ISR), answers a
 * follower whose last fetched epoch ends earlier here with the diverging
 * epoch, and otherwise returns whole batches up to its own written end (not
 * the high watermark: the follower must get them to move it). With nothing
 * new it waits up to max_wait_ms for an append. No fetch sessions: followers
 * send full fetches.
 *
 * Authorization: the follower needs CLUSTER_ACTION on the cluster, else every
 * partition is TOPIC_AUTHORIZATION_FAILED, as Kafka answers.
 */
import type { ReadAlloc } from '../replica-manager.js';
import type { FetchRequest, FetchResponse, FetchResponseFetchableTopicResponse } from '../../wire/generated/fetch.js';
import { ZERO_UUID } from '../../wire/protocol/uuid.js';
import { ErrorCode } from '../../wire/errors.js';
import type { DataPathContext } from './data-path-context.js';
import { AclOperation, allowedOnCluster } from '../request-authorization.js';

/** The replica id of a follower's fetch; -1 for a consumer. */
export function followerId(req: FetchRequest, version: number): number {
  return version >= 15 ? req.replicaState?.replicaId ?? -1 : req.replicaId ?? -1;
}

/** `alloc`: where the file reads land (the fetch handler's pooled response buffers). */
export async function replicaFetch(ctx: DataPathContext, req: FetchRequest, version: number, replicaId: number, alloc?: ReadAlloc): Promise<FetchResponse> {
  const rm = ctx.replicaManager;
  const byId = version >= 13;
  const parts = req.topics.flatMap((t) => {
    const topic = byId ? ctx.topicName(t.topicId ?? ZERO_UUID) ?? '' : t.topic ?? '';
    return t.partitions.map((p) => ({ topic, topicId: t.topicId ?? ZERO_UUID, p }));
  });
  type Result = Awaited<ReturnType<typeof rm.readForFollower>>;
  const refused = (errorCode: number): Promise<Result> => Promise.resolve({ errorCode, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1, records: Buffer.alloc(0) });
  const permitted = allowedOnCluster(ctx, AclOperation.CLUSTER_ACTION);
  const read = () => Promise.all(parts.map(({ topic, p }): Promise<Result> => (!permitted ? refused(ErrorCode.TOPIC_AUTHORIZATION_FAILED)
    : topic === '' ? refused(byId ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
    : rm.readForFollower(topic, p.partition, replicaId, Number(p.fetchOffset), p.lastFetchedEpoch ?? -1, p.currentLeaderEpoch ?? -1, p.partitionMaxBytes, alloc))));
  let results = await read();
  const nothing = results.every((r) => r.errorCode === ErrorCode.NONE && r.records.length === 0 && !r.divergingEpoch);
  if (nothing && req.maxWaitMs > 0 && parts.length > 0) {
    const keys = parts.map(({ topic, p }) => `${topic}:${p.partition}`);
    await rm.purgatory.wait(keys, req.maxWaitMs, () => parts.some(({ topic, p }) => rm.hasDataForFollower(topic, p.partition, Number(p.fetchOffset))));
    results = await read();
  }
  const responses: FetchResponseFetchableTopicResponse[] = [];
  parts.forEach(({ topic, topicId, p }, i) => {
    const r = results[i]!;
    let t = responses[responses.length - 1];
    const same = t !== undefined && (byId ? t.topicId === topicId : t.topic === topic);
    if (!same) responses.push(t = byId ? { topicId, partitions: [] } : { topic, partitions: [] });
    t!.partitions.push({
      partitionIndex: p.partition, errorCode: r.errorCode, highWatermark: BigInt(r.highWatermark), lastStableOffset: BigInt(r.lastStableOffset),
      logStartOffset: BigInt(r.logStartOffset), abortedTransactions: null, preferredReadReplica: -1, records: r.records,
      ...(r.divergingEpoch ? { divergingEpoch: { epoch: r.divergingEpoch.epoch, endOffset: BigInt(r.divergingEpoch.endOffset) } } : {}),
    });
  });
  return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId: 0, responses };
}
