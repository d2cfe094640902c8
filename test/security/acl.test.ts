/**
 * ACL bindings and filters: validation (Kafka's CreateAcls / DeleteAcls /
 * DescribeAcls rules), filter matching (ANY, exact pattern types, MATCH),
 * canonical keys, names.
 */
import t from 'tap';
import {
  ANY_ACL_FILTER, AclOperation, AclPermissionType, PatternType, ResourceType,
  aclKey, bindingError, describeBinding, filterError, matchesFilter, operationName, parseAclKey, parseOperation,
  parsePatternType, parsePermissionType, parseResourceType, patternTypeName, permissionTypeName, resourceTypeName,
  supportedOperations,
  type AclBinding, type AclBindingFilter,
} from '../../src/security/acl.js';

const { TOPIC, GROUP, CLUSTER, TRANSACTIONAL_ID } = ResourceType;
const { LITERAL, PREFIXED, MATCH } = PatternType;
const { ALLOW, DENY } = AclPermissionType;
const { READ, WRITE } = AclOperation;

const binding = (over: Partial<AclBinding> = {}): AclBinding => ({
  resourceType: TOPIC, resourceName: 'orders', patternType: LITERAL,
  principal: 'User:alice', host: '*', operation: READ, permissionType: ALLOW, ...over,
});
const filter = (over: Partial<AclBindingFilter> = {}): AclBindingFilter => ({ ...ANY_ACL_FILTER, ...over });

t.test('bindingError', async (t) => {
  t.equal(bindingError(binding()), undefined, 'a complete literal binding is valid');
  t.equal(bindingError(binding({ patternType: PREFIXED, resourceName: 'ord' })), undefined, 'prefixed is valid');
  t.equal(bindingError(binding({ resourceName: '*', principal: 'User:*' })), undefined, 'literal wildcard resource and wildcard principal');
  t.equal(bindingError(binding({ resourceType: CLUSTER, resourceName: 'kafka-cluster', operation: AclOperation.IDEMPOTENT_WRITE })), undefined, 'the cluster resource');
  t.equal(bindingError(binding({ patternType: PREFIXED, resourceName: '*' })), undefined,
    'PREFIXED "*" is accepted as Kafka accepts it (a prefix of the character *, not a wildcard)');
  t.equal(bindingError(binding({ principal: 'User:CN=a,O=b:c' })), undefined, 'a principal name may hold colons');

  t.match(bindingError(binding({ resourceType: ResourceType.UNKNOWN })), /resource type/);
  t.match(bindingError(binding({ resourceType: ResourceType.ANY })), /resource type/);
  t.match(bindingError(binding({ resourceType: 42 })), /resource type/, 'a code outside the table');
  t.match(bindingError(binding({ patternType: MATCH })), /pattern type/);
  t.match(bindingError(binding({ patternType: PatternType.ANY })), /pattern type/);
  t.match(bindingError(binding({ patternType: PatternType.UNKNOWN })), /pattern type/);
  t.match(bindingError(binding({ operation: AclOperation.ANY })), /operation/);
  t.match(bindingError(binding({ operation: AclOperation.UNKNOWN })), /operation/);
  t.match(bindingError(binding({ operation: 15 })), /operation/);
  t.match(bindingError(binding({ permissionType: AclPermissionType.ANY })), /permission/);
  t.match(bindingError(binding({ permissionType: AclPermissionType.UNKNOWN })), /permission/);
  t.match(bindingError(binding({ resourceName: '' })), /empty resource name/);
  t.match(bindingError(binding({ resourceType: CLUSTER, resourceName: 'my-cluster' })), /kafka-cluster/);
  t.match(bindingError(binding({ principal: 'alice' })), /principal/, 'a principal needs its type');
  t.match(bindingError(binding({ principal: 'User:' })), /principal/, 'and a name');
  t.match(bindingError(binding({ principal: ':alice' })), /principal/, 'and a non-empty type');
  t.match(bindingError(binding({ host: '' })), /host/);
});

t.test('filterError', async (t) => {
  t.equal(filterError(ANY_ACL_FILTER), undefined, 'the match-everything filter');
  t.equal(filterError(filter({ resourceType: TOPIC, resourceName: 'orders', patternType: MATCH })), undefined, 'MATCH is a valid filter pattern');
  t.match(filterError(filter({ resourceType: ResourceType.UNKNOWN })), /resource type/);
  t.match(filterError(filter({ patternType: PatternType.UNKNOWN })), /pattern type/);
  t.match(filterError(filter({ operation: AclOperation.UNKNOWN })), /operation/);
  t.match(filterError(filter({ permissionType: AclPermissionType.UNKNOWN })), /permission/);
  t.match(filterError(filter({ operation: 99 })), /operation/, 'unknown codes are refused like UNKNOWN');
});

t.test('matchesFilter: ANY and null match everything', async (t) => {
  t.ok(matchesFilter(binding(), ANY_ACL_FILTER));
  t.ok(matchesFilter(binding({ resourceType: GROUP, patternType: PREFIXED, permissionType: DENY }), ANY_ACL_FILTER));
});

t.test('matchesFilter: each field narrows', async (t) => {
  const b = binding();
  t.ok(matchesFilter(b, filter({ resourceType: TOPIC })));
  t.notOk(matchesFilter(b, filter({ resourceType: GROUP })), 'resource type');
  t.notOk(matchesFilter(b, filter({ resourceName: 'payments' })), 'resource name');
  t.notOk(matchesFilter(b, filter({ patternType: PREFIXED })), 'pattern type');
  t.ok(matchesFilter(b, filter({ patternType: LITERAL })));
  t.notOk(matchesFilter(b, filter({ principal: 'User:bob' })), 'principal');
  t.ok(matchesFilter(b, filter({ principal: 'User:alice' })));
  t.notOk(matchesFilter(b, filter({ host: '10.0.0.1' })), 'host');
  t.ok(matchesFilter(b, filter({ host: '*' })), 'a host filter "*" matches the binding host "*" exactly');
  t.notOk(matchesFilter(b, filter({ operation: WRITE })), 'operation');
  t.ok(matchesFilter(b, filter({ operation: READ })));
  t.notOk(matchesFilter(b, filter({ permissionType: DENY })), 'permission type');
  t.ok(matchesFilter(b, filter({ permissionType: ALLOW })));
});

t.test('matchesFilter: a name with ANY or an exact pattern type matches that name only', async (t) => {
  const f = filter({ resourceType: TOPIC, resourceName: 'orders', patternType: PatternType.ANY });
  t.ok(matchesFilter(binding(), f));
  t.ok(matchesFilter(binding({ patternType: PREFIXED }), f), 'a prefixed binding with the same name');
  t.notOk(matchesFilter(binding({ resourceName: '*' }), f), 'not the wildcard');
  t.notOk(matchesFilter(binding({ resourceName: 'ord', patternType: PREFIXED }), f), 'not a prefix');
  const prefixedOnly = filter({ resourceName: 'ord', patternType: PREFIXED });
  t.ok(matchesFilter(binding({ resourceName: 'ord', patternType: PREFIXED }), prefixedOnly));
  t.notOk(matchesFilter(binding({ resourceName: 'ord' }), prefixedOnly), 'a literal of that name is not PREFIXED');
});

t.test('matchesFilter: MATCH finds every binding that applies to the name', async (t) => {
  const f = filter({ resourceType: TOPIC, resourceName: 'orders', patternType: MATCH });
  t.ok(matchesFilter(binding(), f), 'the literal');
  t.ok(matchesFilter(binding({ resourceName: '*' }), f), 'the literal wildcard');
  t.ok(matchesFilter(binding({ resourceName: 'ord', patternType: PREFIXED }), f), 'a prefix');
  t.ok(matchesFilter(binding({ resourceName: 'orders', patternType: PREFIXED }), f), 'a prefix as long as the name');
  t.notOk(matchesFilter(binding({ resourceName: 'ord' }), f), 'a literal that is only a prefix');
  t.notOk(matchesFilter(binding({ resourceName: 'orders-eu', patternType: PREFIXED }), f), 'a prefix longer than the name');
  t.notOk(matchesFilter(binding({ resourceName: '*', patternType: PREFIXED }), f), 'PREFIXED "*" is no wildcard');
  t.notOk(matchesFilter(binding({ resourceName: 'x', patternType: PREFIXED }), f));
  t.ok(matchesFilter(binding({ resourceName: 'x', patternType: PREFIXED }), filter({ patternType: MATCH })), 'MATCH without a name matches all');
});

t.test('aclKey: equal bindings share a key and it round-trips', async (t) => {
  const b = binding({ resourceName: 'we"ird:na,me\n', principal: 'User:CN=x,O=y', host: '::1' });
  t.equal(aclKey(b), aclKey({ ...b }), 'an equal copy has the same key');
  t.equal(aclKey(b), aclKey({ host: b.host, principal: b.principal, permissionType: b.permissionType, operation: b.operation,
    patternType: b.patternType, resourceName: b.resourceName, resourceType: b.resourceType }), 'property order does not matter');
  t.same(parseAclKey(aclKey(b)), b, 'round trip');
  for (const other of [
    binding({ resourceType: GROUP }), binding({ resourceName: 'orders2' }), binding({ patternType: PREFIXED }), binding({ principal: 'User:bob' }),
    binding({ host: '10.0.0.1' }), binding({ operation: WRITE }), binding({ permissionType: DENY }),
  ]) t.not(aclKey(other), aclKey(binding()), `differs: ${describeBinding(other)}`);
  t.throws(() => parseAclKey('not json'), /not an ACL key/);
  t.throws(() => parseAclKey('[2,"a",3]'), /not an ACL key/);
  t.throws(() => parseAclKey('[2,3,3,"User:a","*",3,3]'), /not an ACL key/);
});

t.test('names and parsing', async (t) => {
  t.equal(resourceTypeName(TRANSACTIONAL_ID), 'TRANSACTIONAL_ID');
  t.equal(resourceTypeName(99), 'UNKNOWN');
  t.equal(operationName(AclOperation.DESCRIBE_CONFIGS), 'DESCRIBE_CONFIGS');
  t.equal(patternTypeName(PREFIXED), 'PREFIXED');
  t.equal(permissionTypeName(DENY), 'DENY');
  t.equal(parseResourceType('topic'), TOPIC);
  t.equal(parseResourceType('TransactionalId'), TRANSACTIONAL_ID, "Kafka's Pascal case");
  t.equal(parseResourceType('transactional-id'), TRANSACTIONAL_ID);
  t.equal(parseOperation('DESCRIBE_CONFIGS'), AclOperation.DESCRIBE_CONFIGS);
  t.equal(parseOperation('IdempotentWrite'), AclOperation.IDEMPOTENT_WRITE);
  t.equal(parseOperation('all'), AclOperation.ALL);
  t.equal(parsePatternType('Prefixed'), PREFIXED);
  t.equal(parsePermissionType('allow'), ALLOW);
  t.equal(parseOperation('fly'), undefined);
  t.equal(parseResourceType(''), undefined);
  for (const op of Object.values(AclOperation)) t.equal(parseOperation(operationName(op)), op, `${operationName(op)} round-trips`);
});

t.test('supportedOperations', async (t) => {
  t.ok(supportedOperations(TRANSACTIONAL_ID).includes(WRITE));
  t.notOk(supportedOperations(TRANSACTIONAL_ID).includes(READ));
  t.ok(supportedOperations(CLUSTER).includes(AclOperation.IDEMPOTENT_WRITE));
  t.same(supportedOperations(ResourceType.ANY), []);
});
