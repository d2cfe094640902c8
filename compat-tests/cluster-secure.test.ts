/**
 * Brokers of a cluster talk to each other over an authenticated, encrypted
 * inter-broker listener (SASL_SSL with PLAIN), with ACLs on and nobody but the
 * super user allowed anything: replication (follower fetches need
 * CLUSTER_ACTION) only works when each broker authenticates as that user. A
 * kafkajs client on the SASL_SSL listener creates a replicated topic and
 * produces with acks=all, which needs every follower in sync.
 */
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { testCluster } from './helpers/cluster.js';
import { writeDevCerts } from '../src/security/dev-certs.js';

const JAAS = 'org.apache.kafka.common.security.plain.PlainLoginModule required username="broker" password="broker-secret" user_broker="broker-secret" user_alice="alice-secret";';

t.test('replication over a SASL_SSL inter-broker listener, with ACLs on', async (t) => {
  const certs = mkdtempSync(join(tmpdir(), 'samsa-certs-'));
  t.teardown(() => rmSync(certs, { recursive: true, force: true }));
  await writeDevCerts(certs, { force: true });
  const cluster = await testCluster(t, 3, {
    listeners: 'SASL_SSL://127.0.0.1:0,PLAINTEXT://127.0.0.1:0',
    'inter.broker.listener.name': 'SASL_SSL',
    'sasl.jaas.config': JAAS,
    'sasl.mechanism.inter.broker.protocol': 'PLAIN',
    'ssl.certificate.location': join(certs, 'broker.pem'),
    'ssl.key.location': join(certs, 'broker.key'),
    'ssl.truststore.location': join(certs, 'ca.pem'),
    'super.users': 'User:broker',
    'allow.everyone.if.no.acl.found': 'false',
  });
  const saslPorts = [0, 1, 2].map((id) => cluster.broker(id)!.listeners.find((l) => l.name === 'SASL_SSL')!.port);
  const kafka = (username: string, password: string) => new Kafka({
    brokers: saslPorts.map((p) => `127.0.0.1:${p}`), ssl: { ca: readFileSync(join(certs, 'ca.pem')) },
    sasl: { mechanism: 'plain', username, password }, logLevel: logLevel.NOTHING, retry: { retries: 3 },
  });
  const admin = kafka('broker', 'broker-secret').admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  await admin.createTopics({ topics: [{ topic: 'secure-replicated', numPartitions: 2, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '3' }] }], waitForLeaders: true });
  const md = await admin.fetchTopicMetadata({ topics: ['secure-replicated'] });
  t.same(md.topics[0]!.partitions.map((p) => p.replicas.length), [3, 3], 'three replicas per partition');
  const brokers = (await admin.describeCluster()).brokers;
  t.same(brokers.map((b) => b.port).sort(), [...saslPorts].sort(), 'Metadata on the SASL_SSL listener lists every broker at its SASL_SSL port');

  const producer = kafka('broker', 'broker-secret').producer();
  await producer.connect();
  t.teardown(() => producer.disconnect());
  // min.insync.replicas=3: acks=all succeeds only once both followers of each partition replicate over SASL_SSL.
  let sent = false;
  for (const end = Date.now() + 20_000; !sent && Date.now() < end;) {
    sent = await producer.send({ topic: 'secure-replicated', acks: -1, messages: [{ partition: 0, value: 'a' }, { partition: 1, value: 'b' }] }).then(() => true, () => false);
    if (!sent) await new Promise((r) => setTimeout(r, 200));
  }
  t.ok(sent, 'acks=all with min.insync.replicas=3 succeeds over the SASL_SSL inter-broker listener');
  const isr = (await admin.fetchTopicMetadata({ topics: ['secure-replicated'] })).topics[0]!.partitions.map((p) => p.isr.length);
  t.same(isr, [3, 3], 'every replica is in sync');

  const alice = kafka('alice', 'alice-secret').producer();
  await alice.connect();
  t.teardown(() => alice.disconnect());
  await t.rejects(alice.send({ topic: 'secure-replicated', acks: -1, messages: [{ value: 'x' }] }), /not authorized|authorization/i, 'a user without ACLs cannot produce');
});
