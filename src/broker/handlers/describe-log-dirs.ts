/**
 * DescribeLogDirs (API 35), v0-v4.
 *
 * Behavior: each broker describes only itself, as in Kafka (an admin client
 * sends the request to every broker it wants to hear about): one log dir,
 * this broker's data directory as an absolute path, holding the replicas this
 * broker is assigned (leader or follower, including replicas being added by
 * a reassignment). A partition's size is its log's bytes on disk (0 before
 * the log exists). offset_lag is 0: Kafka reports max(high watermark - log
 * end offset, 0) for a current replica, which is never positive, and
 * is_future_key is false (replicas never move between log dirs here). A null
 * topic list means every replica here; otherwise only the partitions asked
 * for. Unknown topics and partitions, and those this broker has no replica
 * of, are left out, and a topic with none left is not listed at all, as
 * Kafka groups the logs it has by topic.
 *
 * Authorization: DESCRIBE on the cluster, else no log dirs and
 * CLUSTER_AUTHORIZATION_FAILED (v3+; older versions just see none).
 *
 * Version notes: v3+ has a top-level error code; v4 adds the file system's
 * total and usable bytes (-1 when they cannot be read).
 */
import { ApiKey } from '../../wire/generated/api-keys.js';
import type { DescribeLogDirsRequest, DescribeLogDirsResponse, DescribeLogDirsResponseDescribeLogDirsTopic } from '../../wire/generated/describe-log-dirs.js';
import { ErrorCode } from '../../wire/errors.js';
import { defineHandler } from '../handler.js';
import { AclOperation, allowedOnCluster } from '../request-authorization.js';

export const describeLogDirs = defineHandler<DescribeLogDirsRequest, DescribeLogDirsResponse>({
  apiKey: ApiKey.DescribeLogDirs,
  minVersion: 0,
  maxVersion: 4,
  handle(ctx, req) {
    if (!allowedOnCluster(ctx, AclOperation.DESCRIBE)) return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, results: [] };
    const wanted = req.topics ?? ctx.metadata.topics().map((t) => ({ topic: t.name, partitions: Array.from({ length: t.partitions }, (_, p) => p) }));
    // One entry per topic even when a request names a topic twice, as Kafka's grouping of its logs gives.
    const byTopic = new Map<string, Set<number>>();
    for (const w of wanted) {
      const set = byTopic.get(w.topic) ?? new Set<number>();
      for (const p of w.partitions) set.add(p);
      byTopic.set(w.topic, set);
    }
    const topics: DescribeLogDirsResponseDescribeLogDirsTopic[] = [];
    for (const [name, partitions] of byTopic) {
      const hosted = [...partitions].sort((a, b) => a - b).flatMap((p) => {
        const size = ctx.topics.partitionSize(name, p);
        return size === undefined ? [] : [{ partitionIndex: p, partitionSize: BigInt(size), offsetLag: 0n, isFutureKey: false }];
      });
      if (hosted.length) topics.push({ name, partitions: hosted });
    }
    const dir = ctx.topics.logDir();
    return {
      throttleTimeMs: 0, errorCode: ErrorCode.NONE,
      results: [{ errorCode: ErrorCode.NONE, logDir: dir.path, topics, totalBytes: dir.totalBytes, usableBytes: dir.usableBytes }],
    };
  },
  errorResponse(_req, _version, errorCode) {
    return { throttleTimeMs: 0, errorCode, results: [] };
  },
});
