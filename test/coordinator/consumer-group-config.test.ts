/**
 * The group.consumer.* broker settings: Kafka's names and defaults, and
 * GroupCoordinatorConfig's checks of the timeouts against their bounds.
 */
import t from 'tap';
import { BrokerConfig, ConfigError } from '../../src/config/broker-config.js';

t.test("defaults are Kafka's", async (t) => {
  const c = BrokerConfig.load({});
  t.same(
    ['session.timeout.ms', 'min.session.timeout.ms', 'max.session.timeout.ms', 'heartbeat.interval.ms', 'min.heartbeat.interval.ms', 'max.heartbeat.interval.ms', 'max.size', 'assignors', 'migration.policy'].map((k) => c.get(`group.consumer.${k}`)),
    ['45000', '45000', '60000', '5000', '5000', '15000', '2147483647', 'uniform,range', 'bidirectional'],
  );
});

t.test('timeouts are checked against their bounds', async (t) => {
  const load = (flags: Record<string, string>) => () => BrokerConfig.load({ flags });
  t.throws(load({ 'group.consumer.session.timeout.ms': '10000' }), new ConfigError('group.consumer.session.timeout.ms must be greater than or equal to group.consumer.min.session.timeout.ms'));
  t.throws(load({ 'group.consumer.session.timeout.ms': '90000' }), new ConfigError('group.consumer.session.timeout.ms must be less than or equal to group.consumer.max.session.timeout.ms'));
  t.throws(load({ 'group.consumer.heartbeat.interval.ms': '1000' }), new ConfigError('group.consumer.heartbeat.interval.ms must be greater than or equal to group.consumer.min.heartbeat.interval.ms'));
  t.throws(load({ 'group.consumer.min.session.timeout.ms': '1000', 'group.consumer.session.timeout.ms': '4000' }), new ConfigError('group.consumer.heartbeat.interval.ms must be less than group.consumer.session.timeout.ms'));
  t.throws(load({ 'group.consumer.assignors': 'sticky' }), /must list uniform and\/or range/);
  t.throws(load({ 'group.consumer.migration.policy': 'sideways' }), /must be one of disabled, upgrade, downgrade, bidirectional/);
  const dev = BrokerConfig.load({ flags: { 'group.consumer.session.timeout.ms': '6000', 'group.consumer.min.session.timeout.ms': '1000', 'group.consumer.heartbeat.interval.ms': '500', 'group.consumer.min.heartbeat.interval.ms': '100', 'group.consumer.migration.policy': 'DISABLED' } });
  t.equal(dev.int('group.consumer.session.timeout.ms'), 6000, 'a dev broker lowers the session timeout with its minimum');
});
