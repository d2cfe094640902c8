/**
 * DescribeLogDirs (API 35), v0-v4.
 *
 * Behavior: one log dir (the data directory, as an absolute path) holding
 * every partition; a partition's size is its log's bytes on disk; offset lag
 * is 0 and is_future_key false (no replica movement between dirs). A null
 * topic list means every partition; unknown topics and partitions are left
 * out, as Kafka does.
 *
 * Version notes: v3+ has a top-level error code; v4 adds the file system's
 * total and usable bytes (-1 when they cannot be read).
 */
import { ApiKey } from '../../wire/generated/api-keys.js';
import type { DescribeLogDirsRequest, DescribeLogDirsResponse } from '../../wire/generated/describe-log-dirs.js';
import { ErrorCode } from '../../wire/errors.js';
import { defineHandler } from '../handler.js';

export const describeLogDirs = defineHandler<DescribeLogDirsRequest, DescribeLogDirsResponse>({
  apiKey: ApiKey.DescribeLogDirs,
  minVersion: 0,
  maxVersion: 4,
  handle(ctx, req) {
    const wanted = req.topics ?? ctx.metadata.topics().map((t) => ({ topic: t.name, partitions: Array.from({ length: t.partitions }, (_, p) => p) }));
    const topics = wanted
      .filter((w) => ctx.metadata.topic(w.topic))
      .map((w) => ({
        name: w.topic,
        partitions: w.partitions.flatMap((p) => {
          const size = ctx.topics.partitionSize(w.topic, p);
          return size === undefined ? [] : [{ partitionIndex: p, partitionSize: BigInt(size), offsetLag: 0n, isFutureKey: false }];
        }),
      }));
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
