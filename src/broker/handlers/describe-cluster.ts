/**
 * DescribeCluster (API 60), v0-v1.
 *
 * Behavior: the cluster id, this broker (its advertised address) as the only
 * broker and the controller. Authorized operations are not computed (no ACLs).
 * v1 asks for an endpoint type: brokers (1) are answered; controllers (2) get
 * UNSUPPORTED_ENDPOINT_TYPE as from a broker listener in Kafka.
 */
import { ApiKey } from '../../wire/generated/api-keys.js';
import type { DescribeClusterRequest, DescribeClusterResponse } from '../../wire/generated/describe-cluster.js';
import { ErrorCode } from '../../wire/errors.js';
import { defineHandler } from '../handler.js';

export const describeCluster = defineHandler<DescribeClusterRequest, DescribeClusterResponse>({
  apiKey: ApiKey.DescribeCluster,
  minVersion: 0,
  maxVersion: 1,
  handle(ctx, req) {
    const base = { throttleTimeMs: 0, endpointType: req.endpointType ?? 1, clusterId: ctx.metadata.clusterId, controllerId: ctx.nodeId, clusterAuthorizedOperations: -2147483648 };
    if ((req.endpointType ?? 1) !== 1) {
      return { ...base, errorCode: ErrorCode.UNSUPPORTED_ENDPOINT_TYPE, errorMessage: 'The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type CONTROLLER', brokers: [] };
    }
    return { ...base, errorCode: ErrorCode.NONE, errorMessage: null, brokers: [{ brokerId: ctx.nodeId, host: ctx.advertised.host, port: ctx.advertised.port, rack: null }] };
  },
});
