/**
 * DeleteRecords (API 21), v0-v2.
 *
 * Behavior: moves each partition's log start offset up to the requested
 * offset (-1: the high watermark); records before it become unreadable at
 * once and their segments are removed by the log. An offset past the high
 * watermark is OFFSET_OUT_OF_RANGE; an offset below the current log start
 * offset changes nothing; a topic with cleanup.policy=compact only is
 * POLICY_VIOLATION; an unknown partition UNKNOWN_TOPIC_OR_PARTITION (low
 * watermark -1). low_watermark is the log start offset afterwards.
 *
 * Authorization: DELETE on each topic, else its partitions are
 * TOPIC_AUTHORIZATION_FAILED (low watermark -1).
 *
 * Version notes: one broker, so the answer does not wait for followers;
 * timeout_ms is not needed.
 */
import { ApiKey } from '../../wire/generated/api-keys.js';
import type { DeleteRecordsRequest, DeleteRecordsResponse } from '../../wire/generated/delete-records.js';
import type { DataPathContext } from './data-path-context.js';
import { ErrorCode } from '../../wire/errors.js';
import { AclOperation, ResourceType, checker } from '../request-authorization.js';

export const deleteRecords = {
  apiKey: ApiKey.DeleteRecords,
  minVersion: 0,
  maxVersion: 2,
  handle(ctx: DataPathContext, req: DeleteRecordsRequest): DeleteRecordsResponse {
    const mayDelete = checker(ctx, AclOperation.DELETE, ResourceType.TOPIC);
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => {
          if (!mayDelete(t.name)) return { partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED };
          const r = ctx.replicaManager.deleteRecords(t.name, p.partitionIndex, Number(p.offset));
          return { partitionIndex: p.partitionIndex, lowWatermark: BigInt(r.lowWatermark), errorCode: r.errorCode };
        }),
      })),
    };
  },
};
