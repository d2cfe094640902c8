/**
 * node-rdkafka 3.6.1 (librdkafka 2.12, `group.protocol: consumer`) against
 * Samsa, continued: a regex subscription picks up a topic created after the
 * member joined, committed offsets carry over to the next member and over a
 * broker restart, and a classic (kafkajs) group converts to a consumer group
 * when empty and back.
 */
import t from 'tap';
import { RdMember } from './helpers/rdkafka-member.js';
import { checkExactlyOnce, createTopic, describedWhen, names, readThrough, sendValues, settled, setup } from './helpers/consumer-protocol-clients.js';
import { classicConversion, resumeAfterRestart } from './helpers/consumer-protocol-clients-scenarios.js';
import { until } from './helpers/until.js';

t.test("a regex subscription '^rx-.*' is given a matching topic created after the member joined", async (t) => {
  const { b, admin, producer, g } = await setup(t);
  await createTopic(admin, 'rx-a', 2);
  const m = await RdMember.start(t, b.bootstrap, 'rx-g', ['^rx-.*'], 'regex-member');
  await until(() => m.assigned.size === 2, 30_000, 'rx-a assigned');
  t.same(m.partitions(), ['rx-a-0', 'rx-a-1'], 'the existing matching topic is assigned');
  const d = await describedWhen(g, 'rx-g', settled(1), 20_000, 'a stable group');
  t.match(d.members[0]!.subscribedTopicRegex, /rx-\.\*/, `ConsumerGroupDescribe shows the regex librdkafka sent (${d.members[0]!.subscribedTopicRegex})`);

  await createTopic(admin, 'rx-b', 2);
  await createTopic(admin, 'other-rx', 1);
  await until(() => m.assigned.size === 4, 60_000, 'rx-b assigned after its creation');
  t.same(m.partitions(), ['rx-a-0', 'rx-a-1', 'rx-b-0', 'rx-b-1'], 'the new matching topic is added, the non-matching one is not');
  const values = names('rx-b-', 4);
  await sendValues(producer, 'rx-b', 2, values);
  await sendValues(producer, 'other-rx', 1, ['not-for-the-regex']);
  const read = await readThrough(producer, 'rx-b', 2, () => m.values('rx-b'), 30_000, 'the regex member');
  checkExactlyOnce(t, values, read, 'records of the topic created after joining');
  t.notOk(m.changes.some((c) => c.includes('other-rx')), 'other-rx never assigned');
  t.same(m.revocations(), [], 'nothing revoked when the topic was added');
  t.same(m.errors, [], 'no client errors');
});

t.test('committed offsets carry over to the next member of the group, and over a broker restart', (t) =>
  resumeAfterRestart(t, RdMember.start));

t.test('an empty classic group converts to a consumer group and back, offsets kept both ways', (t) =>
  classicConversion(t, RdMember.start));
