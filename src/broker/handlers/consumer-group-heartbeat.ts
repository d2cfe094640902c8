/**
 * ConsumerGroupHeartbeat (API 68), v0-v1: the KIP-848 consumer group
 * protocol (src/coordinator/group/consumer-heartbeat.ts). A member joins
 * with epoch 0, heartbeats with its member epoch and the partitions it owns,
 * and gets its assignment from the broker's assignor (`uniform` by default,
 * `range`); epoch -1 leaves, -2 is a static member leaving for a while.
 *
 * Version notes: v1 (KIP-1082) has the client choose its member id (a UUID)
 * and send it from the first heartbeat (an empty one is INVALID_REQUEST); on
 * v0 a join without one gets a server-generated id. v1 adds
 * SubscribedTopicRegex (KIP-848 regular expressions, resolved on the broker;
 * JavaScript RegExp syntax matching whole topic names, where Kafka uses
 * RE2J). The spec marks v1 unstable; Kafka 4.0 serves it as stable, and so
 * does Samsa.
 *
 * Errors: as Kafka's group coordinator, with its messages; a group whose
 * __consumer_offsets partition this broker does not lead gets
 * NOT_COORDINATOR (COORDINATOR_LOAD_IN_PROGRESS while it loads).
 *
 * Authorization: READ on the group, else GROUP_AUTHORIZATION_FAILED; with
 * subscribed topic names, DESCRIBE on each of them, else
 * TOPIC_AUTHORIZATION_FAILED (Kafka 4.0); a regex resolves only to topics
 * the member may DESCRIBE.
 */
import { ApiKey } from '../../wire/generated/api-keys.js';
import type { ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse } from '../../wire/generated/consumer-group-heartbeat.js';
import { defineHandler } from '../handler.js';
import { ErrorCode } from '../../wire/errors.js';
import { AclOperation, ResourceType, allowed, checker, deniedMessage } from '../request-authorization.js';

const refusal = (errorCode: number, errorMessage: string | null = null): ConsumerGroupHeartbeatResponse => ({
  throttleTimeMs: 0, errorCode, errorMessage, memberId: null, memberEpoch: 0, heartbeatIntervalMs: 0, assignment: null,
});

export const consumerGroupHeartbeat = defineHandler<ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse>({
  apiKey: ApiKey.ConsumerGroupHeartbeat,
  minVersion: 0,
  maxVersion: 1,
  async handle(ctx, req, version) {
    if (!allowed(ctx, AclOperation.READ, ResourceType.GROUP, req.groupId)) return refusal(ErrorCode.GROUP_AUTHORIZATION_FAILED, deniedMessage(ErrorCode.GROUP_AUTHORIZATION_FAILED));
    const names = req.subscribedTopicNames;
    const mayDescribe = checker(ctx, AclOperation.DESCRIBE, ResourceType.TOPIC);
    if (names && names.length > 0 && !names.every(mayDescribe)) return refusal(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    await ctx.groups.prepare(req.groupId);
    const r = await ctx.groups.consumerHeartbeat({
      groupId: req.groupId, memberId: req.memberId, memberEpoch: req.memberEpoch, instanceId: req.instanceId, rackId: req.rackId,
      rebalanceTimeoutMs: req.rebalanceTimeoutMs, subscribedTopicNames: names, subscribedTopicRegex: version >= 1 ? req.subscribedTopicRegex ?? null : null,
      serverAssignor: req.serverAssignor, topicPartitions: req.topicPartitions,
      clientId: ctx.clientId ?? '', clientHost: ctx.clientHost, apiVersion: version, mayDescribeTopic: mayDescribe,
    });
    return {
      throttleTimeMs: 0, errorCode: r.errorCode, errorMessage: r.errorMessage, memberId: r.memberId, memberEpoch: r.memberEpoch,
      heartbeatIntervalMs: r.heartbeatIntervalMs, assignment: r.assignment && { topicPartitions: r.assignment },
    };
  },
  errorResponse(_req, _version, errorCode, message) { return refusal(errorCode, message); },
});
