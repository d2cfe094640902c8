/**
 * AddPartitionsToTxn (API 24), v0-v5.
 *
 * Behavior: adds partitions to the producer's transaction (starting one when
 * none is open); see TransactionCoordinator.addPartitions for the errors.
 * v0-v3 (clients) carry one transaction; v4+ (brokers, KIP-890) carry several,
 * each possibly verify_only (report whether the partitions are already in the
 * transaction, change nothing).
 *
 * Authorization (KafkaApis.handleAddPartitionsToTxnRequest): v0-v3 need
 * WRITE on the transactional id (else TRANSACTIONAL_ID_AUTHORIZATION_FAILED
 * on every partition) and WRITE on each topic; internal topics are never
 * writable here, as in Kafka. When a topic is refused, nothing is added: its
 * partitions get TOPIC_AUTHORIZATION_FAILED, unknown ones
 * UNKNOWN_TOPIC_OR_PARTITION and the rest OPERATION_NOT_ATTEMPTED. v4+ comes
 * from brokers and needs CLUSTER_ACTION, else CLUSTER_AUTHORIZATION_FAILED
 * for the request.
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
import { ErrorCode } from '../../wire/errors.js';
import { INTERNAL_TOPICS } from '../topic-manager.js';
import type { BrokerContext } from '../broker-context.js';
import { AclOperation, ResourceType, allowed, allowedOnCluster, checker } from '../request-authorization.js';

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

/** A client's partitions checked for WRITE, as Kafka does before the coordinator sees them; undefined when all may be added. */
function refusals(ctx: BrokerContext, parts: { topic: string; partition: number }[]): PartitionResult[] | undefined {
  const mayWrite = checker(ctx, AclOperation.WRITE, ResourceType.TOPIC);
  const writable = (topic: string) => !INTERNAL_TOPICS.has(topic) && mayWrite(topic);
  if (parts.every((p) => writable(p.topic))) return undefined;
  const exists = (topic: string, p: number) => { const t = ctx.metadata.topic(topic); return t !== undefined && p >= 0 && p < t.partitions; };
  return parts.map((p) => ({
    ...p,
    errorCode: !writable(p.topic) ? ErrorCode.TOPIC_AUTHORIZATION_FAILED : !exists(p.topic, p.partition) ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.OPERATION_NOT_ATTEMPTED,
  }));
}

export const addPartitionsToTxn = defineHandler<AddPartitionsToTxnRequest, AddPartitionsToTxnResponse>({
  apiKey: ApiKey.AddPartitionsToTxn,
  minVersion: 0,
  maxVersion: 5,
  async handle(ctx, req, version) {
    if (version <= 3) {
      const id = req.v3AndBelowTransactionalId ?? '';
      const parts = flatten(req.v3AndBelowTopics ?? []);
      if (!allowed(ctx, AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, id)) {
        return { throttleTimeMs: 0, resultsByTopicV3AndBelow: byTopic(parts.map((p) => ({ ...p, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED })), version) };
      }
      const refused = refusals(ctx, parts);
      if (refused) return { throttleTimeMs: 0, resultsByTopicV3AndBelow: byTopic(refused, version) };
      await ctx.txns.prepare(id);
      const results = await ctx.txns.addPartitions(id, Number(req.v3AndBelowProducerId ?? -1n), req.v3AndBelowProducerEpoch ?? -1, parts);
      return { throttleTimeMs: 0, resultsByTopicV3AndBelow: byTopic(results, version) };
    }
    if (!allowedOnCluster(ctx, AclOperation.CLUSTER_ACTION)) return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, resultsByTransaction: [] };
    await Promise.all((req.transactions ?? []).map((x) => ctx.txns.prepare(x.transactionalId)));
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
