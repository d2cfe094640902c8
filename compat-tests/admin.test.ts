/**
 * Topic and config administration through real clients: kafkajs 2.2.4's admin
 * client and kcat's metadata listing.
 */
import t from 'tap';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import kafkajs from 'kafkajs';

const { Kafka, logLevel, ConfigResourceTypes } = kafkajs;
import { testBroker } from './helpers/broker.js';
import { WireClient } from './helpers/wire-client.js';
import { encodeCreateTopicsRequest, decodeCreateTopicsResponse } from '../src/wire/generated/create-topics.js';

t.test('kafkajs admin: create, list, describe, alter and delete topics and configs', async (t) => {
  const b = await testBroker(t);
  const admin = new Kafka({ brokers: [b.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } }).admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());

  t.equal(await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 3, configEntries: [{ name: 'retention.ms', value: '60000' }] }] }), true, 'created');
  t.equal(await admin.createTopics({ topics: [{ topic: 'orders' }] }), false, 'a second create of an existing topic reports nothing created');
  t.ok((await admin.listTopics()).includes('orders'), 'listed');

  const md = await admin.fetchTopicMetadata({ topics: ['orders'] });
  t.equal(md.topics[0]!.partitions.length, 3, 'three partitions');
  t.same(md.topics[0]!.partitions.map((p) => p.leader), [0, 0, 0], 'this broker leads them');

  await t.rejects(admin.createTopics({ validateOnly: true, topics: [{ topic: 'typo', configEntries: [{ name: 'retention.mss', value: '1' }] }] }), 'unknown config is refused');
  try {
    await admin.createTopics({ topics: [{ topic: 'typo', configEntries: [{ name: 'retention.mss', value: '1' }] }] });
  } catch (err) {
    t.equal((err as { errors?: { type: string }[] }).errors?.[0]?.type, 'INVALID_CONFIG', 'INVALID_CONFIG');
  }
  // kafkajs drops the error message; read it with a bare client (CreateTopics v5).
  const wire = await WireClient.connect(b.host, b.port);
  t.teardown(() => wire.close());
  const res = await wire.request(19, 5, (w) => encodeCreateTopicsRequest(w, { topics: [{ name: 'typo', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [{ name: 'retention.mss', value: '1' }] }], timeoutMs: 1000, validateOnly: false }, 5), (r) => decodeCreateTopicsResponse(r, 5));
  t.match(res.topics[0]!.errorMessage ?? '', /did you mean retention\.ms\?/, 'the error message suggests the right name');
  try {
    await admin.createTopics({ topics: [{ topic: 'rf3', replicationFactor: 3 }] });
    t.fail('replication factor 3 on one broker must fail');
  } catch (err) {
    t.equal((err as { errors?: { type: string }[] }).errors?.[0]?.type, 'INVALID_REPLICATION_FACTOR', 'INVALID_REPLICATION_FACTOR');
  }
  await admin.createTopics({ validateOnly: true, waitForLeaders: false, topics: [{ topic: 'only-validated' }] });
  t.notOk((await admin.listTopics()).includes('only-validated'), 'validate_only creates nothing');

  const described = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: 'orders' }], includeSynonyms: false });
  const entries = described.resources[0]!.configEntries;
  t.equal(entries.find((e) => e.configName === 'retention.ms')?.configValue, '60000', 'override is described');
  t.equal(entries.find((e) => e.configName === 'cleanup.policy')?.configValue, 'delete', 'default is described');
  t.equal(entries.find((e) => e.configName === 'retention.ms')?.isDefault, false, 'override is not a default');

  await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'orders', configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }] });
  const after = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: 'orders', configNames: ['cleanup.policy', 'retention.ms'] }], includeSynonyms: false });
  t.same(after.resources[0]!.configEntries.map((e) => [e.configName, e.configValue]).sort(), [['cleanup.policy', 'compact'], ['retention.ms', '604800000']], 'AlterConfigs replaces the whole set of overrides');
  await t.rejects(admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'orders', configEntries: [{ name: 'cleanup.policy', value: 'shred' }] }] }), 'an invalid value is refused');

  const broker = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.BROKER, name: '0' }], includeSynonyms: false });
  t.ok(broker.resources[0]!.configEntries.some((e) => e.configName === 'num.partitions'), 'broker configs are described');

  await admin.createPartitions({ topicPartitions: [{ topic: 'orders', count: 5 }] });
  t.equal((await admin.fetchTopicMetadata({ topics: ['orders'] })).topics[0]!.partitions.length, 5, 'partitions grow');
  await t.rejects(admin.createPartitions({ topicPartitions: [{ topic: 'orders', count: 2 }] }), 'partitions never shrink');

  const cluster = await admin.describeCluster();
  t.equal(cluster.brokers.length, 1, 'one broker');
  t.equal(cluster.controller, 0, 'which is the controller');
  t.ok(cluster.clusterId.length > 0, 'with a cluster id');

  await admin.deleteTopics({ topics: ['orders'] });
  t.notOk((await admin.listTopics()).includes('orders'), 'deleted');
  await t.rejects(admin.deleteTopics({ topics: ['never-existed'] }), 'deleting an unknown topic fails');
});

t.test('kcat lists brokers and topics', async (t) => {
  const b = await testBroker(t);
  const admin = new Kafka({ brokers: [b.bootstrap], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  await admin.createTopics({ topics: [{ topic: 'listed', numPartitions: 2 }] });
  const { stdout: out } = await promisify(execFile)('kcat', ['-b', b.bootstrap, '-L', '-J'], { encoding: 'utf8', timeout: 15000 });
  const md = JSON.parse(out);
  t.equal(md.brokers.length, 1, 'one broker');
  const topic = md.topics.find((x: { topic: string }) => x.topic === 'listed');
  t.equal(topic?.partitions.length, 2, 'the topic with its two partitions');
});
