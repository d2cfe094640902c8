import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrokerConfig, ConfigError, parseProperties } from '../../src/config/broker-config.js';
import { validateTopicConfig, synonymToTopicValue, normalizeTopicConfig } from '../../src/config/topic-config.js';
import { parseStartArgs } from '../../src/cli/start-args.js';

t.test('broker settings: flags beat env beat the properties file beat defaults', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-cfg-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'server.properties');
  writeFileSync(file, '# comment\nnum.partitions=4\nlog.retention.hours=1\nauto.create.topics.enable = false\n');
  const c = BrokerConfig.load({ file, env: { SAMSA_NUM_PARTITIONS: '6', UNRELATED: 'x' }, flags: { 'log.retention.hours': '2' } });
  t.equal(c.int('num.partitions'), 6, 'env over file');
  t.equal(c.int('log.retention.hours'), 2, 'flag over file');
  t.equal(c.bool('auto.create.topics.enable'), false, 'file over default');
  t.equal(synonymToTopicValue('log.retention.hours', c.get('log.retention.hours')), String(2 * 3_600_000), 'log.retention.hours in retention.ms units');
  t.ok(c.isSet('log.retention.hours') && !c.isSet('log.retention.ms'), 'isSet tells given settings from defaults');
  t.equal(c.source('num.partitions'), 'env');
  t.equal(BrokerConfig.load().int('group.initial.rebalance.delay.ms'), 0, "Samsa's dev default for the initial rebalance delay");
  t.equal(BrokerConfig.load().get('listeners'), '127.0.0.1:9092');
});

t.test('bad broker settings stop start-up with a suggestion', async (t) => {
  t.throws(() => BrokerConfig.load({ flags: { 'num.partition': '3' } }), { name: 'ConfigError', message: /unknown broker setting 'num.partition'.*did you mean num.partitions\?/ });
  t.throws(() => BrokerConfig.load({ env: { SAMSA_AUTO_CREATE_TOPIC_ENABLE: 'true' } }), /did you mean auto.create.topics.enable\?/);
  t.throws(() => BrokerConfig.load({ flags: { 'num.partitions': 'many' } }), /invalid value 'many' for num.partitions/);
  t.throws(() => BrokerConfig.load({ flags: { listeners: 'nonsense' } }), /expected NAME:\/\/host:port/);
  t.throws(() => parseProperties('just words without separator\n=x'), ConfigError);
});

t.test("Kafka's spellings: aliases, PLAINTEXT:// listeners, ignored settings", async (t) => {
  const c = BrokerConfig.load({ flags: { 'broker.id': '3', listeners: 'PLAINTEXT://0.0.0.0:9093', 'num.network.threads': '3', 'advertised.listeners': 'PLAINTEXT://kafka:19092' } });
  t.equal(c.nodeId, 3, 'broker.id is node.id');
  t.equal(c.listenHost, '0.0.0.0');
  t.equal(c.listenPort, 9093);
  t.same(c.ignored, ['num.network.threads'], 'thread settings are accepted and reported as ignored');
  t.equal(c.plan.listeners[0]!.advertisedHost, 'kafka', 'advertised.listeners sets the advertised host');
  t.equal(c.plan.listeners[0]!.advertisedPort, 19092, 'and port');
  t.equal(BrokerConfig.load({ flags: { listeners: ':0' } }).listenHost, '0.0.0.0', 'an empty host listens everywhere');
  t.throws(() => BrokerConfig.load({ flags: { 'default.replication.factor': '0' } }), /must be an integer >= 1/);
  t.equal(BrokerConfig.load({ flags: { 'default.replication.factor': '3' } }).int('default.replication.factor'), 3, 'a replication factor above one is a cluster setting now');
  t.throws(() => BrokerConfig.load({ flags: { 'log.dirs': '/a,/b' } }), /one data directory/);
  t.doesNotThrow(() => BrokerConfig.load({ env: { SAMSA_LOG_LEVEL: 'debug', SAMSA_BOOTSTRAP: 'x:1' } }), 'CLI-only SAMSA_* variables are not broker settings');
});

t.test('CLI flags map to Kafka keys', async (t) => {
  const p = parseStartArgs(['--listen', '0.0.0.0:9093', '--data-dir=/tmp/x', '--advertised-host', 'kafka', '--set', 'num.partitions=3', '--ephemeral', '--log-level', 'debug']);
  t.same(p.flags, { listeners: '0.0.0.0:9093', 'log.dirs': '/tmp/x', 'advertised.host': 'kafka', 'num.partitions': '3' });
  t.equal(p.ephemeral, true);
  t.equal(p.logLevel, 'debug');
  t.throws(() => parseStartArgs(['--lsten', 'x']), /unknown option --lsten/);
});

t.test('topic configs are validated with did-you-mean suggestions', async (t) => {
  t.equal(validateTopicConfig('retention.ms', '1000'), undefined);
  t.equal(validateTopicConfig('cleanup.policy', 'compact,delete'), undefined);
  t.match(validateTopicConfig('retention.mss', '1'), /Unknown topic config name: retention.mss \(did you mean retention.ms\?\)/);
  t.match(validateTopicConfig('cleanup.policy', 'shred'), /'shred' is not one of delete, compact/);
  t.match(validateTopicConfig('compression.type', 'brotli'), /must be one of/);
  t.match(validateTopicConfig('min.insync.replicas', '0'), /at least 1/);
  t.match(validateTopicConfig('segment.bytes', 'big'), /must be an integer/);
  t.match(validateTopicConfig('message.timestamp.type', 'LogAppendTime'), undefined as unknown as RegExp);
  t.equal(validateTopicConfig('flush.messages', '9223372036854775807'), undefined, 'a long at Long.MAX is valid');
  t.match(validateTopicConfig('segment.bytes', '2147483648'), /at most 2147483647/, 'an int config stops at Integer.MAX');
  t.match(validateTopicConfig('retention.ms', '-2'), /at least -1/);
  t.match(validateTopicConfig('min.cleanable.dirty.ratio', '1.5'), /between 0 and 1/);
  t.equal(validateTopicConfig('compression.zstd.level', '-5'), undefined);
  t.match(validateTopicConfig('cleanup.policy', null), /Null value/);
  t.match(validateTopicConfig('max.message.byte', '1'), /did you mean max.message.bytes\?/);
});

t.test('deprecated settings Kafka 3.9 still takes: accepted, validated, warned about', async (t) => {
  const c = BrokerConfig.load({ flags: { 'log.message.format.version': '2.8', 'log.message.timestamp.difference.max.ms': '60000' } });
  const warnings = c.warnings();
  t.equal(warnings.length, 2, 'one warning each');
  t.match(warnings[0], /^Broker configuration log\.message\.timestamp\.difference\.max\.ms with value 60000 is deprecated/);
  t.match(warnings[1], /^Broker configuration log\.message\.format\.version with value 2\.8 is ignored/);
  t.same(BrokerConfig.load().warnings(), [], 'none when not given');
  t.throws(() => BrokerConfig.load({ flags: { 'log.message.format.version': '4.0' } }), /Version 4\.0 is not a valid version/);
  for (const v of ['0.8.0', '0.10.2', '0.10.2.1', '0.10.0-IV1', '1.1', '2.8', '2.8.1', '3.0-IV1', '3.9']) t.equal(validateTopicConfig('message.format.version', v), undefined, `message.format.version ${v}`);
  for (const v of ['0.7', '0.10.3', '2.9', '4.0', 'abc', '']) t.ok(validateTopicConfig('message.format.version', v), `message.format.version ${v || '(empty)'} refused`);
  t.equal(validateTopicConfig('message.timestamp.difference.max.ms', '0'), undefined);
  t.match(validateTopicConfig('message.timestamp.difference.max.ms', '-1'), /must be at least 0/);
});

t.test('topic config values are normalized as Kafka parses and prints them', async (t) => {
  const cases: [string, string, string][] = [
    ['retention.ms', ' +0100 ', '100'], ['retention.ms', '-1', '-1'], ['preallocate', 'False', 'false'], ['min.cleanable.dirty.ratio', '1', '1.0'],
    ['min.cleanable.dirty.ratio', '0.00001', '1.0E-5'], ['min.cleanable.dirty.ratio', '.25', '0.25'], ['cleanup.policy', ' compact ,delete ', 'compact,delete'],
    ['message.timestamp.type', ' LogAppendTime ', 'LogAppendTime'], ['retention.ms', 'soon', 'soon'],
  ];
  for (const [name, given, want] of cases) t.equal(normalizeTopicConfig(name, given), want, `${name}=${given}`);
  t.equal(validateTopicConfig('preallocate', 'TRUE'), undefined, 'booleans in any case, as Java parses them');
  t.equal(validateTopicConfig('retention.ms', '+5'), undefined, 'a leading + as Java parses it');
  t.ok(validateTopicConfig('retention.ms', 'soon'), 'not a number: refused');
});
