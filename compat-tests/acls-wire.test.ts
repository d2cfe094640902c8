/**
 * ACL answers that kafkajs and kcat do not show, read with a bare client
 * (our generated codecs) logged in as alice with SASL/PLAIN: the
 * authorized-operations bit fields, Metadata's refusals by id and for
 * auto-creation, DescribeTopicPartitions' refused topics, CreateTopics'
 * config error, DeleteTopics by id, a transactional Produce, the ACL APIs'
 * messages and v0, and INVALID_REQUEST where Kafka closes the connection (an UNKNOWN code).
 * admin (kafkajs, a super user) sets the ACLs up.
 */
import t, { type Test } from 'tap';
import kafkajs from 'kafkajs';
import { ADMIN, ALICE, type SecureBroker } from './helpers/secure-broker.js';
import { WireClient } from './helpers/wire-client.js';
import { LISTENER, aclBroker, grant } from './helpers/acl-clients.js';
import { ApiKey } from '../src/wire/generated/api-keys.js';
import { ZERO_UUID } from '../src/wire/protocol/uuid.js';
import { encodeSaslHandshakeRequest, decodeSaslHandshakeResponse } from '../src/wire/generated/sasl-handshake.js';
import { encodeSaslAuthenticateRequest, decodeSaslAuthenticateResponse } from '../src/wire/generated/sasl-authenticate.js';
import { encodeMetadataRequest, decodeMetadataResponse, type MetadataRequest } from '../src/wire/generated/metadata.js';
import { encodeDescribeTopicPartitionsRequest, decodeDescribeTopicPartitionsResponse } from '../src/wire/generated/describe-topic-partitions.js';
import { encodeCreateTopicsRequest, decodeCreateTopicsResponse } from '../src/wire/generated/create-topics.js';
import { encodeDeleteTopicsRequest, decodeDeleteTopicsResponse } from '../src/wire/generated/delete-topics.js';
import { encodeProduceRequest, decodeProduceResponse } from '../src/wire/generated/produce.js';
import { encodeDescribeClusterRequest, decodeDescribeClusterResponse } from '../src/wire/generated/describe-cluster.js';
import { encodeCreateAclsRequest, decodeCreateAclsResponse, type CreateAclsRequestAclCreation } from '../src/wire/generated/create-acls.js';
import { encodeDescribeAclsRequest, decodeDescribeAclsResponse } from '../src/wire/generated/describe-acls.js';
import { encodeDeleteAclsRequest, decodeDeleteAclsResponse } from '../src/wire/generated/delete-acls.js';
import { buildBatch } from '../src/wire/records/batch-builder.js';
import { ErrorCode } from '../src/wire/errors.js';

const { AclResourceTypes, AclOperationTypes, ResourcePatternTypes } = kafkajs;
const { TOPIC, CLUSTER } = AclResourceTypes;
const OP = AclOperationTypes;
const bits = (...ops: number[]) => ops.reduce((n, op) => n | (1 << op), 0);
const NOT_REQUESTED = -2147483648;

/** A bare client on the SASL listener, logged in with PLAIN. */
async function loggedIn(t: Test, b: SecureBroker, user = ALICE): Promise<WireClient> {
  const c = await WireClient.connect('127.0.0.1', b.port(LISTENER));
  t.teardown(() => c.close());
  const hs = await c.request(ApiKey.SaslHandshake, 1, (w) => encodeSaslHandshakeRequest(w, { mechanism: 'PLAIN' }, 1), (r) => decodeSaslHandshakeResponse(r, 1));
  t.equal(hs.errorCode, 0, 'PLAIN offered');
  const auth = await c.request(ApiKey.SaslAuthenticate, 2, (w) => encodeSaslAuthenticateRequest(w, { authBytes: Buffer.from(`\0${user.username}\0${user.password}`) }, 2), (r) => decodeSaslAuthenticateResponse(r, 2));
  t.equal(auth.errorCode, 0, `${user.username} logged in`);
  return c;
}

const metadata = (c: WireClient, version: number, req: Partial<MetadataRequest>) =>
  c.request(ApiKey.Metadata, version, (w) => encodeMetadataRequest(w, { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false, ...req }, version), (r) => decodeMetadataResponse(r, version));

t.test('Metadata and DescribeTopicPartitions: refusals, auto-creation, authorized operations', async (t) => {
  const { b, admin } = await aclBroker(t, { 'auto.create.topics.enable': 'true' });
  await admin.createTopics({ topics: ['readable', 'hidden'].map((topic) => ({ topic })) });
  await grant(admin, { type: TOPIC, name: 'readable', op: OP.READ }, { type: TOPIC, name: 'wanted', op: OP.DESCRIBE });
  const c = await loggedIn(t, b);
  const hiddenId = (await metadata(await loggedIn(t, b, ADMIN), 12, { topics: [{ name: 'hidden', topicId: ZERO_UUID }] })).topics[0]!.topicId;

  const all = await metadata(c, 12, { includeTopicAuthorizedOperations: true });
  t.same(all.topics.map((x) => [x.name, x.topicAuthorizedOperations]), [['readable', bits(OP.READ, OP.DESCRIBE)]], 'all topics: hidden left out; READ implies DESCRIBE');
  const named = await metadata(c, 12, { topics: [{ name: 'hidden', topicId: ZERO_UUID }, { name: null, topicId: hiddenId }, { name: 'readable', topicId: ZERO_UUID }], includeTopicAuthorizedOperations: true });
  t.same(named.topics.map((x) => [x.errorCode, x.name, x.topicId === ZERO_UUID, x.topicAuthorizedOperations]), [
    [ErrorCode.TOPIC_AUTHORIZATION_FAILED, 'hidden', true, NOT_REQUESTED],
    [ErrorCode.TOPIC_AUTHORIZATION_FAILED, null, false, NOT_REQUESTED],
    [ErrorCode.NONE, 'readable', false, bits(OP.READ, OP.DESCRIBE)],
  ], 'by name: refused without its id; by id: refused with its id and no name');
  t.equal(named.topics[1]!.topicId, hiddenId, 'the id asked for');

  const create = async () => (await metadata(c, 9, { topics: [{ name: 'wanted', topicId: ZERO_UUID }], allowAutoTopicCreation: true })).topics[0]!;
  t.equal((await create()).errorCode, ErrorCode.TOPIC_AUTHORIZATION_FAILED, 'DESCRIBE but not CREATE: not auto-created');
  await grant(admin, { type: TOPIC, name: 'want', op: OP.CREATE, pattern: ResourcePatternTypes.PREFIXED });
  const created = await create();
  t.same([created.errorCode, created.partitions.length], [ErrorCode.NONE, 1], 'CREATE on the topic: auto-created');

  const v10 = await metadata(c, 10, { topics: [], includeClusterAuthorizedOperations: true });
  t.equal(v10.clusterAuthorizedOperations, 0, 'no DESCRIBE on the cluster: 0');
  await grant(admin, { type: CLUSTER, name: 'kafka-cluster', op: OP.ALTER });
  t.equal((await metadata(c, 10, { topics: [], includeClusterAuthorizedOperations: true })).clusterAuthorizedOperations, bits(OP.ALTER, OP.DESCRIBE), 'ALTER (and the DESCRIBE it implies)');
  const cluster = await c.request(ApiKey.DescribeCluster, 0, (w) => encodeDescribeClusterRequest(w, { includeClusterAuthorizedOperations: true }, 0), (r) => decodeDescribeClusterResponse(r, 0));
  t.equal(cluster.clusterAuthorizedOperations, bits(OP.ALTER, OP.DESCRIBE), 'DescribeCluster computes the same');

  const dtp = await c.request(ApiKey.DescribeTopicPartitions, 0, (w) => encodeDescribeTopicPartitionsRequest(w, { topics: [{ name: 'hidden' }, { name: 'readable' }], responsePartitionLimit: 100, cursor: null }, 0), (r) => decodeDescribeTopicPartitionsResponse(r, 0));
  t.same(dtp.topics.map((x) => [x.name, x.errorCode, x.topicAuthorizedOperations]), [
    ['readable', ErrorCode.NONE, bits(OP.READ, OP.DESCRIBE)], ['hidden', ErrorCode.TOPIC_AUTHORIZATION_FAILED, NOT_REQUESTED],
  ], 'DescribeTopicPartitions: the page, then the refused topics');
});

t.test('CreateTopics without DESCRIBE_CONFIGS, DeleteTopics by id, a transactional Produce', async (t) => {
  const { b, admin } = await aclBroker(t);
  await admin.createTopics({ topics: ['secret', 'known'].map((topic) => ({ topic })) });
  await grant(admin, { type: TOPIC, name: 'new', op: OP.CREATE }, { type: TOPIC, name: 'known', op: OP.DESCRIBE }, { type: TOPIC, name: 'known', op: OP.WRITE });
  const c = await loggedIn(t, b);
  const created = await c.request(ApiKey.CreateTopics, 7, (w) => encodeCreateTopicsRequest(w, { topics: [{ name: 'new', numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false }, 7), (r) => decodeCreateTopicsResponse(r, 7));
  const r = created.topics[0]!;
  t.same([r.errorCode, r.topicConfigErrorCode, r.numPartitions, r.replicationFactor, r.configs], [ErrorCode.NONE, ErrorCode.TOPIC_AUTHORIZATION_FAILED, -1, -1, []], 'created, its configs withheld');

  const ids = await metadata(await loggedIn(t, b, ADMIN), 12, { topics: ['secret', 'known'].map((name) => ({ name, topicId: ZERO_UUID })) });
  const deleted = await c.request(ApiKey.DeleteTopics, 6, (w) => encodeDeleteTopicsRequest(w, { topics: ids.topics.map((x) => ({ name: null, topicId: x.topicId ?? ZERO_UUID })), timeoutMs: 5000 }, 6), (r) => decodeDeleteTopicsResponse(r, 6));
  t.same(deleted.responses.map((x) => [x.name, x.errorCode]), [[null, ErrorCode.TOPIC_AUTHORIZATION_FAILED], ['known', ErrorCode.TOPIC_AUTHORIZATION_FAILED]],
    'by id without DELETE: refused, named only when alice may describe it');

  // A transactional batch needs WRITE on the transactional id, whatever the topic allows.
  const batch = buildBatch([{ value: 'txn' }], { producerId: 7, producerEpoch: 0, baseSequence: 0, transactional: true });
  const produce = await c.request(ApiKey.Produce, 9, (w) => encodeProduceRequest(w, { transactionalId: 'tx', acks: -1, timeoutMs: 5000, topicData: [{ name: 'known', partitionData: [{ index: 0, records: batch }] }] }, 9), (r) => decodeProduceResponse(r, 9));
  t.equal(produce.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED');
});

t.test('the ACL APIs on the wire: messages, v0, UNKNOWN codes', async (t) => {
  const { b, admin } = await aclBroker(t);
  await grant(admin, { type: TOPIC, name: 'lit', op: OP.READ }, { type: TOPIC, name: 'pre', op: OP.READ, pattern: ResourcePatternTypes.PREFIXED });
  const c = await loggedIn(t, b, ADMIN);
  const creation = (over: Partial<CreateAclsRequestAclCreation>): CreateAclsRequestAclCreation =>
    ({ resourceType: TOPIC, resourceName: 'x', resourcePatternType: 3, principal: 'User:alice', host: '*', operation: OP.READ, permissionType: 3, ...over });
  const created = await c.request(ApiKey.CreateAcls, 3, (w) => encodeCreateAclsRequest(w, { creations: [creation({}), creation({ principal: 'alice' }), creation({ resourceType: CLUSTER, resourceName: 'x' })] }, 3), (r) => decodeCreateAclsResponse(r, 3));
  t.same(created.results.map((x) => x.errorCode), [ErrorCode.NONE, ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST], 'each creation on its own');
  t.match(created.results[1]!.errorMessage, /principal/i, 'the reason is given');
  t.match(created.results[2]!.errorMessage, /kafka-cluster/, 'the reason is given');

  const filter = { resourceTypeFilter: AclResourceTypes.ANY, resourceNameFilter: null, principalFilter: null, hostFilter: null, operation: OP.ANY, permissionType: 1 };
  const v0 = await c.request(ApiKey.DescribeAcls, 0, (w) => encodeDescribeAclsRequest(w, filter, 0), (r) => decodeDescribeAclsResponse(r, 0));
  t.same(v0.resources.map((x) => x.resourceName).sort(), ['lit', 'x'], 'v0 sees LITERAL bindings only');
  const v1 = await c.request(ApiKey.DescribeAcls, 1, (w) => encodeDescribeAclsRequest(w, { ...filter, patternTypeFilter: 1 }, 1), (r) => decodeDescribeAclsResponse(r, 1));
  t.same(v1.resources.map((x) => x.resourceName).sort(), ['lit', 'pre', 'x'], 'v1 with ANY sees PREFIXED too');

  const del = await c.request(ApiKey.DeleteAcls, 1, (w) => encodeDeleteAclsRequest(w, { filters: [{ ...filter, resourceTypeFilter: 99, patternTypeFilter: 1 }, { ...filter, resourceNameFilter: 'x', patternTypeFilter: 3 }] }, 1), (r) => decodeDeleteAclsResponse(r, 1));
  t.same(del.filterResults.map((f) => [f.errorCode, f.matchingAcls.map((m) => m.resourceName)]), [[ErrorCode.INVALID_REQUEST, []], [ErrorCode.NONE, ['x']]], 'an unknown code is INVALID_REQUEST; the other filter deletes');

  const alice = await loggedIn(t, b);
  const refused = await alice.request(ApiKey.DescribeAcls, 1, (w) => encodeDescribeAclsRequest(w, { ...filter, patternTypeFilter: 1 }, 1), (r) => decodeDescribeAclsResponse(r, 1));
  t.same([refused.errorCode, refused.resources], [ErrorCode.CLUSTER_AUTHORIZATION_FAILED, []], 'alice may not describe ACLs');

  // Kafka cannot parse a filter with an UNKNOWN (0) code and closes the connection; Samsa answers INVALID_REQUEST and stays open.
  const unknown = await c.request(ApiKey.DescribeAcls, 1, (w) => encodeDescribeAclsRequest(w, { ...filter, operation: 0, patternTypeFilter: 1 }, 1), (r) => decodeDescribeAclsResponse(r, 1));
  t.same([unknown.errorCode, unknown.resources], [ErrorCode.INVALID_REQUEST, []], 'UNKNOWN operation: INVALID_REQUEST');
  t.match(unknown.errorMessage, /operation/i, 'saying what is wrong');
  const unknownCreate = await c.request(ApiKey.CreateAcls, 3, (w) => encodeCreateAclsRequest(w, { creations: [creation({ permissionType: 0 })] }, 3), (r) => decodeCreateAclsResponse(r, 3));
  t.same(unknownCreate.results.map((x) => x.errorCode), [ErrorCode.INVALID_REQUEST], 'an UNKNOWN code in a creation: INVALID_REQUEST');
  t.notOk(c.closed, 'the connection stays open');
});
