/**
 * AddPartitionsToTxn (API 24), v0-v5.
 *
 * Behavior: adds partitions to the producer's transaction (starting one when
 * none is open); see TransactionCoordinator.addPartitions for the errors.
 * v0-v3 (clients) carry one transaction; v4+ (brokers, KIP-890) carry several,
 * each possibly verify_only (report whether the partitions are already in the
 * transaction, change nothing).
 *
 * Version notes: PRODUCER_FENCED from v2, INVALID_PRODUCER_EPOCH before.
 */
import { ApiKey } from '../../wire/generated/api-keys.js';
import type {
  AddPartitionsToTxnRequest, AddPartitionsToTxnRequestAddPartitionsToTxnTopic, AddPartitionsToTxnResponse,
  AddPartitionsToTxnResponseAddPartitionsToTxnTopicResult,
} from '../../wire/generated/add-partitions-to-txn.js';
import { defineHandler } from '../handler.js';
import { fencedAs, type PartitionResult } from '../../coordinator/txn/transaction-coordinator.js';

const flatten = (topics: AddPartitionsToTxnRequestAddPartitionsToTxnTopic[]) =>
  topics.flatMap((t) => t.partitions.map((partition) => ({ topic: t.name, partition })));

function byTopic(results: PartitionResult[], version: number): AddPartitionsToTxnResponseAddPartitionsToTxnTopicResult[] {
  const out = new Map<string, AddPartitionsToTxnResponseAddPartitionsToTxnTopicResult>();
  for (const r of results) {
    let t = out.get(r.topic);
    if (!t) out.set(r.topic, (t = { name: r.topic, resultsByPartition: [] }));
    t.resultsByPartition.push({ partitionIndex: r.partition, partitionErrorCode: fencedAs(r.errorCode, version, 2) });
  }
  return [...out.values()];
}

export const addPartitionsToTxn = defineHandler<AddPartitionsToTxnRequest, AddPartitionsToTxnResponse>({
  apiKey: ApiKey.AddPartitionsToTxn,
  minVersion: 0,
  maxVersion: 5,
  async handle(ctx, req, version) {
    await Promise.all((version <= 3 ? [req.v3AndBelowTransactionalId ?? ''] : (req.transactions ?? []).map((x) => x.transactionalId)).map((id) => ctx.txns.prepare(id)));
    if (version <= 3) {
      const results = await ctx.txns.addPartitions(req.v3AndBelowTransactionalId ?? '', Number(req.v3AndBelowProducerId ?? -1n), req.v3AndBelowProducerEpoch ?? -1, flatten(req.v3AndBelowTopics ?? []));
      return { throttleTimeMs: 0, resultsByTopicV3AndBelow: byTopic(results, version) };
    }
    const resultsByTransaction = await Promise.all((req.transactions ?? []).map(async (x) => {
      const parts = flatten(x.topics);
      const pid = Number(x.producerId);
      const results = x.verifyOnly
        ? ctx.txns.verifyPartitions(x.transactionalId, pid, x.producerEpoch, parts)
        : await ctx.txns.addPartitions(x.transactionalId, pid, x.producerEpoch, parts);
      return { transactionalId: x.transactionalId, topicResults: byTopic(results, version) };
    }));
    return { throttleTimeMs: 0, errorCode: 0, resultsByTransaction };
  },
});
