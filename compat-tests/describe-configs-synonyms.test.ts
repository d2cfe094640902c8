/**
 * DescribeConfigs synonym lists and sources for topic configs as Kafka 3.9
 * builds them (ConfigHelper.createTopicConfigEntry over
 * ServerTopicConfigSynonyms): the override, the broker synonyms that were
 * set, the last synonym's broker default, everything before the chain's
 * first synonym dropped (so retention.ms and segment.ms list nothing on a
 * plain broker). And the deprecated topic configs Kafka 3.9 still takes:
 * message.format.version (ignored) and message.timestamp.difference.max.ms
 * (used for the before/after bounds left at their default).
 */
import t from 'tap';
import kafkajs from 'kafkajs';
import { testBroker } from './helpers/broker.js';
import { WireClient } from './helpers/wire-client.js';
import { encodeCreateTopicsRequest, decodeCreateTopicsResponse } from '../src/wire/generated/create-topics.js';
import { encodeDescribeConfigsRequest, decodeDescribeConfigsResponse } from '../src/wire/generated/describe-configs.js';
import { ErrorCode } from '../src/wire/errors.js';

const { Kafka, logLevel, ConfigResourceTypes } = kafkajs;
const TOPIC = 2;
const TOPIC_CONFIG = 1, STATIC_BROKER = 4, DEFAULT = 5;
const LONG_MAX = '9223372036854775807';
const NAMES = ['retention.ms', 'segment.ms', 'cleanup.policy', 'max.message.bytes', 'min.insync.replicas', 'message.timestamp.type', 'leader.replication.throttled.replicas', 'flush.ms', 'message.format.version'];

/** The kafkajs error type a call fails with ('none' when it succeeds). */
async function errorType(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'none';
  } catch (err) {
    const e = err as { type?: string; errors?: { type?: string }[]; cause?: { type?: string } };
    return e.errors?.[0]?.type ?? e.type ?? e.cause?.type ?? String(err);
  }
}

type Row = [value: string | null, source: number, synonyms: [string, string | null, number][]];

async function setup(t: Parameters<typeof testBroker>[0], flags: Record<string, string> = {}) {
  const b = await testBroker(t, flags);
  const c = await WireClient.connect(b.host, b.port);
  t.teardown(() => c.close());
  const create = async (name: string, configs: Record<string, string> = {}) => {
    const v = 4;
    const res = await c.request(19, v, (w) => encodeCreateTopicsRequest(w, { topics: [{ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: Object.entries(configs).map(([k, value]) => ({ name: k, value })) }], timeoutMs: 5000, validateOnly: false }, v), (r) => decodeCreateTopicsResponse(r, v));
    if (res.topics[0]!.errorCode !== ErrorCode.NONE) throw new Error(`creating ${name}: error ${res.topics[0]!.errorCode} ${res.topics[0]!.errorMessage}`);
  };
  const describe = (v: number, name: string, includeSynonyms = true) =>
    c.request(32, v, (w) => encodeDescribeConfigsRequest(w, { resources: [{ resourceType: TOPIC, resourceName: name, configurationKeys: NAMES }], includeSynonyms, includeDocumentation: false }, v), (r) => decodeDescribeConfigsResponse(r, v));
  /** name -> [value, source, synonyms as [name, value, source]] at DescribeConfigs v`v`. */
  const rows = async (v: number, name: string, includeSynonyms = true) => {
    const res = await describe(v, name, includeSynonyms);
    if (res.results[0]!.errorCode !== ErrorCode.NONE) throw new Error(`describing ${name}: error ${res.results[0]!.errorCode}`);
    return Object.fromEntries(res.results[0]!.configs.map((e) => [e.name, [e.value, e.configSource, (e.synonyms ?? []).map((s) => [s.name, s.value, s.source])] as Row]));
  };
  return { b, create, describe, rows };
}

t.test('no overrides on a broker with nothing set: retention.ms, segment.ms and flush.ms list no synonym; a config without a broker synonym neither', async (t) => {
  const { create, rows, describe } = await setup(t);
  await create('plain');
  for (const v of [1, 2, 3, 4]) {
    t.same(await rows(v, 'plain'), {
      'retention.ms': ['604800000', DEFAULT, []],
      'segment.ms': ['604800000', DEFAULT, []],
      'flush.ms': [LONG_MAX, DEFAULT, []],
      'cleanup.policy': ['delete', DEFAULT, [['log.cleanup.policy', 'delete', DEFAULT]]],
      'max.message.bytes': ['1048588', DEFAULT, [['message.max.bytes', '1048588', DEFAULT]]],
      'min.insync.replicas': ['1', DEFAULT, [['min.insync.replicas', '1', DEFAULT]]],
      'message.timestamp.type': ['CreateTime', DEFAULT, [['log.message.timestamp.type', 'CreateTime', DEFAULT]]],
      'leader.replication.throttled.replicas': ['', DEFAULT, []],
      'message.format.version': ['3.0-IV1', DEFAULT, [['log.message.format.version', '3.0-IV1', DEFAULT]]],
    }, `v${v} with synonyms`);
  }
  const without = await rows(4, 'plain', false);
  t.same(without['cleanup.policy'], ['delete', DEFAULT, []], 'include_synonyms false: no synonyms, same source');
  const v0 = await describe(0, 'plain');
  t.ok(v0.results[0]!.configs.every((e) => e.isDefault), 'v0: every one is a default');
});

t.test('overrides come first as DYNAMIC_TOPIC_CONFIG, followed by the broker chain', async (t) => {
  const { create, rows, describe } = await setup(t);
  await create('over', {
    'retention.ms': '1000', 'segment.ms': '5000', 'cleanup.policy': 'compact', 'max.message.bytes': '2000',
    'min.insync.replicas': '1', 'message.timestamp.type': 'LogAppendTime', 'leader.replication.throttled.replicas': '*', 'message.format.version': '2.8',
  });
  for (const v of [1, 4]) {
    t.same(await rows(v, 'over'), {
      'retention.ms': ['1000', TOPIC_CONFIG, [['retention.ms', '1000', TOPIC_CONFIG]]],
      'segment.ms': ['5000', TOPIC_CONFIG, [['segment.ms', '5000', TOPIC_CONFIG]]],
      'flush.ms': [LONG_MAX, DEFAULT, []],
      'cleanup.policy': ['compact', TOPIC_CONFIG, [['cleanup.policy', 'compact', TOPIC_CONFIG], ['log.cleanup.policy', 'delete', DEFAULT]]],
      'max.message.bytes': ['2000', TOPIC_CONFIG, [['max.message.bytes', '2000', TOPIC_CONFIG], ['message.max.bytes', '1048588', DEFAULT]]],
      'min.insync.replicas': ['1', TOPIC_CONFIG, [['min.insync.replicas', '1', TOPIC_CONFIG], ['min.insync.replicas', '1', DEFAULT]]],
      'message.timestamp.type': ['LogAppendTime', TOPIC_CONFIG, [['message.timestamp.type', 'LogAppendTime', TOPIC_CONFIG], ['log.message.timestamp.type', 'CreateTime', DEFAULT]]],
      'leader.replication.throttled.replicas': ['*', TOPIC_CONFIG, [['leader.replication.throttled.replicas', '*', TOPIC_CONFIG]]],
      'message.format.version': ['2.8', TOPIC_CONFIG, [['message.format.version', '2.8', TOPIC_CONFIG], ['log.message.format.version', '3.0-IV1', DEFAULT]]],
    }, `v${v}`);
  }
  const v0 = await describe(0, 'over');
  const isDefault = Object.fromEntries(v0.results[0]!.configs.map((e) => [e.name, e.isDefault]));
  t.equal(isDefault['retention.ms'], false, 'v0: an override is not a default');
  t.equal(isDefault['flush.ms'], true, 'v0: flush.ms is');
});

t.test('broker settings from the command line: STATIC_BROKER_CONFIG, and only from the chain\'s first synonym on', async (t) => {
  const { create, rows } = await setup(t, {
    'log.retention.hours': '48', 'log.roll.ms': '3600000', 'message.max.bytes': '2000000', 'log.cleanup.policy': 'compact', 'log.message.timestamp.type': 'LogAppendTime',
  });
  await create('plain');
  await create('over', { 'retention.ms': '1000', 'cleanup.policy': 'delete' });
  const plain = await rows(4, 'plain');
  t.same(plain['retention.ms'], [String(48 * 3_600_000), DEFAULT, []], 'retention.ms takes log.retention.hours, but Kafka lists it as DEFAULT_CONFIG with no synonym (log.retention.ms, the chain\'s first, is not set)');
  t.same(plain['segment.ms'], ['3600000', STATIC_BROKER, [['log.roll.ms', '3600000', STATIC_BROKER], ['log.roll.hours', '168', DEFAULT]]], 'segment.ms from log.roll.ms');
  t.same(plain['max.message.bytes'], ['2000000', STATIC_BROKER, [['message.max.bytes', '2000000', STATIC_BROKER], ['message.max.bytes', '1048588', DEFAULT]]]);
  t.same(plain['cleanup.policy'], ['compact', STATIC_BROKER, [['log.cleanup.policy', 'compact', STATIC_BROKER], ['log.cleanup.policy', 'delete', DEFAULT]]]);
  t.same(plain['message.timestamp.type'], ['LogAppendTime', STATIC_BROKER, [['log.message.timestamp.type', 'LogAppendTime', STATIC_BROKER], ['log.message.timestamp.type', 'CreateTime', DEFAULT]]]);
  t.same(plain['min.insync.replicas'], ['1', DEFAULT, [['min.insync.replicas', '1', DEFAULT]]], 'not set: the default');
  t.same(plain['leader.replication.throttled.replicas'], ['', DEFAULT, []]);
  const over = await rows(4, 'over');
  t.same(over['retention.ms'], ['1000', TOPIC_CONFIG, [['retention.ms', '1000', TOPIC_CONFIG]]], 'override, then nothing of the dropped chain');
  t.same(over['cleanup.policy'], ['delete', TOPIC_CONFIG, [['cleanup.policy', 'delete', TOPIC_CONFIG], ['log.cleanup.policy', 'compact', STATIC_BROKER], ['log.cleanup.policy', 'delete', DEFAULT]]]);
  t.same((await rows(4, 'over', false))['cleanup.policy'], ['delete', TOPIC_CONFIG, []], 'include_synonyms false');

  const withMs = await setup(t, { 'log.retention.ms': '7200000', 'log.retention.hours': '48' });
  await withMs.create('plain');
  t.same((await withMs.rows(4, 'plain'))['retention.ms'], ['7200000', STATIC_BROKER, [['log.retention.ms', '7200000', STATIC_BROKER], ['log.retention.hours', '48', STATIC_BROKER], ['log.retention.hours', '168', DEFAULT]]],
    'log.retention.ms set: the whole chain, set ones first, then the default');
});

t.test('deprecated topic configs Kafka 3.9 accepts: message.format.version and message.timestamp.difference.max.ms (kafkajs)', async (t) => {
  const b = await testBroker(t, { 'log.message.format.version': '2.8' });
  const warnings: string[] = [];
  b.samsa!.context.topics.warn = (m) => warnings.push(m);
  const kafka = new Kafka({ brokers: [b.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  t.equal(await admin.createTopics({ topics: [{ topic: 'old', configEntries: [{ name: 'message.format.version', value: '0.10.2' }, { name: 'message.timestamp.difference.max.ms', value: '60000' }] }] }), true, 'created with both');
  t.equal(await admin.createTopics({ topics: [{ topic: 'bounded', configEntries: [{ name: 'message.timestamp.difference.max.ms', value: '60000' }, { name: 'message.timestamp.before.max.ms', value: '7200000' }] }] }), true);
  t.match(warnings.join('\n'), /message\.format\.version with value `0\.10\.2` for `old` is ignored/, 'a warning for message.format.version');
  t.match(warnings.join('\n'), /message\.timestamp\.difference\.max\.ms with value `60000` for `old` is deprecated/, 'and for message.timestamp.difference.max.ms');
  t.equal(await errorType(admin.createTopics({ topics: [{ topic: 'bad', configEntries: [{ name: 'message.format.version', value: '0.7' }] }] })), 'INVALID_CONFIG', 'a version Kafka does not know: INVALID_CONFIG');
  t.equal(await errorType(admin.createTopics({ topics: [{ topic: 'bad', configEntries: [{ name: 'message.timestamp.difference.max.ms', value: '-1' }] }] })), 'INVALID_CONFIG', 'a negative difference: INVALID_CONFIG');

  const [res] = (await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: 'old', configNames: ['message.format.version', 'message.timestamp.difference.max.ms', 'message.timestamp.before.max.ms'] }], includeSynonyms: true })).resources;
  const entry = (n: string) => res!.configEntries.find((e) => e.configName === n)!;
  t.equal(entry('message.format.version').configValue, '0.10.2', 'described as set');
  t.same(entry('message.format.version').configSynonyms.map((s) => [s.configName, s.configValue, s.configSource]), [['message.format.version', '0.10.2', TOPIC_CONFIG], ['log.message.format.version', '2.8', STATIC_BROKER], ['log.message.format.version', '3.0-IV1', DEFAULT]]);
  t.same(entry('message.timestamp.difference.max.ms').configSynonyms.map((s) => [s.configName, s.configValue, s.configSource]),
    [['message.timestamp.difference.max.ms', '60000', TOPIC_CONFIG], ['log.message.timestamp.difference.max.ms', LONG_MAX, DEFAULT]]);
  t.equal(entry('message.timestamp.before.max.ms').configValue, LONG_MAX, 'message.timestamp.before.max.ms itself still reads its own value');
  await admin.createTopics({ topics: [{ topic: 'plain' }] });
  const [plain] = (await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: 'plain', configNames: ['message.format.version'] }], includeSynonyms: true })).resources;
  const mfv = plain!.configEntries[0]!;
  t.same([mfv.configValue, mfv.configSynonyms.map((s) => [s.configName, s.configValue, s.configSource])], ['3.0-IV1', [['log.message.format.version', '2.8', STATIC_BROKER], ['log.message.format.version', '3.0-IV1', DEFAULT]]],
    'without an override the value is 3.0-IV1 whatever log.message.format.version says (Kafka 3.x ignores it), the synonyms show it');

  await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'bounded', configEntries: [{ name: 'message.timestamp.difference.max.ms', value: '60000' }, { name: 'message.timestamp.before.max.ms', value: '7200000' }, { name: 'message.format.version', value: '3.0' }] }] });

  const producer = kafka.producer({ retry: { retries: 0 } });
  await producer.connect();
  t.teardown(() => producer.disconnect());
  const hourAgo = String(Date.now() - 3_600_000);
  t.equal(await errorType(producer.send({ topic: 'old', messages: [{ value: 'x', timestamp: hourAgo }] })), 'INVALID_TIMESTAMP', 'an hour old: past message.timestamp.difference.max.ms (before.max.ms left at its default)');
  t.equal(await errorType(producer.send({ topic: 'old', messages: [{ value: 'x', timestamp: String(Date.now() + 3_600_000) }] })), 'INVALID_TIMESTAMP', 'an hour ahead: the same for after.max.ms');
  await producer.send({ topic: 'old', messages: [{ value: 'x' }] });
  t.pass('a current timestamp is taken');
  await producer.send({ topic: 'bounded', messages: [{ value: 'x', timestamp: hourAgo }] });
  t.pass('message.timestamp.before.max.ms set: it wins over the difference');
  t.equal(await errorType(producer.send({ topic: 'bounded', messages: [{ value: 'x', timestamp: String(Date.now() + 3_600_000) }] })), 'INVALID_TIMESTAMP', 'after.max.ms left at default: the difference');
});

t.test('the broker-level difference: the before/after bounds of topics without their own, ahead of a topic-level difference (Kafka 3.9 KafkaConfig)', async (t) => {
  const b = await testBroker(t, { 'log.message.timestamp.difference.max.ms': '60000' });
  const kafka = new Kafka({ brokers: [b.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  await admin.createTopics({ topics: [{ topic: 'plain' }, { topic: 'loose', configEntries: [{ name: 'message.timestamp.difference.max.ms', value: '7200000' }] }, { topic: 'own', configEntries: [{ name: 'message.timestamp.before.max.ms', value: '7200000' }] }] });
  const [res] = (await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: 'plain', configNames: ['message.timestamp.before.max.ms', 'message.timestamp.after.max.ms'] }], includeSynonyms: true })).resources;
  t.same(res!.configEntries.map((e) => [e.configName, e.configValue, e.configSource, e.configSynonyms.map((s) => [s.configName, s.configValue, s.configSource])]).sort(), [
    ['message.timestamp.after.max.ms', '60000', DEFAULT, [['log.message.timestamp.after.max.ms', LONG_MAX, DEFAULT]]],
    ['message.timestamp.before.max.ms', '60000', DEFAULT, [['log.message.timestamp.before.max.ms', LONG_MAX, DEFAULT]]],
  ], 'the bounds read the broker difference, their synonyms their own defaults');
  const producer = kafka.producer({ retry: { retries: 0 } });
  await producer.connect();
  t.teardown(() => producer.disconnect());
  const halfHourAgo = () => String(Date.now() - 1_800_000);
  t.equal(await errorType(producer.send({ topic: 'plain', messages: [{ value: 'x', timestamp: halfHourAgo() }] })), 'INVALID_TIMESTAMP', 'plain: past the broker difference');
  t.equal(await errorType(producer.send({ topic: 'loose', messages: [{ value: 'x', timestamp: halfHourAgo() }] })), 'INVALID_TIMESTAMP', 'a topic-level difference does not loosen the broker-derived bound');
  t.equal(await errorType(producer.send({ topic: 'own', messages: [{ value: 'x', timestamp: halfHourAgo() }] })), 'none', 'a topic-level before.max.ms does');
});

t.test('BROKER resources: a setting\'s synonyms are its chain from itself on (log.retention.ms/.minutes/.hours, log.roll.ms/.hours)', async (t) => {
  const b = await testBroker(t, { 'log.retention.ms': '7200000', 'num.partitions': '3' });
  const c = await WireClient.connect(b.host, b.port);
  t.teardown(() => c.close());
  const keys = ['log.retention.ms', 'log.retention.minutes', 'log.retention.hours', 'log.roll.ms', 'log.roll.hours', 'num.partitions', 'delete.topic.enable'];
  const res = await c.request(32, 4, (w) => encodeDescribeConfigsRequest(w, { resources: [{ resourceType: 4, resourceName: '0', configurationKeys: keys }], includeSynonyms: true, includeDocumentation: false }, 4), (r) => decodeDescribeConfigsResponse(r, 4));
  t.same(Object.fromEntries(res.results[0]!.configs.map((e) => [e.name, [e.value, e.configSource, (e.synonyms ?? []).map((s) => [s.name, s.value, s.source])]])), {
    'log.retention.ms': ['7200000', STATIC_BROKER, [['log.retention.ms', '7200000', STATIC_BROKER], ['log.retention.hours', '168', DEFAULT]]],
    'log.retention.minutes': [null, DEFAULT, []],
    'log.retention.hours': ['168', DEFAULT, [['log.retention.hours', '168', DEFAULT]]],
    'log.roll.ms': [null, DEFAULT, []],
    'log.roll.hours': ['168', DEFAULT, [['log.roll.hours', '168', DEFAULT]]],
    'num.partitions': ['3', STATIC_BROKER, [['num.partitions', '3', STATIC_BROKER], ['num.partitions', '1', DEFAULT]]],
    'delete.topic.enable': ['true', DEFAULT, [['delete.topic.enable', 'true', DEFAULT]]],
  });
});

t.test('override values as Kafka parses and prints them: +0100 is 100, TRUE is true, .50 is 0.5, blanks around list commas go', async (t) => {
  const b = await testBroker(t);
  const c = await WireClient.connect(b.host, b.port);
  t.teardown(() => c.close());
  const given = { 'retention.ms': '+0100', 'preallocate': 'TRUE', 'min.cleanable.dirty.ratio': '.50', 'cleanup.policy': 'compact , delete', 'segment.jitter.ms': '007' };
  const created = await c.request(19, 4, (w) => encodeCreateTopicsRequest(w, { topics: [{ name: 'typed', numPartitions: 1, replicationFactor: 1, assignments: [], configs: Object.entries(given).map(([name, value]) => ({ name, value })) }], timeoutMs: 5000, validateOnly: false }, 4), (r) => decodeCreateTopicsResponse(r, 4));
  t.equal(created.topics[0]!.errorCode, ErrorCode.NONE, 'all accepted');
  const res = await c.request(32, 4, (w) => encodeDescribeConfigsRequest(w, { resources: [{ resourceType: TOPIC, resourceName: 'typed', configurationKeys: Object.keys(given) }], includeSynonyms: true, includeDocumentation: false }, 4), (r) => decodeDescribeConfigsResponse(r, 4));
  t.same(Object.fromEntries(res.results[0]!.configs.map((e) => [e.name, [e.value, (e.synonyms ?? [])[0]?.value]])), {
    'retention.ms': ['100', '100'], 'preallocate': ['true', 'true'], 'min.cleanable.dirty.ratio': ['0.5', '0.5'], 'cleanup.policy': ['compact,delete', 'compact,delete'], 'segment.jitter.ms': ['7', '7'],
  }, 'value and DYNAMIC_TOPIC_CONFIG synonym');
});
