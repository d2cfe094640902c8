/** The transactions and producers routes (waiting for src/client/transactions.ts). */
import type { KafkaClient } from '../client/kafka-client.js';
import type { PartitionProducers, TransactionSummary } from './console-api-types.js';
import { HttpError } from './route.js';

const pending = () => new HttpError(501, 'NOT_IMPLEMENTED', 'not yet');

export async function transactionSummaries(_client: KafkaClient): Promise<TransactionSummary[]> { throw pending(); }
export async function partitionProducers(_client: KafkaClient, _topic: string | null): Promise<PartitionProducers[]> { throw pending(); }
