/**
 * AlterPartitionReassignments (45) and ListPartitionReassignments (46) on one
 * broker, as Apache Kafka's controller answers them with one broker
 * registered (ReplicationControlManager.alterPartitionReassignment,
 * validateManualPartitionAssignment, listPartitionReassignments): kafkajs's
 * admin calls, then every error and message over the wire.
 */
import t from 'tap';
import kafkajs from 'kafkajs';
import { ApiKey } from '../src/wire/generated/api-keys.js';
import { encodeAlterPartitionReassignmentsRequest, decodeAlterPartitionReassignmentsResponse } from '../src/wire/generated/alter-partition-reassignments.js';
import { encodeListPartitionReassignmentsRequest, decodeListPartitionReassignmentsResponse } from '../src/wire/generated/list-partition-reassignments.js';
import { WireClient } from './helpers/wire-client.js';
import { testBroker } from './helpers/broker.js';

const { Kafka, logLevel } = kafkajs;

const NONE = 0, UNKNOWN_TOPIC_OR_PARTITION = 3, INVALID_REPLICA_ASSIGNMENT = 39, NO_REASSIGNMENT_IN_PROGRESS = 85;

t.test('partition reassignments on one broker', async (t) => {
  const b = await testBroker(t);
  const kafka = new Kafka({ brokers: [b.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  await admin.createTopics({ topics: [{ topic: 'reassign', numPartitions: 2 }, { topic: 'reassign-b', numPartitions: 1 }] });
  const { brokers: [self] } = await admin.describeCluster();
  const node = self!.nodeId;
  const c = await WireClient.connect(b.host, b.port);
  t.teardown(() => c.close());

  const alter = (topics: { name: string; partitions: { partitionIndex: number; replicas: number[] | null }[] }[]) => c.request(ApiKey.AlterPartitionReassignments, 0,
    (w) => encodeAlterPartitionReassignmentsRequest(w, { timeoutMs: 30_000, topics }, 0), (r) => decodeAlterPartitionReassignmentsResponse(r, 0));
  const results = async (topics: Parameters<typeof alter>[0]) => {
    const res = await alter(topics);
    return { top: [res.errorCode, res.errorMessage], partitions: res.responses.flatMap((x) => x.partitions.map((p) => [x.name, p.partitionIndex, p.errorCode, p.errorMessage])) };
  };
  const list = (topics: { name: string; partitionIndexes: number[] }[] | null) => c.request(ApiKey.ListPartitionReassignments, 0,
    (w) => encodeListPartitionReassignmentsRequest(w, { timeoutMs: 30_000, topics }, 0), (r) => decodeListPartitionReassignmentsResponse(r, 0));

  t.test('kafkajs: a reassignment to the current replica set completes at once; nothing is listed', async (t) => {
    await t.resolves(admin.alterPartitionReassignments({ topics: [{ topic: 'reassign', partitionAssignment: [{ partition: 0, replicas: [node] }, { partition: 1, replicas: [node] }] }] }));
    t.same(await admin.listPartitionReassignments({}), { topics: [] }, 'all reassignments: none');
    t.same(await admin.listPartitionReassignments({ topics: [{ topic: 'reassign', partitions: [0, 1] }] }), { topics: [] }, 'the partitions just reassigned: none in progress');
    const err = await admin.alterPartitionReassignments({ topics: [{ topic: 'reassign', partitionAssignment: [{ partition: 0, replicas: [node, node + 1] }] }] }).catch((e: unknown) => e) as { errors?: { type: string; topic: string; partition: number }[] };
    t.same(err.errors?.map((e) => [e.type, e.topic, e.partition]), [['INVALID_REPLICA_ASSIGNMENT', 'reassign', 0]], 'a broker that does not exist');
    const unknown = await admin.alterPartitionReassignments({ topics: [{ topic: 'reassign-none', partitionAssignment: [{ partition: 0, replicas: [node] }] }] }).catch((e: unknown) => e) as { errors?: { type: string }[] };
    t.same(unknown.errors?.map((e) => e.type), ['UNKNOWN_TOPIC_OR_PARTITION'], 'an unknown topic');
  });

  t.test('wire: errors and messages per partition, in request order', async (t) => {
    t.same(await results([
      { name: 'reassign', partitions: [
        { partitionIndex: 0, replicas: [node] },
        { partitionIndex: 1, replicas: null },
        { partitionIndex: 2, replicas: [node] },
        { partitionIndex: -1, replicas: [node] },
        { partitionIndex: 0, replicas: [] },
        { partitionIndex: 0, replicas: [node + 9, node + 2, node] },
        { partitionIndex: 1, replicas: [node, node] },
      ] },
      { name: 'nope', partitions: [{ partitionIndex: 0, replicas: [node] }, { partitionIndex: 0, replicas: null }] },
      { name: 'reassign-b', partitions: [{ partitionIndex: 0, replicas: [node] }] },
    ]), {
      top: [NONE, null],
      partitions: [
        ['reassign', 0, NONE, null],
        ['reassign', 1, NO_REASSIGNMENT_IN_PROGRESS, 'No partition reassignment is in progress.'],
        ['reassign', 2, UNKNOWN_TOPIC_OR_PARTITION, 'Unable to find partition reassign:2.'],
        ['reassign', -1, UNKNOWN_TOPIC_OR_PARTITION, 'Unable to find partition reassign:-1.'],
        ['reassign', 0, INVALID_REPLICA_ASSIGNMENT, 'The manual partition assignment includes an empty replica list.'],
        ['reassign', 0, INVALID_REPLICA_ASSIGNMENT, `The manual partition assignment includes broker ${node + 2}, but no such broker is registered.`],
        ['reassign', 1, INVALID_REPLICA_ASSIGNMENT, `The manual partition assignment includes the broker ${node} more than once.`],
        ['nope', 0, UNKNOWN_TOPIC_OR_PARTITION, 'Unable to find a topic named nope.'],
        ['nope', 0, UNKNOWN_TOPIC_OR_PARTITION, 'Unable to find a topic named nope.'],
        ['reassign-b', 0, NONE, null],
      ],
    });
    t.same(await results([]), { top: [NONE, null], partitions: [] }, 'no topics: an empty answer');
  });

  t.test('wire: ListPartitionReassignments lists none, unknown topics and partitions without an error', async (t) => {
    for (const topics of [null, [], [{ name: 'reassign', partitionIndexes: [0, 1, 7] }, { name: 'nope', partitionIndexes: [0] }]]) {
      const res = await list(topics);
      t.same([res.errorCode, res.errorMessage, res.topics], [NONE, null, []], JSON.stringify(topics));
    }
  });
});
