/**
 * DescribeLogDirs (API 35), v0-v4.
 *
 * Behavior: one log dir (the data directory) holding every partition; sizes
 * are the partition logs' sizes on disk; offset lag is 0 (no future
 * replicas). A null topic list means all partitions. v4 adds total/usable
 * bytes of the file system (statfs).
 */
import { statfsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ApiKey } from '../../wire/generated/api-keys.js';
import type { DescribeLogDirsRequest, DescribeLogDirsResponse } from '../../wire/generated/describe-log-dirs.js';
import { ErrorCode } from '../../wire/errors.js';
import type { BrokerContext } from '../broker-context.js';

export const describeLogDirs = {
  apiKey: ApiKey.DescribeLogDirs,
  minVersion: 0,
  maxVersion: 4,
  handle(ctx: BrokerContext, req: DescribeLogDirsRequest): DescribeLogDirsResponse {
    const wanted = req.topics ?? ctx.metadata.topics().map((t) => ({ topic: t.name, partitions: Array.from({ length: t.partitions }, (_, p) => p) }));
    const topics = wanted
      .filter((w) => ctx.metadata.topic(w.topic))
      .map((w) => ({
        name: w.topic,
        partitions: w.partitions.filter((p) => p < ctx.metadata.topic(w.topic)!.partitions).map((p) => ({
          partitionIndex: p, partitionSize: BigInt(ctx.topics.logs.get(w.topic, p)?.sizeInBytes() ?? 0), offsetLag: 0n, isFutureKey: false,
        })),
      }));
    const dir = resolve(ctx.config.dataDir);
    let totalBytes = -1n, usableBytes = -1n;
    try {
      const s = statfsSync(dir);
      totalBytes = BigInt(s.blocks) * BigInt(s.bsize);
      usableBytes = BigInt(s.bavail) * BigInt(s.bsize);
    } catch { /* unknown */ }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, results: [{ errorCode: ErrorCode.NONE, logDir: dir, topics, totalBytes, usableBytes }] };
  },
};
