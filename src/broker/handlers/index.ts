/**
 * The registry: every API the broker serves, in one list. Dispatch, the
 * ApiVersions response and the README's API table all derive from it; to add
 * an API, write its handler file and add it here.
 */
import type { Handler } from '../handler.js';
import type { ApiVersionsResponseApiVersion } from '../../wire/generated/api-versions.js';
import { apiVersions } from './api-versions.js';
import { metadata } from './metadata.js';
import { createTopics } from './create-topics.js';
import { deleteTopics } from './delete-topics.js';
import { createPartitions } from './create-partitions.js';
import { describeConfigs } from './describe-configs.js';
import { alterConfigs } from './alter-configs.js';
import { incrementalAlterConfigs } from './incremental-alter-configs.js';
import { describeCluster } from './describe-cluster.js';
import { describeLogDirs } from './describe-log-dirs.js';
import { produce } from './produce.js';
import { fetch } from './fetch.js';
import { listOffsets } from './list-offsets.js';
import { deleteRecords } from './delete-records.js';
import { offsetForLeaderEpoch } from './offset-for-leader-epoch.js';
import { findCoordinator } from './find-coordinator.js';
import { joinGroup } from './join-group.js';
import { syncGroup } from './sync-group.js';
import { heartbeat } from './heartbeat.js';
import { leaveGroup } from './leave-group.js';
import { offsetCommit } from './offset-commit.js';
import { offsetFetch } from './offset-fetch.js';
import { listGroups } from './list-groups.js';
import { describeGroups } from './describe-groups.js';
import { consumerGroupHeartbeat } from './consumer-group-heartbeat.js';
import { consumerGroupDescribe } from './consumer-group-describe.js';
import { deleteGroups } from './delete-groups.js';
import { offsetDelete } from './offset-delete.js';
import { initProducerId } from './init-producer-id.js';
import { addPartitionsToTxn } from './add-partitions-to-txn.js';
import { addOffsetsToTxn } from './add-offsets-to-txn.js';
import { endTxn } from './end-txn.js';
import { txnOffsetCommit } from './txn-offset-commit.js';
import { describeProducers } from './describe-producers.js';
import { describeTransactions } from './describe-transactions.js';
import { listTransactions } from './list-transactions.js';
import { writeTxnMarkers } from './write-txn-markers.js';
import { alterPartitionReassignments } from './alter-partition-reassignments.js';
import { listPartitionReassignments } from './list-partition-reassignments.js';
import { electLeaders } from './elect-leaders.js';
import { describeTopicPartitions } from './describe-topic-partitions.js';
import { saslHandshake } from './sasl-handshake.js';
import { saslAuthenticate } from './sasl-authenticate.js';
import { describeAcls } from './describe-acls.js';
import { createAcls } from './create-acls.js';
import { deleteAcls } from './delete-acls.js';
import { describeUserScramCredentials } from './describe-user-scram-credentials.js';
import { alterUserScramCredentials } from './alter-user-scram-credentials.js';
import { describeClientQuotas } from './describe-client-quotas.js';
import { alterClientQuotas } from './alter-client-quotas.js';

export const HANDLERS: readonly Handler[] = [
  produce,
  fetch,
  listOffsets,
  metadata,
  apiVersions,
  createTopics,
  deleteTopics,
  deleteRecords,
  initProducerId,
  offsetForLeaderEpoch,
  describeConfigs,
  alterConfigs,
  describeLogDirs,
  createPartitions,
  incrementalAlterConfigs,
  describeCluster,
  findCoordinator,
  joinGroup,
  syncGroup,
  heartbeat,
  leaveGroup,
  offsetCommit,
  offsetFetch,
  listGroups,
  describeGroups,
  deleteGroups,
  consumerGroupHeartbeat,
  consumerGroupDescribe,
  offsetDelete,
  addPartitionsToTxn,
  addOffsetsToTxn,
  endTxn,
  txnOffsetCommit,
  describeProducers,
  describeTransactions,
  listTransactions,
  writeTxnMarkers,
  alterPartitionReassignments,
  listPartitionReassignments,
  electLeaders,
  describeTopicPartitions,
  saslHandshake,
  saslAuthenticate,
  describeAcls,
  createAcls,
  deleteAcls,
  describeUserScramCredentials,
  alterUserScramCredentials,
  describeClientQuotas,
  alterClientQuotas,
].sort((a, b) => a.apiKey - b.apiKey);

/** What ApiVersions advertises: exactly the registered ranges. */
export function supportedApiVersions(): ApiVersionsResponseApiVersion[] {
  return HANDLERS.map((h) => ({ apiKey: h.apiKey, minVersion: h.minVersion, maxVersion: h.maxVersion }));
}
