/**
 * The KIP-848 APIs under ACLs, as Kafka 4.0's KafkaApis checks them (with
 * KAFKA-18813, in 4.0): ConsumerGroupHeartbeat needs READ on the group
 * (GROUP_AUTHORIZATION_FAILED) and DESCRIBE on every topic named in the
 * subscription (TOPIC_AUTHORIZATION_FAILED), while a regex subscription only
 * resolves to topics the member may describe; ConsumerGroupDescribe needs
 * DESCRIBE on each group and on every topic the group uses, and reports the
 * caller's authorized operations. alice speaks over SASL/PLAIN with a bare
 * client (our codecs); admin, a super user, grants with kafkajs.
 */
import t from 'tap';
import kafkajs from 'kafkajs';
import { ADMIN, ALICE } from './helpers/secure-broker.js';
import { LISTENER, aclBroker, grant } from './helpers/acl-clients.js';
import { GroupWire, Member, beatUntil } from './helpers/consumer-group-wire.js';
import { ErrorCode as E } from '../src/wire/errors.js';
import { randomUuid } from '../src/wire/protocol/uuid.js';

const { AclResourceTypes, AclOperationTypes: OP } = kafkajs;
const { TOPIC, GROUP } = AclResourceTypes;
const bits = (...ops: number[]) => ops.reduce((n, op) => n | (1 << op), 0);

t.test('consumer group APIs under ACLs', async (t) => {
  const { b, admin } = await aclBroker(t);
  const port = b.port(LISTENER);
  const root = await GroupWire.connect(t, '127.0.0.1', port, ADMIN);
  await root.createTopics(2, 'acl-open', 'acl-secret');
  const alice = await GroupWire.connect(t, '127.0.0.1', port, ALICE);
  await grant(admin, { type: TOPIC, name: 'acl-open', op: OP.DESCRIBE });
  await root.topicIds('acl-open', 'acl-secret');
  for (const [id, name] of root.names) alice.names.set(id, name);

  t.test('ConsumerGroupHeartbeat: READ on the group, DESCRIBE on the topics named', async (t) => {
    const refused = await new Member(alice, 'acl-g', { topics: ['acl-open'] }).join();
    t.equal(refused.errorCode, E.GROUP_AUTHORIZATION_FAILED, 'no READ on the group');
    const leave = await alice.heartbeat({ groupId: 'acl-g', memberId: randomUuid(), memberEpoch: -1 });
    t.equal(leave.errorCode, E.GROUP_AUTHORIZATION_FAILED, 'a leave needs it too');

    await grant(admin, { type: GROUP, name: 'acl-g', op: OP.READ });
    t.equal((await new Member(alice, 'acl-g', { topics: ['acl-secret'] }).join()).errorCode, E.TOPIC_AUTHORIZATION_FAILED, 'a topic alice may not describe');
    t.equal((await new Member(alice, 'acl-g', { topics: ['acl-open', 'acl-secret'] }).join()).errorCode, E.TOPIC_AUTHORIZATION_FAILED, 'one such topic among others');
    t.equal((await new Member(alice, 'acl-g', { topics: ['acl-missing'] }).join()).errorCode, E.TOPIC_AUTHORIZATION_FAILED, 'a topic that does not exist and she may not describe');
    t.equal((await root.describeOne('acl-g')).errorCode, E.GROUP_ID_NOT_FOUND, 'the refused joins made no group');

    const m = new Member(alice, 'acl-g', { topics: ['acl-open'] });
    const ok = await m.join();
    t.same([ok.errorCode, m.partitions()], [E.NONE, ['acl-open-0', 'acl-open-1']], 'READ on the group and DESCRIBE on the topic');
    t.equal((await m.beat()).errorCode, E.NONE, 'heartbeats');
    const sneak = await m.beat({ fields: { subscribedTopicNames: ['acl-open', 'acl-secret'] } });
    t.equal(sneak.errorCode, E.TOPIC_AUTHORIZATION_FAILED, 'a later heartbeat adding a topic she may not describe');
    t.same((await root.describeOne('acl-g')).members.map((x) => x.subscribedTopicNames), [['acl-open']], 'her subscription did not change');
    t.equal((await m.leave()).errorCode, E.NONE);
  });

  t.test('a regex subscription resolves to the topics the member may describe', async (t) => {
    await grant(admin, { type: GROUP, name: 'acl-regex', op: OP.READ });
    const m = new Member(alice, 'acl-regex', { regex: 'acl-.*' });
    t.equal((await m.join()).errorCode, E.NONE, 'a pattern is not refused');
    await beatUntil([m], () => m.partitions().length >= 2, 15_000, 'the pattern resolved');
    t.same(m.partitions(), ['acl-open-0', 'acl-open-1'], 'acl-secret matches but is left out');
    await m.leave();
  });

  t.test('ConsumerGroupDescribe: DESCRIBE on the group and on its topics; authorized operations', async (t) => {
    const open = new Member(root, 'acl-desc-open', { topics: ['acl-open'] });
    const secret = new Member(root, 'acl-desc-secret', { topics: ['acl-secret'] });
    await open.join();
    await secret.join();

    const none = await alice.describe(['acl-desc-open', 'acl-desc-secret']);
    t.same(none.map((x) => [x.groupId, x.errorCode]).sort(), [['acl-desc-open', E.GROUP_AUTHORIZATION_FAILED], ['acl-desc-secret', E.GROUP_AUTHORIZATION_FAILED]], 'no DESCRIBE on the groups');

    await grant(admin, { type: GROUP, name: 'acl-desc-open', op: OP.DESCRIBE }, { type: GROUP, name: 'acl-desc-secret', op: OP.DESCRIBE });
    const some = await alice.describe(['acl-desc-open', 'acl-desc-secret', 'acl-desc-none'], true);
    const by = (id: string) => some.find((x) => x.groupId === id)!;
    t.same([by('acl-desc-open').errorCode, by('acl-desc-open').members.map((x) => x.memberId)], [E.NONE, [open.memberId]], 'a group on a topic she may describe');
    t.equal(by('acl-desc-open').authorizedOperations, bits(OP.DESCRIBE), 'her operations on it: DESCRIBE');
    t.same([by('acl-desc-secret').errorCode, by('acl-desc-secret').members], [E.TOPIC_AUTHORIZATION_FAILED, []], 'a group on a topic she may not describe: TOPIC_AUTHORIZATION_FAILED, nothing described');
    t.equal(by('acl-desc-none').errorCode, E.GROUP_AUTHORIZATION_FAILED, 'a group that does not exist and she may not describe: refused, not revealed as missing');

    await grant(admin, { type: TOPIC, name: 'acl-secret', op: OP.DESCRIBE }, { type: GROUP, name: 'acl-desc-secret', op: OP.READ });
    const now = await alice.describeOne('acl-desc-secret', true);
    t.same([now.errorCode, now.members.map((x) => x.memberId), now.authorizedOperations], [E.NONE, [secret.memberId], bits(OP.READ, OP.DESCRIBE)],
      'with DESCRIBE on the topic it is described; READ implies DESCRIBE in her operations');
    t.equal((await root.describeOne('acl-desc-secret', true)).authorizedOperations, bits(OP.READ, OP.DESCRIBE, OP.DELETE, OP.DESCRIBE_CONFIGS, OP.ALTER_CONFIGS), 'a super user: every group operation');

    const listed = (await alice.listGroups(['consumer'])).map((x) => x.groupId).sort();
    t.same(listed, ['acl-desc-open', 'acl-desc-secret', 'acl-g', 'acl-regex'], 'ListGroups (no DESCRIBE on the cluster): only the groups she may describe');
    await open.leave();
    await secret.leave();
  });
});
