/**
 * ListPartitionReassignments (API 46), v0.
 *
 * Behavior: the reassignments in progress, all of them (null topics) or those
 * of the partitions asked for; unknown topics and partitions are left out
 * without an error, as Kafka's controller (ReplicationControlManager.
 * listPartitionReassignments) does. With one broker a reassignment completes
 * the moment it is accepted (see AlterPartitionReassignments), so the answer
 * is always an empty list with NONE.
 *
 * Version notes: the specs' only version, v0 (flexible).
 */
import { ApiKey } from '../../wire/generated/api-keys.js';
import type { ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse } from '../../wire/generated/list-partition-reassignments.js';
import { ErrorCode } from '../../wire/errors.js';
import { defineHandler } from '../handler.js';

export const listPartitionReassignments = defineHandler<ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse>({
  apiKey: ApiKey.ListPartitionReassignments,
  minVersion: 0,
  maxVersion: 0,
  handle() {
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, topics: [] };
  },
  errorResponse(_req, _version, errorCode, message) {
    return { throttleTimeMs: 0, errorCode, errorMessage: message, topics: [] };
  },
});
