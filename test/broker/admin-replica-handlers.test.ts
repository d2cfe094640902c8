/**
 * ElectLeaders and DescribeTopicPartitions against a fake metadata image and
 * controller: the cases a live cluster makes awkward to reach (paging edges,
 * an invalid cursor, an unknown election type, the all-partitions answer).
 */
import t from 'tap';
import type { BrokerContext } from '../../src/broker/broker-context.js';
import type { PartitionState, TopicMetadata } from '../../src/controller/cluster-metadata.js';
import { electLeaders } from '../../src/broker/handlers/elect-leaders.js';
import { describeTopicPartitions } from '../../src/broker/handlers/describe-topic-partitions.js';
import { ZERO_UUID } from '../../src/wire/protocol/uuid.js';

const state = (replicas: number[], leader: number): PartitionState => ({ replicas, isr: replicas, leader, leaderEpoch: 3, partitionEpoch: 5, addingReplicas: [], removingReplicas: [] });
const topic = (name: string, states: PartitionState[]): TopicMetadata => ({ name, id: ZERO_UUID, partitions: states.length, configs: {}, internal: false, states });
const topics = [topic('a', [state([0, 1], 0), state([1, 0], 0), state([0, 1], 0)]), topic('b', [state([1, 2], 1)])];
const brokers = [{ id: 0, fenced: false }, { id: 1, fenced: false }, { id: 2, fenced: true }];
const elected: unknown[] = [];
const ctx = {
  metadata: {
    topics: () => topics,
    topic: (n: string) => topics.find((x) => x.name === n),
    broker: (id: number) => brokers.find((b) => b.id === id),
  },
  controller: {
    async electLeaders(type: string, ps: { topic: string; partition: number }[]) {
      elected.push([type, ps]);
      return ps.map((p) => ({ ...p, errorCode: topics.find((x) => x.name === p.topic)!.states[p.partition]!.leader === topics.find((x) => x.name === p.topic)!.states[p.partition]!.replicas[0] ? 84 : 0, message: 'controller text' }));
    },
  },
} as unknown as BrokerContext;

t.test('DescribeTopicPartitions paging', async (t) => {
  const dtp = (req: Partial<Parameters<typeof describeTopicPartitions.handle>[1]>) => describeTopicPartitions.handle(ctx, { topics: [], responsePartitionLimit: 2000, cursor: null, ...req }, 0) as Awaited<ReturnType<typeof describeTopicPartitions.handle>>;
  const all = dtp({})!;
  t.same(all.topics.map((x) => [x.name, x.partitions.length]), [['a', 3], ['b', 1]]);
  t.same(all.topics[1]!.partitions[0], { errorCode: 0, partitionIndex: 0, leaderId: 1, leaderEpoch: 3, replicaNodes: [1, 2], isrNodes: [1, 2], eligibleLeaderReplicas: [], lastKnownElr: [], offlineReplicas: [2] }, 'a fenced replica is offline');
  t.equal(all.nextCursor, null);
  const exact = dtp({ responsePartitionLimit: 3 })!;
  t.same([exact.topics.map((x) => x.name), exact.nextCursor], [['a'], { topicName: 'b', partitionIndex: 0 }], 'limit used up exactly: the cursor is the next topic');
  const zero = dtp({ responsePartitionLimit: 0 })!;
  t.same([zero.topics, zero.nextCursor], [[], { topicName: 'a', partitionIndex: 0 }]);
  const capped = dtp({ responsePartitionLimit: 1_000_000 })!;
  t.equal(capped.nextCursor, null, 'the 2000 cap');
  const bad = dtp({ topics: [{ name: 'a' }], cursor: { topicName: 'b', partitionIndex: 0 } })!;
  t.same(bad.topics.map((x) => [x.name, x.errorCode]), [['a', 42]], 'a cursor outside the topic list is INVALID_REQUEST');
  const badName = dtp({ topics: [{ name: 'no/slash' }, { name: 'zz' }] })!;
  t.same(badName.topics.map((x) => [x.name, x.errorCode]), [['no/slash', 17], ['zz', 3]]);
  const tail = dtp({ cursor: { topicName: 'a', partitionIndex: 2 } })!;
  t.same(tail.topics.map((x) => [x.name, x.partitions.map((p) => p.partitionIndex)]), [['a', [2]], ['b', [0]]], 'the cursor partition applies to its topic only');
});

t.test('ElectLeaders', async (t) => {
  const el = (req: Parameters<typeof electLeaders.handle>[1], v = 2) => electLeaders.handle(ctx, req, v) as Promise<NonNullable<Awaited<ReturnType<typeof electLeaders.handle>>>>;
  const bad = await el({ electionType: 7, topicPartitions: [{ topic: 'a', partitions: [0] }], timeoutMs: 1 });
  t.same([bad.errorCode, bad.replicaElectionResults[0]!.partitionResult[0]], [42, { partitionId: 0, errorCode: 42, errorMessage: 'Unknown election type 7' }]);
  elected.length = 0;
  const v0 = await el({ electionType: 1, topicPartitions: [{ topic: 'a', partitions: [1, 1, 0, 9] }, { topic: 'x', partitions: [0] }], timeoutMs: 1 }, 0);
  t.same(elected, [['preferred', [{ topic: 'a', partition: 1 }, { topic: 'a', partition: 0 }]]], 'v0 is preferred; a partition asked twice is elected once');
  t.same(v0.replicaElectionResults.map((x) => [x.topic, x.partitionResult.map((p) => [p.partitionId, p.errorCode, p.errorMessage])]), [
    ['a', [[1, 0, null], [1, 0, null], [0, 84, 'Leader election not needed for topic partition.'], [9, 3, 'No such partition as a-9']]],
    ['x', [[0, 3, 'No such topic as x']]],
  ]);
  const everything = await el({ electionType: 0, topicPartitions: null, timeoutMs: 1 });
  t.same(everything.replicaElectionResults.map((x) => [x.topic, x.partitionResult.map((p) => p.partitionId)]), [['a', [1]], ['b', []]], 'all partitions: no ELECTION_NOT_NEEDED, every topic listed');
});
