/**
 * DescribeCluster (API 60), v0-v1.
 *
 * Behavior: the cluster id, the brokers clients may reach (the registered
 * brokers that are not fenced, each with its advertised address and
 * broker.rack; this broker alone before it has registered) and the active
 * controller's broker id (-1 while there is none). Kafka in KRaft mode names
 * a random live broker as the controller, because clients cannot reach its
 * quorum; Samsa's controller is one of its brokers, so naming it tells an
 * operator something true and still gives clients a broker they can reach.
 * No authorization beyond this: with include_cluster_authorized_operations
 * the cluster's authorized operations bit field is computed (0 without
 * DESCRIBE on the cluster), else the "not asked" value, as Kafka does.
 *
 * Version notes: v1 adds endpoint_type; brokers (1) are answered, controllers
 * (2) get UNSUPPORTED_ENDPOINT_TYPE, as a Kafka broker listener answers them.
 */
import { ApiKey } from '../../wire/generated/api-keys.js';
import type { DescribeClusterRequest, DescribeClusterResponse } from '../../wire/generated/describe-cluster.js';
import { ErrorCode } from '../../wire/errors.js';
import { defineHandler } from '../handler.js';
import { liveBrokers } from './metadata.js';
import { AclOperation, OPERATIONS_NOT_REQUESTED, ResourceType, allowedOnCluster, authorizedOperations } from '../request-authorization.js';
import { CLUSTER_RESOURCE_NAME } from '../../security/acl.js';

export const describeCluster = defineHandler<DescribeClusterRequest, DescribeClusterResponse>({
  apiKey: ApiKey.DescribeCluster,
  minVersion: 0,
  maxVersion: 1,
  handle(ctx, req) {
    const endpointType = req.endpointType ?? 1;
    const base = { throttleTimeMs: 0, endpointType, clusterId: ctx.metadata.clusterId, controllerId: ctx.metadata.controllerId(), clusterAuthorizedOperations: OPERATIONS_NOT_REQUESTED };
    if (endpointType !== 1) {
      return { ...base, errorCode: ErrorCode.UNSUPPORTED_ENDPOINT_TYPE, errorMessage: 'The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type CONTROLLER', brokers: [] };
    }
    if (req.includeClusterAuthorizedOperations) {
      base.clusterAuthorizedOperations = allowedOnCluster(ctx, AclOperation.DESCRIBE) ? authorizedOperations(ctx, ResourceType.CLUSTER, CLUSTER_RESOURCE_NAME) : 0;
    }
    const brokers = liveBrokers(ctx).sort((a, b) => a.nodeId - b.nodeId).map((b) => ({ brokerId: b.nodeId, host: b.host, port: b.port, rack: b.rack }));
    return { ...base, errorCode: ErrorCode.NONE, errorMessage: null, brokers };
  },
});
