import t from 'tap';
import { Kafka, logLevel } from 'kafkajs';
import { testCluster } from './helpers/cluster.js';
import { WireClient } from './helpers/wire-client.js';
import { oneRecordBatch } from './helpers/data-path.js';
import { ApiKey } from '../src/wire/generated/api-keys.js';
import { encodeProduceRequest, decodeProduceResponse } from '../src/wire/generated/produce.js';
import { encodeFetchRequest, decodeFetchResponse } from '../src/wire/generated/fetch.js';
import { ErrorCode } from '../src/wire/errors.js';

/** A 3-broker cluster with topic `hint` (one partition, three replicas) and a wire connection to one of its followers. */
async function connectedToFollower(t: Parameters<typeof testCluster>[0]) {
  const c = await testCluster(t, 3, { 'auto.leader.rebalance.enable': 'false' });
  const admin = new Kafka({ brokers: c.bootstrap.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  await admin.createTopics({ topics: [{ topic: 'hint', numPartitions: 1, replicationFactor: 3 }] });
  const state = c.status().topics.find((x) => x.name === 'hint')!.partitions[0]!;
  const follower = state.replicas.find((r) => r !== state.leader)!;
  const wire = await WireClient.connect('127.0.0.1', c.broker(follower)!.port);
  t.teardown(() => wire.close());
  return { c, state, follower, wire };
}

t.test('Produce to a follower: NOT_LEADER_OR_FOLLOWER, with the leader and its endpoint from v10 (KIP-951)', async (t) => {
  const { c, state, wire } = await connectedToFollower(t);
  const produce = (version: number) => wire.request(ApiKey.Produce, version, (w) => encodeProduceRequest(w, {
    transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'hint', partitionData: [{ index: 0, records: oneRecordBatch('x') }] }],
  }, version), (r) => decodeProduceResponse(r, version));

  const v11 = await produce(11);
  const p = v11.responses[0]!.partitionResponses[0]!;
  t.equal(p.errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER, 'a follower refuses the write');
  t.same({ leaderId: p.currentLeader?.leaderId, leaderEpoch: p.currentLeader?.leaderEpoch }, { leaderId: state.leader, leaderEpoch: state.leaderEpoch }, 'and names the leader and its epoch');
  const leader = c.broker(state.leader)!;
  t.same(v11.nodeEndpoints?.map((e) => [e.nodeId, e.host, e.port]), [[state.leader, '127.0.0.1', leader.port]], "with the leader's endpoint");

  const v9 = await produce(9);
  t.equal(v9.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER, 'v9 gets the error without the hint (no such fields)');
});

t.test('Fetch from a follower: NOT_LEADER_OR_FOLLOWER with current_leader (v12+) and node_endpoints (v16+)', async (t) => {
  const { c, state, follower, wire } = await connectedToFollower(t);
  const topicId = c.broker(follower)!.context.topicId('hint')!;
  const fetch = (version: number) => wire.request(ApiKey.Fetch, version, (w) => encodeFetchRequest(w, {
    replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, rackId: '', forgottenTopicsData: [],
    topics: [{ topic: 'hint', topicId, partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, lastFetchedEpoch: -1, logStartOffset: -1n }] }],
  }, version), (r) => decodeFetchResponse(r, version));
  const v16 = await fetch(16);
  const p = v16.responses[0]!.partitions[0]!;
  t.equal(p.errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER, 'a consumer fetching from a follower is refused');
  t.same({ leaderId: p.currentLeader?.leaderId, leaderEpoch: p.currentLeader?.leaderEpoch }, { leaderId: state.leader, leaderEpoch: state.leaderEpoch }, 'with the leader');
  t.same(v16.nodeEndpoints?.map((e) => [e.nodeId, e.port]), [[state.leader, c.broker(state.leader)!.port]], "and the leader's endpoint");
  const v12 = await fetch(12);
  t.equal(v12.responses[0]!.partitions[0]!.currentLeader?.leaderId, state.leader, 'v12 has current_leader');
});
