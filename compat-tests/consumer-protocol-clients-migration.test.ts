/**
 * node-rdkafka 3.6.1 (librdkafka 2.12, `group.protocol: consumer`) meeting a
 * classic (kafkajs) group that has a member: with Kafka 4.0's default
 * group.consumer.migration.policy the group is upgraded online and
 * downgraded when the consumer-protocol member leaves; with the policy
 * disabled the join is refused until the group is empty.
 */
import t from 'tap';
import { RdMember } from './helpers/rdkafka-member.js';
import { onlineUpgradeAndDowngrade, refusedWhileClassic } from './helpers/consumer-protocol-clients-scenarios.js';
import { until } from './helpers/until.js';
import { ErrorCode } from '../src/wire/errors.js';
import { randomUuid } from '../src/wire/protocol/uuid.js';

t.test('a classic group with a kafkajs member is upgraded when a consumer-protocol member joins, and downgraded when it leaves', (t) =>
  onlineUpgradeAndDowngrade(t, RdMember.start));

t.test('with group.consumer.migration.policy=disabled a consumer-protocol member is refused while a classic member is in the group, and joins once the group is empty', async (t) => {
  await refusedWhileClassic(t, 'rdkafka', 60_000, async ({ b, g }) => {
    // What the broker answers a consumer-protocol join of a classic group with members when it may not upgrade it.
    const refused = await g.heartbeat({ groupId: 'mix-g', memberId: randomUuid(), memberEpoch: 0, rebalanceTimeoutMs: 30_000, subscribedTopicNames: ['mix'], topicPartitions: [] });
    t.equal(refused.errorCode, ErrorCode.GROUP_ID_NOT_FOUND, `ConsumerGroupHeartbeat into a non-empty classic group: GROUP_ID_NOT_FOUND (${refused.errorMessage})`);
    const r = await RdMember.start(t, b.bootstrap, 'mix-g', ['mix'], 'rdkafka', { debug: 'cgrp' });
    // librdkafka logs no error for GROUP_ID_NOT_FOUND: it keeps sending its join (epoch 0) with backoff. Three of them, unanswered with an assignment, show it refused.
    const joins = (): number => r.logs.filter((l) => /ConsumerGroupHeartbeat of member id .* generation id 0,/.test(l)).length;
    await until(() => joins() >= 3, 30_000, 'librdkafka trying to join three times');
    t.same(r.partitions(), [], `librdkafka is given nothing while kafkajs is in the group (${joins()} joins sent)`);
    // It joins on its own, with the backoff it is in, once the group is empty.
    return async () => r;
  });
});
