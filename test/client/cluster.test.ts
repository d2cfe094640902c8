/**
 * src/client against a 3-broker cluster in this process, bootstrapped from
 * one broker only: requests reach each partition's leader and each group's
 * coordinator on the other brokers, and produce and fetch carry on when a
 * leader moves or its broker stops.
 */
import t from 'tap';
import { testCluster } from '../../compat-tests/helpers/cluster.js';
import { until } from '../../compat-tests/helpers/until.js';
import { KafkaClient } from '../../src/client/kafka-client.js';
import { clusterInfo, createTopic, describeTopic, logDirSizes, partitionOffsets } from '../../src/client/topics.js';
import { fetchRecords, produceRecords } from '../../src/client/records.js';
import { groupOffsets, listGroups } from '../../src/client/groups.js';
import { GroupConsumer } from '../../src/client/group-consumer.js';

t.test('a 3-broker cluster: leaders and coordinators on every broker, failover', async (t) => {
  const c = await testCluster(t, 3);
  const first = c.bootstrap.split(',')[0]!;
  const client = await KafkaClient.open({ bootstrap: [first] });
  t.teardown(() => client.close());

  const info = await clusterInfo(client);
  t.same(info.brokers.map((b) => b.nodeId), [0, 1, 2], 'three brokers from one bootstrap address');
  t.equal(info.brokers.filter((b) => b.isController).length, 1, 'one controller');

  await createTopic(client, { name: 'spread', partitions: 6, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } });
  let d = await describeTopic(client, 'spread');
  t.equal(new Set(d.partitions.map((p) => p.leader)).size, 3, 'leaders on all three brokers');
  t.ok(d.partitions.every((p) => p.replicas.length === 3), 'three replicas each');
  await until(() => c.status().topics.find((x) => x.name === 'spread')!.partitions.every((p) => p.isr.length === 3), 15_000, 'full ISRs');

  const first300 = await produceRecords(client, 'spread', Array.from({ length: 300 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })));
  t.equal(new Set(first300.map((r) => r.partition)).size, 6, 'keyed records over all six partitions');
  const positions = Object.fromEntries(d.partitions.map((p) => [p.partition, 0]));
  let read = await fetchRecords(client, { topic: 'spread', positions, maxRecords: 1000 });
  t.equal(read.records.length, 300, 'fetched from the three leaders');
  t.ok(read.records.every((r) => r.value!.toString() === `v${r.key!.toString().slice(1)}`), 'keys and values together');
  const sizes = await logDirSizes(client, ['spread']);
  t.equal(sizes.length, 18, 'DescribeLogDirs at every broker: 6 partitions x 3 replicas');
  t.same([...new Set(sizes.map((s) => s.nodeId))].sort(), [0, 1, 2], 'from every broker');

  // A leader moves: the client's cached leader refuses (NOT_LEADER_OR_FOLLOWER), it asks Metadata and sends again.
  const p0 = d.partitions.find((p) => p.partition === 0)!;
  const target = p0.replicas.find((r) => r !== p0.leader)!;
  await c.moveLeader('spread', 0, target);
  const moved = await produceRecords(client, 'spread', [{ partition: 0, value: 'after move' }]);
  t.equal(moved[0]!.partition, 0, 'produced after the move');
  t.equal((await describeTopic(client, 'spread')).partitions.find((p) => p.partition === 0)!.leader, target, 'to the new leader');

  // A group: its coordinator may be any broker; the member and the offsets follow it.
  const member = await GroupConsumer.join(client, { groupId: 'cluster-group', topics: ['spread'], autoOffsetReset: 'earliest', heartbeatIntervalMs: 300 });
  t.teardown(() => member.close());
  let got = 0;
  for (let i = 0; i < 50 && got < 301; i++) got += (await member.poll({ maxWaitMs: 200 })).length;
  t.equal(got, 301, 'the group member reads every record');
  await member.close();
  const coordinator = await client.coordinatorId('group', 'cluster-group');
  t.match((await listGroups(client)).find((g) => g.groupId === 'cluster-group'), { coordinator, state: 'Empty' }, 'listed by its coordinator');
  t.equal((await groupOffsets(client, 'cluster-group')).reduce((n, o) => n + o.lag, 0), 0, 'no lag after the member committed');

  // A broker stops (not the bootstrap one): its partitions get new leaders and the client follows.
  d = await describeTopic(client, 'spread');
  const victim = d.partitions.map((p) => p.leader).find((l) => l !== 0)!;
  await c.stopBroker(victim);
  const after = await produceRecords(client, 'spread', d.partitions.map((p) => ({ partition: p.partition, value: `after stop ${p.partition}` })));
  t.equal(after.length, 6, 'every partition takes a record after the stop');
  const ends = await partitionOffsets(client, 'spread');
  t.equal(ends.reduce((n, p) => n + p.endOffset, 0), 307, 'all 307 records accounted for');
  read = await fetchRecords(client, { topic: 'spread', positions, maxRecords: 1000 });
  t.equal(read.records.length, 307, 'and read back from the new leaders');
  t.ok((await describeTopic(client, 'spread')).partitions.every((p) => p.leader !== victim), 'no partition is led by the stopped broker');
  const live = await logDirSizes(client, ['spread']);
  t.ok(live.length >= 12 && live.every((r) => r.nodeId !== victim), 'log dirs of the brokers still up');
  t.ok(Array.isArray(await listGroups(client)), 'groups listed with a broker down');
});
