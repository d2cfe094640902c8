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
 * Authorization (Kafka's ControllerApis.deleteTopics): DELETE on the cluster
 * allows every topic; otherwise DELETE on the topic. A name the principal may
 * not DESCRIBE is TOPIC_AUTHORIZATION_FAILED whether it exists or not; a
 * describable one that does not exist UNKNOWN_TOPIC_OR_PARTITION; an existing
 * one without DELETE TOPIC_AUTHORIZATION_FAILED. An unknown id is
 * UNKNOWN_TOPIC_ID; a known one without DELETE is TOPIC_AUTHORIZATION_FAILED,
 * naming the topic only when the principal may describe it.
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
import { AclOperation, ResourceType, allowedOnCluster, checker } from '../request-authorization.js';

interface Wanted { name: string | null; id: Uuid }

interface Permissions { describe(topic: string): boolean; delete(topic: string): boolean }

const denied = (name: string | null, topicId: Uuid): DeleteTopicsResponseDeletableTopicResult =>
  ({ name, topicId, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: 'Topic authorization failed.' });

function wantedTopics(req: DeleteTopicsRequest, version: number): Wanted[] {
  return version >= 6
    ? (req.topics ?? []).map((t) => ({ name: t.name || null, id: t.topicId }))
    : (req.topicNames ?? []).map((name) => ({ name, id: ZERO_UUID }));
}

async function deleteOne(ctx: BrokerContext, w: Wanted, duplicate: boolean, may: Permissions): Promise<DeleteTopicsResponseDeletableTopicResult> {
  try {
    if (w.name !== null && w.id !== ZERO_UUID) throw new KafkaError(ErrorCode.INVALID_REQUEST, 'You may not specify both topic name and topic id.');
    if (duplicate) throw new KafkaError(ErrorCode.INVALID_REQUEST, w.name !== null ? 'Duplicate topic name.' : 'Duplicate topic id.');
    let name = w.name;
    if (name === null) {
      const t = ctx.metadata.topicById(w.id);
      if (!t) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_ID, `Topic id ${w.id} does not exist.`);
      if (!may.delete(t.name)) return denied(may.describe(t.name) ? t.name : null, w.id);
      name = t.name;
    } else {
      // Whether a topic the principal may not describe exists is not told.
      if (!may.describe(name)) return denied(name, ZERO_UUID);
      if (!may.delete(name)) {
        if (!ctx.metadata.topic(name)) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${name}' does not exist.`);
        return denied(name, ZERO_UUID);
      }
    }
    if (INTERNAL_TOPICS.has(name)) throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, `Internal topic ${name} cannot be deleted.`);
    const t = await ctx.topics.deleteTopic(name); // the topic manager logs the deletion
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
    const onCluster = allowedOnCluster(ctx, AclOperation.DELETE);
    const may: Permissions = onCluster ? { describe: () => true, delete: () => true }
      : { describe: checker(ctx, AclOperation.DESCRIBE, ResourceType.TOPIC), delete: checker(ctx, AclOperation.DELETE, ResourceType.TOPIC) };
    const responses = await Promise.all(wanted.map((w, i) => deleteOne(ctx, w, keys.indexOf(keys[i]!) !== keys.lastIndexOf(keys[i]!), may)));
    return { throttleTimeMs: 0, responses };
  },
  errorResponse(req, version, errorCode, errorMessage) {
    return { throttleTimeMs: 0, responses: wantedTopics(req, version).map((w) => ({ name: w.name, topicId: w.id, errorCode, errorMessage })) };
  },
});
