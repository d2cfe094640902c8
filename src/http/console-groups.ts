/** The consumer group routes (waiting for src/client/groups.ts). */
import type { KafkaClient } from '../client/kafka-client.js';
import type { GroupDetail, GroupOffset, GroupSummary } from './console-api-types.js';
import type { LagHistory } from './console-lag-history.js';
import { HttpError } from './route.js';

const pending = () => new HttpError(501, 'NOT_IMPLEMENTED', 'not yet');

export async function groupSummaries(_client: KafkaClient): Promise<GroupSummary[]> { throw pending(); }
export async function groupDetail(_client: KafkaClient, _group: string, _history: LagHistory): Promise<GroupDetail> { throw pending(); }
export async function resetGroupFromBody(_client: KafkaClient, _group: string, _body: unknown): Promise<GroupOffset[]> { throw pending(); }
export async function deleteGroupById(_client: KafkaClient, _group: string): Promise<{ deleted: string }> { throw pending(); }
