/**
 * @platformatic/kafka 1.35 (`groupProtocol: 'consumer'`) meeting a classic
 * (kafkajs) group that has a member: with Kafka 4.0's default
 * group.consumer.migration.policy the group is upgraded online and
 * downgraded when the consumer-protocol member leaves; with the policy
 * disabled consume() fails with GROUP_ID_NOT_FOUND until the group is empty.
 */
import t from 'tap';
import { PlatformaticMember } from './helpers/platformatic-member.js';
import { checkExactlyOnce, createTopic, names, readThrough, sendValues, setup } from './helpers/consumer-protocol-clients.js';
import { classicConsumer, committedWhen, onlineUpgradeAndDowngrade } from './helpers/consumer-protocol-clients-scenarios.js';
import { until } from './helpers/until.js';
import { ErrorCode } from '../src/wire/errors.js';

t.test('a classic group with a kafkajs member is upgraded when a consumer-protocol member joins, and downgraded when it leaves', (t) =>
  onlineUpgradeAndDowngrade(t, PlatformaticMember.start));

t.test('with group.consumer.migration.policy=disabled joining a classic group that has a member fails with GROUP_ID_NOT_FOUND; joining once it is empty works', async (t) => {
  const { b, kafka, admin, producer, g } = await setup(t, { 'group.consumer.migration.policy': 'disabled' });
  await createTopic(admin, 'mix', 2);
  const first = names('mix-classic-', 10);
  await sendValues(producer, 'mix', 2, first);
  const k = await classicConsumer(t, kafka, 'mix-g', 'mix');
  checkExactlyOnce(t, first, await readThrough(producer, 'mix', 2, () => k.values, 30_000, 'kafkajs'), 'kafkajs reads the first batch');

  const refused = await PlatformaticMember.start(t, b.bootstrap, 'mix-g', ['mix'], 'refused').then(() => undefined, (e: Error) => e);
  // platformatic wraps the broker's error code in a ProtocolError inside its ResponseError.
  const cause = (refused as { findBy?(key: string, value: unknown): { apiCode: number; serverErrorMessage: string | null } | undefined } | undefined)?.findBy?.('apiId', 'GROUP_ID_NOT_FOUND');
  t.equal(cause?.apiCode, ErrorCode.GROUP_ID_NOT_FOUND, `consume() rejects with GROUP_ID_NOT_FOUND (${cause?.serverErrorMessage ?? refused?.message})`);
  const classic = await g.describeGroup('mix-g');
  t.same({ state: classic.groupState, members: classic.members.length }, { state: 'Stable', members: 1 }, 'DescribeGroups: still the classic group with its one member');
  t.equal(k.joins(), 1, 'kafkajs was not made to rebalance');
  const second = names('mix-while-', 10);
  await sendValues(producer, 'mix', 2, second);
  checkExactlyOnce(t, [...first, ...second], await readThrough(producer, 'mix', 2, () => k.values, 30_000, 'kafkajs'), 'kafkajs keeps consuming');
  // 5 records and a marker per partition per round, two rounds.
  t.same(await committedWhen(g, 'mix-g', 'mix', 2, 12), { 'mix-0': 12, 'mix-1': 12 }, 'kafkajs committed what it read');
  await k.consumer.disconnect();

  const third = names('mix-after-', 10);
  await sendValues(producer, 'mix', 2, third);
  const m = await PlatformaticMember.start(t, b.bootstrap, 'mix-g', ['mix'], 'joined');
  await until(() => m.assigned.size === 2, 30_000, 'platformatic joining the emptied group');
  checkExactlyOnce(t, third, await readThrough(producer, 'mix', 2, () => m.values(), 30_000, 'platformatic'), "platformatic resumes from kafkajs's commits");
  t.same((await g.listGroups(['consumer'])).filter((x) => x.groupId === 'mix-g').map((x) => x.groupType), ['consumer'], 'the group is now a consumer group');
  t.same(m.errors, [], 'no client errors');
});
