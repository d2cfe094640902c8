/**
 * Admin and metadata behaviour kafkajs cannot reach (versions it does not
 * send, fields it drops), checked with a bare client on our codecs: Metadata
 * list semantics and auto-creation per version, topic ids, CreateTopics v7,
 * DeleteTopics by id, IncrementalAlterConfigs, DescribeConfigs synonyms,
 * DescribeLogDirs and DescribeCluster. Written as Kafka answers; the few
 * Samsa-only expectations are skipped against BROKER=host:port.
 */
import t from 'tap';
import { testBroker } from './helpers/broker.js';
import { WireClient } from './helpers/wire-client.js';
import { encodeMetadataRequest, decodeMetadataResponse, type MetadataRequest } from '../src/wire/generated/metadata.js';
import { encodeCreateTopicsRequest, decodeCreateTopicsResponse, type CreateTopicsRequest } from '../src/wire/generated/create-topics.js';
import { encodeDeleteTopicsRequest, decodeDeleteTopicsResponse } from '../src/wire/generated/delete-topics.js';
import { encodeDescribeConfigsRequest, decodeDescribeConfigsResponse } from '../src/wire/generated/describe-configs.js';
import { encodeIncrementalAlterConfigsRequest, decodeIncrementalAlterConfigsResponse } from '../src/wire/generated/incremental-alter-configs.js';
import { encodeDescribeLogDirsRequest, decodeDescribeLogDirsResponse } from '../src/wire/generated/describe-log-dirs.js';
import { encodeDescribeClusterRequest, decodeDescribeClusterResponse } from '../src/wire/generated/describe-cluster.js';
import { encodeCreatePartitionsRequest, decodeCreatePartitionsResponse } from '../src/wire/generated/create-partitions.js';
import { ErrorCode } from '../src/wire/errors.js';
import { ZERO_UUID } from '../src/wire/protocol/uuid.js';

const TOPIC = 2, BROKER = 4;

async function setup(t: Parameters<typeof testBroker>[0], flags: Record<string, string> = {}) {
  const b = await testBroker(t, flags);
  const c = await WireClient.connect(b.host, b.port);
  t.teardown(() => c.close());
  const metadata = (v: number, req: MetadataRequest) => c.request(3, v, (w) => encodeMetadataRequest(w, req, v), (r) => decodeMetadataResponse(r, v));
  const createTopics = (v: number, req: CreateTopicsRequest) => c.request(19, v, (w) => encodeCreateTopicsRequest(w, req, v), (r) => decodeCreateTopicsResponse(r, v));
  const create = (name: string, numPartitions = 1, configs: { name: string; value: string }[] = []) =>
    createTopics(4, { topics: [{ name, numPartitions, replicationFactor: 1, assignments: [], configs }], timeoutMs: 5000, validateOnly: false });
  return { b, c, metadata, createTopics, create };
}

t.test('Metadata: which topics each version lists, auto-creation, errors', async (t) => {
  const { b, metadata, create } = await setup(t, { 'num.partitions': '2' });
  await create('existing');
  const names = (res: { topics: { name: string | null }[] }) => res.topics.map((x) => x.name).sort();

  t.ok(names(await metadata(0, { topics: [] })).includes('existing'), 'v0: an empty list means all topics');
  t.ok(names(await metadata(1, { topics: null })).includes('existing'), 'v1: null means all topics');
  t.same(names(await metadata(4, { topics: [], allowAutoTopicCreation: false })), [], 'v4: an empty list means none');

  const noCreate = await metadata(4, { topics: [{ name: 'not-there', topicId: ZERO_UUID }], allowAutoTopicCreation: false });
  t.equal(noCreate.topics[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'v4 without allow_auto_topic_creation: UNKNOWN_TOPIC_OR_PARTITION');

  const created = await metadata(1, { topics: [{ name: 'auto-v1', topicId: ZERO_UUID }] });
  t.ok([ErrorCode.NONE, ErrorCode.LEADER_NOT_AVAILABLE].includes(created.topics[0]!.errorCode as 0 | 5), 'v1 auto-creates an unknown topic');
  if (!b.external) t.equal(created.topics[0]!.partitions.length, 2, 'with num.partitions partitions, described at once');

  const bad = await metadata(4, { topics: [{ name: 'bad name!', topicId: ZERO_UUID }], allowAutoTopicCreation: true });
  t.equal(bad.topics[0]!.errorCode, ErrorCode.INVALID_TOPIC_EXCEPTION, 'an illegal name: INVALID_TOPIC_EXCEPTION');

  const v12 = await metadata(12, { topics: null, allowAutoTopicCreation: false });
  const existing = v12.topics.find((x) => x.name === 'existing')!;
  t.not(existing.topicId, ZERO_UUID, 'v10+ carries topic ids');
  t.equal(v12.controllerId, v12.brokers[0]!.nodeId, 'the only broker is the controller');
  t.ok(v12.clusterId && v12.clusterId.length > 0, 'cluster id');
  t.same(existing.partitions.map((p) => [p.leaderId, (p.leaderEpoch ?? -1) >= 0, p.replicaNodes, p.isrNodes, p.offlineReplicas]),
    existing.partitions.map(() => [v12.brokers[0]!.nodeId, true, [v12.brokers[0]!.nodeId], [v12.brokers[0]!.nodeId], []]), 'leader, replicas and ISR are this broker');
  const byId = await metadata(12, { topics: [{ name: null, topicId: existing.topicId }], allowAutoTopicCreation: false });
  t.equal(byId.topics[0]!.name, 'existing', 'v12: a topic looked up by id');
  const unknownId = await metadata(12, { topics: [{ name: null, topicId: 'AAAAAAAAAAAAAAAAAAAAAQ' }], allowAutoTopicCreation: false });
  t.equal(unknownId.topics[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_ID, 'an unknown id: UNKNOWN_TOPIC_ID');
});

t.test('CreateTopics v7: topic id, configs and counts; assignments; replication factor; duplicates', async (t) => {
  const { metadata, createTopics } = await setup(t);
  const nodeId = (await metadata(1, { topics: [] })).brokers[0]!.nodeId;
  const res = await createTopics(7, { topics: [{ name: 'v7', numPartitions: 3, replicationFactor: -1, assignments: [], configs: [{ name: 'cleanup.policy', value: 'compact' }] }], timeoutMs: 5000, validateOnly: false });
  const r = res.topics[0]!;
  t.equal(r.errorCode, ErrorCode.NONE);
  t.not(r.topicId, ZERO_UUID, 'topic id');
  t.equal(r.numPartitions, 3);
  t.equal(r.replicationFactor, 1);
  t.equal(r.configs?.find((c) => c.name === 'cleanup.policy')?.value, 'compact', 'configs include the override');
  t.equal(r.configs?.find((c) => c.name === 'cleanup.policy')?.configSource, 1, 'as DYNAMIC_TOPIC_CONFIG');

  const assigned = await createTopics(4, { topics: [{ name: 'assigned', numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [nodeId] }, { partitionIndex: 1, brokerIds: [nodeId] }], configs: [] }], timeoutMs: 5000, validateOnly: false });
  t.equal(assigned.topics[0]!.errorCode, ErrorCode.NONE, 'explicit assignments on this broker');
  const badAssign = await createTopics(4, { topics: [{ name: 'bad-assign', numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [nodeId, 7] }], configs: [] }], timeoutMs: 5000, validateOnly: false });
  t.equal(badAssign.topics[0]!.errorCode, ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'an assignment to a broker that does not exist');

  const rf = await createTopics(4, { topics: [{ name: 'rf0', numPartitions: 1, replicationFactor: 0, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
  t.equal(rf.topics[0]!.errorCode, ErrorCode.INVALID_REPLICATION_FACTOR, 'replication factor 0');
  const parts = await createTopics(4, { topics: [{ name: 'p0', numPartitions: 0, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
  t.equal(parts.topics[0]!.errorCode, ErrorCode.INVALID_PARTITIONS, 'zero partitions');
  const dup = await createTopics(4, { topics: [1, 2].map(() => ({ name: 'twice', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] })), timeoutMs: 5000, validateOnly: false });
  t.same(dup.topics.map((x) => x.errorCode), [ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST], 'a name given twice: INVALID_REQUEST for both');
  const badValue = await createTopics(4, { topics: [{ name: 'bad-value', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [{ name: 'cleanup.policy', value: 'shred' }] }], timeoutMs: 5000, validateOnly: false });
  t.equal(badValue.topics[0]!.errorCode, ErrorCode.INVALID_CONFIG, 'a bad config value: INVALID_CONFIG');
});

t.test('DeleteTopics v6 by id; unknown id and name', async (t) => {
  const { c, metadata, create } = await setup(t);
  await create('by-id');
  const id = (await metadata(12, { topics: [{ name: 'by-id', topicId: ZERO_UUID }], allowAutoTopicCreation: false })).topics[0]!.topicId!;
  const del = (topics: { name: string | null; topicId: string }[]) => c.request(20, 6, (w) => encodeDeleteTopicsRequest(w, { topics, timeoutMs: 5000 }, 6), (r) => decodeDeleteTopicsResponse(r, 6));
  const res = await del([{ name: null, topicId: id }]);
  t.equal(res.responses[0]!.errorCode, ErrorCode.NONE, 'deleted by id');
  t.equal(res.responses[0]!.name, 'by-id', 'the response names it');
  t.equal((await del([{ name: null, topicId: id }])).responses[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_ID, 'again: UNKNOWN_TOPIC_ID');
  t.equal((await del([{ name: 'never', topicId: ZERO_UUID }])).responses[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'unknown name');
});

t.test('IncrementalAlterConfigs and DescribeConfigs with synonyms and documentation', async (t) => {
  const { b, c, create } = await setup(t, { 'log.retention.hours': '48' });
  await create('cfg', 1, [{ name: 'retention.ms', value: '1000' }]);
  const ops = (configs: { name: string; configOperation: number; value: string | null }[], validateOnly = false) =>
    c.request(44, 1, (w) => encodeIncrementalAlterConfigsRequest(w, { resources: [{ resourceType: TOPIC, resourceName: 'cfg', configs }], validateOnly }, 1), (r) => decodeIncrementalAlterConfigsResponse(r, 1));
  const describe = (keys: string[] | null, resourceType = TOPIC, resourceName = 'cfg') =>
    c.request(32, 4, (w) => encodeDescribeConfigsRequest(w, { resources: [{ resourceType, resourceName, configurationKeys: keys }], includeSynonyms: true, includeDocumentation: true }, 4), (r) => decodeDescribeConfigsResponse(r, 4));

  t.equal((await ops([{ name: 'cleanup.policy', configOperation: 0, value: 'compact' }, { name: 'retention.ms', configOperation: 1, value: null }])).responses[0]!.errorCode, ErrorCode.NONE, 'SET and DELETE');
  t.equal((await ops([{ name: 'cleanup.policy', configOperation: 2, value: 'delete' }])).responses[0]!.errorCode, ErrorCode.NONE, 'APPEND to a list');
  let d = await describe(['cleanup.policy', 'retention.ms']);
  const byName = () => new Map(d.results[0]!.configs.map((e) => [e.name, e]));
  t.equal(byName().get('cleanup.policy')?.value, 'compact,delete', 'appended');
  if (!b.external) {
    const retention = byName().get('retention.ms')!;
    t.equal(retention.value, String(48 * 3_600_000), 'retention.ms comes from log.retention.hours once the override is deleted');
    t.equal(retention.configSource, 5, 'DEFAULT_CONFIG, as Kafka says when log.retention.ms (the first of the chain) is not set');
    t.same(retention.synonyms?.map((s) => [s.name, s.value, s.source]), [], 'and no synonyms (Kafka drops those before log.retention.ms)');
    t.ok(retention.documentation, 'documentation when asked');
    t.equal(retention.configType, 5, 'LONG');
  }
  t.equal((await ops([{ name: 'cleanup.policy', configOperation: 3, value: 'compact' }])).responses[0]!.errorCode, ErrorCode.NONE, 'SUBTRACT from a list');
  d = await describe(['cleanup.policy']);
  t.equal(byName().get('cleanup.policy')?.value, 'delete', 'subtracted');

  const appendNonList = await ops([{ name: 'retention.ms', configOperation: 2, value: '5' }]);
  t.equal(appendNonList.responses[0]!.errorCode, ErrorCode.INVALID_CONFIG, 'APPEND to a non-list: INVALID_CONFIG');
  const typo = await ops([{ name: 'retention.mss', configOperation: 0, value: '5' }]);
  t.equal(typo.responses[0]!.errorCode, ErrorCode.INVALID_CONFIG, 'unknown name: INVALID_CONFIG');
  if (!b.external) t.match(typo.responses[0]!.errorMessage, /did you mean retention\.ms\?/, 'with a suggestion');
  const validateOnly = await ops([{ name: 'cleanup.policy', configOperation: 0, value: 'compact' }], true);
  t.equal(validateOnly.responses[0]!.errorCode, ErrorCode.NONE);
  d = await describe(['cleanup.policy']);
  t.equal(byName().get('cleanup.policy')?.value, 'delete', 'validate_only changed nothing');

  const unknown = await describe(null, TOPIC, 'no-such-topic');
  t.equal(unknown.results[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'unknown topic');
  const brokerId = String((await c.request(60, 0, (w) => encodeDescribeClusterRequest(w, { includeClusterAuthorizedOperations: false }, 0), (r) => decodeDescribeClusterResponse(r, 0))).brokers[0]!.brokerId);
  const broker = await describe(['num.partitions'], BROKER, brokerId);
  t.equal(broker.results[0]!.configs[0]?.name, 'num.partitions', 'broker configs by name');
});

t.test('CreatePartitions, DescribeLogDirs and DescribeCluster', async (t) => {
  const { c, create } = await setup(t);
  await create('grow', 1);
  const grow = (count: number, validateOnly: boolean) => c.request(37, 3, (w) => encodeCreatePartitionsRequest(w, { topics: [{ name: 'grow', count, assignments: null }], timeoutMs: 5000, validateOnly }, 3), (r) => decodeCreatePartitionsResponse(r, 3));
  t.equal((await grow(3, true)).results[0]!.errorCode, ErrorCode.NONE, 'validate_only');
  t.equal((await grow(3, false)).results[0]!.errorCode, ErrorCode.NONE, 'grown to 3');
  t.equal((await grow(3, false)).results[0]!.errorCode, ErrorCode.INVALID_PARTITIONS, 'same count: INVALID_PARTITIONS');
  t.equal((await grow(2, false)).results[0]!.errorCode, ErrorCode.INVALID_PARTITIONS, 'fewer: INVALID_PARTITIONS');

  const dirs = await c.request(35, 4, (w) => encodeDescribeLogDirsRequest(w, { topics: [{ topic: 'grow', partitions: [0, 1, 2] }] }, 4), (r) => decodeDescribeLogDirsResponse(r, 4));
  const parts = dirs.results.flatMap((d) => d.topics.filter((x) => x.name === 'grow').flatMap((x) => x.partitions));
  t.same(parts.map((p) => p.partitionIndex).sort(), [0, 1, 2], 'every partition is in a log dir');
  t.ok(parts.every((p) => p.partitionSize >= 0n), 'with a size');

  const cluster = await c.request(60, 1, (w) => encodeDescribeClusterRequest(w, { includeClusterAuthorizedOperations: false, endpointType: 1 }, 1), (r) => decodeDescribeClusterResponse(r, 1));
  t.equal(cluster.errorCode, ErrorCode.NONE);
  t.equal(cluster.brokers.length >= 1, true, 'brokers');
  t.ok(cluster.clusterId.length > 0, 'cluster id');
});
