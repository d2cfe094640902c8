/**
 * src/client topic and cluster operations against an in-process broker, with
 * kafkajs as the independent side: what our client creates kafkajs sees, what
 * kafkajs writes our client describes, offsets and sizes follow what kafkajs
 * produced, and refusals carry their Kafka error code and the broker's message.
 */
import t from 'tap';
import kafkajs from 'kafkajs';
import { testBroker } from '../../compat-tests/helpers/broker.js';
import { KafkaClient } from '../../src/client/kafka-client.js';
import {
  KafkaClientError, alterTopicConfigs, clusterInfo, createTopic, createTopics, deleteTopic, describeTopic, describeTopicConfigs,
  listOffsets, listTopics, logDirSizes, partitionOffsets, partitionSizes, tpKey,
} from '../../src/client/topics.js';

const { Kafka, logLevel, ConfigResourceTypes } = kafkajs;

t.test('topics: create, list, describe, configs, offsets, sizes, delete', async (t) => {
  const b = await testBroker(t, { 'group.initial.rebalance.delay.ms': '0' });
  const client = await KafkaClient.open({ bootstrap: [b.bootstrap] });
  t.teardown(() => client.close());
  const kafka = new Kafka({ brokers: [b.bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());

  const info = await clusterInfo(client);
  t.equal(info.brokers.length, 1, 'one broker');
  t.equal(info.controllerId, info.brokers[0]!.nodeId, 'it is the controller');
  t.ok(info.brokers[0]!.isController, 'marked as controller');
  t.type(info.clusterId, 'string', 'cluster id');

  const created = await createTopic(client, { name: 'orders', partitions: 3, configs: { 'retention.ms': '60000' } });
  t.equal(created.partitions, 3, 'created with 3 partitions');
  t.equal(created.replicationFactor, 1, 'the default replication factor');
  const md = await admin.fetchTopicMetadata({ topics: ['orders'] });
  t.equal(md.topics[0]!.partitions.length, 3, 'kafkajs sees the 3 partitions');
  const dflt = await createTopic(client, { name: 'defaults' });
  t.equal(dflt.partitions, 1, 'num.partitions when none is asked');

  const dup = await createTopics(client, [{ name: 'orders' }, { name: 'fresh', partitions: 2 }]);
  t.equal(dup[0]!.error?.errorName, 'TOPIC_ALREADY_EXISTS', 'an existing topic is refused');
  t.equal(dup[1]!.error, null, 'the other topic of the request is created');
  const typo = await createTopic(client, { name: 'typo', configs: { 'retention.mss': '1' } }).catch((e: unknown) => e);
  t.ok(typo instanceof KafkaClientError, 'a KafkaClientError');
  t.equal((typo as KafkaClientError).errorName, 'INVALID_CONFIG', 'INVALID_CONFIG');
  t.match((typo as Error).message, /did you mean retention\.ms\?/, "the broker's suggestion is carried");

  const listed = await listTopics(client);
  t.same(listed.map((x) => x.name), ['defaults', 'fresh', 'orders'], 'listed, sorted, no internal topics');
  t.match(listed.find((x) => x.name === 'orders'), { partitions: 3, replicationFactor: 1, internal: false, underReplicatedPartitions: 0 }, 'counts');

  const d = await describeTopic(client, 'orders');
  t.equal(d.partitions.length, 3, 'three partitions described');
  t.match(d.partitions[0], { partition: 0, leader: info.controllerId, replicas: [info.controllerId], isr: [info.controllerId], offlineReplicas: [] }, 'leader, replicas, isr');
  t.equal(d.topicId, created.topicId, 'the topic id CreateTopics gave');
  t.not(d.topicId, 'AAAAAAAAAAAAAAAAAAAAAA', 'a real topic id');
  const unknown = await describeTopic(client, 'nope').catch((e: unknown) => e);
  t.equal((unknown as KafkaClientError).errorName, 'UNKNOWN_TOPIC_OR_PARTITION', 'an unknown topic is UNKNOWN_TOPIC_OR_PARTITION');
  t.equal((unknown as KafkaClientError).code, 3, 'with its code');

  // Configs: what kafkajs sets we describe, what we set kafkajs describes.
  await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'orders', configEntries: [{ name: 'retention.ms', value: '120000' }] }] });
  let configs = await describeTopicConfigs(client, 'orders');
  t.match(configs.find((c) => c.name === 'retention.ms'), { value: '120000', source: 'DYNAMIC_TOPIC_CONFIG', isDefault: false, readOnly: false, sensitive: false }, 'a topic override');
  t.match(configs.find((c) => c.name === 'cleanup.policy'), { value: 'delete', isDefault: true, source: 'DEFAULT_CONFIG' }, 'a default');
  await alterTopicConfigs(client, 'orders', { set: { 'cleanup.policy': 'compact' }, delete: ['retention.ms'] });
  const seen = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: 'orders', configNames: ['cleanup.policy', 'retention.ms'] }], includeSynonyms: false });
  t.same(seen.resources[0]!.configEntries.map((e) => [e.configName, e.configValue]).sort(), [['cleanup.policy', 'compact'], ['retention.ms', '604800000']], 'kafkajs sees the set and the delete');
  const bad = await alterTopicConfigs(client, 'orders', { set: { 'retention.mss': '5' } }).catch((e: unknown) => e);
  t.equal((bad as KafkaClientError).errorName, 'INVALID_CONFIG', 'an unknown name is INVALID_CONFIG');
  t.match((bad as Error).message, /retention\.mss.*did you mean retention\.ms\?/, 'with the broker\'s suggestion');
  const badValue = await alterTopicConfigs(client, 'orders', { set: { 'cleanup.policy': 'shred' } }).catch((e: unknown) => e);
  t.equal((badValue as KafkaClientError).errorName, 'INVALID_CONFIG', 'an invalid value is INVALID_CONFIG');
  const missing = await describeTopicConfigs(client, 'nope').catch((e: unknown) => e);
  t.equal((missing as KafkaClientError).errorName, 'UNKNOWN_TOPIC_OR_PARTITION', 'configs of an unknown topic');
  configs = await describeTopicConfigs(client, 'orders', ['cleanup.policy']);
  t.same(configs.map((c) => c.name), ['cleanup.policy'], 'only the names asked for');

  // Offsets follow what kafkajs produced, by partition, by timestamp, and the LSO under an open transaction.
  await alterTopicConfigs(client, 'orders', { delete: ['cleanup.policy'] });
  const producer = kafka.producer();
  await producer.connect();
  t.teardown(() => producer.disconnect());
  const base = Date.now() - 100_000;
  await producer.send({ topic: 'orders', messages: [0, 1, 2, 3, 4].map((i) => ({ partition: 1, value: `v${i}`, timestamp: String(base + i * 1000) })) });
  await producer.send({ topic: 'orders', messages: [{ partition: 2, value: 'x' }] });
  let offsets = await partitionOffsets(client, 'orders');
  t.same(offsets.map((o) => [o.partition, o.startOffset, o.endOffset, o.lastStableOffset]), [[0, 0, 0, 0], [1, 0, 5, 5], [2, 0, 1, 1]], 'start, end and LSO per partition');
  const byTime = await listOffsets(client, [{ topic: 'orders', partition: 1 }], base + 2500);
  t.match(byTime[0], { offset: 3, timestamp: base + 3000 }, 'the first record at or after a timestamp');
  const pastEnd = await listOffsets(client, [{ topic: 'orders', partition: 1 }], Date.now() + 60_000);
  t.equal(pastEnd[0]!.offset, -1, 'no record after the timestamp: -1');
  const maxTs = await listOffsets(client, [{ topic: 'orders', partition: 1 }], 'max-timestamp');
  t.equal(maxTs[0]!.offset, 4, 'the record with the largest timestamp');

  const txp = kafka.producer({ transactionalId: 'tx-1', maxInFlightRequests: 1, idempotent: true });
  await txp.connect();
  t.teardown(() => txp.disconnect());
  const tx = await txp.transaction();
  await tx.send({ topic: 'orders', messages: [{ partition: 0, value: 'open' }] });
  offsets = await partitionOffsets(client, 'orders', [0]);
  t.match(offsets[0], { partition: 0, endOffset: 1, lastStableOffset: 0 }, 'an open transaction holds the LSO back');
  await tx.commit();
  offsets = await partitionOffsets(client, 'orders', [0]);
  t.match(offsets[0], { endOffset: 2, lastStableOffset: 2 }, 'after the commit the LSO is the end (the marker included)');
  const noSuch = await listOffsets(client, [{ topic: 'orders', partition: 9 }], 'latest').catch((e: unknown) => e);
  t.equal((noSuch as KafkaClientError).errorName, 'UNKNOWN_TOPIC_OR_PARTITION', 'an unknown partition');

  const sizes = await logDirSizes(client, ['orders']);
  t.equal(sizes.length, 3, 'one replica per partition');
  const bySize = partitionSizes(sizes);
  t.ok(bySize.get(tpKey('orders', 1))! > 0, 'partition 1 has bytes');
  t.equal(bySize.get(tpKey('orders', 0))! > 0, true, 'partition 0 has the transaction bytes');
  t.ok((await logDirSizes(client)).some((r) => r.topic === 'fresh'), 'every topic when none is named');

  await deleteTopic(client, 'fresh');
  t.notOk((await admin.listTopics()).includes('fresh'), 'kafkajs no longer lists the deleted topic');
  const again = await deleteTopic(client, 'fresh').catch((e: unknown) => e);
  t.equal((again as KafkaClientError).errorName, 'UNKNOWN_TOPIC_OR_PARTITION', 'deleting it again');
  t.ok((await listTopics(client, { internal: true })).some((x) => x.internal), 'internal topics when asked (the transaction created __transaction_state)');
});
