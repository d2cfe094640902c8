/**
 * Metadata (API 3), v0-v12.
 *
 * Behavior: this broker is the only broker, the controller, and the leader of
 * every partition (leader epoch 0, replicas = ISR = [this node]). Topics are
 * listed by name; a null list (v1+), or an empty one in v0, means all topics.
 * An unknown topic is auto-created with num.partitions when
 * auto.create.topics.enable is on and the request allows it (v4+ flag; always
 * for v0-v3), else UNKNOWN_TOPIC_OR_PARTITION; an illegal name gets
 * INVALID_TOPIC_EXCEPTION. Internal topics (__consumer_offsets,
 * __transaction_state) are marked is_internal and are never auto-created here.
 * v12+ requests may name topics by id (UNKNOWN_TOPIC_ID when no topic has it);
 * an empty name is a name like any other (INVALID_TOPIC_EXCEPTION), not a
 * request by id. v10 and v11 carry a nullable name and a topic id but Kafka
 * never served either there: a null name or a topic id in them fails the whole
 * request with INVALID_REQUEST on every topic, as Kafka answers.
 *
 * Difference from Kafka: creation is synchronous, so an auto-created topic is
 * described at once (Kafka answers LEADER_NOT_AVAILABLE until its leaders are
 * elected, and clients retry).
 *
 * Version notes: v1+ has the controller id and rack, v2+ the cluster id, v7+
 * leader epochs, v10+ topic ids; authorized operations are not computed (no
 * ACLs) and stay at Kafka's "not requested" value.
 */
import { ApiKey } from '../../wire/generated/api-keys.js';
import type { MetadataRequest, MetadataResponse, MetadataResponseMetadataResponseTopic } from '../../wire/generated/metadata.js';
import { ZERO_UUID } from '../../wire/protocol/uuid.js';
import { ErrorCode } from '../../wire/errors.js';
import { topicNameError, type TopicMetadata } from '../../controller/metadata-store.js';
import type { BrokerContext } from '../broker-context.js';
import { defineHandler } from '../handler.js';

function describe(ctx: BrokerContext, t: TopicMetadata): MetadataResponseMetadataResponseTopic {
  const node = ctx.nodeId;
  return {
    errorCode: ErrorCode.NONE,
    name: t.name,
    topicId: t.id,
    isInternal: t.internal,
    partitions: Array.from({ length: t.partitions }, (_, p) => ({
      errorCode: ErrorCode.NONE, partitionIndex: p, leaderId: node, leaderEpoch: 0, replicaNodes: [node], isrNodes: [node], offlineReplicas: [],
    })),
  };
}

const missing = (errorCode: number, name: string | null, topicId = ZERO_UUID): MetadataResponseMetadataResponseTopic =>
  ({ errorCode, name, topicId, isInternal: false, partitions: [] });

/** Every topic asked for gets `errorCode` (Kafka's MetadataRequest.getErrorResponse). */
const failAll = (req: MetadataRequest, errorCode: number): MetadataResponse => ({
  throttleTimeMs: 0, brokers: [], clusterId: null, controllerId: -1,
  // The response's name is not nullable before v12, so a null one is answered as '', as Kafka does.
  topics: (req.topics ?? []).map((t) => missing(errorCode, t.name ?? '', t.topicId)),
});

export const metadata = defineHandler<MetadataRequest, MetadataResponse>({
  apiKey: ApiKey.Metadata,
  minVersion: 0,
  maxVersion: 12,
  handle(ctx, req, version) {
    const all = req.topics === null || (version === 0 && req.topics.length === 0);
    if (!all && version < 12 && req.topics!.some((t) => t.name === null || (t.topicId !== undefined && t.topicId !== ZERO_UUID))) {
      return failAll(req, ErrorCode.INVALID_REQUEST);
    }
    const mayCreate = version < 4 || req.allowAutoTopicCreation !== false;
    const topics = all
      ? ctx.metadata.topics().map((t) => describe(ctx, t))
      : req.topics!.map((wanted) => {
        if (wanted.name === null || (wanted.topicId !== undefined && wanted.topicId !== ZERO_UUID)) {
          const t = wanted.topicId && wanted.topicId !== ZERO_UUID ? ctx.metadata.topicById(wanted.topicId) : undefined;
          return t ? describe(ctx, t) : missing(ErrorCode.UNKNOWN_TOPIC_ID, null, wanted.topicId);
        }
        const t = ctx.metadata.topic(wanted.name) ?? (mayCreate ? ctx.topics.autoCreate(wanted.name) : undefined);
        if (t) return describe(ctx, t);
        return missing(topicNameError(wanted.name) ? ErrorCode.INVALID_TOPIC_EXCEPTION : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, wanted.name);
      });
    return {
      throttleTimeMs: 0,
      brokers: [{ nodeId: ctx.nodeId, host: ctx.advertised.host, port: ctx.advertised.port, rack: null }],
      clusterId: ctx.metadata.clusterId,
      controllerId: ctx.nodeId,
      topics,
    };
  },
  errorResponse: (req, _version, errorCode) => failAll(req, errorCode),
});
