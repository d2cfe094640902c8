/**
 * Metadata (API 3), v0-v12.
 *
 * Behavior: the brokers are the unfenced registered brokers (all of them when
 * none is registered yet), the controller the active one; each partition
 * shows its leader (-1 with LEADER_NOT_AVAILABLE when it has none, or when it
 * is on a fenced broker: the next one is not elected yet), leader
 * epoch, replicas, ISR and the replicas on fenced brokers as offline
 * (v5+), from the cluster metadata this broker holds. Topics are
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
 * Authorization (KafkaApis.handleTopicMetadataRequest): DESCRIBE on each
 * topic. Listing all topics leaves out those the principal may not describe;
 * one asked for by name gets TOPIC_AUTHORIZATION_FAILED (zero topic id,
 * whether it exists or not, and it is never auto-created), by id
 * TOPIC_AUTHORIZATION_FAILED with its id and a null name. A describable topic
 * that does not exist is auto-created only with CREATE on the cluster or on
 * the topic, else TOPIC_AUTHORIZATION_FAILED (with auto-creation off or not
 * allowed by the request it stays UNKNOWN_TOPIC_OR_PARTITION).
 *
 * Version notes: v1+ has the controller id and rack, v2+ the cluster id, v7+
 * leader epochs, v10+ topic ids. v8+ computes topic authorized operations
 * when asked (include_topic_authorized_operations) for every topic answered
 * but the refused ones, and v8-v10 the cluster's (0 without DESCRIBE on the
 * cluster); otherwise Kafka's "not requested" value.
 */
import { ApiKey } from '../../wire/generated/api-keys.js';
import type { MetadataRequest, MetadataResponse, MetadataResponseMetadataResponseTopic } from '../../wire/generated/metadata.js';
import { ZERO_UUID } from '../../wire/protocol/uuid.js';
import { ErrorCode } from '../../wire/errors.js';
import { topicNameError } from '../../controller/metadata-store.js';
import { endpointFor } from '../../controller/cluster-metadata.js';
import type { TopicMetadata } from '../../controller/cluster-metadata.js';
import { CLUSTER_RESOURCE_NAME } from '../../security/acl.js';
import { INTERNAL_TOPICS } from '../topic-manager.js';
import type { BrokerContext } from '../broker-context.js';
import { defineHandler } from '../handler.js';
import { AclOperation, OPERATIONS_NOT_REQUESTED, ResourceType, allowedOnCluster, authorizedOperations, checker } from '../request-authorization.js';

function describe(ctx: BrokerContext, t: TopicMetadata): MetadataResponseMetadataResponseTopic {
  const live = (id: number) => ctx.metadata.broker(id)?.fenced !== true;
  return {
    errorCode: ErrorCode.NONE,
    name: t.name,
    topicId: t.id,
    isInternal: t.internal,
    partitions: t.states.map((s, p) => ({
      // A leader that is not live (fenced, its new leader not elected yet) is not named, as Kafka answers: a client
      // told to fetch from a broker missing from the broker list never fetches the partition nor asks again.
      errorCode: s.leader === -1 || !live(s.leader) ? ErrorCode.LEADER_NOT_AVAILABLE : ErrorCode.NONE, partitionIndex: p, leaderId: live(s.leader) ? s.leader : -1, leaderEpoch: s.leaderEpoch,
      replicaNodes: s.replicas, isrNodes: s.isr, offlineReplicas: s.replicas.filter((r) => !live(r)),
    })),
  };
}

/** The brokers clients may talk to: the registered ones that are not fenced (this one alone before it registers). */
export function liveBrokers(ctx: BrokerContext): { nodeId: number; host: string; port: number; rack: string | null }[] {
  // Each broker as reached on the listener this client came in on; one without that listener is left out, as Kafka does.
  const live = ctx.metadata.brokers().filter((b) => !b.fenced).flatMap((b) => {
    const at = endpointFor(b, ctx.session.listener.name);
    return at ? [{ nodeId: b.id, host: at.host, port: at.port, rack: b.rack }] : [];
  });
  return live.length ? live : [{ nodeId: ctx.nodeId, host: ctx.advertised.host, port: ctx.advertised.port, rack: null }];
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
  async handle(ctx, req, version) {
    const all = req.topics === null || (version === 0 && req.topics.length === 0);
    if (!all && version < 12 && req.topics!.some((t) => t.name === null || (t.topicId !== undefined && t.topicId !== ZERO_UUID))) {
      return failAll(req, ErrorCode.INVALID_REQUEST);
    }
    const mayDescribe = checker(ctx, AclOperation.DESCRIBE, ResourceType.TOPIC);
    const autoCreate = (version < 4 || req.allowAutoTopicCreation !== false) && ctx.config.bool('auto.create.topics.enable');
    // Asked only when a describable topic is missing: CREATE on the cluster covers every topic.
    let mayCreate: ((name: string) => boolean) | undefined;
    const creatable = (name: string) => {
      mayCreate ??= allowedOnCluster(ctx, AclOperation.CREATE) ? () => true : checker(ctx, AclOperation.CREATE, ResourceType.TOPIC);
      return mayCreate(name);
    };
    // Refused topics and unknown ids keep the "not requested" operations, as in Kafka.
    const noOperations = new Set<MetadataResponseMetadataResponseTopic>();
    const without = (r: MetadataResponseMetadataResponseTopic) => { noOperations.add(r); return r; };
    const refuse = (name: string | null, topicId = ZERO_UUID) => without(missing(ErrorCode.TOPIC_AUTHORIZATION_FAILED, name, topicId));
    const topics = all
      ? ctx.metadata.topics().filter((t) => mayDescribe(t.name)).map((t) => describe(ctx, t))
      : await Promise.all(req.topics!.map(async (wanted) => {
        if (wanted.name === null || (wanted.topicId !== undefined && wanted.topicId !== ZERO_UUID)) {
          const t = wanted.topicId && wanted.topicId !== ZERO_UUID ? ctx.metadata.topicById(wanted.topicId) : undefined;
          if (!t) return without(missing(ErrorCode.UNKNOWN_TOPIC_ID, null, wanted.topicId));
          // Topic ids are not secret: the refusal names the id, never the topic.
          return mayDescribe(t.name) ? describe(ctx, t) : refuse(null, t.id);
        }
        if (!mayDescribe(wanted.name)) return refuse(wanted.name);
        let t = ctx.metadata.topic(wanted.name);
        if (!t && autoCreate) {
          if (!creatable(wanted.name)) {
            const r = refuse(wanted.name);
            r.isInternal = INTERNAL_TOPICS.has(wanted.name);
            return r;
          }
          t = await ctx.topics.autoCreate(wanted.name);
        }
        if (t) return describe(ctx, t);
        return missing(topicNameError(wanted.name) ? ErrorCode.INVALID_TOPIC_EXCEPTION : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, wanted.name);
      }));
    if (version >= 8 && req.includeTopicAuthorizedOperations) {
      for (const t of topics) if (!noOperations.has(t)) t.topicAuthorizedOperations = authorizedOperations(ctx, ResourceType.TOPIC, t.name ?? '');
    }
    let clusterAuthorizedOperations = OPERATIONS_NOT_REQUESTED;
    if (version >= 8 && version <= 10 && req.includeClusterAuthorizedOperations) {
      clusterAuthorizedOperations = allowedOnCluster(ctx, AclOperation.DESCRIBE) ? authorizedOperations(ctx, ResourceType.CLUSTER, CLUSTER_RESOURCE_NAME) : 0;
    }
    return {
      throttleTimeMs: 0,
      brokers: liveBrokers(ctx),
      clusterId: ctx.metadata.clusterId,
      controllerId: ctx.metadata.controllerId() >= 0 ? ctx.metadata.controllerId() : ctx.nodeId,
      topics,
      clusterAuthorizedOperations,
    };
  },
  errorResponse: (req, _version, errorCode) => failAll(req, errorCode),
});
