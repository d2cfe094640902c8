/**
 * Client quota administration: `samsa quotas alter|describe` and the
 * AlterClientQuotas / DescribeClientQuotas APIs behind it, as Kafka answers
 * them (entity and filter rules, default entities with a null name,
 * validate_only, duplicate entities), quotas across a restart, and
 * CLUSTER_AUTHORIZATION_FAILED for a user that is not a super user when
 * allow.everyone.if.no.acl.found=false. Enforcement of the quotas is not
 * tested here. Runs against Samsa only (it starts brokers of its own).
 */
import t from 'tap';
import { secureBroker, ADMIN, ALICE, PLAIN_USERS } from './helpers/secure-broker.js';
import { quotasCommand } from '../src/cli/quotas.js';
import { AdminConnection } from '../src/cli/admin-connection.js';
import { ApiKey } from '../src/wire/generated/api-keys.js';
import { decodeAlterClientQuotasResponse, encodeAlterClientQuotasRequest, type AlterClientQuotasRequest } from '../src/wire/generated/alter-client-quotas.js';
import { decodeDescribeClientQuotasResponse, encodeDescribeClientQuotasRequest, type DescribeClientQuotasRequest } from '../src/wire/generated/describe-client-quotas.js';
import { ErrorCode } from '../src/wire/errors.js';

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [], err: string[] = [];
  const code = await quotasCommand(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

t.test('samsa quotas: alter and describe round trip, defaults, validate-only, a restart, authorization', async (t) => {
  const b = await secureBroker(t, { listeners: ['PLAINTEXT', 'SASL_PLAINTEXT'], flags: { ...PLAIN_USERS, 'allow.everyone.if.no.acl.found': 'false' } });
  const asAdmin = ['--bootstrap', b.bootstrap('SASL_PLAINTEXT'), '--user-auth', `${ADMIN.username}:${ADMIN.password}`, '--mechanism', 'PLAIN'];
  const describeJson = async (...filter: string[]) => {
    const r = await cli(['describe', '--format', 'json', ...filter, ...asAdmin]);
    t.equal(r.code, 0, `describe ${filter.join(' ')}: ${r.err}`);
    return JSON.parse(r.out) as { entity: Record<string, string | null>; values: Record<string, number> }[];
  };

  let r = await cli(['alter', '--user', 'alice', '--add', 'producer_byte_rate=1048576,consumer_byte_rate=2097152', ...asAdmin]);
  t.equal(r.code, 0, `alter a user: ${r.err}`);
  t.equal(r.out, 'altered quotas of user=alice');
  r = await cli(['alter', '--user-default', '--add', 'request_percentage=50', ...asAdmin]);
  t.equal(r.code, 0, r.err);
  r = await cli(['alter', '--client-default', '--add', 'producer_byte_rate=1024', ...asAdmin]);
  t.equal(r.code, 0, r.err);
  r = await cli(['alter', '--user', 'alice', '--client-id', 'app', '--add', 'controller_mutation_rate=2.5', ...asAdmin]);
  t.equal(r.code, 0, r.err);

  r = await cli(['describe', ...asAdmin]);
  t.equal(r.code, 0, r.err);
  t.match(r.out, /^ENTITY\s+KEY\s+VALUE$/m, 'a table');
  t.match(r.out, /^user=alice\s+producer_byte_rate\s+1048576$/m);
  t.match(r.out, /^user=<default>\s+request_percentage\s+50$/m);
  t.match(r.out, /^client-id=<default>\s+producer_byte_rate\s+1024$/m);
  t.match(r.out, /^user=alice, client-id=app\s+controller_mutation_rate\s+2\.5$/m);

  t.same(await describeJson('--user', 'alice', '--strict'), [{ entity: { user: 'alice' }, values: { producer_byte_rate: 1048576, consumer_byte_rate: 2097152 } }], 'EXACT, strict');
  t.same((await describeJson('--user', 'alice')).map((e) => e.entity), [{ user: 'alice' }, { user: 'alice', 'client-id': 'app' }], 'EXACT, not strict: entities with more types too');
  t.same(await describeJson('--user-default'), [{ entity: { user: null }, values: { request_percentage: 50 } }], 'DEFAULT: the <default> user, its name null');
  t.same((await describeJson('--any-user', '--strict')).map((e) => e.entity).sort((a, b) => String(a.user).localeCompare(String(b.user))), [{ user: 'alice' }, { user: null }], 'SPECIFIED includes the default entity');
  t.same(await describeJson('--client-default', '--strict'), [{ entity: { 'client-id': null }, values: { producer_byte_rate: 1024 } }]);
  t.same(await describeJson('--user', 'bob'), [], 'no match: no entries');

  r = await cli(['alter', '--user', 'alice', '--delete', 'consumer_byte_rate', '--add', 'producer_byte_rate=4096', '--validate-only', ...asAdmin]);
  t.equal(r.code, 0, r.err);
  t.equal(r.out, 'validated (not applied) quotas of user=alice');
  t.same((await describeJson('--user', 'alice', '--strict'))[0]!.values, { producer_byte_rate: 1048576, consumer_byte_rate: 2097152 }, 'validate-only changes nothing');
  r = await cli(['alter', '--user', 'alice', '--add', 'producer_bytes_rate=5', '--validate-only', ...asAdmin]);
  t.equal(r.code, 1, 'validate-only still refuses what alter would refuse');
  t.match(r.err, /user=alice: INVALID_REQUEST: Invalid configuration key producer_bytes_rate \(did you mean producer_byte_rate\?\)/);
  r = await cli(['alter', '--user', 'alice', '--delete', 'consumer_byte_rate', ...asAdmin]);
  t.equal(r.code, 0, r.err);
  t.same((await describeJson('--user', 'alice', '--strict'))[0]!.values, { producer_byte_rate: 1048576 }, 'a deleted key is gone, the others stay');
  r = await cli(['alter', '--user', 'alice', '--client-id', 'app', '--delete', 'controller_mutation_rate', ...asAdmin]);
  t.equal(r.code, 0, r.err);
  t.same(await describeJson('--user', 'alice', '--client-id', 'app'), [], 'an entity without values is gone');

  // A PLAIN user who is not a super user, with no ACLs and allow.everyone.if.no.acl.found=false.
  const asAlice = ['--bootstrap', b.bootstrap('SASL_PLAINTEXT'), '--user-auth', `${ALICE.username}:${ALICE.password}`];
  r = await cli(['describe', ...asAlice]);
  t.equal(r.code, 1);
  t.match(r.err, /CLUSTER_AUTHORIZATION_FAILED: Cluster authorization failed\./, 'describe needs DESCRIBE_CONFIGS on the cluster');
  r = await cli(['alter', '--user', 'alice', '--add', 'producer_byte_rate=1', ...asAlice]);
  t.equal(r.code, 1);
  t.match(r.err, /user=alice: CLUSTER_AUTHORIZATION_FAILED/, 'alter needs ALTER_CONFIGS on the cluster');
  r = await cli(['describe', '--bootstrap', b.bootstrap('PLAINTEXT')]);
  t.match(r.err, /CLUSTER_AUTHORIZATION_FAILED/, 'so does ANONYMOUS on the PLAINTEXT listener');

  await b.restart();
  t.same((await describeJson('--any-user', '--strict')).sort((x, y) => String(x.entity.user).localeCompare(String(y.entity.user))), [
    { entity: { user: 'alice' }, values: { producer_byte_rate: 1048576 } },
    { entity: { user: null }, values: { request_percentage: 50 } },
  ], 'quotas survive a restart');
});

t.test('AlterClientQuotas and DescribeClientQuotas refuse what Kafka refuses', async (t) => {
  const b = await secureBroker(t, { listeners: ['PLAINTEXT'] });
  const c = await AdminConnection.open({ bootstrap: [b.bootstrap('PLAINTEXT')] });
  t.teardown(() => c.close());
  const alter = (v: number, req: AlterClientQuotasRequest) => c.request(ApiKey.AlterClientQuotas, v, (w) => encodeAlterClientQuotasRequest(w, req, v), (r) => decodeAlterClientQuotasResponse(r, v));
  const describe = (v: number, req: DescribeClientQuotasRequest) => c.request(ApiKey.DescribeClientQuotas, v, (w) => encodeDescribeClientQuotasRequest(w, req, v), (r) => decodeDescribeClientQuotasResponse(r, v));
  const user = (name: string | null) => [{ entityType: 'user', entityName: name }];
  const set = (key: string, value: number) => ({ key, value, remove: false });

  const r = await alter(0, {
    validateOnly: false,
    entries: [
      { entity: user('u1'), ops: [set('producer_byte_rate', 100)] },
      { entity: user('u1'), ops: [set('producer_byte_rate', 200)] },
      { entity: user('u2'), ops: [set('producer_byte_rate', 1.5)] },
      { entity: user('u2'), ops: [set('request_percentage', 0)] },
      { entity: user(''), ops: [set('request_percentage', 10)] },
      { entity: [], ops: [set('request_percentage', 10)] },
      { entity: [{ entityType: 'ip', entityName: '10.0.0.1' }], ops: [set('connection_creation_rate', 10)] },
      { entity: [{ entityType: 'group', entityName: 'g' }], ops: [set('request_percentage', 10)] },
      { entity: user('u3'), ops: [set('request_percentage', 10), set('request_percentage', 20)] },
      { entity: [...user('u4'), ...user('u5')], ops: [set('request_percentage', 10)] },
    ],
  });
  t.same(r.entries.map((e) => [e.entity.map((x) => `${x.entityType}=${x.entityName}`).join(','), e.errorCode, e.errorMessage]), [
    ['user=u1', ErrorCode.NONE, null],
    ['user=u1', ErrorCode.INVALID_REQUEST, 'Ignoring duplicate entity user=u1'],
    ['user=u2', ErrorCode.INVALID_REQUEST, 'producer_byte_rate cannot be a fractional value.'],
    ['user=u2', ErrorCode.INVALID_REQUEST, 'Quota request_percentage must be greater than 0'],
    ['user=', ErrorCode.INVALID_REQUEST, 'Empty user not supported'],
    ['', ErrorCode.INVALID_REQUEST, 'Invalid empty client quota entity'],
    ['ip=10.0.0.1', ErrorCode.INVALID_REQUEST, 'IP quotas (connection_creation_rate) are not supported by Samsa'],
    ['group=g', ErrorCode.INVALID_REQUEST, 'Unhandled client quota entity type: group'],
    ['user=u3', ErrorCode.INVALID_REQUEST, 'Duplicate quota key request_percentage not updating quota for this entity user=u3'],
    ['user=u4,user=u5', ErrorCode.INVALID_REQUEST, 'Invalid client quota entity, duplicate entity entry user'],
  ], 'one result per entry, each entity echoed as sent');

  const all = await describe(1, { components: [], strict: false });
  t.same(all.entries!.map((e) => [e.entity, e.values.map((v) => [v.key, v.value])]), [[[{ entityType: 'user', entityName: 'u1' }], [['producer_byte_rate', 100]]]],
    'only the first u1 entry applied; an empty non-strict filter lists everything (v1)');
  t.same((await describe(0, { components: [], strict: true })).entries, [], 'an empty strict filter matches nothing');
  t.same((await describe(0, { components: [{ entityType: 'ip', matchType: 2, match: null }], strict: false })).entries, [], 'an ip filter is valid and matches nothing');

  const bad = async (components: DescribeClientQuotasRequest['components']) => {
    const d = await describe(1, { components, strict: false });
    return [d.errorCode, d.errorMessage, d.entries];
  };
  t.same(await bad([{ entityType: 'user', matchType: 0, match: null }]), [ErrorCode.INVALID_REQUEST, 'Request specified MATCH_TYPE_EXACT, but set match string to null.', null]);
  t.same(await bad([{ entityType: 'user', matchType: 1, match: 'x' }]), [ErrorCode.INVALID_REQUEST, 'Request specified MATCH_TYPE_DEFAULT, but also specified a match string.', null]);
  t.same(await bad([{ entityType: 'user', matchType: 2, match: null }, { entityType: 'user', matchType: 2, match: null }]), [ErrorCode.INVALID_REQUEST, 'Entity type user cannot appear more than once in the filter.', null]);
  t.same(await bad([{ entityType: 'topic', matchType: 2, match: null }]), [ErrorCode.UNSUPPORTED_VERSION, 'Unsupported entity type topic', null]);
  t.same(await bad([{ entityType: 'user', matchType: 7, match: null }]), [ErrorCode.INVALID_REQUEST, 'Unknown match type 7', null]);

  const v = await alter(1, { validateOnly: true, entries: [{ entity: [{ entityType: 'client-id', entityName: null }], ops: [set('consumer_byte_rate', 10)] }] });
  t.same(v.entries.map((e) => [e.errorCode, e.entity]), [[ErrorCode.NONE, [{ entityType: 'client-id', entityName: null }]]], 'validate_only answers as alter would (v1)');
  t.same((await describe(1, { components: [{ entityType: 'client-id', matchType: 1, match: null }], strict: false })).entries, [], 'and stores nothing');

  const removeMissing = await alter(0, { validateOnly: false, entries: [{ entity: user('u1'), ops: [{ key: 'not_a_quota', value: 0, remove: true }] }] });
  t.equal(removeMissing.entries[0]!.errorCode, ErrorCode.NONE, 'removing a key that is not set (even an unknown one) changes nothing, as in Kafka');
});
