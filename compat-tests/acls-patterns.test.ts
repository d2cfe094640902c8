/**
 * ACL rules as clients meet them, over SASL/PLAIN with kafkajs 2.2.4 and kcat
 * (librdkafka): PREFIXED bindings, DENY over ALLOW, the User:* wildcard,
 * host-specific bindings, super users, and allow.everyone.if.no.acl.found
 * both ways. admin is a super user; alice is the restricted user.
 */
import t, { type Test } from 'tap';
import kafkajs from 'kafkajs';
import { ADMIN, ALICE, type SecureBroker } from './helpers/secure-broker.js';
import { kcat } from './helpers/kcat.js';
import { aclBroker, client, errorType, grant, kcatAs, revoke } from './helpers/acl-clients.js';

const { AclResourceTypes, AclOperationTypes, ResourcePatternTypes } = kafkajs;

/** alice's kafkajs producer, connected for the rest of the test. */
async function aliceProducer(t: Test, b: SecureBroker) {
  const producer = client(b, ALICE).producer({ allowAutoTopicCreation: false });
  await producer.connect();
  t.teardown(() => producer.disconnect());
  return (topic: string) => errorType(producer.send({ topic, messages: [{ value: `to ${topic}` }] }));
}

const TOPIC = AclResourceTypes.TOPIC;
const WRITE = AclOperationTypes.WRITE;

t.test('a PREFIXED binding covers every topic whose name starts with the prefix', async (t) => {
  const { b, admin } = await aclBroker(t);
  await admin.createTopics({ topics: ['logs-app', 'logs-db', 'logsx', 'metrics'].map((topic) => ({ topic })) });
  await grant(admin, { type: TOPIC, name: 'logs-', op: WRITE, pattern: ResourcePatternTypes.PREFIXED });
  const send = await aliceProducer(t, b);
  t.equal(await send('logs-app'), 'none', 'logs-app is under logs-');
  t.equal(await send('logs-db'), 'none', 'logs-db is under logs-');
  t.equal(await send('logsx'), 'TOPIC_AUTHORIZATION_FAILED', 'logsx is not');
  t.equal(await send('metrics'), 'TOPIC_AUTHORIZATION_FAILED', 'metrics is not');
  await kcat([...kcatAs(b, ALICE), '-P', '-t', 'logs-db'], 'kcat\n');
  await t.rejects(kcat([...kcatAs(b, ALICE), '-P', '-t', 'metrics'], 'kcat\n'), /authoriz/i, 'kcat is refused outside the prefix');
  // A LITERAL binding named like the prefix covers that one name only.
  await revoke(admin, { type: TOPIC, name: 'logs-', op: WRITE, pattern: ResourcePatternTypes.PREFIXED });
  await grant(admin, { type: TOPIC, name: 'logs-', op: WRITE });
  t.equal(await send('logs-app'), 'TOPIC_AUTHORIZATION_FAILED', 'LITERAL logs- does not cover logs-app');
});

t.test('DENY wins over ALLOW, but not over a super user', async (t) => {
  const { b, admin } = await aclBroker(t);
  await admin.createTopics({ topics: ['open', 'secret'].map((topic) => ({ topic })) });
  await grant(admin, { type: TOPIC, name: '*', op: WRITE }, { type: TOPIC, name: 'secret', op: WRITE, deny: true });
  const send = await aliceProducer(t, b);
  t.equal(await send('open'), 'none', 'the wildcard ALLOW lets alice write');
  t.equal(await send('secret'), 'TOPIC_AUTHORIZATION_FAILED', 'the DENY on secret wins over the wildcard ALLOW');
  // DENY ALL for every user on secret: the super user still writes and reads it.
  await grant(admin, { type: TOPIC, name: 'secret', op: AclOperationTypes.ALL, deny: true, principal: 'User:*' });
  await kcat([...kcatAs(b, ADMIN), '-P', '-t', 'secret'], 'by admin\n');
  const read = await kcat([...kcatAs(b, ADMIN), '-C', '-t', 'secret', '-o', 'beginning', '-e', '-q']);
  t.equal(read.stdout.trim(), 'by admin', 'super users are allowed everything, DENY or not');
});

t.test('User:* applies to every principal; a binding for another principal does not', async (t) => {
  const { b, admin } = await aclBroker(t);
  await admin.createTopics({ topics: [{ topic: 'public' }] });
  await kcat([...kcatAs(b, ADMIN), '-P', '-t', 'public'], 'hello\n');
  await grant(admin, { type: TOPIC, name: 'public', op: AclOperationTypes.READ, principal: 'User:bob' });
  await t.rejects(kcat([...kcatAs(b, ALICE), '-C', '-t', 'public', '-o', 'beginning', '-e', '-q']), /authoriz/i, 'a binding for User:bob does not let alice read');
  await grant(admin, { type: TOPIC, name: 'public', op: AclOperationTypes.READ, principal: 'User:*' });
  const read = await kcat([...kcatAs(b, ALICE), '-C', '-t', 'public', '-o', 'beginning', '-e', '-q']);
  t.equal(read.stdout.trim(), 'hello', 'User:* lets alice read');
});

t.test('a binding for another host does not apply; one for the client\'s address does', async (t) => {
  const { b, admin } = await aclBroker(t);
  await admin.createTopics({ topics: [{ topic: 'hosted' }] });
  await grant(admin, { type: TOPIC, name: 'hosted', op: WRITE, host: '10.9.8.7' });
  const send = await aliceProducer(t, b);
  t.equal(await send('hosted'), 'TOPIC_AUTHORIZATION_FAILED', 'alice connects from 127.0.0.1, not 10.9.8.7');
  await grant(admin, { type: TOPIC, name: 'hosted', op: WRITE, host: '127.0.0.1' });
  t.equal(await send('hosted'), 'none', 'a binding for 127.0.0.1 applies');
  // A DENY for another host changes nothing for alice.
  await grant(admin, { type: TOPIC, name: 'hosted', op: WRITE, host: '10.9.8.7', deny: true });
  t.equal(await send('hosted'), 'none', 'a DENY for another host does not apply');
});

t.test('allow.everyone.if.no.acl.found: true opens resources without bindings, false closes them', async (t) => {
  const open = await aclBroker(t, { 'allow.everyone.if.no.acl.found': 'true' });
  await open.admin.createTopics({ topics: ['free', 'guarded'].map((topic) => ({ topic })) });
  const sendOpen = await aliceProducer(t, open.b);
  t.equal(await sendOpen('free'), 'none', 'true, no ACLs at all: alice writes');
  await grant(open.admin, { type: TOPIC, name: 'guarded', op: WRITE, principal: 'User:bob' });
  t.equal(await sendOpen('guarded'), 'TOPIC_AUTHORIZATION_FAILED', 'true, but guarded has a binding (for bob): alice is refused');
  t.equal(await sendOpen('free'), 'none', 'true: free still has no binding, still open');

  const closed = await aclBroker(t);
  await closed.admin.createTopics({ topics: [{ topic: 'free' }] });
  const sendClosed = await aliceProducer(t, closed.b);
  t.equal(await sendClosed('free'), 'TOPIC_AUTHORIZATION_FAILED', 'false, no ACLs at all: alice is refused');
  await kcat([...kcatAs(closed.b, ADMIN), '-P', '-t', 'free'], 'admin\n');
  t.pass('false: the super user still writes');
});
