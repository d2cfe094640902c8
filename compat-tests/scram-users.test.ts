/**
 * SCRAM users end to end: `samsa users` creates and deletes credentials over
 * the Kafka protocol (AlterUserScramCredentials with a client-computed salted
 * password), and real clients (kcat/librdkafka, kafkajs) then log in with
 * SCRAM-SHA-256 and SCRAM-SHA-512 on a SASL listener. Also the broker's
 * checks on both SCRAM admin APIs through a bare client, credentials across a
 * restart, and CLUSTER_AUTHORIZATION_FAILED for a user that is not a super
 * user when allow.everyone.if.no.acl.found=false. Runs against Samsa only
 * (it starts brokers with listeners and users of its own).
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type SASLOptions } from 'kafkajs';
import { secureBroker, ADMIN, ALICE, PLAIN_USERS } from './helpers/secure-broker.js';
import { kcat } from './helpers/kcat.js';
import { TS_LOADER_ARGS } from '../test/loader/ts-loader-args.js';
import { usersCommand } from '../src/cli/users.js';
import { AdminConnection, type ConnectionSettings } from '../src/cli/admin-connection.js';
import { saltedPassword } from '../src/security/sasl/client.js';
import { ApiKey } from '../src/wire/generated/api-keys.js';
import { decodeAlterUserScramCredentialsResponse, encodeAlterUserScramCredentialsRequest, type AlterUserScramCredentialsRequest } from '../src/wire/generated/alter-user-scram-credentials.js';
import { decodeDescribeUserScramCredentialsResponse, encodeDescribeUserScramCredentialsRequest } from '../src/wire/generated/describe-user-scram-credentials.js';
import { ErrorCode } from '../src/wire/errors.js';

const BOB = { username: 'bob', password: 'bob-secret-256' };
const CAROL = { username: 'carol', password: 'carol-secret-512' };

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [], err: string[] = [];
  const code = await usersCommand(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** kcat -L as a SASL user; resolves true when it got metadata, false when the broker refused the login. */
async function kcatLogin(bootstrap: string, mechanism: string, user: { username: string; password: string }): Promise<boolean> {
  try {
    await kcat(['-L', '-b', bootstrap, '-m', '3', '-X', 'security.protocol=SASL_PLAINTEXT', '-X', `sasl.mechanisms=${mechanism}`,
      '-X', `sasl.username=${user.username}`, '-X', `sasl.password=${user.password}`], undefined, 20_000);
    return true;
  } catch (e) {
    if (!/SASL authentication error/.test((e as Error).message)) throw e;
    return false;
  }
}

async function kafkajsLogin(bootstrap: string, sasl: SASLOptions): Promise<boolean> {
  const admin = new Kafka({ clientId: 'scram-test', brokers: [bootstrap], sasl, logLevel: logLevel.NOTHING, retry: { retries: 0 }, connectionTimeout: 5000 }).admin();
  try {
    await admin.connect();
    await admin.listTopics();
    return true;
  } catch (e) {
    if ((e as Error).name !== 'KafkaJSSASLAuthenticationError' && !/SASL|authentication/i.test((e as Error).message)) throw e;
    return false;
  } finally {
    await admin.disconnect();
  }
}

t.test('samsa users: created credentials log kcat and kafkajs in, deleted ones no longer; they survive a restart', async (t) => {
  const b = await secureBroker(t, {
    listeners: ['PLAINTEXT', 'SASL_PLAINTEXT', 'SASL_SSL'],
    certs: true,
    flags: { ...PLAIN_USERS, 'allow.everyone.if.no.acl.found': 'false' },
  });
  const sasl = b.bootstrap('SASL_PLAINTEXT');
  const asAdmin = ['--bootstrap', sasl, '--user-auth', `${ADMIN.username}:${ADMIN.password}`];

  let r = await cli(['create', BOB.username, '--password', BOB.password, ...asAdmin]);
  t.equal(r.code, 0, `users create (SCRAM-SHA-256 by default): ${r.err}`);
  t.match(r.out, /created SCRAM-SHA-256 credential of user bob \(4096 iterations\)/);
  r = await cli(['create', CAROL.username, '--password', CAROL.password, '--mechanism', 'SCRAM-SHA-512', '--iterations', '8192', ...asAdmin]);
  t.equal(r.code, 0, `users create SCRAM-SHA-512: ${r.err}`);

  t.equal(await kafkajsLogin(sasl, { mechanism: 'scram-sha-256', ...BOB }), true, 'kafkajs logs in with SCRAM-SHA-256');
  t.equal(await kafkajsLogin(sasl, { mechanism: 'scram-sha-512', ...CAROL }), true, 'kafkajs logs in with SCRAM-SHA-512');
  t.equal(await kafkajsLogin(sasl, { mechanism: 'scram-sha-512', ...CAROL, password: 'nope' }), false, 'kafkajs with a wrong password is refused');
  t.equal(await kafkajsLogin(sasl, { mechanism: 'scram-sha-512', ...BOB }), false, 'bob has no SCRAM-SHA-512 credential');
  // librdkafka before 2.6.1 (Debian's kcat) repeats its client nonce in client-final; accepted as Kafka 3.9 accepts it.
  t.equal(await kcatLogin(sasl, 'SCRAM-SHA-256', BOB), true, 'kcat logs in with SCRAM-SHA-256');
  t.equal(await kcatLogin(sasl, 'SCRAM-SHA-512', CAROL), true, 'kcat logs in with SCRAM-SHA-512');
  t.equal(await kcatLogin(sasl, 'SCRAM-SHA-256', { ...BOB, password: 'wrong' }), false, 'kcat with a wrong password is refused');

  r = await cli(['list', ...asAdmin]);
  t.equal(r.code, 0);
  t.match(r.out, /^USER\s+MECHANISM\s+ITERATIONS$/m, 'a table');
  t.match(r.out, /^bob\s+SCRAM-SHA-256\s+4096$/m);
  t.match(r.out, /^carol\s+SCRAM-SHA-512\s+8192$/m);
  t.notMatch(r.out, /admin|alice/, 'PLAIN users are not SCRAM users');
  r = await cli(['list', 'carol', 'nobody', '--format', 'json', ...asAdmin]);
  t.equal(r.code, 1, 'a named user that does not exist fails the command');
  t.same(JSON.parse(r.out), [{ user: 'carol', credentials: [{ mechanism: 'SCRAM-SHA-512', iterations: 8192 }] }]);
  t.match(r.err, /user nobody: RESOURCE_NOT_FOUND: Attempt to describe a user credential that does not exist: nobody/);

  // The CLI itself over SCRAM and over TLS with a CA file, and from a Kafka client properties file.
  r = await cli(['list', '--bootstrap', sasl, '--user-auth', `${CAROL.username}:${CAROL.password}`, '--sasl-mechanism', 'SCRAM-SHA-512']);
  t.equal(r.code, 1, 'carol authenticates with SCRAM but is not a super user');
  t.match(r.err, /CLUSTER_AUTHORIZATION_FAILED/, 'DescribeUserScramCredentials needs DESCRIBE on the cluster');
  r = await cli(['create', 'dave', '--password', 'x', '--bootstrap', sasl, '--user-auth', `${ALICE.username}:${ALICE.password}`]);
  t.equal(r.code, 1);
  t.match(r.err, /user dave: CLUSTER_AUTHORIZATION_FAILED/, 'AlterUserScramCredentials needs ALTER on the cluster');
  r = await cli(['list', '--bootstrap', b.bootstrap('SASL_SSL'), '--user-auth', `${ADMIN.username}:${ADMIN.password}`, '--tls', '--ca', join(b.certs!, 'ca.pem')]);
  t.equal(r.code, 0, `over SASL_SSL with --ca: ${r.err}`);
  t.match(r.out, /^bob\s/m);
  const dir = mkdtempSync(join(tmpdir(), 'samsa-client-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const props = join(dir, 'client.properties');
  writeFileSync(props, [
    'security.protocol=SASL_SSL',
    'sasl.mechanism=SCRAM-SHA-256',
    '# a continued line, as such files often have',
    'sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required \\',
    `    username="${ADMIN.username}" password="${ADMIN.password}";`,
    `ssl.truststore.location=${join(b.certs!, 'ca.pem')}`,
    'ssl.truststore.type=PEM',
  ].join('\n'));
  r = await cli(['list', '--bootstrap', b.bootstrap('SASL_SSL'), '--command-config', props]);
  t.equal(r.code, 1, 'admin has no SCRAM credential');
  t.match(r.err, /authentication as admin \(SCRAM-SHA-256\) failed/, 'so the SCRAM login from the properties file is refused');
  writeFileSync(props, `security.protocol=SASL_SSL\nsasl.mechanism=PLAIN\nsasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="${ADMIN.username}" password="${ADMIN.password}";\nssl.truststore.location=${join(b.certs!, 'ca.pem')}\n`);
  r = await cli(['list', '--bootstrap', b.bootstrap('SASL_SSL'), '--command-config', props]);
  t.equal(r.code, 0, `PLAIN over TLS from a properties file: ${r.err}`);

  r = await cli(['delete', BOB.username, ...asAdmin]);
  t.equal(r.code, 0, `users delete: ${r.err}`);
  t.match(r.out, /deleted SCRAM-SHA-256 credential of user bob/);
  t.equal(await kafkajsLogin(sasl, { mechanism: 'scram-sha-256', ...BOB }), false, 'the deleted user can no longer log in');
  t.equal(await kcatLogin(sasl, 'SCRAM-SHA-256', BOB), false, 'with kcat neither');
  r = await cli(['delete', BOB.username, '--mechanism', 'SCRAM-SHA-256', ...asAdmin]);
  t.equal(r.code, 1);
  t.match(r.err, /user bob: RESOURCE_NOT_FOUND: Attempt to delete a user credential that does not exist/);

  await b.restart();
  t.equal(await kafkajsLogin(sasl, { mechanism: 'scram-sha-512', ...CAROL }), true, 'after a restart carol still logs in');
  t.equal(await kcatLogin(sasl, 'SCRAM-SHA-512', CAROL), true, 'with kcat too');
  t.equal(await kafkajsLogin(sasl, { mechanism: 'scram-sha-256', ...BOB }), false, 'and bob still cannot');
  r = await cli(['list', '--format', 'json', ...asAdmin]);
  t.same(JSON.parse(r.out), [{ user: 'carol', credentials: [{ mechanism: 'SCRAM-SHA-512', iterations: 8192 }] }], 'the credentials after the restart');
});

t.test('the SCRAM admin APIs refuse what Kafka refuses', async (t) => {
  const b = await secureBroker(t, { listeners: ['PLAINTEXT'] });
  const settings: ConnectionSettings = { bootstrap: [b.bootstrap('PLAINTEXT')] };
  const c = await AdminConnection.open(settings);
  t.teardown(() => c.close());
  const alter = (req: Partial<AlterUserScramCredentialsRequest>) => c.request(ApiKey.AlterUserScramCredentials, 0,
    (w) => encodeAlterUserScramCredentialsRequest(w, { deletions: [], upsertions: [], ...req }, 0), (r) => decodeAlterUserScramCredentialsResponse(r, 0));
  const describe = (names: string[] | null) => c.request(ApiKey.DescribeUserScramCredentials, 0,
    (w) => encodeDescribeUserScramCredentialsRequest(w, { users: names && names.map((name) => ({ name })) }, 0), (r) => decodeDescribeUserScramCredentialsResponse(r, 0));
  const salt = Buffer.from('0123456789abcdef');
  const up = (name: string, iterations: number, mechanism = 1) => ({ name, mechanism, iterations, salt, saltedPassword: saltedPassword('SCRAM-SHA-256', 'pw', salt, Math.max(1, Math.min(iterations, 20000))) });
  const results = (r: { results: { user: string; errorCode: number; errorMessage: string | null }[] }) => r.results.map((x) => [x.user, x.errorCode, x.errorMessage]);

  t.same(results(await alter({ upsertions: [up('few', 4095), up('min', 4096), up('max', 16384), up('many', 16385)] })), [
    ['few', ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Too few iterations'],
    ['min', ErrorCode.NONE, null],
    ['max', ErrorCode.NONE, null],
    ['many', ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Too many iterations'],
  ], 'iterations 4096..16384 only');
  t.same(results(await alter({ upsertions: [up('', 4096), up('m3', 4096, 3), up('m0', 4096, 0)] })), [
    ['', ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Username must not be empty'],
    ['m3', ErrorCode.UNSUPPORTED_SASL_MECHANISM, 'Unknown SCRAM mechanism'],
    ['m0', ErrorCode.UNSUPPORTED_SASL_MECHANISM, 'Unknown SCRAM mechanism'],
  ], 'empty names and unknown mechanisms');
  t.same(results(await alter({ deletions: [{ name: 'min', mechanism: 1 }], upsertions: [up('min', 8192), up('twice', 4096), up('twice', 4096), up('both', 4096), up('both', 4096, 2)] })), [
    ['min', ErrorCode.DUPLICATE_RESOURCE, 'A user credential cannot be altered twice in the same request'],
    ['twice', ErrorCode.DUPLICATE_RESOURCE, 'A user credential cannot be altered twice in the same request'],
    ['both', ErrorCode.NONE, null],
  ], 'a (user, mechanism) twice is DUPLICATE_RESOURCE; two mechanisms of one user are fine');
  t.same(results(await alter({ deletions: [{ name: 'max', mechanism: 2 }, { name: 'nobody', mechanism: 1 }] })), [
    ['max', ErrorCode.RESOURCE_NOT_FOUND, 'Attempt to delete a user credential that does not exist'],
    ['nobody', ErrorCode.RESOURCE_NOT_FOUND, 'Attempt to delete a user credential that does not exist'],
  ], 'deleting a missing credential');

  const all = await describe(null);
  t.same(all.results.map((x) => [x.user, x.credentialInfos.map((i) => [i.mechanism, i.iterations])]), [
    ['both', [[1, 4096], [2, 4096]]], ['max', [[1, 16384]]], ['min', [[1, 4096]]],
  ], 'a null list describes every user, sorted, mechanisms and iterations only');
  t.same((await describe([])).results.map((x) => x.user), ['both', 'max', 'min'], 'so does an empty list');
  const named = await describe(['min', 'ghost', 'min', '']);
  t.same(named.results.map((x) => [x.user, x.errorCode, x.errorMessage]), [
    ['min', ErrorCode.DUPLICATE_RESOURCE, 'Cannot describe SCRAM credentials for the same user twice in a single request: min'],
    ['ghost', ErrorCode.RESOURCE_NOT_FOUND, 'Attempt to describe a user credential that does not exist: ghost'],
    ['', ErrorCode.RESOURCE_NOT_FOUND, 'Attempt to describe a user credential that does not exist: '],
  ], 'duplicates and unknown users');

  t.same(results(await alter({ deletions: [{ name: 'both', mechanism: 2 }], upsertions: [up('min', 8192)] })), [['both', 0, null], ['min', 0, null]], 'delete one mechanism, replace another credential');
  t.same((await describe(['both', 'min'])).results.map((x) => [x.user, x.credentialInfos.map((i) => [i.mechanism, i.iterations])]), [['both', [[1, 4096]]], ['min', [[1, 8192]]]]);

  const bad = await cli(['create', 'x', '--password', 'p', '--iterations', '100', '--bootstrap', b.bootstrap('PLAINTEXT')]);
  t.equal(bad.code, 2, 'the CLI refuses iterations out of bounds before connecting');
  t.match(bad.err, /--iterations 100: Too few iterations \(allowed 4096\.\.16384\)/);
});

t.test('`samsa users` as a command: main.ts runs it in its own process', async (t) => {
  const b = await secureBroker(t, { listeners: ['PLAINTEXT'] });
  const main = new URL('../src/cli/main.ts', import.meta.url).pathname;
  const run = (args: string[]) => new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const p = spawn(process.execPath, [...TS_LOADER_ARGS, main, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    p.stdout.on('data', (d) => { stdout += d; });
    p.stderr.on('data', (d) => { stderr += d; });
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  const created = await run(['users', 'create', 'erin', '--password', 'pw', '--format', 'json', '--bootstrap', b.bootstrap('PLAINTEXT')]);
  t.equal(created.code, 0, created.stderr);
  t.same(JSON.parse(created.stdout), { action: 'created', user: 'erin', mechanisms: ['SCRAM-SHA-256'], iterations: 4096 });
  const usage = await run(['users', 'frobnicate']);
  t.equal(usage.code, 2, 'a usage mistake exits 2');
  t.match(usage.stderr, /unknown users command frobnicate/);
});
