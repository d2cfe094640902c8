/**
 * The coordinators follow the leadership of their internal topic partitions:
 * a partition's groups and transactional ids are served only once it is
 * loaded (COORDINATOR_LOAD_IN_PROGRESS meanwhile, NOT_COORDINATOR when not
 * led here), unloading drops them without writing, reloading rebuilds them
 * from the log, and failed appends become Kafka's coordinator errors. The
 * host is a fake broker over real partition logs.
 */
import t from 'tap';
import { coordinatorError, partitionFor } from '../../src/coordinator/internal-topic.js';
import { GroupCoordinator, type JoinRequest } from '../../src/coordinator/group/group-coordinator.js';
import { OffsetsTopicStore, OFFSETS_TOPIC } from '../../src/coordinator/group/offsets-topic.js';
import { TransactionCoordinator } from '../../src/coordinator/txn/transaction-coordinator.js';
import { TxnStateTopic } from '../../src/coordinator/txn/txn-state-topic.js';
import { ErrorCode, KafkaError } from '../../src/wire/errors.js';
import { host } from './helpers/fake-host.js';

const limits = { minSessionTimeoutMs: 10, maxSessionTimeoutMs: 60_000, initialRebalanceDelayMs: 0, maxSize: 10 };
const join = (over: Partial<JoinRequest> = {}): JoinRequest => ({
  groupId: 'g', memberId: '', groupInstanceId: null, clientId: 'c', clientHost: '/127.0.0.1',
  sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 60_000, protocolType: 'consumer',
  protocols: [{ name: 'range', metadata: Buffer.from('sub') }], requireKnownMemberId: false, ...over,
});
const off = (o: bigint) => ({ offset: o, leaderEpoch: 0, metadata: 'm', commitTimestamp: Date.now() });
const PARTITIONS = 3;

t.test('append errors map to the coordinator errors Kafka answers', async (t) => {
  t.equal(coordinatorError(ErrorCode.NONE), ErrorCode.NONE);
  for (const e of [ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.KAFKA_STORAGE_ERROR]) t.equal(coordinatorError(e), ErrorCode.NOT_COORDINATOR, `${e}: the partition moved`);
  for (const e of [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.NOT_ENOUGH_REPLICAS, ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND, ErrorCode.REQUEST_TIMED_OUT]) {
    t.equal(coordinatorError(e), ErrorCode.COORDINATOR_NOT_AVAILABLE, `${e}: retriable here`);
  }
  t.equal(coordinatorError(ErrorCode.MESSAGE_TOO_LARGE), ErrorCode.UNKNOWN_SERVER_ERROR);
  t.equal(coordinatorError(ErrorCode.RECORD_LIST_TOO_LARGE, true), ErrorCode.INVALID_COMMIT_OFFSET_SIZE, 'for an offset commit');
});

t.test('groups: served only from loaded partitions; unload drops them, reload rebuilds them from the log', async (t) => {
  const h = host(t);
  const store = new OffsetsTopicStore(h, PARTITIONS, 1 << 20, 3);
  const c = new GroupCoordinator(limits, store);
  t.teardown(() => c.close());
  t.equal(c.commit('g', -1, '', [{ topic: 't', partition: 0, offset: off(1n) }]), ErrorCode.NOT_COORDINATOR, 'nothing is led before a load');
  t.equal((await c.join(join())).errorCode, ErrorCode.NOT_COORDINATOR);

  t.equal(await c.ensureTopic(), PARTITIONS);
  t.same(h.created.map((x) => [x.name, x.partitions, x.replicationFactor, x.configs['cleanup.policy']]), [[OFFSETS_TOPIC, PARTITIONS, 3, 'compact']], 'created compacted with the replication factor asked for');
  t.equal(await c.ensureTopic(), PARTITIONS, 'once');
  t.equal(h.created.length, 1);

  const p = partitionFor('g', PARTITIONS);
  t.equal(c.partitionOf('g'), p);
  const loading = c.loadPartition(p, 0);
  t.equal(c.coordinatorStatus('g'), ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, 'while the partition loads');
  t.equal(c.heartbeat('g', 1, 'x'), ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
  t.ok(c.loading());
  await loading;
  t.equal(c.coordinatorStatus('g'), ErrorCode.NONE, 'then served');
  const other = ['a', 'b', 'c', 'd', 'e', 'f'].find((x) => partitionFor(x, PARTITIONS) !== p)!;
  t.equal(c.coordinatorStatus(other), ErrorCode.NOT_COORDINATOR, "another partition's group is not");

  const a = await c.join(join());
  t.equal(a.errorCode, ErrorCode.NONE);
  await c.sync('g', a.generationId, a.memberId, null, null, [{ memberId: a.memberId, assignment: Buffer.from('A') }]);
  t.equal(c.commit('g', a.generationId, a.memberId, [{ topic: 't', partition: 0, offset: off(42n) }]), ErrorCode.NONE);
  await c.written('g');
  t.ok(h.lookup(OFFSETS_TOPIC, p)!.log.logEndOffset > 0, "written to the group's partition");

  // A second member's join waits for the first to rejoin; losing the partition answers it.
  const pending = c.join(join({ clientId: 'second' }));
  c.unloadPartition(p);
  t.equal((await pending).errorCode, ErrorCode.NOT_COORDINATOR, 'a waiting join gets NOT_COORDINATOR');
  const end = h.lookup(OFFSETS_TOPIC, p)!.log.logEndOffset;
  t.equal(c.group('g'), undefined, 'the group left memory');
  t.same(c.all(), []);
  t.equal(c.heartbeat('g', a.generationId, a.memberId), ErrorCode.NOT_COORDINATOR);
  t.equal(c.commit('g', a.generationId, a.memberId, [{ topic: 't', partition: 0, offset: off(43n) }]), ErrorCode.NOT_COORDINATOR);
  t.equal(c.deleteGroup('g'), ErrorCode.NOT_COORDINATOR);
  t.equal(c.leave('g', [{ memberId: a.memberId, groupInstanceId: null }]).errorCode, ErrorCode.NOT_COORDINATOR);
  c.expireOffsets(Date.now() + 365 * 86_400_000);
  t.equal(h.lookup(OFFSETS_TOPIC, p)!.log.logEndOffset, end, 'unloading writes nothing');

  await c.loadPartition(p, 1);
  const g = c.group('g')!;
  t.equal(g.state, 'Stable', 'the group comes back from the log');
  t.equal(g.offsets.get('t')?.get(0)?.offset, 42n, 'with its offsets');
  t.equal(c.heartbeat('g', a.generationId, a.memberId), ErrorCode.NONE, 'and its member carries on');
  t.same(c.all().map((x) => x.groupId), ['g']);

  t.equal(c.loadPartition(p, 1), c.loadPartition(p, 1), 'a load at the same epoch is the same load');
});

t.test('groups: a failed append is answered with the coordinator error and taken back', async (t) => {
  const h = host(t);
  const store = new OffsetsTopicStore(h, PARTITIONS, 1 << 20);
  const c = new GroupCoordinator(limits, store);
  t.teardown(() => c.close());
  await c.ensureTopic();
  for (let p = 0; p < PARTITIONS; p++) await c.loadPartition(p, 0);
  t.equal(c.commit('g', -1, '', [{ topic: 't', partition: 0, offset: off(5n) }]), ErrorCode.NONE);
  await c.written('g');

  h.appendError = ErrorCode.NOT_ENOUGH_REPLICAS;
  t.equal(c.commit('g', -1, '', [{ topic: 't', partition: 0, offset: off(6n) }]), ErrorCode.NONE);
  const e1 = await c.written('g').then(() => undefined, (e: unknown) => e);
  t.ok(e1 instanceof KafkaError && e1.code === ErrorCode.COORDINATOR_NOT_AVAILABLE, 'too few replicas: COORDINATOR_NOT_AVAILABLE');
  t.equal(c.group('g')!.offsets.get('t')!.get(0)!.offset, 5n, 'the offset that did not reach the log is taken back');

  h.appendError = ErrorCode.NOT_LEADER_OR_FOLLOWER;
  t.equal(c.commit('g', -1, '', [{ topic: 't', partition: 1, offset: off(7n) }]), ErrorCode.NONE);
  const e2 = await c.written('g').then(() => undefined, (e: unknown) => e);
  t.ok(e2 instanceof KafkaError && e2.code === ErrorCode.NOT_COORDINATOR, 'no longer the leader: NOT_COORDINATOR');
  t.equal(c.group('g')!.offsets.get('t')!.get(1), undefined);
});

t.test('groups: a marker that arrives while the partition loads settles the offsets after the load', async (t) => {
  const h = host(t);
  const store = new OffsetsTopicStore(h, PARTITIONS, 1 << 20);
  const c = new GroupCoordinator(limits, store);
  t.teardown(() => c.close());
  await c.ensureTopic();
  const p = c.partitionOf('g');
  await c.loadPartition(p, 0);
  t.equal(c.txnCommit('g', { producerId: 9, producerEpoch: 0 }, -1, '', null, [{ topic: 't', partition: 0, offset: off(3n) }]), ErrorCode.NONE);
  await c.written('g');
  t.ok(c.hasPendingTxnOffset('g', 't', 0));
  c.unloadPartition(p);
  const loading = c.loadPartition(p, 1);
  c.completeTxnInPartition(9, true, p);
  await loading;
  t.equal(c.hasPendingTxnOffset('g', 't', 0), false);
  t.equal(c.group('g')?.offsets.get('t')?.get(0)?.offset, 3n, 'committed by the marker');
});

t.test('transactions: served only from loaded partitions; reload resumes a transaction caught in Prepare', async (t) => {
  const h = host(t);
  const log = new TxnStateTopic(h, PARTITIONS, 1 << 20, 3);
  const markers: { topic: string; partition: number; commit: boolean; coordinatorEpoch: number }[] = [];
  let holdMarkers = false;
  let nextId = 100;
  const c = new TransactionCoordinator({ maxTimeoutMs: 900_000, abortCheckIntervalMs: 3_600_000 }, {
    allocateProducerId: () => nextId++,
    partitionExists: () => true,
    writeMarker: (topic, partition, _pid, _epoch, commit, coordinatorEpoch) => {
      if (holdMarkers) return new Promise<number>(() => {});
      markers.push({ topic, partition, commit, coordinatorEpoch });
      return Promise.resolve(ErrorCode.NONE);
    },
    log,
  });
  t.teardown(() => c.close());
  t.equal((await c.initProducerId('tx', 60_000, null)).errorCode, ErrorCode.NOT_COORDINATOR, 'nothing is led before a load');
  t.equal(await c.ensureTopic(), PARTITIONS);
  const p = c.partitionOf('tx');
  const loading = c.loadPartition(p, 5);
  t.equal(c.coordinatorStatus('tx'), ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
  t.equal((await c.endTxn('tx', 1, 0, true)), ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
  await loading;

  const { producerId, producerEpoch } = await c.initProducerId('tx', 60_000, null);
  t.same((await c.addPartitions('tx', producerId, producerEpoch, [{ topic: 'data', partition: 0 }])).map((r) => r.errorCode), [ErrorCode.NONE]);
  t.equal(await c.endTxn('tx', producerId, producerEpoch, true), ErrorCode.NONE);
  t.same(markers, [{ topic: 'data', partition: 0, commit: true, coordinatorEpoch: 5 }], "markers carry the partition's leader epoch");

  await c.addPartitions('tx', producerId, producerEpoch, [{ topic: 'data', partition: 1 }]);
  c.unloadPartition(p);
  t.equal(c.get('tx'), undefined, 'the id left memory');
  t.same(c.all(), []);
  t.equal(await c.endTxn('tx', producerId, producerEpoch, false), ErrorCode.NOT_COORDINATOR);
  t.same(c.verifyPartitions('tx', producerId, producerEpoch, [{ topic: 'data', partition: 1 }]).map((r) => r.errorCode), [ErrorCode.NOT_COORDINATOR]);

  await c.loadPartition(p, 6);
  t.equal(c.get('tx')?.state, 'Ongoing', 'the open transaction comes back from the log');
  // The commit's markers never complete here: the id stays in PrepareCommit in the log.
  holdMarkers = true;
  void c.endTxn('tx', producerId, producerEpoch, true);
  await new Promise((r) => setTimeout(r, 50));
  t.equal(c.get('tx')?.state, 'PrepareCommit');
  c.unloadPartition(p);
  holdMarkers = false;
  markers.length = 0;
  await c.loadPartition(p, 7);
  for (let i = 0; i < 100 && c.get('tx')?.state !== 'CompleteCommit'; i++) await new Promise((r) => setTimeout(r, 10));
  t.equal(c.get('tx')?.state, 'CompleteCommit', 'the new leader finishes the commit');
  t.same(markers, [{ topic: 'data', partition: 1, commit: true, coordinatorEpoch: 7 }], 'writing its markers again under the new epoch');
});

t.test('transactions: failed state writes answer the coordinator error and change nothing', async (t) => {
  const h = host(t);
  const log = new TxnStateTopic(h, PARTITIONS, 1 << 20);
  const c = new TransactionCoordinator({ maxTimeoutMs: 900_000, abortCheckIntervalMs: 3_600_000 }, {
    allocateProducerId: (() => { let n = 1; return () => n++; })(),
    partitionExists: () => true,
    writeMarker: async () => ErrorCode.NONE,
    log,
  });
  t.teardown(() => c.close());
  await c.ensureTopic();
  for (let p = 0; p < PARTITIONS; p++) await c.loadPartition(p, 0);
  h.appendError = ErrorCode.NOT_LEADER_OR_FOLLOWER;
  t.equal((await c.initProducerId('tx', 60_000, null)).errorCode, ErrorCode.NOT_COORDINATOR, 'the partition moved: NOT_COORDINATOR');
  t.equal(c.get('tx'), undefined, 'not kept');
  h.appendError = ErrorCode.REQUEST_TIMED_OUT;
  t.equal((await c.initProducerId('tx', 60_000, null)).errorCode, ErrorCode.COORDINATOR_NOT_AVAILABLE, 'a timeout: COORDINATOR_NOT_AVAILABLE');
  h.appendError = ErrorCode.NONE;
  const ok = await c.initProducerId('tx', 60_000, null);
  t.equal(ok.errorCode, ErrorCode.NONE);
  h.appendError = ErrorCode.KAFKA_STORAGE_ERROR;
  t.same((await c.addPartitions('tx', ok.producerId, ok.producerEpoch, [{ topic: 'd', partition: 0 }])).map((r) => r.errorCode), [ErrorCode.NOT_COORDINATOR]);
  t.equal(c.get('tx')?.state, 'Empty', 'the transaction did not start');
});

t.test('a coordinator that loads every partition (a lone broker) serves every group, rebuilt from each partition', async (t) => {
  const h = host(t);
  const store = new OffsetsTopicStore(h, PARTITIONS, 1 << 20);
  const first = new GroupCoordinator(limits, store);
  t.teardown(() => first.close());
  await first.ensureTopic();
  for (let p = 0; p < PARTITIONS; p++) await first.loadPartition(p, 0);
  const ids = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
  t.same(new Set(ids.map((id) => partitionFor(id, PARTITIONS))).size, PARTITIONS, 'the groups span every partition');
  for (const id of ids) t.equal(first.commit(id, -1, '', [{ topic: 't', partition: 0, offset: off(1n) }]), ErrorCode.NONE, id);
  await Promise.all(ids.map((id) => first.written(id)));

  const c = new GroupCoordinator(limits, store);
  t.teardown(() => c.close());
  for (let p = 0; p < PARTITIONS; p++) await c.loadPartition(p, 0);
  t.same(c.all().map((g) => g.groupId).sort(), ids, 'every partition is rebuilt');
  const p = c.partitionOf('a');
  c.unloadPartition(p);
  const rest = ids.filter((id) => partitionFor(id, PARTITIONS) !== p);
  t.same(c.all().map((g) => g.groupId).sort(), rest, "after an unload only the other partitions' groups are served");
  for (const id of ids) t.equal(c.coordinatorStatus(id), rest.includes(id) ? ErrorCode.NONE : ErrorCode.NOT_COORDINATOR, id);
});

t.test('the first request before the internal topic exists creates it and waits for its partition to load here', async (t) => {
  const h = host(t);
  const store = new OffsetsTopicStore(h, PARTITIONS, 1 << 20);
  const c = new GroupCoordinator(limits, store);
  t.teardown(() => c.close());
  const mine = partitionFor('g', PARTITIONS);
  // This broker leads only the group's partition; the leadership event comes a little after the creation.
  h.onCreate = () => { setTimeout(() => void c.loadPartition(mine, 0), 20); };
  t.equal(c.coordinatorStatus('g'), ErrorCode.NOT_COORDINATOR);
  await c.prepare('g', 2000);
  t.equal(c.coordinatorStatus('g'), ErrorCode.NONE, 'served once its partition is loaded');
  t.equal(c.commit('g', -1, '', [{ topic: 't', partition: 0, offset: off(1n) }]), ErrorCode.NONE);
  const other = ['a', 'b', 'c', 'd', 'e', 'f'].find((x) => partitionFor(x, PARTITIONS) !== mine)!;
  const started = Date.now();
  await c.prepare(other, 2000);
  t.ok(Date.now() - started < 1000, 'once the topic exists nothing waits');
  t.equal(c.coordinatorStatus(other), ErrorCode.NOT_COORDINATOR, 'a partition led elsewhere is still NOT_COORDINATOR');

  const h2 = host(t);
  const txns = new TransactionCoordinator({ maxTimeoutMs: 900_000, abortCheckIntervalMs: 3_600_000 }, {
    allocateProducerId: () => 1, partitionExists: () => true, writeMarker: async () => ErrorCode.NONE, log: new TxnStateTopic(h2, PARTITIONS, 1 << 20),
  });
  t.teardown(() => txns.close());
  const led = txns.partitionOf('tx');
  h2.onCreate = () => { setTimeout(() => void txns.loadPartition(led === 0 ? 1 : 0, 0), 20); };
  const before = Date.now();
  await txns.prepare('tx', 200);
  t.ok(Date.now() - before >= 150, 'the wait for a partition not led here is bounded');
  t.equal((await txns.initProducerId('tx', 60_000, null)).errorCode, ErrorCode.NOT_COORDINATOR, 'and then NOT_COORDINATOR');
});
