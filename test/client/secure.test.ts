/**
 * src/client against a SASL_PLAINTEXT listener: every connection it opens
 * (bootstrap, leaders, a group member's own coordinator connection) logs in
 * with the settings' PLAIN or SCRAM credentials; a wrong password is an error
 * that says so. kafkajs and kcat, logged in the same way, are the other side.
 */
import t from 'tap';
import { ADMIN, ALICE, PLAIN_USERS, secureBroker } from '../../compat-tests/helpers/secure-broker.js';
import { addScramUser, kafkaFor, kcatArgsFor } from '../../compat-tests/helpers/security-clients.js';
import { kcat } from '../../compat-tests/helpers/kcat.js';
import { KafkaClient } from '../../src/client/kafka-client.js';
import { ClientError } from '../../src/client/kafka-client.js';
import { clusterInfo, createTopic } from '../../src/client/topics.js';
import { fetchRecords, produceRecords } from '../../src/client/records.js';
import { GroupConsumer } from '../../src/client/group-consumer.js';
import { describeGroup } from '../../src/client/groups.js';

t.test('SASL_PLAINTEXT: PLAIN and SCRAM logins carried by every connection', async (t) => {
  const b = await secureBroker(t, { listeners: ['SASL_PLAINTEXT'], flags: { ...PLAIN_USERS, 'group.initial.rebalance.delay.ms': '0' } });
  await addScramUser(b, 'SCRAM-SHA-256', ALICE.username, ALICE.password);
  const bootstrap = [b.bootstrap('SASL_PLAINTEXT')];

  const noLogin = await KafkaClient.open({ bootstrap, timeoutMs: 5000 }).then((c) => clusterInfo(c).finally(() => c.close())).catch((e: unknown) => e);
  t.ok(noLogin instanceof Error, 'without a login nothing is answered');
  const wrong = await KafkaClient.open({ bootstrap, sasl: { mechanism: 'PLAIN', username: ADMIN.username, password: 'nope' } }).catch((e: unknown) => e);
  t.ok(wrong instanceof ClientError, 'a wrong password is a ClientError');
  t.match((wrong as Error).message, /authentication|SASL/i, `that says the login failed (${(wrong as Error).message})`);

  const admin = await KafkaClient.open({ bootstrap, sasl: { mechanism: 'PLAIN', ...ADMIN } });
  t.teardown(() => admin.close());
  t.equal((await clusterInfo(admin)).brokers.length, 1, 'PLAIN: cluster info');
  await createTopic(admin, { name: 'secured', partitions: 2 });
  await produceRecords(admin, 'secured', [{ key: 'a', value: 'from us', headers: [{ key: 'h', value: 'v' }] }]);

  // kafkajs and kcat with the same login see what we wrote and write what we read.
  const kafka = kafkaFor(b, 'SASL_PLAINTEXT', { sasl: { mechanism: 'scram-sha-256', username: ALICE.username, password: ALICE.password } });
  const producer = kafka.producer();
  await producer.connect();
  t.teardown(() => producer.disconnect());
  await producer.send({ topic: 'secured', messages: [{ partition: 1, value: 'from kafkajs' }] });
  const { stdout } = await kcat(['-C', ...kcatArgsFor(b, 'SASL_PLAINTEXT', { sasl: { mechanism: 'PLAIN', ...ADMIN } }), '-t', 'secured', '-o', 'beginning', '-e', '-q', '-f', '%k=%s\\n']);
  t.same(stdout.trim().split('\n').sort(), ['=from kafkajs', 'a=from us'], 'kcat logged in reads both records');

  const alice = await KafkaClient.open({ bootstrap, sasl: { mechanism: 'SCRAM-SHA-256', ...ALICE } });
  t.teardown(() => alice.close());
  const read = await fetchRecords(alice, { topic: 'secured', positions: { 0: 0, 1: 0 } });
  t.same(read.records.map((r) => r.value!.toString()).sort(), ['from kafkajs', 'from us'], 'SCRAM-SHA-256: both records fetched');

  // A group member opens its own coordinator connection: it logs in too.
  const member = await GroupConsumer.join(alice, { groupId: 'secure-group', topics: ['secured'], autoOffsetReset: 'earliest', heartbeatIntervalMs: 300 });
  t.teardown(() => member.close());
  let got = 0;
  for (let i = 0; i < 20 && got < 2; i++) got += (await member.poll({ maxWaitMs: 200 })).length;
  t.equal(got, 2, 'the group member reads both records');
  t.equal((await describeGroup(admin, 'secure-group')).members.length, 1, 'and is in the group');
});
