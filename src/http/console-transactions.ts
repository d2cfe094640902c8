/**
 * The console's transactions and producers routes: every transactional id
 * with its state and partitions (ListTransactions at every broker, then
 * DescribeTransactions at each coordinator), and per partition of a topic the
 * producers it has state for, with the high watermark and the last stable
 * offset an open transaction holds back.
 */
import type { KafkaClient } from '../client/kafka-client.js';
import { KafkaClientError } from '../client/errors.js';
import { listTopics } from '../client/topics.js';
import { describeProducers, describeTransactions, listTransactions } from '../client/transactions.js';
import type { PartitionProducers, TransactionSummary } from './console-api-types.js';

export async function transactionSummaries(client: KafkaClient): Promise<TransactionSummary[]> {
  const listed = await listTransactions(client);
  // One id at a time is described, so an id that expired between the two requests drops out instead of failing the list.
  const described = await Promise.all(listed.map((l) => describeTransactions(client, [l.transactionalId]).then(([d]) => d, (e) => { if (e instanceof KafkaClientError) return undefined; throw e; })));
  return described.filter((d): d is TransactionSummary => d !== undefined);
}

/** One topic's partitions, or every topic's (internal ones left out) without `topic`. */
export async function partitionProducers(client: KafkaClient, topic: string | null): Promise<PartitionProducers[]> {
  if (topic) return describeProducers(client, topic);
  const topics = await listTopics(client);
  return (await Promise.all(topics.map((t) => describeProducers(client, t.name)))).flat();
}
