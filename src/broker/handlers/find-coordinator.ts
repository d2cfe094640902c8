/**
 * FindCoordinator (API 10), v0-v6.
 *
 * Behavior: the coordinator of a group (key type 0) or a transactional id
 * (key type 1) is the leader of the key's partition of __consumer_offsets or
 * __transaction_state, as in Kafka. The internal topic is created first when
 * it does not exist (offsets.topic.num.partitions and
 * offsets.topic.replication.factor, or the transaction.state.log ones).
 * COORDINATOR_NOT_AVAILABLE (retriable) when the topic cannot be created, the
 * partition has no leader, or the leader's address is unknown. An empty key
 * is INVALID_REQUEST, another key type too. v4+ asks for several keys at
 * once (coordinator_keys).
 *
 * Authorization, per key before anything but its type: DESCRIBE on the
 * group (GROUP_AUTHORIZATION_FAILED) or on the transactional id
 * (TRANSACTIONAL_ID_AUTHORIZATION_FAILED).
 */
import { ApiKey } from '../../wire/generated/api-keys.js';
import type { FindCoordinatorRequest, FindCoordinatorResponse } from '../../wire/generated/find-coordinator.js';
import { ErrorCode } from '../../wire/errors.js';
import { defineHandler } from '../handler.js';
import type { BrokerContext } from '../broker-context.js';
import { partitionFor } from '../../coordinator/internal-topic.js';
import { OFFSETS_TOPIC } from '../../coordinator/group/offsets-topic.js';
import { TXN_STATE_TOPIC } from '../../coordinator/txn/txn-state-topic.js';
import { AclOperation, ResourceType, allowed, deniedMessage } from '../request-authorization.js';

const GROUP = 0;
const TRANSACTION = 1;

interface Answer { key: string; nodeId: number; host: string; port: number; errorCode: number; errorMessage: string | null }

const failure = (key: string, errorCode: number, errorMessage: string): Answer => ({ key, nodeId: -1, host: '', port: -1, errorCode, errorMessage });

async function answer(ctx: BrokerContext, key: string, keyType: number): Promise<Answer> {
  if (keyType !== GROUP && keyType !== TRANSACTION) return failure(key, ErrorCode.INVALID_REQUEST, `Unknown coordinator type ${keyType}.`);
  const [resourceType, denied] = keyType === GROUP ? [ResourceType.GROUP, ErrorCode.GROUP_AUTHORIZATION_FAILED] : [ResourceType.TRANSACTIONAL_ID, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED];
  if (!allowed(ctx, AclOperation.DESCRIBE, resourceType, key)) return failure(key, denied, deniedMessage(denied));
  if (!key) return failure(key, ErrorCode.INVALID_REQUEST, `${keyType === GROUP ? 'Group' : 'Transactional'} id must not be empty.`);
  const topic = keyType === GROUP ? OFFSETS_TOPIC : TXN_STATE_TOPIC;
  let partitions: number;
  try {
    partitions = await (keyType === GROUP ? ctx.groups.ensureTopic() : ctx.txns.ensureTopic());
  } catch (err) {
    ctx.log.warn(`creating ${topic} failed: ${(err as Error)?.message ?? String(err)}`);
    return failure(key, ErrorCode.COORDINATOR_NOT_AVAILABLE, `The coordinator is not available: ${topic} could not be created: ${(err as Error)?.message ?? String(err)}`);
  }
  // A coordinator without its topic (the state kept elsewhere, as before replication) is this broker.
  if (ctx.metadata.topic(topic) === undefined) return { key, nodeId: ctx.nodeId, host: ctx.advertised.host, port: ctx.advertised.port, errorCode: ErrorCode.NONE, errorMessage: null };
  const leader = ctx.partitionLeader(topic, partitionFor(key, partitions), ctx.session.listener.name);
  if (!leader) return failure(key, ErrorCode.COORDINATOR_NOT_AVAILABLE, 'The coordinator is not available.');
  return { key, nodeId: leader.nodeId, host: leader.host, port: leader.port, errorCode: ErrorCode.NONE, errorMessage: null };
}

export const findCoordinator = defineHandler<FindCoordinatorRequest, FindCoordinatorResponse>({
  apiKey: ApiKey.FindCoordinator,
  minVersion: 0,
  maxVersion: 6,
  async handle(ctx, req, version) {
    if (version >= 4) return { throttleTimeMs: 0, coordinators: await Promise.all((req.coordinatorKeys ?? []).map((k) => answer(ctx, k, req.keyType ?? GROUP))) };
    const a = await answer(ctx, req.key ?? '', req.keyType ?? GROUP);
    return { throttleTimeMs: 0, errorCode: a.errorCode, errorMessage: a.errorMessage, nodeId: a.nodeId, host: a.host, port: a.port };
  },
});
