/**
 * ACLs on the data path, through real clients over SASL/PLAIN: kafkajs 2.2.4
 * and kcat (librdkafka). admin (a super user) grants and revokes with
 * kafkajs's admin.createAcls/deleteAcls; alice is refused until an ACL lets
 * her through. allow.everyone.if.no.acl.found=false, as a locked-down Kafka
 * runs: a resource without ACLs is closed to everyone but super users.
 */
import t from 'tap';
import kafkajs from 'kafkajs';
import { ADMIN, ALICE } from './helpers/secure-broker.js';
import { kcat } from './helpers/kcat.js';
import { aclBroker, client, errorType, grant, kcatAs, revoke } from './helpers/acl-clients.js';

const { AclResourceTypes, AclOperationTypes } = kafkajs;

t.test('produce needs WRITE on the topic: kafkajs and kcat are refused, then allowed', async (t) => {
  const { b, admin } = await aclBroker(t);
  await admin.createTopics({ topics: [{ topic: 'orders' }] });
  const producer = client(b, ALICE).producer({ allowAutoTopicCreation: false });
  await producer.connect();
  t.teardown(() => producer.disconnect());

  t.equal(await errorType(producer.send({ topic: 'orders', messages: [{ value: 'no' }] })), 'TOPIC_AUTHORIZATION_FAILED', 'kafkajs: no ACL, refused');
  await t.rejects(kcat([...kcatAs(b, ALICE), '-P', '-t', 'orders'], 'refused\n'), /authoriz/i, 'kcat: no ACL, refused');

  await grant(admin, { type: AclResourceTypes.TOPIC, name: 'orders', op: AclOperationTypes.WRITE });
  await producer.send({ topic: 'orders', messages: [{ value: 'from kafkajs' }] });
  await kcat([...kcatAs(b, ALICE), '-P', '-t', 'orders'], 'from kcat\n');

  // Consuming needs READ: alice has WRITE only, admin (a super user) reads everything.
  await t.rejects(kcat([...kcatAs(b, ALICE), '-C', '-t', 'orders', '-o', 'beginning', '-e', '-q']), /authoriz/i, 'kcat: WRITE does not allow READ');
  const read = await kcat([...kcatAs(b, ADMIN), '-C', '-t', 'orders', '-o', 'beginning', '-e', '-q']);
  t.same(read.stdout.trim().split('\n').sort(), ['from kafkajs', 'from kcat'], 'both writes landed');

  await revoke(admin, { type: AclResourceTypes.TOPIC, name: 'orders', op: AclOperationTypes.WRITE });
  t.equal(await errorType(producer.send({ topic: 'orders', messages: [{ value: 'again' }] })), 'TOPIC_AUTHORIZATION_FAILED', 'refused again once the ACL is deleted');
});

t.test('consuming in a group needs READ on the topic and READ on the group', async (t) => {
  const { b, admin } = await aclBroker(t);
  await admin.createTopics({ topics: [{ topic: 'events', numPartitions: 2 }] });
  const feeder = client(b, ADMIN).producer();
  await feeder.connect();
  await feeder.send({ topic: 'events', messages: ['a', 'b', 'c'].map((value) => ({ value })) });
  await feeder.disconnect();

  /** Runs alice's consumer in `group` until it has `want` messages or crashes; returns what it saw and the crash error. */
  const consume = async (group: string, want: number) => {
    const consumer = client(b, ALICE).consumer({ groupId: group, retry: { retries: 0 } });
    const seen: string[] = [];
    let crashed: unknown;
    const done = new Promise<void>((resolve) => {
      consumer.on(consumer.events.CRASH, (e) => { crashed = e.payload.error; resolve(); });
      void consumer.connect()
        .then(() => consumer.subscribe({ topic: 'events', fromBeginning: true }))
        .then(() => consumer.run({ eachMessage: async ({ message }) => { seen.push(String(message.value)); if (seen.length === want) resolve(); } }))
        .catch((e: unknown) => { crashed = e; resolve(); });
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([done, new Promise<void>((resolve) => { timer = setTimeout(() => { crashed ??= new Error('neither consumed nor crashed in 20 s'); resolve(); }, 20_000); })]);
    clearTimeout(timer);
    await consumer.disconnect();
    return { seen, error: crashed === undefined ? 'none' : await errorType(Promise.reject(crashed)) };
  };

  t.equal((await consume('g1', 3)).error, 'TOPIC_AUTHORIZATION_FAILED', 'no ACL: the topic is refused first (kafkajs asks for metadata before the coordinator)');
  await grant(admin, { type: AclResourceTypes.TOPIC, name: 'events', op: AclOperationTypes.READ });
  // FindCoordinator needs DESCRIBE on the group: kafkajs hides the code behind "Failed to find group coordinator", librdkafka names it.
  t.match((await consume('g1', 3)).error, /KafkaJSGroupCoordinatorNotFound/, 'READ on the topic only: kafkajs finds no coordinator');
  await t.rejects(kcat([...kcatAs(b, ALICE), '-G', 'g1', '-o', 'beginning', '-e', '-q', 'events']), /group authorization failed/i, 'kcat -G: Group authorization failed');
  await grant(admin, { type: AclResourceTypes.GROUP, name: 'g1', op: AclOperationTypes.DESCRIBE });
  t.equal((await consume('g1', 3)).error, 'GROUP_AUTHORIZATION_FAILED', 'DESCRIBE on the group finds the coordinator, JoinGroup needs READ');
  await grant(admin, { type: AclResourceTypes.GROUP, name: 'g1', op: AclOperationTypes.READ });
  const ok = await consume('g1', 3);
  t.equal(ok.error, 'none', 'READ on both: consumed');
  t.same(ok.seen.sort(), ['a', 'b', 'c'], 'every record');

  // The group's offsets are alice's to read (DESCRIBE comes with READ); kcat reads the topic without a group.
  const committed = await client(b, ALICE).admin();
  await committed.connect();
  t.teardown(() => committed.disconnect());
  const offsets = await committed.fetchOffsets({ groupId: 'g1', topics: ['events'] });
  t.equal(offsets[0]!.partitions.reduce((n, p) => n + Number(p.offset), 0), 3, 'the consumer committed past all three');
  const read = await kcat([...kcatAs(b, ALICE), '-C', '-t', 'events', '-o', 'beginning', '-e', '-q']);
  t.same(read.stdout.trim().split('\n').sort(), ['a', 'b', 'c'], 'kcat with READ on the topic');
});
