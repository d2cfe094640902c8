/**
 * The admin commands' own parts, without a broker: the SCRAM client against
 * RFC 7677's published exchange and against Samsa's SCRAM server, Java
 * properties files, the connection flags, flag parsing, and the usage
 * mistakes every command refuses before it connects (exit 2). The commands
 * against a broker are in compat-tests/scram-users.test.ts,
 * client-quotas-admin.test.ts and acls-cli.test.ts.
 */
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { saslClient, saltedPassword } from '../../src/security/sasl/client.js';
import { ScramSaslServer } from '../../src/security/sasl/scram.js';
import { credentialFromPassword, type ScramMechanism } from '../../src/security/sasl/scram-credentials.js';
import { connectionSettings, parseJavaProperties, CLIENT_FLAGS } from '../../src/cli/client-options.js';
import { parseFlags } from '../../src/cli/cli-flags.js';
import { table } from '../../src/cli/cli-output.js';
import { usersCommand } from '../../src/cli/users.js';
import { quotasCommand } from '../../src/cli/quotas.js';
import { aclsCommand } from '../../src/cli/acls.js';

t.test('SCRAM client: RFC 7677 SCRAM-SHA-256 exchange byte for byte', async (t) => {
  const c = saslClient('SCRAM-SHA-256', 'user', 'pencil', 'rOprNGfwEbeRWgbNEkqO');
  t.equal(c.start().toString(), 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO');
  const final = c.step(Buffer.from('r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096'));
  t.equal(final!.toString(), 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=');
  t.equal(c.step(Buffer.from('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=')), null, 'the server signature checks out: done');
});

t.test('SCRAM client: refuses a server that does not know the credential or bends the rules', async (t) => {
  const first = (c: ReturnType<typeof saslClient>) => c.step(Buffer.from('r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096'));
  const c = saslClient('SCRAM-SHA-256', 'user', 'pencil', 'rOprNGfwEbeRWgbNEkqO');
  c.start();
  first(c);
  t.throws(() => c.step(Buffer.from('v=AAAATRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=')), /server signature is wrong/);
  const other = () => { const x = saslClient('SCRAM-SHA-256', 'user', 'pencil', 'rOprNGfwEbeRWgbNEkqO'); x.start(); return x; };
  t.throws(() => other().step(Buffer.from('r=someoneElse,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096')), /nonce does not extend ours/);
  t.throws(() => other().step(Buffer.from('r=rOprNGfwEbeRWgbNEkqO,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096')), /nonce does not extend ours/, 'the server must add a nonce of its own');
  t.throws(() => other().step(Buffer.from('r=rOprNGfwEbeRWgbNEkqOx,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=1000')), /1000 SCRAM iterations/);
  t.throws(() => other().step(Buffer.from('e=invalid-proof')), /refused the SCRAM exchange: invalid-proof/);
  t.throws(() => saslClient('GSSAPI', 'u', 'p'), /not supported/);
  t.equal(saslClient('PLAIN', 'u', 'p\u00e9').start().toString('utf8'), '\0u\0p\u00e9', 'PLAIN: authzid empty, UTF-8');
});

t.test('SCRAM client and Samsa\'s SCRAM server agree, both mechanisms, names with , and =', async (t) => {
  for (const mechanism of ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as ScramMechanism[]) {
    const credential = credentialFromPassword(mechanism, 'right', 4096);
    const users = { plainPassword: () => undefined, scramCredential: (u: string, m: string) => (u === 'a,b=c' && m === mechanism ? credential : undefined) };
    const login = async (password: string) => {
      const server = new ScramSaslServer(mechanism, users);
      const client = saslClient(mechanism, 'a,b=c', password);
      const r1 = await server.evaluate(client.start());
      const r2 = await server.evaluate(client.step(r1.challenge)!);
      t.equal(client.step(r2.challenge), null, `${mechanism}: the client accepts the server's signature`);
      return r2.user;
    };
    t.equal(await login('right'), 'a,b=c', `${mechanism}: authenticated`);
    await t.rejects(login('wrong'), /invalid credentials/, `${mechanism}: a wrong password is refused`);
  }
  const salt = Buffer.from('salt');
  t.equal(saltedPassword('SCRAM-SHA-512', 'pw', salt, 4096).length, 64, 'SaltedPassword is as long as the hash');
});

t.test('Java properties files as Kafka tools read them', async (t) => {
  t.same(parseJavaProperties([
    '# comment', '! comment too', '',
    'security.protocol = SASL_SSL',
    'sasl.mechanism:SCRAM-SHA-512',
    'sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required \\',
    '    username="alice" \\',
    '    password="s3cr=t";',
    'ssl.truststore.location /etc/ca.pem',
    'path=C:\\\\certs\\\\ca.pem',
    'unicode=caf\\u00e9\\tok',
    'empty=',
  ].join('\n')), {
    'security.protocol': 'SASL_SSL',
    'sasl.mechanism': 'SCRAM-SHA-512',
    'sasl.jaas.config': 'org.apache.kafka.common.security.scram.ScramLoginModule required username="alice" password="s3cr=t";',
    'ssl.truststore.location': '/etc/ca.pem',
    'path': 'C:\\certs\\ca.pem',
    'unicode': 'caf\u00e9\tok',
    'empty': '',
  });
});

t.test('connection settings from flags and a --command-config file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-admin-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const ca = join(dir, 'ca.pem');
  writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
  const jks = join(dir, 'truststore.jks');
  writeFileSync(jks, Buffer.from([0xfe, 0xed, 0xfe, 0xed, 0, 0, 0, 2]));
  const file = (name: string, lines: string[]) => { const p = join(dir, name); writeFileSync(p, lines.join('\n')); return p; };
  const settings = (args: string[], alias?: string) => connectionSettings(parseFlags(args, { ...CLIENT_FLAGS, mechanism: 'value' }), alias);

  t.same(await settings([]), { bootstrap: ['127.0.0.1:9092'] }, 'PLAINTEXT to the default address');
  t.same(await settings(['--bootstrap', 'a:1, b:2']), { bootstrap: ['a:1', 'b:2'] }, 'several bootstrap addresses');
  t.same(await settings(['--user-auth', 'admin:pa:ss']), { bootstrap: ['127.0.0.1:9092'], sasl: { mechanism: 'PLAIN', username: 'admin', password: 'pa:ss' } }, '--user-auth: SASL_PLAINTEXT, PLAIN unless told');
  const tls = await settings(['--user-auth', 'u:p', '--sasl-mechanism', 'scram-sha-512', '--ca', ca]);
  t.same([tls.sasl?.mechanism, tls.tls?.checkHostname, tls.tls?.ca?.toString().startsWith('-----BEGIN')], ['SCRAM-SHA-512', true, true], '--ca: SASL_SSL with that CA');
  t.same((await settings(['--tls'])).tls, { checkHostname: true }, '--tls alone: node\'s default CAs');
  t.same((await settings(['--user-auth', 'u:p'], 'SCRAM-SHA-256')).sasl?.mechanism, 'SCRAM-SHA-256', 'acls and quotas take --mechanism for the connection');

  const props = file('client.properties', [
    'security.protocol=SASL_SSL', 'sasl.mechanism=SCRAM-SHA-256',
    'sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="alice" password="secret";',
    `ssl.truststore.location=${ca}`, 'ssl.endpoint.identification.algorithm=', 'request.timeout.ms=1000',
  ]);
  const fromFile = await settings(['--command-config', props, '--bootstrap', 'h:9094']);
  t.same([fromFile.bootstrap, fromFile.sasl, fromFile.tls?.checkHostname, Boolean(fromFile.tls?.ca)],
    [['h:9094'], { mechanism: 'SCRAM-SHA-256', username: 'alice', password: 'secret' }, false, true], 'Kafka client properties; other keys ignored');
  t.same((await settings(['--command-config', props, '--user-auth', 'bob:pw'])).sasl, { mechanism: 'SCRAM-SHA-256', username: 'bob', password: 'pw' }, 'flags override the file');
  const rdkafka = file('rdkafka.properties', ['security.protocol=sasl_plaintext', 'sasl.mechanism=PLAIN', 'sasl.username=carol', 'sasl.password=pw']);
  t.same((await settings(['--command-config', rdkafka])).sasl, { mechanism: 'PLAIN', username: 'carol', password: 'pw' }, 'librdkafka\'s sasl.username/sasl.password');

  await t.rejects(settings(['--command-config', file('nouser', ['security.protocol=SASL_PLAINTEXT'])]), /SASL_PLAINTEXT needs a user/);
  await t.rejects(settings(['--command-config', file('badproto', ['security.protocol=SSL_PLAINTEXT'])]), /security.protocol SSL_PLAINTEXT/);
  await t.rejects(settings(['--user-auth', 'u:p', '--sasl-mechanism', 'GSSAPI']), /SASL mechanism GSSAPI: this client speaks PLAIN, SCRAM-SHA-256, SCRAM-SHA-512/);
  await t.rejects(settings(['--user-auth', 'nopassword']), /--user-auth takes USER:PASSWORD/);
  await t.rejects(settings(['--ca', jks]), /is not PEM; convert/);
  await t.rejects(settings(['--ca', join(dir, 'missing.pem')]), /cannot read the --ca file .*ENOENT/);
  await t.rejects(settings(['--command-config', file('badjaas', ['sasl.jaas.config=username="x"'])]), /sasl.jaas.config/);
});

t.test('flags: values, switches, lists; unknown flags with a suggestion', async (t) => {
  const f = parseFlags(['list', '--topic', 'a,b', '--topic=c', '--cluster', '--format=json', 'x'], { topic: 'list', cluster: 'switch', format: 'value' });
  t.same([f.operands, f.list('topic'), f.has('cluster'), f.value('format'), f.has('nothing')], [['list', 'x'], ['a', 'b', 'c'], true, 'json', false]);
  t.throws(() => parseFlags(['--topik', 'a'], { topic: 'list' }), /unknown option --topik \(did you mean --topic\?\)/);
  t.throws(() => parseFlags(['--topic'], { topic: 'list' }), /--topic needs a value/);
  t.throws(() => parseFlags(['--cluster=yes'], { cluster: 'switch' }), /--cluster takes no value/);
  t.equal(table(['A', 'LONGER'], [['xyz', '1'], ['', '22']]), 'A    LONGER\nxyz  1\n     22');
});

t.test('usage mistakes exit 2 before connecting; --help exits 0', async (t) => {
  // A port nothing listens on: reaching the network would be exit 1, not 2.
  const nowhere = ['--bootstrap', '127.0.0.1:1'];
  const run = async (cmd: (a: string[], io: { out(l: string): void; err(l: string): void }) => Promise<number>, args: string[]) => {
    const out: string[] = [], err: string[] = [];
    return { code: await cmd([...args, ...nowhere], { out: (l) => out.push(l), err: (l) => err.push(l) }), out: out.join('\n'), err: err.join('\n') };
  };
  const cases: [typeof usersCommand, string[], RegExp][] = [
    [usersCommand, [], /which users command/],
    [usersCommand, ['create', 'u'], /users create needs --password/],
    [usersCommand, ['create', 'u', '--password', 'p', '--mechanism', 'SCRAM-SHA-1'], /--mechanism SCRAM-SHA-1: SCRAM-SHA-256 or SCRAM-SHA-512/],
    [usersCommand, ['create', 'u', '--password', 'p', '--iterations', 'many'], /--iterations many: Too few iterations/],
    [usersCommand, ['create', 'u', '--password', 'p', '--iterations', '16385'], /Too many iterations/],
    [usersCommand, ['delete'], /users delete takes one user name/],
    [usersCommand, ['list', '--format', 'yaml'], /--format takes table or json/],
    [quotasCommand, ['alter', '--add', 'producer_byte_rate=1'], /quotas alter needs an entity/],
    [quotasCommand, ['alter', '--user', 'u'], /needs --add key=value or --delete key/],
    [quotasCommand, ['alter', '--user', 'u', '--add', 'producer_byte_rate'], /--add producer_byte_rate: expected key=number/],
    [quotasCommand, ['alter', '--user', 'u', '--user-default', '--add', 'a=1'], /give one of --user, --user-default/],
    [quotasCommand, ['alter', '--any-user', '--add', 'a=1'], /--any-user is for describe/],
    [aclsCommand, ['create', '--topic', 't', '--operation', 'read'], /needs --allow-principal or --deny-principal/],
    [aclsCommand, ['create', '--allow-principal', 'alice', '--operation', 'read'], /needs a resource/],
    [aclsCommand, ['create', '--allow-principal', 'alice', '--topic', 't', '--operation', 'reed'], /unknown operation reed/],
    [aclsCommand, ['create', '--allow-principal', 'alice', '--topic', 't', '--operation', 'any'], /unknown operation any/],
    [aclsCommand, ['create', '--allow-principal', 'alice', '--topic', 't', '--operation', 'read', '--resource-pattern-type', 'match'], /--resource-pattern-type match: literal, prefixed/],
    [aclsCommand, ['delete', '--operation', 'read'], /acls delete needs a resource/],
    [aclsCommand, ['create', '--allow-principal', 'a', '--topic', 't', '--operation', 'read', '--deny-host', 'h'], /--deny-host needs --deny-principal/],
  ];
  for (const [cmd, args, message] of cases) {
    const r = await run(cmd, args);
    t.equal(r.code, 2, `${cmd.name} ${args.join(' ')}: exit 2`);
    t.match(r.err, message);
    t.match(r.err, /usage: samsa/, 'with the usage');
  }
  const help = await run(aclsCommand, ['--help']);
  t.same([help.code, /usage: samsa acls/.test(help.out)], [0, true], '--help');
  const refused = await run(usersCommand, ['list']);
  t.equal(refused.code, 1, 'a broker that cannot be reached is exit 1');
  t.match(refused.err, /cannot connect to 127\.0\.0\.1:1: ECONNREFUSED/);
});
