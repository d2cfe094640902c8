/**
 * DeleteTopics (API 20), v0-v6.
 *
 * Behavior: deletes the topic's metadata and partition logs at once. Unknown
 * name: UNKNOWN_TOPIC_OR_PARTITION; unknown id (v6+): UNKNOWN_TOPIC_ID;
 * delete.topic.enable=false: TOPIC_DELETION_DISABLED. Internal topics cannot
 * be deleted (INVALID_REQUEST... Kafka answers TOPIC_AUTHORIZATION_FAILED only
 * with ACLs; we refuse with INVALID_TOPIC_EXCEPTION and a message).
 *
 * Version notes: v0-v5 name topics in topic_names; v6+ in topics by name or id.
 */
import { ApiKey } from '../../wire/generated/api-keys.js';
import type { DeleteTopicsRequest, DeleteTopicsResponse, DeleteTopicsResponseDeletableTopicResult } from '../../wire/generated/delete-topics.js';
import { ErrorCode, KafkaError } from '../../wire/errors.js';
import { ZERO_UUID, type Uuid } from '../../wire/protocol/uuid.js';
import type { BrokerContext } from '../broker-context.js';
import { INTERNAL_TOPICS } from '../topic-manager.js';

function deleteOne(ctx: BrokerContext, name: string | null, id: Uuid, version: number): DeleteTopicsResponseDeletableTopicResult {
  try {
    let topicName = name;
    if (!topicName) {
      const t = ctx.metadata.topicById(id);
      if (!t) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_ID, `Topic id ${id} does not exist.`);
      topicName = t.name;
    }
    if (INTERNAL_TOPICS.has(topicName)) throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, `Internal topic ${topicName} cannot be deleted.`);
    const t = ctx.topics.deleteTopic(topicName);
    ctx.log.info(`deleted topic ${topicName}`);
    return { name: topicName, topicId: t.id, errorCode: ErrorCode.NONE, errorMessage: null };
  } catch (err) {
    if (!(err instanceof KafkaError)) throw err;
    return { name, topicId: id, errorCode: err.code, errorMessage: version >= 5 ? err.message : null };
  }
}

export const deleteTopics = {
  apiKey: ApiKey.DeleteTopics,
  minVersion: 0,
  maxVersion: 6,
  handle(ctx: BrokerContext, req: DeleteTopicsRequest, version: number): DeleteTopicsResponse {
    const wanted = version >= 6
      ? (req.topics ?? []).map((t) => ({ name: t.name, id: t.topicId }))
      : (req.topicNames ?? []).map((name) => ({ name, id: ZERO_UUID }));
    return { throttleTimeMs: 0, responses: wanted.map((w) => deleteOne(ctx, w.name, w.id, version)) };
  },
};
