/**
 * ACLs on the admin APIs, through kafkajs 2.2.4's admin client and kcat over
 * SASL/PLAIN: creating and deleting topics, describing configs, the topics
 * Metadata shows, the groups ListGroups shows, and the ACL APIs themselves
 * (who may call them, what DescribeAcls and DeleteAcls return, bindings
 * surviving a restart). admin is a super user; alice is the restricted user.
 */
import t from 'tap';
import kafkajs from 'kafkajs';
import { ADMIN, ALICE } from './helpers/secure-broker.js';
import { kcat } from './helpers/kcat.js';
import { aclBroker, acl, adminOf, errorType, grant, kcatAs, revoke } from './helpers/acl-clients.js';

const { AclResourceTypes, AclOperationTypes, AclPermissionTypes, ResourcePatternTypes, ConfigResourceTypes } = kafkajs;
const { TOPIC, GROUP, CLUSTER } = AclResourceTypes;
const CLUSTER_NAME = 'kafka-cluster';

t.test('creating and deleting topics: CREATE on the topic or the cluster, DELETE on the topic', async (t) => {
  const { b, admin } = await aclBroker(t);
  const alice = await adminOf(t, b, ALICE);
  t.equal(await errorType(alice.createTopics({ topics: [{ topic: 'mine' }] })), 'TOPIC_AUTHORIZATION_FAILED', 'no ACL: refused');
  // CREATE does not imply DESCRIBE: kafkajs must not wait for the new topic's leaders, which it may not see.
  await grant(admin, { type: TOPIC, name: 'mine', op: AclOperationTypes.CREATE });
  t.equal(await errorType(alice.createTopics({ waitForLeaders: false, topics: [{ topic: 'mine' }] })), 'none', 'CREATE on the topic: created');
  t.equal(await errorType(alice.createTopics({ topics: [{ topic: 'yours' }] })), 'TOPIC_AUTHORIZATION_FAILED', 'CREATE on another topic does not help');
  await grant(admin, { type: CLUSTER, name: CLUSTER_NAME, op: AclOperationTypes.CREATE });
  t.equal(await errorType(alice.createTopics({ waitForLeaders: false, topics: [{ topic: 'yours' }] })), 'none', 'CREATE on the cluster: any topic');
  t.same((await admin.listTopics()).filter((n) => !n.startsWith('__')).sort(), ['mine', 'yours'], 'both exist');

  t.equal(await errorType(alice.deleteTopics({ topics: ['mine'] })), 'TOPIC_AUTHORIZATION_FAILED', 'no DELETE: refused');
  await grant(admin, { type: TOPIC, name: 'mine', op: AclOperationTypes.DELETE });
  t.equal(await errorType(alice.deleteTopics({ topics: ['mine'] })), 'none', 'DELETE on the topic: deleted');
  t.same((await admin.listTopics()).filter((n) => !n.startsWith('__')), ['yours'], 'gone');
});

t.test('describing configs: DESCRIBE_CONFIGS on the topic, on the cluster for the broker', async (t) => {
  const { b, admin } = await aclBroker(t);
  await admin.createTopics({ topics: [{ topic: 'configured', configEntries: [{ name: 'retention.ms', value: '60000' }] }] });
  const alice = await adminOf(t, b, ALICE);
  const topicConfigs = () => alice.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: 'configured' }], includeSynonyms: false });
  const brokerConfigs = () => alice.describeConfigs({ resources: [{ type: ConfigResourceTypes.BROKER, name: '0' }], includeSynonyms: false });
  t.equal(await errorType(topicConfigs()), 'TOPIC_AUTHORIZATION_FAILED', 'no ACL: refused');
  t.equal(await errorType(brokerConfigs()), 'CLUSTER_AUTHORIZATION_FAILED', 'broker configs: refused');
  await grant(admin, { type: TOPIC, name: 'configured', op: AclOperationTypes.DESCRIBE_CONFIGS });
  const described = await topicConfigs();
  t.equal(described.resources[0]!.configEntries.find((e) => e.configName === 'retention.ms')?.configValue, '60000', 'DESCRIBE_CONFIGS: described');
  t.equal(await errorType(brokerConfigs()), 'CLUSTER_AUTHORIZATION_FAILED', 'a topic ACL does not open the broker');
  // ALTER_CONFIGS implies DESCRIBE_CONFIGS (an ALLOW only), as in Kafka.
  await grant(admin, { type: CLUSTER, name: CLUSTER_NAME, op: AclOperationTypes.ALTER_CONFIGS });
  t.ok((await brokerConfigs()).resources[0]!.configEntries.length > 10, 'ALTER_CONFIGS on the cluster: broker configs described');
  t.equal(await errorType(alice.alterConfigs({ validateOnly: true, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'configured', configEntries: [{ name: 'retention.ms', value: '1' }] }] })),
    'TOPIC_AUTHORIZATION_FAILED', 'altering the topic needs ALTER_CONFIGS on it');
});

t.test('Metadata hides the topics a principal may not describe', async (t) => {
  const { b, admin } = await aclBroker(t);
  await admin.createTopics({ topics: ['seen-a', 'seen-b', 'hidden'].map((topic) => ({ topic })) });
  const alice = await adminOf(t, b, ALICE);
  t.same(await alice.listTopics(), [], 'no ACL: no topics');
  await grant(admin, { type: TOPIC, name: 'seen-', op: AclOperationTypes.DESCRIBE, pattern: ResourcePatternTypes.PREFIXED });
  t.same((await alice.listTopics()).sort(), ['seen-a', 'seen-b'], 'kafkajs lists what alice may describe');
  const listed = await kcat([...kcatAs(b, ALICE), '-L', '-J']);
  t.same((JSON.parse(listed.stdout) as { topics: { topic: string }[] }).topics.map((x) => x.topic).sort(), ['seen-a', 'seen-b'], 'kcat -L too');
  t.equal(await errorType(alice.fetchTopicMetadata({ topics: ['hidden'] })), 'TOPIC_AUTHORIZATION_FAILED', 'named, hidden is refused');
  t.equal(await errorType(alice.fetchTopicMetadata({ topics: ['never-created'] })), 'TOPIC_AUTHORIZATION_FAILED', 'a missing topic is refused the same way, and not auto-created');
  t.notOk((await admin.listTopics()).includes('never-created'), 'nothing was created');
  t.ok((await admin.listTopics()).includes('hidden'), 'the super user sees everything');
});

t.test('ListGroups shows the groups a principal may describe, all with DESCRIBE on the cluster', async (t) => {
  const { b, admin } = await aclBroker(t);
  await admin.createTopics({ topics: [{ topic: 'consumed' }] });
  await kcat([...kcatAs(b, ADMIN), '-P', '-t', 'consumed'], 'one\n');
  // Three groups that consumed and committed (kcat's balanced consumer, up to the end of the topic).
  await Promise.all(['team-a', 'team-b', 'other'].map((g) => kcat([...kcatAs(b, ADMIN), '-G', g, '-o', 'beginning', '-e', '-q', 'consumed'])));
  t.same((await admin.listGroups()).groups.map((g) => g.groupId).sort(), ['other', 'team-a', 'team-b'], 'the super user lists every group');
  const alice = await adminOf(t, b, ALICE);
  t.same((await alice.listGroups()).groups, [], 'no ACL: none');
  await grant(admin, { type: GROUP, name: 'team-', op: AclOperationTypes.DESCRIBE, pattern: ResourcePatternTypes.PREFIXED });
  t.same((await alice.listGroups()).groups.map((g) => g.groupId).sort(), ['team-a', 'team-b'], 'DESCRIBE on team-*: those');
  await grant(admin, { type: CLUSTER, name: CLUSTER_NAME, op: AclOperationTypes.DESCRIBE });
  t.same((await alice.listGroups()).groups.map((g) => g.groupId).sort(), ['other', 'team-a', 'team-b'], 'DESCRIBE on the cluster: all');
});

t.test('the ACL APIs: ALTER/DESCRIBE on the cluster, filters, matching deletes, invalid bindings, a restart', async (t) => {
  const { b, admin } = await aclBroker(t);
  const alice = await adminOf(t, b, ALICE);
  const readOrders = { type: TOPIC, name: 'orders', op: AclOperationTypes.READ };
  t.equal(await errorType(grant(alice, readOrders)), 'CLUSTER_AUTHORIZATION_FAILED', 'alice may not create ACLs');
  t.equal(await errorType(alice.describeAcls({ ...acl(readOrders), principal: undefined, host: undefined })), 'CLUSTER_AUTHORIZATION_FAILED', 'nor describe them');

  await grant(admin, readOrders, { type: TOPIC, name: 'orders', op: AclOperationTypes.WRITE, deny: true, host: '10.0.0.1' },
    { type: TOPIC, name: 'ord', op: AclOperationTypes.DESCRIBE, pattern: ResourcePatternTypes.PREFIXED, principal: 'User:bob' },
    { type: GROUP, name: 'g', op: AclOperationTypes.READ }, { type: CLUSTER, name: CLUSTER_NAME, op: AclOperationTypes.ALTER });
  await grant(admin, readOrders);
  const any = { resourceType: AclResourceTypes.ANY, resourceName: undefined, resourcePatternType: ResourcePatternTypes.ANY, principal: undefined, host: undefined, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY };
  const all = await admin.describeAcls(any);
  t.same(all.resources.map((r) => [r.resourceType, r.resourceName, r.resourcePatternType, r.acls.length]).sort(), [
    [TOPIC, 'ord', ResourcePatternTypes.PREFIXED, 1], [TOPIC, 'orders', ResourcePatternTypes.LITERAL, 2],
    [GROUP, 'g', ResourcePatternTypes.LITERAL, 1], [CLUSTER, CLUSTER_NAME, ResourcePatternTypes.LITERAL, 1],
  ].sort(), 'grouped by resource pattern, a binding created twice stored once');
  const matching = await admin.describeAcls({ ...any, resourceType: TOPIC, resourceName: 'orders', resourcePatternType: ResourcePatternTypes.MATCH });
  t.same(matching.resources.map((r) => r.resourceName).sort(), ['ord', 'orders'], 'MATCH: the bindings that apply to orders, the prefixed one too');

  // ALTER on the cluster lets alice manage ACLs.
  await grant(alice, { type: TOPIC, name: 'audit', op: AclOperationTypes.WRITE });
  const denyFilter = { ...any, permissionType: AclPermissionTypes.DENY };
  const deleted = await alice.deleteAcls({ filters: [denyFilter, { ...any, resourceName: 'nothing-matches' }] });
  t.same(deleted.filterResponses.map((f) => f.matchingAcls.map((m) => [m.resourceName, m.host])), [[['orders', '10.0.0.1']], []], 'each filter answers with what it removed');
  // kafkajs keeps the code, not the broker's message ("The only valid name for the CLUSTER resource is kafka-cluster").
  t.equal(await errorType(grant(admin, { type: CLUSTER, name: 'not-the-cluster', op: AclOperationTypes.ALTER })), 'INVALID_REQUEST', 'a CLUSTER binding must name kafka-cluster');

  await b.restart();
  const again = await adminOf(t, b);
  const after = await again.describeAcls(any);
  t.same(after.resources.map((r) => r.resourceName).sort(), ['audit', 'g', 'kafka-cluster', 'ord', 'orders'], 'the bindings survive a restart, the deleted one stays deleted');
  const aliceAgain = await adminOf(t, b, ALICE);
  t.equal(await errorType(grant(aliceAgain, { type: TOPIC, name: 'more', op: AclOperationTypes.READ })), 'none', 'alice keeps ALTER on the cluster after the restart');
  await revoke(again, { type: CLUSTER, name: CLUSTER_NAME, op: AclOperationTypes.ALTER });
  t.equal(await errorType(grant(aliceAgain, { type: TOPIC, name: 'more', op: AclOperationTypes.WRITE })), 'CLUSTER_AUTHORIZATION_FAILED', 'and loses it when it is deleted');
});
