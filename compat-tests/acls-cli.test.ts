/**
 * `samsa acls create|list|delete` against a broker: rpk-style flags turned
 * into CreateAcls / DescribeAcls / DeleteAcls (every combination of resource,
 * principal and operation; filters for list and delete), the bindings
 * printed as a table or JSON, and CLUSTER_AUTHORIZATION_FAILED for a user
 * that is not a super user. Runs against Samsa only (it starts a broker with
 * users of its own).
 */
import t from 'tap';
import { secureBroker, ADMIN, ALICE, PLAIN_USERS } from './helpers/secure-broker.js';
import { aclsCommand } from '../src/cli/acls.js';

t.test('samsa acls: create, list with filters, delete', async (t) => {
  const b = await secureBroker(t, { listeners: ['SASL_PLAINTEXT'], flags: { ...PLAIN_USERS, 'allow.everyone.if.no.acl.found': 'false' } });
  const conn = (u: { username: string; password: string }) => ['--bootstrap', b.bootstrap('SASL_PLAINTEXT'), '--user-auth', `${u.username}:${u.password}`];
  const cli = async (args: string[], as = ADMIN) => {
    const out: string[] = [], err: string[] = [];
    const code = await aclsCommand([...args, ...conn(as)], { out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };
  type Row = { principal: string; host: string; resourceType: string; resourceName: string; patternType: string; operation: string; permission: string };
  const rows = async (args: string[]) => {
    const r = await cli([...args, '--format', 'json']);
    t.equal(r.code, 0, `${args.join(' ')}: ${r.err}`);
    return (JSON.parse(r.out) as Row[]).map((x) => `${x.permission} ${x.principal}@${x.host} ${x.operation} ${x.resourceType}:${x.patternType}:${x.resourceName}`).sort();
  };

  let r = await cli(['create', '--allow-principal', 'alice', '--operation', 'read,describe', '--topic', 'orders', '--group', 'g1']);
  t.equal(r.code, 0, r.err);
  t.match(r.out, /^PRINCIPAL\s+HOST\s+RESOURCE-TYPE\s+RESOURCE-NAME\s+PATTERN\s+OPERATION\s+PERMISSION$/m, 'the created bindings as a table');
  t.equal(r.out.split('\n').length, 5, 'two resources times two operations');
  t.match(r.out, /^User:alice\s+\*\s+TOPIC\s+orders\s+LITERAL\s+READ\s+ALLOW$/m, 'User: added, host * by default');
  r = await cli(['create', '--deny-principal', 'User:bob', '--deny-host', '10.0.0.1', '--operation', 'write', '--topic', 'ord', '--resource-pattern-type', 'prefixed']);
  t.equal(r.code, 0, r.err);
  r = await cli(['list'], ALICE);
  t.equal(r.code, 1, 'alice is not a super user');
  t.match(r.err, /CLUSTER_AUTHORIZATION_FAILED/, 'DescribeAcls needs DESCRIBE on the cluster');
  r = await cli(['create', '--allow-principal', '*', '--operation', 'describe', '--cluster']);
  t.equal(r.code, 0, r.err);

  t.same(await rows(['list']), [
    'ALLOW User:*@* DESCRIBE CLUSTER:LITERAL:kafka-cluster',
    'ALLOW User:alice@* DESCRIBE GROUP:LITERAL:g1',
    'ALLOW User:alice@* DESCRIBE TOPIC:LITERAL:orders',
    'ALLOW User:alice@* READ GROUP:LITERAL:g1',
    'ALLOW User:alice@* READ TOPIC:LITERAL:orders',
    'DENY User:bob@10.0.0.1 WRITE TOPIC:PREFIXED:ord',
  ], 'list without filters: every binding');
  t.same(await rows(['list', '--topic', 'orders']), ['ALLOW User:alice@* DESCRIBE TOPIC:LITERAL:orders', 'ALLOW User:alice@* READ TOPIC:LITERAL:orders'], 'a name with pattern type any: that exact name');
  t.same(await rows(['list', '--topic', 'orders', '--resource-pattern-type', 'match']), [
    'ALLOW User:alice@* DESCRIBE TOPIC:LITERAL:orders', 'ALLOW User:alice@* READ TOPIC:LITERAL:orders', 'DENY User:bob@10.0.0.1 WRITE TOPIC:PREFIXED:ord',
  ], 'match: the bindings that apply to the topic, prefixed ones too');
  t.same(await rows(['list', '--deny-principal', 'bob']), ['DENY User:bob@10.0.0.1 WRITE TOPIC:PREFIXED:ord'], 'by principal and permission');
  t.same(await rows(['list', '--operation', 'read', '--group', 'g1', '--topic', 'orders']), ['ALLOW User:alice@* READ GROUP:LITERAL:g1', 'ALLOW User:alice@* READ TOPIC:LITERAL:orders'], 'several resources, one operation');

  r = await cli(['list'], ALICE);
  t.equal(r.code, 0, `the User:* DESCRIBE ACL on the cluster lets alice list: ${r.err}`);
  r = await cli(['create', '--allow-principal', 'alice', '--operation', 'all', '--topic', 'x'], ALICE);
  t.equal(r.code, 1);
  t.match(r.err, /cannot create User:alice .*CLUSTER_AUTHORIZATION_FAILED/, 'CreateAcls needs ALTER on the cluster');

  r = await cli(['delete', '--allow-principal', 'alice', '--topic', 'orders', '--format', 'json']);
  t.equal(r.code, 0, r.err);
  t.same((JSON.parse(r.out) as Row[]).map((x) => x.operation).sort(), ['DESCRIBE', 'READ'], 'delete prints what it deleted');
  t.same(await rows(['list', '--allow-principal', 'alice']), ['ALLOW User:alice@* DESCRIBE GROUP:LITERAL:g1', 'ALLOW User:alice@* READ GROUP:LITERAL:g1'], 'the group bindings stay');
});
