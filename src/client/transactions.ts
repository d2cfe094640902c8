/**
 * Transactions and producers, as kafka-transactions.sh shows them:
 * ListTransactions at every broker (each lists the transactional ids it
 * coordinates), DescribeTransactions at each id's coordinator, and
 * DescribeProducers at each partition's leader (the producers it has state
 * for, and the open transaction that holds its last stable offset back).
 */
import { ApiKey } from '../wire/generated/api-keys.js';
import { decodeListTransactionsResponse, encodeListTransactionsRequest } from '../wire/generated/list-transactions.js';
import { decodeDescribeTransactionsResponse, encodeDescribeTransactionsRequest } from '../wire/generated/describe-transactions.js';
import { decodeDescribeProducersResponse, encodeDescribeProducersRequest } from '../wire/generated/describe-producers.js';
import { ErrorCode } from '../wire/errors.js';
import type { KafkaClient } from './kafka-client.js';
import { KafkaClientError, check } from './errors.js';
import { atEveryBroker, routeToLeaders, type Outcome } from './leader-routing.js';
import { partitionOffsets } from './offsets.js';
import { describeTopic } from './topics.js';

export interface TransactionListing {
  transactionalId: string;
  producerId: number;
  /** Ongoing, PrepareCommit, PrepareAbort, CompleteCommit, CompleteAbort, Empty, Dead, PrepareEpochFence. */
  state: string;
  coordinator: number;
}

export interface TransactionDescription {
  transactionalId: string;
  producerId: number;
  producerEpoch: number;
  state: string;
  timeoutMs: number;
  /** Epoch ms the ongoing transaction started, -1 when none is. */
  startTimeMs: number;
  /** The partitions in the transaction, sorted. */
  partitions: { topic: string; partition: number }[];
  coordinator: number;
}

export interface ProducerState {
  producerId: number;
  producerEpoch: number;
  lastSequence: number;
  lastTimestamp: number;
  coordinatorEpoch: number;
  /** -1 unless a transaction is open on this partition. */
  currentTxnStartOffset: number;
}

export interface PartitionProducers {
  topic: string;
  partition: number;
  highWatermark: number;
  /** Below the high watermark while a transaction is open. */
  lastStableOffset: number;
  producers: ProducerState[];
}

/** Transactional ids at every broker, sorted; `states` keeps those in one of them (e.g. ['Ongoing']). */
export async function listTransactions(client: KafkaClient, opts: { states?: string[]; producerIds?: number[] } = {}): Promise<TransactionListing[]> {
  const lists = await atEveryBroker(client, async (conn, nodeId) => {
    const v = conn.version(ApiKey.ListTransactions, 1, 'ListTransactions');
    const r = await conn.request(ApiKey.ListTransactions, v, (w) => encodeListTransactionsRequest(w, {
      stateFilters: opts.states ?? [],
      producerIdFilters: (opts.producerIds ?? []).map(BigInt),
      durationFilter: -1n,
    }, v), (rd) => decodeListTransactionsResponse(rd, v));
    check(r.errorCode, `ListTransactions at broker ${nodeId}`);
    return r.transactionStates.map((s) => ({ transactionalId: s.transactionalId, producerId: Number(s.producerId), state: s.transactionState, coordinator: nodeId }));
  });
  return lists.flat().sort((a, b) => (a.transactionalId < b.transactionalId ? -1 : a.transactionalId > b.transactionalId ? 1 : 0));
}

/** Transactions described at their coordinators, in the order asked; TRANSACTIONAL_ID_NOT_FOUND for an unknown id. */
export async function describeTransactions(client: KafkaClient, transactionalIds: string[]): Promise<TransactionDescription[]> {
  return Promise.all(transactionalIds.map(async (id) => {
    const nodeId = await client.coordinatorId('transaction', id);
    const conn = await client.node(nodeId);
    const v = conn.version(ApiKey.DescribeTransactions, 0, 'DescribeTransactions');
    const r = await conn.request(ApiKey.DescribeTransactions, v, (w) => encodeDescribeTransactionsRequest(w, { transactionalIds: [id] }, v), (rd) => decodeDescribeTransactionsResponse(rd, v));
    const s = r.transactionStates.find((x) => x.transactionalId === id);
    if (!s) throw new KafkaClientError(ErrorCode.UNKNOWN_SERVER_ERROR, `transactional id ${id}`, 'the coordinator answered DescribeTransactions without this id');
    check(s.errorCode, `transactional id ${id}`);
    return {
      transactionalId: id,
      producerId: Number(s.producerId),
      producerEpoch: s.producerEpoch,
      state: s.transactionState,
      timeoutMs: s.transactionTimeoutMs,
      startTimeMs: Number(s.transactionStartTimeMs),
      partitions: s.topics.flatMap((t) => t.partitions.map((partition) => ({ topic: t.topic, partition })))
        .sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition)),
      coordinator: nodeId,
    };
  }));
}

/**
 * The producers each partition of `topic` (or of `partitions`) has state
 * for, with the partition's high watermark and last stable offset.
 */
export async function describeProducers(client: KafkaClient, topic: string, partitions?: number[]): Promise<PartitionProducers[]> {
  const ps = partitions ?? (await describeTopic(client, topic)).partitions.map((p) => p.partition);
  const items = ps.map((partition) => ({ topic, partition }));
  const [outcomes, offsets] = await Promise.all([
    routeToLeaders<{ topic: string; partition: number }, ProducerState[]>(client, items, async (conn, mine) => {
      const v = conn.version(ApiKey.DescribeProducers, 0, 'DescribeProducers');
      const r = await conn.request(ApiKey.DescribeProducers, v, (w) => encodeDescribeProducersRequest(w, { topics: [{ name: topic, partitionIndexes: mine.map((m) => m.partition) }] }, v), (rd) => decodeDescribeProducersResponse(rd, v));
      const answers = r.topics.find((t) => t.name === topic)?.partitions ?? [];
      return mine.map((item): Outcome<{ topic: string; partition: number }, ProducerState[]> => {
        const p = answers.find((x) => x.partitionIndex === item.partition);
        if (!p) return { item, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
        return {
          item, errorCode: p.errorCode, errorMessage: p.errorMessage,
          value: p.activeProducers.map((s) => ({
            producerId: Number(s.producerId), producerEpoch: s.producerEpoch, lastSequence: s.lastSequence,
            lastTimestamp: Number(s.lastTimestamp), coordinatorEpoch: s.coordinatorEpoch, currentTxnStartOffset: Number(s.currentTxnStartOffset),
          })).sort((a, b) => a.producerId - b.producerId),
        };
      });
    }),
    partitionOffsets(client, topic, ps),
  ]);
  return ps.map((partition) => {
    const o = outcomes.find((x) => x.item.partition === partition)!;
    check(o.errorCode, `${topic}-${partition}`, o.errorMessage);
    const off = offsets.find((x) => x.partition === partition)!;
    return { topic, partition, highWatermark: off.endOffset, lastStableOffset: off.lastStableOffset, producers: o.value! };
  });
}
