/**
 * The topic and group commands against a secured broker: over SASL_SSL (TLS
 * with the throwaway CA, a SCRAM login) with the shared connection flags
 * (--tls --ca --user-auth --sasl-mechanism) and with a --command-config
 * properties file, and a wrong password refused with exit 1.
 */
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { secureBroker, ADMIN, PLAIN_USERS } from './helpers/secure-broker.js';
import { kcat } from './helpers/kcat.js';
import { cliMissing, samsaCli, samsaInProcess } from '../test/cli/samsa-process.js';

t.test('samsa topic and group over SASL_SSL', { skip: cliMissing }, async (t) => {
  const b = await secureBroker(t, { listeners: ['SASL_SSL'], certs: true, flags: PLAIN_USERS });
  const ca = join(b.certs!, 'ca.pem');
  const conn = ['--bootstrap', b.bootstrap('SASL_SSL'), '--ca', ca, '--user-auth', `${ADMIN.username}:${ADMIN.password}`, '--sasl-mechanism', 'PLAIN'];
  const ok = async (args: string[], input?: string) => {
    const r = await samsaInProcess([...args, ...conn], input);
    t.equal(r.code, 0, `samsa ${args.join(' ')}: ${r.stderr}`);
    return r;
  };

  await ok(['topic', 'create', 'secure-t', '-p', '2']);
  await ok(['topic', 'produce', 'secure-t', '-K', ':'], 'k1:v1\nk2:v2\nk3:v3\n');
  let r = await ok(['topic', 'consume', 'secure-t', '-e', '-f', '%k=%v\\n']);
  t.same(r.stdout.trim().split('\n').sort(), ['k1=v1', 'k2=v2', 'k3=v3'], 'produced and consumed over TLS with a SASL login');
  r = await ok(['topic', 'consume', 'secure-t', '-g', 'secure-g', '-n', '3', '-f', '%v\\n']);
  t.equal(r.stdout.trim().split('\n').length, 3, 'a group member over SASL_SSL');
  r = await ok(['group', 'describe', 'secure-g', '--format', 'json']);
  t.equal((JSON.parse(r.stdout) as { totalLag: number }[])[0]!.totalLag, 0, 'its commits are there');

  const props = join(b.certs!, 'client.properties');
  writeFileSync(props, [
    'security.protocol=SASL_SSL',
    'sasl.mechanism=PLAIN',
    `sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="${ADMIN.username}" password="${ADMIN.password}";`,
    `ssl.truststore.location=${ca}`,
    'ssl.truststore.type=PEM',
  ].join('\n'));
  const spawned = await samsaCli(['cluster', 'info', '-t', '--bootstrap', b.bootstrap('SASL_SSL'), '--command-config', props]);
  t.equal(spawned.code, 0, `cluster info with --command-config: ${spawned.stderr}`);
  t.match(spawned.stdout, /^secure-t\s+2\s+1$/m);

  const bad = await samsaCli(['topic', 'list', '--bootstrap', b.bootstrap('SASL_SSL'), '--ca', ca, '--user-auth', `${ADMIN.username}:wrong`]);
  t.equal(bad.code, 1, 'a wrong password: exit 1');
  t.match(bad.stderr, /^samsa: .*(Authentication failed|SASL_AUTHENTICATION_FAILED|invalid credentials)/im);

  const { stdout } = await kcat(['-C', '-b', b.bootstrap('SASL_SSL'), '-t', 'secure-t', '-o', 'beginning', '-e', '-q', '-f', '%k\n',
    '-X', 'security.protocol=SASL_SSL', '-X', 'sasl.mechanisms=PLAIN', '-X', `sasl.username=${ADMIN.username}`, '-X', `sasl.password=${ADMIN.password}`, '-X', `ssl.ca.location=${ca}`]);
  t.same(stdout.trim().split('\n').sort(), ['k1', 'k2', 'k3'], 'kcat reads the keys the CLI produced');
});
