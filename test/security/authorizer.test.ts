/**
 * The authorizer against StandardAuthorizer's rules: super users, principal and
 * host matching, DENY over ALLOW, literal / wildcard / prefixed resources,
 * implied operations (ALLOW only), the no-ACL default, and the default
 * authorizeByResourceType.
 */
import t from 'tap';
import { AclOperation, AclPermissionType, PatternType, ResourceType, type AclBinding } from '../../src/security/acl.js';
import { Authorizer, kafkaHostAddress } from '../../src/security/authorizer.js';

const { TOPIC, GROUP, CLUSTER, TRANSACTIONAL_ID } = ResourceType;
const { LITERAL, PREFIXED } = PatternType;
const { ALLOW, DENY } = AclPermissionType;
const { ALL, READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE } = AclOperation;

const ALICE = 'User:alice';
const BOB = 'User:bob';
const HOST = '10.0.0.1';

const acl = (over: Partial<AclBinding> = {}): AclBinding => ({
  resourceType: TOPIC, resourceName: 'orders', patternType: LITERAL,
  principal: ALICE, host: '*', operation: READ, permissionType: ALLOW, ...over,
});

function authorizer(bindings: AclBinding[], opts: { superUsers?: string[]; allowEveryoneIfNoAclFound?: boolean } = {}): Authorizer {
  const a = new Authorizer({ superUsers: opts.superUsers ?? [], allowEveryoneIfNoAclFound: opts.allowEveryoneIfNoAclFound ?? false });
  for (const b of bindings) a.add(b);
  return a;
}

const canRead = (a: Authorizer, principal = ALICE, host = HOST, name = 'orders'): boolean => a.authorize(principal, host, READ, TOPIC, name);

t.test('super users are allowed everything, even against a DENY', async (t) => {
  const a = authorizer([acl({ principal: 'User:admin', operation: ALL, permissionType: DENY })], { superUsers: ['User:admin'] });
  t.ok(a.authorize('User:admin', HOST, DELETE, TOPIC, 'orders'));
  t.ok(a.authorize('User:admin', HOST, ALTER, CLUSTER, 'kafka-cluster'), 'on resources without ACLs too');
  t.notOk(a.authorize('User:Admin', HOST, DELETE, TOPIC, 'orders'), 'the principal string must match exactly');
});

t.test('principal: exact or User:*', async (t) => {
  t.ok(canRead(authorizer([acl()])), 'exact principal');
  t.notOk(canRead(authorizer([acl()]), BOB), 'another principal is not allowed');
  t.ok(canRead(authorizer([acl({ principal: 'User:*' })]), BOB), 'User:* covers everyone');
  t.notOk(canRead(authorizer([acl({ principal: 'Group:*' })]), BOB), 'only User:* is a wildcard principal');
});

t.test('host: exact or *', async (t) => {
  t.ok(canRead(authorizer([acl({ host: HOST })])), 'the client host');
  t.notOk(canRead(authorizer([acl({ host: HOST })]), ALICE, '10.0.0.2'), 'another host');
  t.ok(canRead(authorizer([acl({ host: '*' })]), ALICE, '10.0.0.2'), '* covers every host');
});

t.test('host: a DENY for one host leaves other hosts allowed', async (t) => {
  const a = authorizer([acl({ host: HOST, permissionType: DENY }), acl()]);
  t.notOk(canRead(a, ALICE, HOST), 'denied from the denied host');
  t.ok(canRead(a, ALICE, '10.0.0.2'), 'allowed from another host');
});

t.test('hosts are compared in the form Java prints them', async (t) => {
  const a = authorizer([acl({ host: '127.0.0.1' }), acl({ resourceName: 'v6', host: '0:0:0:0:0:0:0:1' })]);
  t.ok(canRead(a, ALICE, '::ffff:127.0.0.1'), 'an IPv4-mapped address is its IPv4 form');
  t.ok(canRead(a, ALICE, '::1', 'v6'), 'IPv6 is written out in full');
  t.equal(kafkaHostAddress('::1'), '0:0:0:0:0:0:0:1');
  t.equal(kafkaHostAddress('fe80::0DB8:0:1%eth0'), 'fe80:0:0:0:0:db8:0:1%eth0');
  t.equal(kafkaHostAddress('2001:db8:0:0:0:0:2:1'), '2001:db8:0:0:0:0:2:1');
  t.equal(kafkaHostAddress('0:0:0:0:0:ffff:a00:1'), '10.0.0.1');
  t.equal(kafkaHostAddress('64:ff9b::1.2.3.4'), '64:ff9b:0:0:0:0:102:304', 'an embedded IPv4 that is not mapped stays IPv6');
  t.equal(kafkaHostAddress('10.0.0.1'), '10.0.0.1');
  t.equal(kafkaHostAddress('not:an::address::'), 'not:an::address::', 'anything unparseable is left alone');
});

t.test('DENY wins over ALLOW', async (t) => {
  t.notOk(canRead(authorizer([acl(), acl({ permissionType: DENY })])), 'same resource');
  t.notOk(canRead(authorizer([acl(), acl({ principal: 'User:*', permissionType: DENY })])), 'a DENY for everyone beats an ALLOW for alice');
  t.notOk(canRead(authorizer([acl({ resourceName: '*' }), acl({ resourceName: 'ord', patternType: PREFIXED, permissionType: DENY })])), 'across patterns');
  t.notOk(canRead(authorizer([acl({ resourceName: 'ord', patternType: PREFIXED }), acl({ resourceName: '*', permissionType: DENY })])), 'a wildcard DENY beats a prefixed ALLOW');
});

t.test('resource patterns', async (t) => {
  const prefixed = authorizer([acl({ resourceName: 'ord', patternType: PREFIXED })]);
  t.ok(canRead(prefixed, ALICE, HOST, 'orders'), 'a prefix of the name');
  t.ok(canRead(prefixed, ALICE, HOST, 'ord'), 'a prefix equal to the name');
  t.notOk(canRead(prefixed, ALICE, HOST, 'or'), 'a prefix longer than the name');
  t.notOk(canRead(prefixed, ALICE, HOST, 'payments'), 'an unrelated name');
  const literalPrefix = authorizer([acl({ resourceName: 'ord' }), acl({ resourceName: 'x' })]);
  t.notOk(canRead(literalPrefix, ALICE, HOST, 'orders'), 'a LITERAL is no prefix');
  const wildcard = authorizer([acl({ resourceName: '*' })]);
  t.ok(canRead(wildcard, ALICE, HOST, 'anything'), 'LITERAL * covers every name');
  t.notOk(wildcard.authorize(ALICE, HOST, READ, GROUP, 'anything'), 'of its resource type only');
  t.ok(canRead(wildcard, ALICE, HOST, '*orders'), 'also names starting with * (a deliberate difference: Kafka\'s scan skips the wildcard for them)');
  const prefixStar = authorizer([acl({ resourceName: '*', patternType: PREFIXED })]);
  t.notOk(canRead(prefixStar, ALICE, HOST, 'orders'), 'PREFIXED * is no wildcard');
  t.ok(canRead(prefixStar, ALICE, HOST, '*orders'), 'it is a prefix of names starting with *');
  const many = authorizer([acl({ resourceName: 'a', patternType: PREFIXED, principal: BOB }), acl({ resourceName: 'ab', patternType: PREFIXED, principal: BOB }),
    acl({ resourceName: 'abc', patternType: PREFIXED }), acl({ resourceName: 'abd', patternType: PREFIXED, permissionType: DENY })]);
  t.ok(canRead(many, ALICE, HOST, 'abcd'), 'the longest matching prefix among several');
  t.ok(canRead(many, BOB, HOST, 'abd'), 'shorter prefixes apply too');
  t.notOk(canRead(many, ALICE, HOST, 'abdx'), 'a sibling prefix DENY');
});

t.test('operations: exact, ALL, and what ALLOW implies', async (t) => {
  t.notOk(authorizer([acl()]).authorize(ALICE, HOST, WRITE, TOPIC, 'orders'), 'READ does not allow WRITE');
  const all = authorizer([acl({ operation: ALL })]);
  for (const op of [READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS]) {
    t.ok(all.authorize(ALICE, HOST, op, TOPIC, 'orders'), `ALLOW ALL allows ${op}`);
  }
  const denyAll = authorizer([acl({ operation: ALL }), acl({ operation: ALL, permissionType: DENY })]);
  for (const op of [READ, DESCRIBE, ALTER_CONFIGS]) t.notOk(denyAll.authorize(ALICE, HOST, op, TOPIC, 'orders'), `DENY ALL denies ${op}`);
  for (const op of [READ, WRITE, DELETE, ALTER]) {
    t.ok(authorizer([acl({ operation: op })]).authorize(ALICE, HOST, DESCRIBE, TOPIC, 'orders'), `ALLOW ${op} implies DESCRIBE`);
  }
  t.notOk(authorizer([acl({ operation: CREATE })]).authorize(ALICE, HOST, DESCRIBE, TOPIC, 'orders'), 'CREATE does not imply DESCRIBE');
  t.notOk(authorizer([acl({ operation: DESCRIBE })]).authorize(ALICE, HOST, READ, TOPIC, 'orders'), 'nothing implies upwards');
  t.ok(authorizer([acl({ operation: ALTER_CONFIGS })]).authorize(ALICE, HOST, DESCRIBE_CONFIGS, TOPIC, 'orders'), 'ALTER_CONFIGS implies DESCRIBE_CONFIGS');
  t.notOk(authorizer([acl({ operation: ALTER })]).authorize(ALICE, HOST, DESCRIBE_CONFIGS, TOPIC, 'orders'), 'ALTER does not imply DESCRIBE_CONFIGS');
  const denyRead = authorizer([acl({ operation: ALL }), acl({ operation: READ, permissionType: DENY })]);
  t.notOk(denyRead.authorize(ALICE, HOST, READ, TOPIC, 'orders'), 'DENY READ denies READ');
  t.ok(denyRead.authorize(ALICE, HOST, DESCRIBE, TOPIC, 'orders'), 'DENY READ does not deny DESCRIBE (implication is for ALLOW only)');
  const denyAlterConfigs = authorizer([acl({ operation: DESCRIBE_CONFIGS }), acl({ operation: ALTER_CONFIGS, permissionType: DENY })]);
  t.ok(denyAlterConfigs.authorize(ALICE, HOST, DESCRIBE_CONFIGS, TOPIC, 'orders'), 'DENY ALTER_CONFIGS does not deny DESCRIBE_CONFIGS');
});

t.test('no ACL on the resource: allowEveryoneIfNoAclFound decides', async (t) => {
  const bindings = [acl({ resourceName: 'payments' })];
  t.ok(canRead(authorizer(bindings, { allowEveryoneIfNoAclFound: true })), 'allowed when true');
  t.notOk(canRead(authorizer(bindings, { allowEveryoneIfNoAclFound: false })), 'denied when false');
  t.ok(authorizer([], { allowEveryoneIfNoAclFound: true }).authorize(BOB, HOST, ALTER, CLUSTER, 'kafka-cluster'), 'no ACLs at all');
  t.notOk(authorizer([], { allowEveryoneIfNoAclFound: false }).authorize(BOB, HOST, ALTER, CLUSTER, 'kafka-cluster'));
});

t.test('an ACL on the resource for anyone else turns the default off', async (t) => {
  const open = { allowEveryoneIfNoAclFound: true };
  t.notOk(canRead(authorizer([acl()], open), BOB), 'an ACL for another principal');
  t.notOk(canRead(authorizer([acl({ operation: WRITE })], open)), 'an ACL for another operation');
  t.notOk(canRead(authorizer([acl({ host: '10.9.9.9' })], open)), 'an ACL for another host');
  t.notOk(canRead(authorizer([acl({ resourceName: '*', principal: BOB })], open)), 'a wildcard ACL for another principal');
  t.notOk(canRead(authorizer([acl({ resourceName: 'or', patternType: PREFIXED, principal: BOB })], open)), 'a prefixed ACL for another principal');
  t.ok(canRead(authorizer([acl({ resourceName: 'orders', resourceType: GROUP, principal: BOB })], open)), 'an ACL on a same-named resource of another type does not count');
});

t.test('authorizeByResourceType', async (t) => {
  const byType = (a: Authorizer, principal = ALICE, op: number = WRITE): boolean => a.authorizeByResourceType(principal, HOST, op, TRANSACTIONAL_ID);
  const txn = (over: Partial<AclBinding>): AclBinding => acl({ resourceType: TRANSACTIONAL_ID, resourceName: 'tx-1', operation: WRITE, ...over });

  t.ok(byType(authorizer([txn({})])), 'one literal ALLOW is enough');
  t.ok(byType(authorizer([txn({ resourceName: 'tx-', patternType: PREFIXED })])), 'one prefixed ALLOW is enough');
  t.notOk(byType(authorizer([txn({})]), BOB), 'an ALLOW for someone else is not');
  t.notOk(byType(authorizer([txn({})]), ALICE, DESCRIBE), 'nor an ALLOW of another operation: no implied operations here');
  t.ok(byType(authorizer([txn({ operation: ALL })])), 'ALLOW ALL counts');
  t.ok(byType(authorizer([txn({ principal: 'User:*' })]), BOB), 'the wildcard principal counts');
  t.notOk(byType(authorizer([txn({ host: '10.9.9.9' })])), 'an ALLOW for another host does not');
  t.ok(byType(authorizer([txn({ resourceName: '*' })])), 'a wildcard ALLOW');

  t.notOk(byType(authorizer([txn({}), txn({ resourceName: '*', permissionType: DENY })])), 'a DENY on the wildcard refuses');
  t.notOk(byType(authorizer([txn({ resourceName: '*' }), txn({ resourceName: '*', permissionType: DENY })])), 'even with a wildcard ALLOW');
  t.notOk(byType(authorizer([txn({}), txn({ permissionType: DENY })])), 'a literal ALLOW denied on the same name');
  t.notOk(byType(authorizer([txn({}), txn({ resourceName: 'tx', patternType: PREFIXED, permissionType: DENY })])), 'a literal ALLOW under a prefix DENY');
  t.notOk(byType(authorizer([txn({ resourceName: 'tx-1', patternType: PREFIXED }), txn({ resourceName: 'tx', patternType: PREFIXED, permissionType: DENY })])), 'a prefixed ALLOW under a shorter prefix DENY');
  t.ok(byType(authorizer([txn({ resourceName: 'tx', patternType: PREFIXED }), txn({ resourceName: 'tx-1', patternType: PREFIXED, permissionType: DENY })])), 'a longer prefix DENY leaves the rest of the prefix ALLOW');
  t.ok(byType(authorizer([txn({ resourceName: 'tx', patternType: PREFIXED }), txn({ resourceName: 'tx', permissionType: DENY })])), 'a literal DENY does not cover a prefixed ALLOW of that name');
  t.ok(byType(authorizer([txn({}), txn({ resourceName: 'tx-2' }), txn({ resourceName: 'tx-2', permissionType: DENY })])), 'one undenied ALLOW among denied ones');

  t.ok(byType(authorizer([txn({ permissionType: DENY, resourceName: '*' })], { superUsers: [ALICE] })), 'super users');
  t.ok(byType(authorizer([], { allowEveryoneIfNoAclFound: true })), 'no ACLs with allow.everyone.if.no.acl.found');
  t.notOk(byType(authorizer([], { allowEveryoneIfNoAclFound: false })), 'no ACLs without it');
  t.notOk(byType(authorizer([txn({ resourceName: '*', principal: BOB })], { allowEveryoneIfNoAclFound: true })), 'a wildcard ACL for someone else applies to every name, so no default');
  t.ok(byType(authorizer([txn({ permissionType: DENY })], { allowEveryoneIfNoAclFound: true })),
    "Kafka's probe of a made-up name meets no ACL, so allow.everyone.if.no.acl.found allows despite a literal DENY elsewhere");
  t.ok(authorizer([acl({ resourceType: CLUSTER, resourceName: 'kafka-cluster', operation: IDEMPOTENT_WRITE })]).authorizeByResourceType(ALICE, HOST, IDEMPOTENT_WRITE, CLUSTER));
  t.throws(() => authorizer([]).authorizeByResourceType(ALICE, HOST, AclOperation.ANY, TOPIC), /operation/);
  t.throws(() => authorizer([]).authorizeByResourceType(ALICE, HOST, READ, ResourceType.ANY), /resource type/);
});

t.test('bindings: add once, remove, clear, matching', async (t) => {
  const a = authorizer([], { allowEveryoneIfNoAclFound: true });
  t.ok(a.allowsEverything, 'nothing to check');
  a.add(acl());
  a.add({ ...acl() });
  t.equal(a.bindings().length, 1, 'an equal binding is stored once');
  t.notOk(a.allowsEverything, 'an ACL means checks matter');
  a.add(acl({ resourceName: 'ord', patternType: PREFIXED, principal: BOB }));
  a.add(acl({ resourceType: GROUP, resourceName: 'g' }));
  t.same(a.matching({ resourceType: TOPIC, resourceName: 'orders', patternType: PatternType.MATCH, principal: null, host: null,
    operation: AclOperation.ANY, permissionType: AclPermissionType.ANY }).map((b) => b.principal).sort(), [ALICE, BOB], 'MATCH finds the literal and the prefix');
  t.equal(a.matching({ resourceType: ResourceType.ANY, resourceName: null, patternType: PatternType.ANY, principal: null, host: null,
    operation: AclOperation.ANY, permissionType: AclPermissionType.ANY }).length, 3, 'ANY finds all');

  t.ok(canRead(a, BOB, HOST, 'ord-x'), 'bob reads ord-x through the prefix');
  a.remove({ ...acl({ resourceName: 'ord', patternType: PREFIXED, principal: BOB }) });
  t.equal(a.bindings().length, 2);
  t.ok(canRead(a, BOB, HOST, 'ord-x'), 'with the prefix gone nothing applies, so the default allows');
  t.notOk(canRead(a, BOB), 'alice\'s literal ACL still applies to orders');
  a.remove(acl({ resourceName: 'never-added' }));
  t.equal(a.bindings().length, 2, 'removing what is not there changes nothing');
  a.remove(acl());
  t.ok(canRead(a, BOB), 'last ACL on orders removed: default again');
  a.clear();
  t.same(a.bindings(), []);
  t.ok(a.allowsEverything);
  t.notOk(authorizer([]).allowsEverything, 'no ACLs but a closed default still checks');
});

t.test('a stored binding is a copy', async (t) => {
  const b = acl();
  const a = authorizer([b]);
  b.principal = BOB;
  t.ok(canRead(a), 'changing the caller\'s object does not change the ACL');
  t.notOk(canRead(a, BOB));
});
