/**
 * ListOffsets (API 2), v0-v10.
 *
 * Behavior: timestamp -2 (earliest) is the log start offset; -1 (latest) the
 * high watermark, or the last stable offset for read_committed (equal until
 * transactions exist); -3 (max timestamp, v7+) the offset and timestamp of
 * the record with the largest timestamp; -4 (earliest local, v8+) the log
 * start offset (no tiered storage); -5 (latest tiered, v9+) -1; any other
 * value the first record at or past the log start offset whose timestamp is
 * >= it, with that record's timestamp (looked up inside compressed batches,
 * as Kafka does), or offset -1 / timestamp -1 when there is none. Only
 * offsets below the high watermark are returned; a stored batch that cannot
 * be read fails its partition with CORRUPT_MESSAGE.
 * A partition named twice gets INVALID_REQUEST (v1+), an unknown one
 * UNKNOWN_TOPIC_OR_PARTITION; current_leader_epoch (v4+) is checked.
 *
 * Version notes: v0 answers old_style_offsets with a single offset when
 * max_num_offsets > 0. Difference from Kafka: Kafka's v0 listed segment base
 * offsets (by file modification time for a timestamp); Samsa answers what v1
 * answers (earliest, latest, or the first offset at or after the timestamp). leader_epoch (v4+) is the partition's leader epoch, -1 when no
 * offset was found.
 *
 * Authorization: DESCRIBE on each topic (asked once per topic), else its
 * partitions are TOPIC_AUTHORIZATION_FAILED with offset and timestamp -1,
 * before any other check, as Kafka answers.
 */
import { ApiKey } from '../../wire/generated/api-keys.js';
import type { ListOffsetsRequest, ListOffsetsResponse, ListOffsetsResponseListOffsetsPartitionResponse } from '../../wire/generated/list-offsets.js';
import { ErrorCode, KafkaError } from '../../wire/errors.js';
import type { DataPathContext } from './data-path-context.js';
import { AclOperation, ResourceType, checker } from '../request-authorization.js';

export const listOffsets = {
  apiKey: ApiKey.ListOffsets,
  minVersion: 0,
  maxVersion: 10,
  handle(ctx: DataPathContext, req: ListOffsetsRequest, version: number): ListOffsetsResponse {
    const rm = ctx.replicaManager;
    const seen = new Set<string>();
    const mayDescribe = checker(ctx, AclOperation.DESCRIBE, ResourceType.TOPIC);
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p): ListOffsetsResponseListOffsetsPartitionResponse => {
          const key = `${t.name}:${p.partitionIndex}`;
          const duplicate = seen.has(key);
          seen.add(key);
          let errorCode: number = !mayDescribe(t.name) ? ErrorCode.TOPIC_AUTHORIZATION_FAILED
            : duplicate && version >= 1 ? ErrorCode.INVALID_REQUEST : rm.checkLeaderEpoch(t.name, p.partitionIndex, p.currentLeaderEpoch ?? -1);
          let r = { offset: -1, timestamp: -1, leaderEpoch: -1 };
          if (errorCode === ErrorCode.NONE) {
            try {
              const found = rm.listOffset(t.name, p.partitionIndex, Number(p.timestamp), req.isolationLevel ?? 0);
              errorCode = found.errorCode;
              r = found;
            } catch (e) {
              // A stored batch that cannot be read (CORRUPT_MESSAGE) fails this partition only, as in Kafka; either way it is logged.
              ctx.log?.error(`ListOffsets ${key}: ${e instanceof KafkaError ? e.message : (e as Error)?.stack ?? String(e)}`);
              errorCode = e instanceof KafkaError ? e.code : ErrorCode.UNKNOWN_SERVER_ERROR;
            }
          }
          if (version === 0) {
            const max = p.maxNumOffsets ?? 1;
            return { partitionIndex: p.partitionIndex, errorCode, oldStyleOffsets: errorCode === ErrorCode.NONE && r.offset >= 0 && max > 0 ? [BigInt(r.offset)] : [] };
          }
          return { partitionIndex: p.partitionIndex, errorCode, timestamp: BigInt(r.timestamp), offset: BigInt(r.offset), leaderEpoch: r.leaderEpoch };
        }),
      })),
    };
  },
};
