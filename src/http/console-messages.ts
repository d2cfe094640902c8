/** The message browser and produce routes (waiting for src/client/records.ts). */
import type { KafkaClient } from '../client/kafka-client.js';
import type { MessagePage, ProduceResult } from './console-api-types.js';
import { parseMessageQuery } from './console-message-query.js';
import { HttpError } from './route.js';

const pending = () => new HttpError(501, 'NOT_IMPLEMENTED', 'not yet');

export async function readMessages(_client: KafkaClient, _topic: string, query: URLSearchParams): Promise<MessagePage> {
  parseMessageQuery(query);
  throw pending();
}

export async function produceFromBody(_client: KafkaClient, _topic: string, _body: unknown): Promise<ProduceResult> {
  throw pending();
}
