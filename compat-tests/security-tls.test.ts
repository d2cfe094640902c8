/**
 * TLS listeners with real clients (kafkajs over node:tls, kcat over
 * librdkafka/OpenSSL) and the dev certificates of `samsa dev-certs`:
 * - SSL: produce and consume with the dev CA trusted; a client that does not
 *   trust it is refused by its own certificate check.
 * - Metadata answers each client with the endpoints of the listener it came
 *   in on (SSL clients see the SSL port, plaintext ones the plaintext port).
 * - ssl.client.auth=required (mTLS): clients without a certificate cannot
 *   connect; with client-alice's they can, and the broker knows them as
 *   User:CN=alice (the subject DN under the DEFAULT mapping rule), which
 *   super.users names; client-bob (User:CN=bob) may not write until an ACL
 *   for User:CN=bob lets him.
 * The principal of each request is read in-process, by wrapping the Metadata
 * handler (recordPrincipals in helpers/security-clients.ts).
 */
import t from 'tap';
import kafkajs from 'kafkajs';
import { ALICE, PLAIN_USERS, secureBroker } from './helpers/secure-broker.js';
import { kcat } from './helpers/kcat.js';
import { errorType } from './helpers/acl-clients.js';
import { kafkaFor, kcatArgsFor, kafkajsRoundTrip, kcatRoundTrip, kcatFails, rejection, recordPrincipals } from './helpers/security-clients.js';
import { metadata as metadataHandler } from '../src/broker/handlers/metadata.js';

const { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } = kafkajs;

t.test('SSL listener: kafkajs and kcat produce and consume; a client without the CA is refused; Metadata advertises each listener\'s own port', async (t) => {
  const b = await secureBroker(t, { listeners: ['PLAINTEXT', 'SSL', 'SASL_SSL'], certs: true, flags: PLAIN_USERS });
  t.equal(new Set([b.port('SSL'), b.port('PLAINTEXT'), b.port('SASL_SSL')]).size, 3, 'three listeners on three ports');
  const principals = recordPrincipals(t, metadataHandler);

  const kafka = kafkaFor(b, 'SSL');
  t.same(await kafkajsRoundTrip(kafka, 'tls-kafkajs', ['a', 'b', 'c']), ['a', 'b', 'c'], 'kafkajs round trip over TLS');
  t.same([...new Set(principals)], ['User:ANONYMOUS'], 'without a client certificate the principal is User:ANONYMOUS');
  t.same(await kcatRoundTrip(kcatArgsFor(b, 'SSL'), 'tls-kcat', ['x', 'y']), ['x', 'y'], 'kcat round trip over TLS');

  // Each client sees the endpoint of the listener it used, never another listener's.
  const overTls = kafka.admin();
  await overTls.connect();
  const tlsCluster = await overTls.describeCluster();
  await overTls.disconnect();
  t.same(tlsCluster.brokers.map((x) => x.port), [b.port('SSL')], 'kafkajs over SSL is told the SSL port');
  const plain = kafkaFor(b, 'PLAINTEXT').admin();
  await plain.connect();
  const plainCluster = await plain.describeCluster();
  await plain.disconnect();
  t.same(plainCluster.brokers.map((x) => x.port), [b.port('PLAINTEXT')], 'kafkajs over PLAINTEXT is told the PLAINTEXT port');
  const overSasl = kafkaFor(b, 'SASL_SSL', { sasl: { mechanism: 'plain', username: ALICE.username, password: ALICE.password } }).admin();
  await overSasl.connect();
  const saslCluster = await overSasl.describeCluster();
  await overSasl.disconnect();
  t.same(saslCluster.brokers.map((x) => x.port), [b.port('SASL_SSL')], 'kafkajs over SASL_SSL is told the SASL_SSL port');
  const { stdout } = await kcat(['-L', '-J', ...kcatArgsFor(b, 'SSL'), '-m', '10']);
  const listed = JSON.parse(stdout) as { brokers: { id: number; name: string }[] };
  t.same(listed.brokers.map((x) => x.name), [`127.0.0.1:${b.port('SSL')}`], 'kcat -L over SSL lists the SSL endpoint');

  // node's default CAs do not include the dev CA: the client's own check refuses the broker.
  const untrusted = await rejection(kafkaFor(b, 'SSL', { untrusted: true }, { retries: 0 }).admin().connect());
  t.match(untrusted.message, /certificate/i, `kafkajs without the dev CA fails its certificate check (${untrusted.message})`);
  const kcatUntrusted = await kcatFails(['-L', ...kcatArgsFor(b, 'SSL', { untrusted: true }), '-m', '5']);
  t.match(kcatUntrusted, /certificate verify failed/, 'kcat without the dev CA fails its certificate check');

  // The broker survived the refused handshakes.
  t.same(await kafkajsRoundTrip(kafka, 'tls-after', ['still']), ['still'], 'the SSL listener still serves after refused handshakes');
});

t.test('mTLS (ssl.client.auth=required): no certificate, no connection; client-alice works as User:CN=alice', async (t) => {
  const b = await secureBroker(t, {
    listeners: ['SSL'],
    clients: ['alice', 'bob'],
    flags: { 'ssl.client.auth': 'required', 'allow.everyone.if.no.acl.found': 'false', 'super.users': 'User:CN=alice' },
  });
  const principals = recordPrincipals(t, metadataHandler);

  const noCert = await rejection(kafkaFor(b, 'SSL', {}, { retries: 0 }).admin().connect());
  t.match(noCert.message, /certificate required/, `kafkajs without a client certificate is refused by the broker (${noCert.message})`);
  const kcatNoCert = await kcatFails(['-L', ...kcatArgsFor(b, 'SSL'), '-m', '5']);
  t.match(kcatNoCert, /alert certificate required/, 'kcat without a client certificate is refused by the broker (TLS alert: certificate required)');
  t.same(principals, [], 'no request ran for the clients without a certificate');

  const alice = kafkaFor(b, 'SSL', { clientCert: 'alice' });
  t.same(await kafkajsRoundTrip(alice, 'mtls-kafkajs', ['m1', 'm2']), ['m1', 'm2'], 'kafkajs with client-alice: round trip');
  t.same(await kcatRoundTrip(kcatArgsFor(b, 'SSL', { clientCert: 'alice' }), 'mtls-kcat', ['k1']), ['k1'], 'kcat with client-alice: round trip');
  t.ok(principals.length > 0, 'Metadata requests ran');
  t.same([...new Set(principals)], ['User:CN=alice'], 'every request from client-alice ran as User:CN=alice');

  // bob has a certificate from the same CA, so he connects, as User:CN=bob; with
  // allow.everyone.if.no.acl.found=false and no ACLs only the super user alice may write.
  principals.length = 0;
  const bob = kafkaFor(b, 'SSL', { clientCert: 'bob' });
  const admin = bob.admin();
  await admin.connect();
  await admin.fetchTopicMetadata({ topics: [] }).catch(() => undefined);
  await admin.disconnect();
  t.ok(principals.includes('User:CN=bob'), `client-bob connects as User:CN=bob (saw ${[...new Set(principals)].join(', ')})`);

  // alice, the super user, may write anywhere; bob needs an ACL naming User:CN=bob.
  const aliceAdmin = alice.admin();
  await aliceAdmin.connect();
  t.teardown(() => aliceAdmin.disconnect());
  await aliceAdmin.createTopics({ topics: [{ topic: 'for-bob' }] });
  const producer = bob.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  t.teardown(() => producer.disconnect());
  t.equal(await errorType(producer.send({ topic: 'for-bob', messages: [{ value: 'refused' }] })), 'TOPIC_AUTHORIZATION_FAILED', 'bob cannot write without an ACL');
  await aliceAdmin.createAcls({ acl: [{
    resourceType: AclResourceTypes.TOPIC, resourceName: 'for-bob', resourcePatternType: ResourcePatternTypes.LITERAL,
    principal: 'User:CN=bob', host: '*', operation: AclOperationTypes.WRITE, permissionType: AclPermissionTypes.ALLOW,
  }] });
  t.equal(await errorType(producer.send({ topic: 'for-bob', messages: [{ value: 'allowed' }] })), 'none', 'an ACL for User:CN=bob lets his certificate write');
});
