/**
 * Every API's refusal where Kafka puts it, read with a bare client (our
 * generated codecs) logged in as alice with SASL/PLAIN on a broker with
 * allow.everyone.if.no.acl.found=false and no ACLs for her: the data path
 * (ListOffsets, OffsetForLeaderEpoch, DeleteRecords, consumer and follower
 * Fetch), groups, transactions, configs and the cluster operations. Then a few
 * grants and what they open: a group's offsets without the topics alice may
 * not describe, DescribeGroups' operations, ListTransactions and
 * DescribeTransactions filtered, DescribeLogDirs. admin (a super user) builds
 * the state with kafkajs and kcat.
 */
import t, { type Test } from 'tap';
import kafkajs from 'kafkajs';
import { ADMIN, ALICE, type SecureBroker } from './helpers/secure-broker.js';
import { WireClient } from './helpers/wire-client.js';
import { kcat } from './helpers/kcat.js';
import { LISTENER, aclBroker, client, grant, kcatAs } from './helpers/acl-clients.js';
import { ApiKey } from '../src/wire/generated/api-keys.js';
import { loadCodecs } from '../src/wire/generated/lazy-codecs.js';
import { ErrorCode } from '../src/wire/errors.js';

const { AclResourceTypes, AclOperationTypes: OP } = kafkajs;
const { TOPIC, GROUP, CLUSTER, TRANSACTIONAL_ID } = AclResourceTypes;
const bits = (...ops: number[]) => ops.reduce((n, op) => n | (1 << op), 0);
const E = ErrorCode;

// Loosely typed on purpose: the answers are read field by field below.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Answer = any;

/** A bare client logged in with PLAIN that sends any request by API key as a plain object. */
async function loggedIn(t: Test, b: SecureBroker, user = ALICE) {
  const c = await WireClient.connect('127.0.0.1', b.port(LISTENER));
  t.teardown(() => c.close());
  const call = async (apiKey: number, version: number, body: object): Promise<Answer> => {
    const codecs = (await loadCodecs(apiKey))!;
    return c.request(apiKey, version, (w) => codecs.request.encode(w, body as never, version), (r) => codecs.response.decode(r, version));
  };
  const auth: Answer[] = [
    await call(ApiKey.SaslHandshake, 1, { mechanism: 'PLAIN' }),
    await call(ApiKey.SaslAuthenticate, 2, { authBytes: Buffer.from(`\0${user.username}\0${user.password}`) }),
  ];
  if (auth.some((a) => a.errorCode !== 0)) throw new Error(`${user.username} could not log in`);
  return call;
}

/** The error codes of a response's partitions (topics[].partitions[] under the given field names). */
const partitionCodes = (topics: Answer[], partitions = 'partitions', code = 'errorCode'): number[] => topics.flatMap((x) => x[partitions].map((p: Answer) => p[code]));

async function setUp(t: Test) {
  const { b, admin } = await aclBroker(t);
  await admin.createTopics({ topics: ['data', 'other'].map((topic) => ({ topic })) });
  await kcat([...kcatAs(b, ADMIN), '-P', '-t', 'data'], 'one\ntwo\n');
  await kcat([...kcatAs(b, ADMIN), '-P', '-t', 'other'], 'one\n');
  // A group with offsets on both topics, and a committed transaction writing to data.
  await Promise.all(['data', 'other'].map((topic) => kcat([...kcatAs(b, ADMIN), '-G', 'grp', '-o', 'beginning', '-e', '-q', topic])));
  const txn = client(b, ADMIN).producer({ transactionalId: 'txn-a', idempotent: true, maxInFlightRequests: 1 });
  await txn.connect();
  const tx = await txn.transaction();
  await tx.send({ topic: 'data', messages: [{ value: 'in txn' }] });
  await tx.commit();
  await txn.disconnect();
  return { b, admin, call: await loggedIn(t, b) };
}

t.test('without ACLs every API refuses alice where Kafka puts the error', async (t) => {
  const { call } = await setUp(t);
  const onData = (partitions: object[]) => [{ name: 'data', partitions }];

  t.same(partitionCodes((await call(ApiKey.ListOffsets, 7, { replicaId: -1, isolationLevel: 0, topics: onData([{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n }]) })).topics), [E.TOPIC_AUTHORIZATION_FAILED], 'ListOffsets');
  t.same(partitionCodes((await call(ApiKey.OffsetForLeaderEpoch, 4, { replicaId: -1, topics: [{ topic: 'data', partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }] }] })).topics), [E.TOPIC_AUTHORIZATION_FAILED], 'OffsetForLeaderEpoch');
  const deleted = await call(ApiKey.DeleteRecords, 2, { topics: onData([{ partitionIndex: 0, offset: 1n }]), timeoutMs: 1000 });
  t.same([partitionCodes(deleted.topics), deleted.topics[0].partitions[0].lowWatermark], [[E.TOPIC_AUTHORIZATION_FAILED], -1n], 'DeleteRecords');
  const fetch = (replicaId: number) => call(ApiKey.Fetch, 12, {
    replicaId, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, rackId: '', forgottenTopicsData: [],
    topics: [{ topic: 'data', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }],
  });
  t.same(partitionCodes((await fetch(-1)).responses), [E.TOPIC_AUTHORIZATION_FAILED], 'Fetch as a consumer: READ on the topic');
  t.same(partitionCodes((await fetch(1)).responses), [E.TOPIC_AUTHORIZATION_FAILED], 'Fetch as a follower: CLUSTER_ACTION');

  const group = { groupId: 'grp', generationId: 1, memberId: 'm' };
  t.equal((await call(ApiKey.Heartbeat, 4, { ...group, groupInstanceId: null })).errorCode, E.GROUP_AUTHORIZATION_FAILED, 'Heartbeat');
  t.equal((await call(ApiKey.SyncGroup, 5, { ...group, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: [] })).errorCode, E.GROUP_AUTHORIZATION_FAILED, 'SyncGroup');
  t.equal((await call(ApiKey.LeaveGroup, 5, { groupId: 'grp', members: [{ memberId: 'm', groupInstanceId: null }] })).errorCode, E.GROUP_AUTHORIZATION_FAILED, 'LeaveGroup');
  const commit = await call(ApiKey.OffsetCommit, 9, { groupId: 'grp', generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, topics: onData([{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: null }]) });
  t.same(partitionCodes(commit.topics), [E.GROUP_AUTHORIZATION_FAILED], 'OffsetCommit');
  t.equal((await call(ApiKey.OffsetFetch, 8, { groups: [{ groupId: 'grp', topics: null }], requireStable: false })).groups[0].errorCode, E.GROUP_AUTHORIZATION_FAILED, 'OffsetFetch');
  t.equal((await call(ApiKey.OffsetDelete, 0, { groupId: 'grp', topics: onData([{ partitionIndex: 0 }]) })).errorCode, E.GROUP_AUTHORIZATION_FAILED, 'OffsetDelete');
  t.equal((await call(ApiKey.DescribeGroups, 5, { groups: ['grp'], includeAuthorizedOperations: true })).groups[0].errorCode, E.GROUP_AUTHORIZATION_FAILED, 'DescribeGroups');
  t.equal((await call(ApiKey.DeleteGroups, 2, { groupsNames: ['grp'] })).results[0].errorCode, E.GROUP_AUTHORIZATION_FAILED, 'DeleteGroups');
  t.same((await call(ApiKey.FindCoordinator, 4, { keyType: 0, coordinatorKeys: ['grp'] })).coordinators.map((x: Answer) => x.errorCode), [E.GROUP_AUTHORIZATION_FAILED], 'FindCoordinator for a group');
  t.same((await call(ApiKey.FindCoordinator, 4, { keyType: 1, coordinatorKeys: ['txn-a'] })).coordinators.map((x: Answer) => x.errorCode), [E.TRANSACTIONAL_ID_AUTHORIZATION_FAILED], 'FindCoordinator for a transactional id');

  const txn = { transactionalId: 'txn-a', producerId: 0n, producerEpoch: 0 };
  t.equal((await call(ApiKey.InitProducerId, 4, { transactionalId: 'txn-a', transactionTimeoutMs: 60000, producerId: -1n, producerEpoch: -1 })).errorCode, E.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, 'InitProducerId');
  const added = await call(ApiKey.AddPartitionsToTxn, 3, { v3AndBelowTransactionalId: 'txn-a', v3AndBelowProducerId: 0n, v3AndBelowProducerEpoch: 0, v3AndBelowTopics: [{ name: 'data', partitions: [0] }] });
  t.same(partitionCodes(added.resultsByTopicV3AndBelow, 'resultsByPartition', 'partitionErrorCode'), [E.TRANSACTIONAL_ID_AUTHORIZATION_FAILED], 'AddPartitionsToTxn v3');
  const fromBroker = await call(ApiKey.AddPartitionsToTxn, 4, { transactions: [{ ...txn, verifyOnly: true, topics: [{ name: 'data', partitions: [0] }] }] });
  t.same([fromBroker.errorCode, fromBroker.resultsByTransaction], [E.CLUSTER_AUTHORIZATION_FAILED, []], 'AddPartitionsToTxn v4 (brokers): CLUSTER_ACTION');
  t.equal((await call(ApiKey.AddOffsetsToTxn, 3, { ...txn, groupId: 'grp' })).errorCode, E.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, 'AddOffsetsToTxn');
  const txnCommit = await call(ApiKey.TxnOffsetCommit, 3, { ...txn, groupId: 'grp', generationId: -1, memberId: '', groupInstanceId: null, topics: onData([{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: null }]) });
  t.same(partitionCodes(txnCommit.topics), [E.TRANSACTIONAL_ID_AUTHORIZATION_FAILED], 'TxnOffsetCommit');
  t.equal((await call(ApiKey.EndTxn, 3, { ...txn, committed: true })).errorCode, E.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, 'EndTxn');
  const markers = await call(ApiKey.WriteTxnMarkers, 1, { markers: [{ producerId: 0n, producerEpoch: 0, transactionResult: true, coordinatorEpoch: 0, topics: [{ name: 'data', partitionIndexes: [0] }] }] });
  t.same(partitionCodes(markers.markers[0].topics), [E.CLUSTER_AUTHORIZATION_FAILED], 'WriteTxnMarkers');
  t.same((await call(ApiKey.ListTransactions, 1, { stateFilters: [], producerIdFilters: [], durationFilter: -1n })).transactionStates, [], 'ListTransactions lists nothing');
  t.equal((await call(ApiKey.DescribeTransactions, 0, { transactionalIds: ['txn-a'] })).transactionStates[0].errorCode, E.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, 'DescribeTransactions');
  const producers = await call(ApiKey.DescribeProducers, 0, { topics: [{ name: 'data', partitionIndexes: [0] }, { name: 'bad name!', partitionIndexes: [0] }] });
  t.same(partitionCodes(producers.topics), [E.TOPIC_AUTHORIZATION_FAILED, E.INVALID_TOPIC_EXCEPTION], 'DescribeProducers: READ on the topic, after the name check');

  const alter = await call(ApiKey.IncrementalAlterConfigs, 1, { validateOnly: true, resources: [[2, 'data'], [4, '0'], [8, '0'], [32, 'grp']].map(([resourceType, resourceName]) => ({ resourceType, resourceName, configs: [] })) });
  t.same(alter.responses.map((r: Answer) => r.errorCode), [E.TOPIC_AUTHORIZATION_FAILED, E.CLUSTER_AUTHORIZATION_FAILED, E.CLUSTER_AUTHORIZATION_FAILED, E.GROUP_AUTHORIZATION_FAILED], 'IncrementalAlterConfigs: topic, broker, broker logger, group');
  const elect = await call(ApiKey.ElectLeaders, 2, { electionType: 0, topicPartitions: [{ topic: 'data', partitions: [0] }], timeoutMs: 1000 });
  t.same([elect.errorCode, partitionCodes(elect.replicaElectionResults, 'partitionResult')], [E.CLUSTER_AUTHORIZATION_FAILED, [E.CLUSTER_AUTHORIZATION_FAILED]], 'ElectLeaders');
  const reassign = await call(ApiKey.AlterPartitionReassignments, 0, { timeoutMs: 1000, topics: [{ name: 'data', partitions: [{ partitionIndex: 0, replicas: [0] }] }] });
  t.same([reassign.errorCode, partitionCodes(reassign.responses)], [E.CLUSTER_AUTHORIZATION_FAILED, [E.CLUSTER_AUTHORIZATION_FAILED]], 'AlterPartitionReassignments');
  t.equal((await call(ApiKey.ListPartitionReassignments, 0, { timeoutMs: 1000, topics: null })).errorCode, E.CLUSTER_AUTHORIZATION_FAILED, 'ListPartitionReassignments');
  const dirs = await call(ApiKey.DescribeLogDirs, 4, { topics: null });
  t.same([dirs.errorCode, dirs.results], [E.CLUSTER_AUTHORIZATION_FAILED, []], 'DescribeLogDirs');
});

t.test('what grants open: offsets of describable topics only, group operations, transactions filtered, log dirs', async (t) => {
  const { admin, call } = await setUp(t);
  await grant(admin, { type: GROUP, name: 'grp', op: OP.DESCRIBE }, { type: TOPIC, name: 'data', op: OP.DESCRIBE },
    { type: TRANSACTIONAL_ID, name: 'txn-a', op: OP.DESCRIBE }, { type: CLUSTER, name: 'kafka-cluster', op: OP.DESCRIBE });

  const all = await call(ApiKey.OffsetFetch, 8, { groups: [{ groupId: 'grp', topics: null }], requireStable: false });
  t.same(all.groups[0].topics.map((x: Answer) => x.name), ['data'], 'all of the group\'s offsets: other is left out');
  const named = await call(ApiKey.OffsetFetch, 8, { groups: [{ groupId: 'grp', topics: ['data', 'other'].map((name) => ({ name, partitionIndexes: [0] })) }], requireStable: false });
  t.same(named.groups[0].topics.map((x: Answer) => [x.name, x.partitions[0].errorCode, x.partitions[0].committedOffset]), [['data', E.NONE, 2n], ['other', E.TOPIC_AUTHORIZATION_FAILED, -1n]], 'named: other is refused');

  const described = await call(ApiKey.DescribeGroups, 5, { groups: ['grp'], includeAuthorizedOperations: true });
  t.same([described.groups[0].errorCode, described.groups[0].authorizedOperations], [E.NONE, bits(OP.DESCRIBE)], 'DescribeGroups: DESCRIBE only');
  t.equal((await call(ApiKey.DeleteGroups, 2, { groupsNames: ['grp'] })).results[0].errorCode, E.GROUP_AUTHORIZATION_FAILED, 'DESCRIBE does not allow DELETE');

  t.same((await call(ApiKey.ListTransactions, 1, { stateFilters: [], producerIdFilters: [], durationFilter: -1n })).transactionStates.map((x: Answer) => x.transactionalId), ['txn-a'], 'ListTransactions: txn-a');
  const txn = (await call(ApiKey.DescribeTransactions, 0, { transactionalIds: ['txn-a'] })).transactionStates[0];
  t.same([txn.errorCode, txn.transactionState], [E.NONE, 'CompleteCommit'], 'DescribeTransactions: described');

  const dirs = await call(ApiKey.DescribeLogDirs, 4, { topics: null });
  t.same([dirs.errorCode, dirs.results[0].topics.map((x: Answer) => x.name).sort()], [E.NONE, ['__consumer_offsets', '__transaction_state', 'data', 'other']], 'DESCRIBE on the cluster: every log');
  t.equal((await call(ApiKey.ListPartitionReassignments, 0, { timeoutMs: 1000, topics: null })).errorCode, E.NONE, 'ListPartitionReassignments');
  t.same(partitionCodes((await call(ApiKey.ListOffsets, 7, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'data', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n }] }] })).topics), [E.NONE], 'ListOffsets with DESCRIBE on the topic');
});
