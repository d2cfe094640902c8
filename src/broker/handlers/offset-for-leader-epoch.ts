/**
 * OffsetForLeaderEpoch (API 23), v0-v4.
 *
 * Behavior: answered by the partition's leader from its leader epoch cache
 * (leader-epoch-checkpoint): the current epoch ends at the log end offset; an
 * earlier epoch answers the largest epoch <= it and the start offset of the
 * next; an epoch above the current one, UNDEFINED (-1), or one before the
 * log's first answers (-1, -1), as Kafka's LeaderEpochFileCache does.
 * current_leader_epoch (v2+) is checked: FENCED_LEADER_EPOCH when older,
 * UNKNOWN_LEADER_EPOCH when newer. A broker that does not lead the partition
 * answers NOT_LEADER_OR_FOLLOWER; unknown partitions get
 * UNKNOWN_TOPIC_OR_PARTITION with (-1, -1).
 *
 * Version notes: leader_epoch in the response from v1; replica_id (v3+) is
 * accepted from consumers and followers alike.
 *
 * Authorization (KIP-320): CLUSTER_ACTION on the cluster (brokers) allows
 * every topic; otherwise DESCRIBE on each topic, else its partitions are
 * TOPIC_AUTHORIZATION_FAILED with (-1, -1).
 */
import { ApiKey } from '../../wire/generated/api-keys.js';
import type { OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse } from '../../wire/generated/offset-for-leader-epoch.js';
import { ErrorCode } from '../../wire/errors.js';
import type { DataPathContext } from './data-path-context.js';
import { AclOperation, ResourceType, allowedOnCluster, checker } from '../request-authorization.js';

export const offsetForLeaderEpoch = {
  apiKey: ApiKey.OffsetForLeaderEpoch,
  minVersion: 0,
  maxVersion: 4,
  handle(ctx: DataPathContext, req: OffsetForLeaderEpochRequest): OffsetForLeaderEpochResponse {
    const rm = ctx.replicaManager;
    const mayDescribe = allowedOnCluster(ctx, AclOperation.CLUSTER_ACTION) ? () => true : checker(ctx, AclOperation.DESCRIBE, ResourceType.TOPIC);
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({
        topic: t.topic,
        partitions: t.partitions.map((p) => {
          if (!mayDescribe(t.topic)) return { errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, partition: p.partition, leaderEpoch: -1, endOffset: -1n };
          const errorCode = rm.checkLeaderEpoch(t.topic, p.partition, p.currentLeaderEpoch ?? -1);
          if (errorCode !== ErrorCode.NONE) return { errorCode, partition: p.partition, leaderEpoch: -1, endOffset: -1n };
          const e = rm.endOffsetForEpoch(t.topic, p.partition, p.leaderEpoch);
          return { errorCode, partition: p.partition, leaderEpoch: e.epoch, endOffset: BigInt(e.endOffset) };
        }),
      })),
    };
  },
};
