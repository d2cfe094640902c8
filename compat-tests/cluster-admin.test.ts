/**
 * Admin APIs on a 3-broker cluster, as Kafka answers them with replicas:
 * kafkajs's admin client for CreateTopics (replication factor, too large a
 * factor, manual assignments), CreatePartitions with assignments, Metadata
 * (replicas, ISR, offline replicas), DescribeCluster, DescribeConfigs of a
 * broker and partition reassignments (add, catch up, drop, data still
 * there); our wire client for DescribeLogDirs (kafkajs has no call for it),
 * DescribeTopicPartitions and ElectLeaders (preferred once the preferred
 * replica is back in the ISR; unclean when no ISR member is live).
 */
import t from 'tap';
import kafkajs from 'kafkajs';
import { ApiKey } from '../src/wire/generated/api-keys.js';
import { encodeElectLeadersRequest, decodeElectLeadersResponse } from '../src/wire/generated/elect-leaders.js';
import { encodeDescribeLogDirsRequest, decodeDescribeLogDirsResponse } from '../src/wire/generated/describe-log-dirs.js';
import { encodeAlterPartitionReassignmentsRequest, decodeAlterPartitionReassignmentsResponse } from '../src/wire/generated/alter-partition-reassignments.js';
import { encodeListPartitionReassignmentsRequest, decodeListPartitionReassignmentsResponse } from '../src/wire/generated/list-partition-reassignments.js';
import { encodeDescribeTopicPartitionsRequest, decodeDescribeTopicPartitionsResponse } from '../src/wire/generated/describe-topic-partitions.js';
import { WireClient } from './helpers/wire-client.js';
import { testCluster } from './helpers/cluster.js';
import { until } from './helpers/until.js';

const { Kafka, logLevel, ConfigResourceTypes } = kafkajs;
const NONE = 0, UNKNOWN_TOPIC_OR_PARTITION = 3, INVALID_REPLICA_ASSIGNMENT = 39, NO_REASSIGNMENT_IN_PROGRESS = 85, PREFERRED_LEADER_NOT_AVAILABLE = 80, ELIGIBLE_LEADERS_NOT_AVAILABLE = 83, ELECTION_NOT_NEEDED = 84;

t.test('admin APIs on a 3-broker cluster', async (t) => {
  const c = await testCluster(t, 3, { 'auto.leader.rebalance.enable': 'false' });
  const kafka = new Kafka({ brokers: c.bootstrap.split(','), logLevel: logLevel.NOTHING, retry: { retries: 3, initialRetryTime: 100 } });
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  const state = (topic: string, p = 0) => c.status().topics.find((x) => x.name === topic)?.partitions[p];
  const wire = async (id: number) => {
    const b = c.broker(id)!;
    const w = await WireClient.connect(b.host, b.port);
    t.teardown(() => w.close());
    return w;
  };
  const elect = (w: WireClient, electionType: number, topicPartitions: { topic: string; partitions: number[] }[] | null) =>
    w.request(ApiKey.ElectLeaders, 2, (x) => encodeElectLeadersRequest(x, { electionType, topicPartitions, timeoutMs: 10_000 }, 2), (r) => decodeElectLeadersResponse(r, 2));
  const results = (res: Awaited<ReturnType<typeof elect>>) => res.replicaElectionResults.flatMap((x) => x.partitionResult.map((p) => [x.topic, p.partitionId, p.errorCode]));

  t.test('CreateTopics: replication factor, too large a factor, manual assignments', async (t) => {
    await admin.createTopics({ topics: [{ topic: 'rf3', numPartitions: 2, replicationFactor: 3 }] });
    const md = await admin.fetchTopicMetadata({ topics: ['rf3'] });
    for (const p of md.topics[0]!.partitions) {
      t.same([...p.replicas].sort(), [0, 1, 2], `rf3-${p.partitionId} on every broker`);
      t.equal(p.leader, p.replicas[0], 'led by its preferred replica');
    }
    const err = await admin.createTopics({ topics: [{ topic: 'rf4', replicationFactor: 4 }] }).catch((e: unknown) => e) as { type?: string; errors?: { type: string }[] };
    t.equal(err.errors?.[0]?.type ?? err.type, 'INVALID_REPLICATION_FACTOR', 'a factor above the live broker count');
    await admin.createTopics({ topics: [{ topic: 'assigned', replicaAssignment: [{ partition: 0, replicas: [2, 0] }, { partition: 1, replicas: [1, 2] }] }] });
    await admin.createPartitions({ topicPartitions: [{ topic: 'assigned', count: 3, assignments: [[0, 1]] }] });
    const assigned = await admin.fetchTopicMetadata({ topics: ['assigned'] });
    t.same(assigned.topics[0]!.partitions.sort((a, b) => a.partitionId - b.partitionId).map((p) => [p.partitionId, p.replicas, p.leader]),
      [[0, [2, 0], 2], [1, [1, 2], 1], [2, [0, 1], 0]], 'replicas as assigned, the first one leading');
  });

  t.test('DescribeCluster: every broker and the active controller', async (t) => {
    const d = await admin.describeCluster();
    t.same(d.brokers.map((b) => b.nodeId).sort(), [0, 1, 2]);
    t.equal(d.controller, c.status().controllerId, 'the active controller');
    t.ok((d.controller ?? -1) >= 0);
  });

  t.test('DescribeConfigs of a BROKER resource is answered by that broker', async (t) => {
    const res = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.BROKER, name: '1', configNames: ['node.id', 'broker.rack'] }], includeSynonyms: false });
    const r = res.resources[0]!;
    t.equal(r.errorCode, NONE);
    t.same(r.configEntries.find((e) => e.configName === 'node.id')?.configValue, '1');
  });

  t.test('DescribeLogDirs: each broker lists its own replicas', async (t) => {
    for (const id of [0, 1, 2]) {
      const w = await wire(id);
      const res = await w.request(ApiKey.DescribeLogDirs, 4, (x) => encodeDescribeLogDirsRequest(x, { topics: [{ topic: 'assigned', partitions: [0, 1, 2] }, { topic: 'rf3', partitions: [0] }] }, 4), (r) => decodeDescribeLogDirsResponse(r, 4));
      t.equal(res.results.length, 1, 'one log dir');
      const dir = res.results[0]!;
      t.match(dir.logDir, new RegExp(`broker-${id}$`), 'its own data directory');
      const listed = dir.topics.flatMap((x) => x.partitions.map((p) => `${x.name}-${p.partitionIndex}`)).sort();
      const expected = [['assigned-0', [2, 0]], ['assigned-1', [1, 2]], ['assigned-2', [0, 1]]].filter(([, r]) => (r as number[]).includes(id)).map(([n]) => n as string);
      t.same(listed, [...expected, 'rf3-0'].sort(), `broker ${id} lists what it hosts`);
      t.ok(dir.topics.every((x) => x.partitions.every((p) => p.offsetLag === 0n && !p.isFutureKey)));
    }
  });

  t.test('DescribeTopicPartitions pages through partitions with a cursor', async (t) => {
    const w = await wire(0);
    const page = (cursor: { topicName: string; partitionIndex: number } | null) => w.request(ApiKey.DescribeTopicPartitions, 0,
      (x) => encodeDescribeTopicPartitionsRequest(x, { topics: [{ name: 'assigned' }, { name: 'rf3' }, { name: 'nope' }], responsePartitionLimit: 2, cursor }, 0), (r) => decodeDescribeTopicPartitionsResponse(r, 0));
    const first = await page(null);
    t.same(first.topics.map((x) => [x.name, x.partitions.map((p) => [p.partitionIndex, p.replicaNodes, p.eligibleLeaderReplicas, p.lastKnownElr])]), [['assigned', [[0, [2, 0], [], []], [1, [1, 2], [], []]]]]);
    t.same(first.nextCursor, { topicName: 'assigned', partitionIndex: 2 });
    const second = await page(first.nextCursor);
    // Names in order; an unknown topic takes none of the limit.
    t.same(second.topics.map((x) => [x.name, x.errorCode, x.partitions.map((p) => p.partitionIndex)]), [['assigned', NONE, [2]], ['nope', UNKNOWN_TOPIC_OR_PARTITION, []], ['rf3', NONE, [0]]]);
    t.same(second.nextCursor, { topicName: 'rf3', partitionIndex: 1 });
    const third = await page(second.nextCursor);
    t.same(third.topics.map((x) => [x.name, x.errorCode, x.partitions.map((p) => p.partitionIndex)]), [['rf3', NONE, [1]]], 'topics before the cursor are skipped');
    t.equal(third.nextCursor, null, 'the last page');
  });

  t.test('AlterPartitionReassignments moves a partition from [0,1] to [1,2]; the data stays readable', async (t) => {
    await admin.createTopics({ topics: [{ topic: 'moving', replicaAssignment: [{ partition: 0, replicas: [0, 1] }] }] });
    const producer = kafka.producer();
    await producer.connect();
    t.teardown(() => producer.disconnect());
    for (let i = 0; i < 20; i++) await producer.send({ topic: 'moving', acks: -1, messages: [{ value: `m${i}` }] });
    await admin.alterPartitionReassignments({ topics: [{ topic: 'moving', partitionAssignment: [{ partition: 0, replicas: [1, 2] }] }] });
    const listed = await admin.listPartitionReassignments({});
    // The move may already have finished; while it runs it is listed with what is added and dropped.
    // kafkajs's own shape: { name, partitions: [{ partition, replicas, addingReplicas, removingReplicas }] }.
    for (const x of listed.topics as unknown as { name: string; partitions: { partition: number; addingReplicas: number[]; removingReplicas: number[] }[] }[]) {
      t.equal(x.name, 'moving');
      t.same(x.partitions.map((p) => [p.partition, p.addingReplicas, p.removingReplicas]), [[0, [2], [0]]], 'listed in progress');
    }
    await until(() => JSON.stringify(state('moving')?.replicas) === '[1,2]', 20_000, 'the move to finish');
    t.same((await admin.listPartitionReassignments({})).topics, [], 'nothing in progress any more');
    t.same(state('moving')!.isr.slice().sort(), [1, 2]);
    const consumer = kafka.consumer({ groupId: 'moving-reader' });
    await consumer.connect();
    t.teardown(() => consumer.disconnect());
    await consumer.subscribe({ topic: 'moving', fromBeginning: true });
    const seen: string[] = [];
    await consumer.run({ eachMessage: async ({ message }) => { seen.push(message.value!.toString()); } });
    await until(() => seen.length >= 20, 20_000, '20 messages after the move');
    t.same(seen, Array.from({ length: 20 }, (_, i) => `m${i}`));
    await consumer.stop();
  });

  t.test('ElectLeaders preferred: after the preferred replica comes back into the ISR', async (t) => {
    await admin.createTopics({ topics: [{ topic: 'pref', replicaAssignment: [{ partition: 0, replicas: [1, 2, 0] }] }] });
    await until(() => state('pref')?.isr.length === 3, 20_000, 'full ISR');
    await c.stopBroker(1);
    await until(() => state('pref')!.leader !== 1 && state('pref')!.leader !== -1, 20_000, 'a new leader');
    const w = await wire(0);
    t.same(results(await elect(w, 0, [{ topic: 'pref', partitions: [0] }])), [['pref', 0, PREFERRED_LEADER_NOT_AVAILABLE]], 'the preferred replica is down');
    await c.startBroker(1);
    await until(() => state('pref')!.isr.includes(1), 20_000, 'broker 1 back in the ISR');
    const res = await elect(w, 0, [{ topic: 'pref', partitions: [0, 5] }, { topic: 'nope', partitions: [0] }]);
    t.equal(res.errorCode, NONE);
    t.same(results(res), [['pref', 0, NONE], ['pref', 5, UNKNOWN_TOPIC_OR_PARTITION], ['nope', 0, UNKNOWN_TOPIC_OR_PARTITION]]);
    t.equal(state('pref')!.leader, 1, 'the preferred replica leads again');
    t.same(results(await elect(w, 0, [{ topic: 'pref', partitions: [0] }])), [['pref', 0, ELECTION_NOT_NEEDED]], 'already led by it');
    t.notOk(results(await elect(w, 0, null)).some(([topic]) => topic === 'pref'), 'all partitions: those needing no election are left out');
  });

  t.test('Metadata after a broker stops: offline replicas, ISR without it', async (t) => {
    await c.stopBroker(2);
    await until(() => c.status().topics.find((x) => x.name === 'rf3')!.partitions.every((p) => !p.isr.includes(2)), 20_000, 'broker 2 out of the ISRs');
    const md = await admin.fetchTopicMetadata({ topics: ['rf3'] });
    for (const p of md.topics[0]!.partitions) {
      t.same([...p.replicas].sort(), [0, 1, 2], 'still assigned to all three');
      t.same([...p.isr].sort(), [0, 1], 'ISR without broker 2');
      t.same(p.offlineReplicas, [2], 'broker 2 offline');
      t.not(p.leader, 2);
    }
    const d = await admin.describeCluster();
    t.same(d.brokers.map((b) => b.nodeId).sort(), [0, 1], 'a stopped broker is not listed');
  });

  t.test('a move to a stopped broker stays in progress until cancelled', async (t) => {
    const w = await wire(0);
    const alter = (replicas: number[] | null) => w.request(ApiKey.AlterPartitionReassignments, 0,
      (x) => encodeAlterPartitionReassignmentsRequest(x, { timeoutMs: 10_000, topics: [{ name: 'assigned', partitions: [{ partitionIndex: 2, replicas }] }] }, 0),
      (r) => decodeAlterPartitionReassignmentsResponse(r, 0).responses.flatMap((x) => x.partitions.map((p) => [p.errorCode, p.errorMessage])));
    t.same(await alter([0, 2]), [[NONE, null]], 'broker 2 is fenced but registered: accepted');
    const listed = await w.request(ApiKey.ListPartitionReassignments, 0, (x) => encodeListPartitionReassignmentsRequest(x, { timeoutMs: 10_000, topics: null }, 0), (r) => decodeListPartitionReassignmentsResponse(r, 0));
    t.same(listed.topics, [{ name: 'assigned', partitions: [{ partitionIndex: 2, replicas: [0, 2, 1], addingReplicas: [2], removingReplicas: [1] }] }], 'in progress: 2 cannot catch up');
    const seen = (await admin.listPartitionReassignments({ topics: [{ topic: 'assigned', partitions: [0, 1, 2] }] })).topics as unknown as { partitions: { partition: number }[] }[];
    t.same(seen.map((x) => x.partitions.map((p) => p.partition)), [[2]], 'kafkajs sees it too');
    t.same(await alter(null), [[NONE, null]], 'cancelled');
    t.same(state('assigned', 2)!.replicas, [0, 1], 'the original replicas are back');
    t.same(await alter(null), [[NO_REASSIGNMENT_IN_PROGRESS, 'No partition reassignment is in progress.']], 'nothing left to cancel');
    t.same(await alter([0, 7]), [[INVALID_REPLICA_ASSIGNMENT, 'The manual partition assignment includes broker 7, but no such broker is registered.']]);
  });

  t.test('ElectLeaders unclean: no ISR member is live', async (t) => {
    await c.startBroker(2);
    await admin.createTopics({ topics: [{ topic: 'lossy', replicaAssignment: [{ partition: 0, replicas: [1, 2] }] }] });
    await until(() => state('lossy')?.isr.length === 2, 20_000, 'full ISR');
    await c.stopBroker(2);
    await until(() => JSON.stringify(state('lossy')!.isr) === '[1]', 20_000, 'ISR down to broker 1');
    await c.stopBroker(1);
    await until(() => state('lossy')!.leader === -1, 20_000, 'no leader');
    await c.startBroker(2);
    await until(() => c.status().brokers.find((b) => b.id === 2)!.fenced === false, 20_000, 'broker 2 registered');
    const w = await wire(0);
    t.same(results(await elect(w, 0, [{ topic: 'lossy', partitions: [0] }])), [['lossy', 0, PREFERRED_LEADER_NOT_AVAILABLE]], 'preferred: broker 1 is down');
    const res = await elect(w, 1, [{ topic: 'lossy', partitions: [0] }, { topic: 'rf3', partitions: [0] }]);
    t.same(results(res), [['lossy', 0, NONE], ['rf3', 0, ELECTION_NOT_NEEDED]]);
    t.equal(state('lossy')!.leader, 2, 'the live replica outside the ISR leads');
    t.same(state('lossy')!.isr, [2]);
    await c.stopBroker(2);
    await until(() => state('lossy')!.leader === -1, 20_000, 'no leader again');
    t.same(results(await elect(w, 1, [{ topic: 'lossy', partitions: [0] }])), [['lossy', 0, ELIGIBLE_LEADERS_NOT_AVAILABLE]], 'no live replica at all');
  });
});
