import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrokerConfig, ConfigError, parseProperties } from '../../src/config/broker-config.js';
import { validateTopicConfig } from '../../src/config/topic-config.js';
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
  t.equal(c.topicDefault('log.retention.ms'), String(2 * 3_600_000), 'retention.ms falls back to log.retention.hours');
  t.equal(c.source('num.partitions'), 'env');
  t.equal(BrokerConfig.load().int('group.initial.rebalance.delay.ms'), 0, "Samsa's dev default for the initial rebalance delay");
  t.equal(BrokerConfig.load().get('listeners'), '127.0.0.1:9092');
});

t.test('bad broker settings stop start-up with a suggestion', async (t) => {
  t.throws(() => BrokerConfig.load({ flags: { 'num.partition': '3' } }), { name: 'ConfigError', message: /unknown broker setting 'num.partition'.*did you mean num.partitions\?/ });
  t.throws(() => BrokerConfig.load({ env: { SAMSA_AUTO_CREATE_TOPIC_ENABLE: 'true' } }), /did you mean auto.create.topics.enable\?/);
  t.throws(() => BrokerConfig.load({ flags: { 'num.partitions': 'many' } }), /invalid value 'many' for num.partitions/);
  t.throws(() => BrokerConfig.load({ flags: { listeners: 'nonsense' } }), /must be host:port/);
  t.throws(() => parseProperties('just words without separator\n=x'), ConfigError);
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
  t.match(validateTopicConfig('min.insync.replicas', '0'), /between 1 and/);
  t.match(validateTopicConfig('segment.bytes', 'big'), /must be an integer/);
  t.match(validateTopicConfig('message.timestamp.type', 'LogAppendTime'), undefined as unknown as RegExp);
});
