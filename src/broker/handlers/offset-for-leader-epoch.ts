/**
 * OffsetForLeaderEpoch (API 23), v0-v4.
 *
 * Behavior: one broker that has led every partition since offset 0 with
 * leader epoch 0 (the epoch Metadata reports), so the leader epoch cache is
 * {0 -> 0}: asking for the current epoch answers (epoch, log end offset);
 * an epoch above it or UNDEFINED (-1) answers (-1, -1) as Kafka's
 * LeaderEpochFileCache does; an epoch below it answers (that epoch, 0).
 * current_leader_epoch (v2+) is checked: FENCED_LEADER_EPOCH when older,
 * UNKNOWN_LEADER_EPOCH when newer. Unknown partitions get
 * UNKNOWN_TOPIC_OR_PARTITION with (-1, -1).
 *
 * Version notes: leader_epoch in the response from v1; replica_id (v3+) is
 * not used (no followers yet).
 */
import { ApiKey } from '../../wire/generated/api-keys.js';
import type { OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse } from '../../wire/generated/offset-for-leader-epoch.js';
import { ErrorCode } from '../../wire/errors.js';
import type { DataPathContext } from './data-path-context.js';

export const offsetForLeaderEpoch = {
  apiKey: ApiKey.OffsetForLeaderEpoch,
  minVersion: 0,
  maxVersion: 4,
  handle(ctx: DataPathContext, req: OffsetForLeaderEpochRequest): OffsetForLeaderEpochResponse {
    const rm = ctx.replicaManager;
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({
        topic: t.topic,
        partitions: t.partitions.map((p) => {
          const errorCode = rm.checkLeaderEpoch(t.topic, p.partition, p.currentLeaderEpoch ?? -1);
          const h = rm.handle(t.topic, p.partition);
          if (errorCode !== ErrorCode.NONE || h === undefined) return { errorCode, partition: p.partition, leaderEpoch: -1, endOffset: -1n };
          if (p.leaderEpoch === h.leaderEpoch) return { errorCode, partition: p.partition, leaderEpoch: h.leaderEpoch, endOffset: BigInt(h.log.logEndOffset) };
          if (p.leaderEpoch < 0 || p.leaderEpoch > h.leaderEpoch) return { errorCode, partition: p.partition, leaderEpoch: -1, endOffset: -1n };
          return { errorCode, partition: p.partition, leaderEpoch: p.leaderEpoch, endOffset: 0n };
        }),
      })),
    };
  },
};
