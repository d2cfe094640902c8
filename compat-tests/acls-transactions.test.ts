/**
 * ACLs on idempotent and transactional producers, through kafkajs 2.2.4 over
 * SASL/PLAIN: InitProducerId's IDEMPOTENT_WRITE-or-WRITE-on-some-topic rule,
 * the transactional id's DESCRIBE (FindCoordinator) and WRITE
 * (InitProducerId, AddPartitionsToTxn, EndTxn), and the group and topic READ
 * that sending offsets in a transaction needs (AddOffsetsToTxn,
 * TxnOffsetCommit). kcat (librdkafka) reads the result read_committed as the
 * super user.
 */
import t from 'tap';
import kafkajs from 'kafkajs';
import { ADMIN, ALICE } from './helpers/secure-broker.js';
import { kcat } from './helpers/kcat.js';
import { aclBroker, client, errorType, grant, kcatAs, revoke } from './helpers/acl-clients.js';

const { AclResourceTypes, AclOperationTypes } = kafkajs;
const { TOPIC, GROUP, TRANSACTIONAL_ID } = AclResourceTypes;

t.test('an idempotent producer needs IDEMPOTENT_WRITE on the cluster or WRITE on some topic', async (t) => {
  const { b, admin } = await aclBroker(t);
  await admin.createTopics({ topics: [{ topic: 'idem' }] });
  // kafkajs asks for its producer id as it connects.
  const start = async () => {
    const producer = client(b, ALICE).producer({ idempotent: true, allowAutoTopicCreation: false });
    const sent = await errorType(producer.connect().then(() => producer.send({ topic: 'idem', messages: [{ value: 'once' }] })));
    await producer.disconnect();
    return sent;
  };
  t.equal(await start(), 'CLUSTER_AUTHORIZATION_FAILED', 'neither: InitProducerId is refused');
  const idempotentWrite = { type: AclResourceTypes.CLUSTER, name: 'kafka-cluster', op: AclOperationTypes.IDEMPOTENT_WRITE };
  await grant(admin, idempotentWrite);
  t.equal(await start(), 'TOPIC_AUTHORIZATION_FAILED', 'IDEMPOTENT_WRITE on the cluster: a producer id, but the topic still needs WRITE');
  await revoke(admin, idempotentWrite);
  await grant(admin, { type: TOPIC, name: 'idem', op: AclOperationTypes.WRITE });
  t.equal(await start(), 'none', 'WRITE on a topic is enough (authorizeByResourceType)');
  const read = await kcat([...kcatAs(b, ADMIN), '-C', '-t', 'idem', '-o', 'beginning', '-e', '-q']);
  t.equal(read.stdout.trim(), 'once', 'written once');
});

t.test('a transactional producer needs DESCRIBE and WRITE on its transactional id; sending offsets READ on the group and the topic', async (t) => {
  const { b, admin } = await aclBroker(t);
  await admin.createTopics({ topics: ['tx-in', 'tx-out'].map((topic) => ({ topic })) });
  await grant(admin, { type: TOPIC, name: 'tx-out', op: AclOperationTypes.WRITE });
  const producer = client(b, ALICE).producer({ transactionalId: 'tx-1', idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  t.teardown(() => producer.disconnect());

  // FindCoordinator (key type 1) needs DESCRIBE: kafkajs reports any refusal there as "Failed to find group coordinator".
  t.match(await errorType(producer.transaction()), /KafkaJSGroupCoordinatorNotFound/, 'no ACL: no coordinator for tx-1');
  await grant(admin, { type: TRANSACTIONAL_ID, name: 'tx-1', op: AclOperationTypes.DESCRIBE });
  t.equal(await errorType(producer.transaction()), 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED', 'DESCRIBE only: InitProducerId needs WRITE');
  await grant(admin, { type: TRANSACTIONAL_ID, name: 'tx-1', op: AclOperationTypes.WRITE });

  const committed = await producer.transaction();
  await committed.send({ topic: 'tx-out', messages: [{ value: 'committed' }] });
  await committed.commit();
  const read = await kcat([...kcatAs(b, ADMIN), '-C', '-t', 'tx-out', '-o', 'beginning', '-e', '-q', '-X', 'isolation.level=read_committed']);
  t.equal(read.stdout.trim(), 'committed', 'WRITE on tx-1 and on the topic: committed and visible');

  const offsets = { consumerGroupId: 'tx-group', topics: [{ topic: 'tx-in', partitions: [{ partition: 0, offset: '1' }] }] };
  const refused = await producer.transaction();
  t.equal(await errorType(refused.sendOffsets(offsets)), 'GROUP_AUTHORIZATION_FAILED', 'AddOffsetsToTxn needs READ on the group');
  await refused.abort();
  await grant(admin, { type: GROUP, name: 'tx-group', op: AclOperationTypes.READ });
  const noTopic = await producer.transaction();
  t.equal(await errorType(noTopic.sendOffsets(offsets)), 'TOPIC_AUTHORIZATION_FAILED', 'TxnOffsetCommit needs READ on the topic');
  await noTopic.abort();
  await grant(admin, { type: TOPIC, name: 'tx-in', op: AclOperationTypes.READ });
  const withOffsets = await producer.transaction();
  await withOffsets.send({ topic: 'tx-out', messages: [{ value: 'with offsets' }] });
  await withOffsets.sendOffsets(offsets);
  await withOffsets.commit();
  const fetched = await admin.fetchOffsets({ groupId: 'tx-group', topics: ['tx-in'] });
  t.equal(fetched[0]!.partitions[0]!.offset, '1', 'the offsets committed with the transaction');

  // Another transactional id is not covered by tx-1's ACLs.
  const other = client(b, ALICE).producer({ transactionalId: 'tx-2', idempotent: true, maxInFlightRequests: 1 });
  await other.connect();
  t.teardown(() => other.disconnect());
  t.match(await errorType(other.transaction()), /KafkaJSGroupCoordinatorNotFound/, 'tx-2 has no ACL');
});
