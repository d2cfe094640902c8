/**
 * DeleteTopics (API 20), v0-v6.
 *
 * Behavior: deletes the topic's metadata and partition logs at once (Kafka
 * deletes asynchronously; here the topic is gone when the response leaves).
 * Unknown name: UNKNOWN_TOPIC_OR_PARTITION; unknown id (v6+):
 * UNKNOWN_TOPIC_ID; both a name and an id, or the same topic twice:
 * INVALID_REQUEST; delete.topic.enable=false: TOPIC_DELETION_DISABLED.
 *
 * Difference from Kafka: the internal topics (__consumer_offsets,
 * __transaction_state) cannot be deleted (INVALID_TOPIC_EXCEPTION with a
 * message); Kafka only guards them with ACLs, and deleting them there breaks
 * every group or transaction.
 *
 * Version notes: v0-v5 name topics in topic_names; v6+ in topics, by name or
 * by id. Error messages from v5.
 */
import { ApiKey } from '../../wire/generated/api-keys.js';
import type { DeleteTopicsRequest, DeleteTopicsResponse, DeleteTopicsResponseDeletableTopicResult } from '../../wire/generated/delete-topics.js';
import { ErrorCode, KafkaError } from '../../wire/errors.js';
import { ZERO_UUID, type Uuid } from '../../wire/protocol/uuid.js';
import type { BrokerContext } from '../broker-context.js';
import { defineHandler, errorEntry } from '../handler.js';
import { INTERNAL_TOPICS } from '../topic-manager.js';

interface Wanted { name: string | null; id: Uuid }

function wantedTopics(req: DeleteTopicsRequest, version: number): Wanted[] {
  return version >= 6
    ? (req.topics ?? []).map((t) => ({ name: t.name || null, id: t.topicId }))
    : (req.topicNames ?? []).map((name) => ({ name, id: ZERO_UUID }));
}

async function deleteOne(ctx: BrokerContext, w: Wanted, duplicate: boolean): Promise<DeleteTopicsResponseDeletableTopicResult> {
  try {
    if (w.name !== null && w.id !== ZERO_UUID) throw new KafkaError(ErrorCode.INVALID_REQUEST, 'You may not specify both topic name and topic id.');
    if (duplicate) throw new KafkaError(ErrorCode.INVALID_REQUEST, w.name !== null ? 'Duplicate topic name.' : 'Duplicate topic id.');
    let name = w.name;
    if (name === null) {
      const t = ctx.metadata.topicById(w.id);
      if (!t) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_ID, `Topic id ${w.id} does not exist.`);
      name = t.name;
    }
    if (INTERNAL_TOPICS.has(name)) throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, `Internal topic ${name} cannot be deleted.`);
    const t = await ctx.topics.deleteTopic(name);
    ctx.log.info(`deleted topic ${name}`);
    return { name, topicId: t.id, errorCode: ErrorCode.NONE, errorMessage: null };
  } catch (err) {
    return { name: w.name, topicId: w.id, ...errorEntry(ctx, err, 'DeleteTopics') };
  }
}

export const deleteTopics = defineHandler<DeleteTopicsRequest, DeleteTopicsResponse>({
  apiKey: ApiKey.DeleteTopics,
  minVersion: 0,
  maxVersion: 6,
  async handle(ctx, req, version) {
    const wanted = wantedTopics(req, version);
    const keys = wanted.map((w) => w.name ?? `id:${w.id}`);
    const responses = await Promise.all(wanted.map((w, i) => deleteOne(ctx, w, keys.indexOf(keys[i]!) !== keys.lastIndexOf(keys[i]!))));
    return { throttleTimeMs: 0, responses };
  },
  errorResponse(req, version, errorCode, errorMessage) {
    return { throttleTimeMs: 0, responses: wantedTopics(req, version).map((w) => ({ name: w.name, topicId: w.id, errorCode, errorMessage })) };
  },
});
