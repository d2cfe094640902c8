/**
 * @platformatic/kafka 1.35 (`groupProtocol: 'consumer'`) meeting a classic
 * (kafkajs) group that has a member: with Kafka 4.0's default
 * group.consumer.migration.policy the group is upgraded online and
 * downgraded when the consumer-protocol member leaves; with the policy
 * disabled consume() fails with GROUP_ID_NOT_FOUND until the group is empty.
 */
import t from 'tap';
import { PlatformaticMember } from './helpers/platformatic-member.js';
import { onlineUpgradeAndDowngrade, refusedWhileClassic } from './helpers/consumer-protocol-clients-scenarios.js';
import { ErrorCode } from '../src/wire/errors.js';

t.test('a classic group with a kafkajs member is upgraded when a consumer-protocol member joins, and downgraded when it leaves', (t) =>
  onlineUpgradeAndDowngrade(t, PlatformaticMember.start));

t.test('with group.consumer.migration.policy=disabled joining a classic group that has a member fails with GROUP_ID_NOT_FOUND; joining once it is empty works', async (t) => {
  const m = await refusedWhileClassic(t, 'platformatic', 30_000, async ({ b }) => {
    const refused = await PlatformaticMember.start(t, b.bootstrap, 'mix-g', ['mix'], 'refused').then(() => undefined, (e: Error) => e);
    // platformatic wraps the broker's error code in a ProtocolError inside its ResponseError.
    const cause = (refused as { findBy?(key: string, value: unknown): { apiCode: number; serverErrorMessage: string | null } | undefined } | undefined)?.findBy?.('apiId', 'GROUP_ID_NOT_FOUND');
    t.equal(cause?.apiCode, ErrorCode.GROUP_ID_NOT_FOUND, `consume() rejects with GROUP_ID_NOT_FOUND (${cause?.serverErrorMessage ?? refused?.message})`);
    return () => PlatformaticMember.start(t, b.bootstrap, 'mix-g', ['mix'], 'joined');
  });
  t.same(m.errors, [], 'no client errors');
});
