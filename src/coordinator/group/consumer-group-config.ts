/**
 * Settings of the consumer protocol, under Kafka's broker config names:
 * group.consumer.session.timeout.ms (45000), group.consumer.heartbeat.interval.ms
 * (5000), group.consumer.max.size (Integer.MAX_VALUE), group.consumer.assignors
 * (uniform,range: the first is the default) and group.consumer.migration.policy
 * (bidirectional). The min/max bounds of the timeouts are checked when the
 * broker config is loaded.
 */
export type MigrationPolicy = 'disabled' | 'upgrade' | 'downgrade' | 'bidirectional';

export interface ConsumerGroupConfig {
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  maxSize: number;
  /** Server assignor names members may ask for; the first is used when none asks. */
  assignors: readonly string[];
  migrationPolicy: MigrationPolicy;
}

export const DEFAULT_CONSUMER_GROUP_CONFIG: ConsumerGroupConfig = {
  sessionTimeoutMs: 45_000,
  heartbeatIntervalMs: 5_000,
  maxSize: 2_147_483_647,
  assignors: ['uniform', 'range'],
  migrationPolicy: 'bidirectional',
};

export const upgradeEnabled = (p: MigrationPolicy): boolean => p === 'upgrade' || p === 'bidirectional';
export const downgradeEnabled = (p: MigrationPolicy): boolean => p === 'downgrade' || p === 'bidirectional';
