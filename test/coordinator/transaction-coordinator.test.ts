/**
 * The transaction coordinator's state machine on its own: producer ids and
 * epochs, fencing, the errors of each call in each state, markers, timeouts,
 * and the rebuild from its __transaction_state records.
 */
import t from 'tap';
import { TransactionCoordinator, fencedAs, type TxnCoordinatorDeps } from '../../src/coordinator/txn/transaction-coordinator.js';
import { readTxnKey, readTxnValue, txnKey, txnValue } from '../../src/coordinator/txn/txn-records.js';
import { TxnStateTopic } from '../../src/coordinator/txn/txn-state-topic.js';
import { ErrorCode } from '../../src/wire/errors.js';
import { host, type FakeHost } from './helpers/fake-host.js';

type TxnRecord = { transactionalId: string; value: Buffer | null };

interface Harness {
  c: TransactionCoordinator;
  host: FakeHost;
  markers: { topic: string; partition: number; producerId: number; producerEpoch: number; commit: boolean }[];
  /** The records in __transaction_state, in log order. */
  records(): Promise<TxnRecord[]>;
  clock: { now: number };
}

/**
 * A coordinator over a one-partition __transaction_state on `h` (a fresh one
 * by default) that holds `seed` first, once it has loaded that partition, as
 * a lone broker's coordinator does.
 */
async function harness(t: { teardown(fn: () => unknown): void }, over: Partial<Omit<TxnCoordinatorDeps, 'log'>> = {}, seed: TxnRecord[] = [], h: FakeHost = host(t)): Promise<Harness> {
  let nextId = 1000;
  const log = new TxnStateTopic(h, 1, 1 << 20, 1);
  await log.ensure();
  for (const r of seed) await log.write(r.transactionalId, [{ key: txnKey(r.transactionalId), value: r.value }]);
  const harness = {
    host: h, markers: [], clock: { now: 1_000_000 },
    records: async () => { const out: TxnRecord[] = []; for await (const r of log.partitionRecords(0)) out.push(r); return out; },
  } as unknown as Harness;
  const deps: TxnCoordinatorDeps = {
    allocateProducerId: () => nextId++,
    partitionExists: (topic, p) => topic !== 'missing' && p < 4,
    writeMarker: async (topic, partition, producerId, producerEpoch, commit) => { harness.markers.push({ topic, partition, producerId, producerEpoch, commit }); return ErrorCode.NONE; },
    ...over,
    log,
  };
  harness.c = new TransactionCoordinator({ maxTimeoutMs: 900_000, abortCheckIntervalMs: 3_600_000, idExpirationMs: 7 * 86_400_000 }, deps, () => harness.clock.now);
  t.teardown(() => harness.c.close());
  await harness.c.loadPartition(0, 0);
  return harness;
}

const tp = (topic: string, partition: number) => ({ topic, partition });

t.test('InitProducerId: an id keeps its producer id and every call bumps the epoch', async (t) => {
  const { c } = await harness(t);
  const a = await c.initProducerId('tx', 60_000, null);
  t.same(a, { errorCode: 0, producerId: 1000, producerEpoch: 0 });
  const b = await c.initProducerId('tx', 60_000, null);
  t.same(b, { errorCode: 0, producerId: 1000, producerEpoch: 1 }, 'same id, next epoch');
  t.equal((await c.initProducerId('other', 60_000, null)).producerId, 1001, 'another transactional id, another producer id');
  t.equal((await c.initProducerId('tx', 900_001, null)).errorCode, ErrorCode.INVALID_TRANSACTION_TIMEOUT, 'above transaction.max.timeout.ms');
  t.equal((await c.initProducerId('tx', 0, null)).errorCode, ErrorCode.INVALID_TRANSACTION_TIMEOUT, 'zero timeout');
  t.equal((await c.initProducerId('tx', 60_000, { producerId: 1000, producerEpoch: 7 })).errorCode, ErrorCode.PRODUCER_FENCED, 'KIP-360: an epoch that is not the current one is fenced');
  t.equal((await c.initProducerId('tx', 60_000, { producerId: 999, producerEpoch: 1 })).errorCode, ErrorCode.PRODUCER_FENCED, 'KIP-360: so is another producer id');
  const resumed = await c.initProducerId('tx', 60_000, { producerId: 1000, producerEpoch: 1 });
  t.same(resumed, { errorCode: 0, producerId: 1000, producerEpoch: 2 }, 'KIP-360: the current epoch resumes with a bump');
  t.same(await c.initProducerId('tx', 60_000, { producerId: 1000, producerEpoch: 1 }), resumed, 'a retry of that call gets the same answer');
});

t.test('an exhausted epoch moves to a new producer id at epoch 0', async (t) => {
  const value = txnValue({ producerId: 7, producerEpoch: 32766, timeoutMs: 1000, state: 'CompleteCommit', partitions: [], lastUpdateTimestamp: 1, startTimestamp: -1 });
  const { c } = await harness(t, {}, [{ transactionalId: 'old', value }]);
  t.same(await c.initProducerId('old', 1000, null), { errorCode: 0, producerId: 1000, producerEpoch: 0 });
});

t.test('a transaction: add partitions, commit writes a marker to each, retries and wrong outcomes', async (t) => {
  const { c, markers } = await harness(t);
  const { producerId: pid, producerEpoch: epoch } = await c.initProducerId('tx', 60_000, null);
  t.equal(await c.endTxn('tx', pid, epoch, true), ErrorCode.INVALID_TXN_STATE, 'EndTxn with no transaction');
  t.equal(c.verify(pid, epoch, 'a', 0), ErrorCode.INVALID_TXN_STATE, 'a produce before AddPartitionsToTxn is refused');
  t.same((await c.addPartitions('tx', pid, epoch, [tp('a', 0), tp('a', 1)])).map((r) => r.errorCode), [0, 0]);
  t.equal(c.get('tx')!.state, 'Ongoing');
  t.equal(c.verify(pid, epoch, 'a', 0), ErrorCode.NONE, 'a produce to an added partition is allowed');
  t.equal(c.verify(pid, epoch, 'a', 2), ErrorCode.INVALID_TXN_STATE, 'one to a partition not added is not');
  t.equal(c.verify(pid, epoch - 1, 'a', 0), ErrorCode.INVALID_PRODUCER_EPOCH, 'an old epoch is fenced on the produce path');
  t.same((await c.addPartitions('tx', pid, epoch, [tp('a', 1), tp('missing', 0)])).map((r) => r.errorCode),
    [ErrorCode.OPERATION_NOT_ATTEMPTED, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION], 'an unknown partition fails the request; the others are not attempted');
  t.same((await c.addPartitions('tx', pid + 1, epoch, [tp('a', 0)])).map((r) => r.errorCode), [ErrorCode.INVALID_PRODUCER_ID_MAPPING], 'wrong producer id');
  t.same((await c.addPartitions('nope', pid, epoch, [tp('a', 0)])).map((r) => r.errorCode), [ErrorCode.INVALID_PRODUCER_ID_MAPPING], 'unknown transactional id');
  t.same((await c.addPartitions('tx', pid, epoch + 1, [tp('a', 0)])).map((r) => r.errorCode), [ErrorCode.PRODUCER_FENCED], 'wrong epoch');
  t.same(c.verifyPartitions('tx', pid, epoch, [tp('a', 0), tp('a', 3)]).map((r) => r.errorCode), [ErrorCode.NONE, ErrorCode.INVALID_TXN_STATE], 'verify_only');

  t.equal(await c.endTxn('tx', pid, epoch, true), ErrorCode.NONE);
  t.same(markers.map((m) => [m.topic, m.partition, m.producerId, m.producerEpoch, m.commit]), [['a', 0, pid, epoch, true], ['a', 1, pid, epoch, true]], 'a commit marker to each partition');
  t.equal(c.get('tx')!.state, 'CompleteCommit');
  t.equal(await c.endTxn('tx', pid, epoch, true), ErrorCode.NONE, 'a retried commit succeeds');
  t.equal(await c.endTxn('tx', pid, epoch, false), ErrorCode.INVALID_TXN_STATE, 'aborting a committed transaction');
  t.equal(markers.length, 2, 'no marker written twice');
  t.equal(c.verify(pid, epoch, 'a', 0), ErrorCode.INVALID_TXN_STATE, 'no produce once the transaction ended');

  await c.addPartitions('tx', pid, epoch, [tp('b', 0)]);
  t.same([...c.get('tx')!.partitions.values()], [tp('b', 0)], 'the next transaction starts with only its own partitions');
  t.equal(await c.endTxn('tx', pid, epoch, false), ErrorCode.NONE);
  t.same(markers.slice(2).map((m) => [m.topic, m.commit]), [['b', false]], 'an abort marker');
  t.equal(await c.endTxn('tx', pid, epoch, true), ErrorCode.INVALID_TXN_STATE, 'committing an aborted transaction');
});

t.test('while markers are written, requests for the id get CONCURRENT_TRANSACTIONS', async (t) => {
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  const { c } = await harness(t, { writeMarker: async () => { await gate; return ErrorCode.NONE; } });
  const { producerId: pid, producerEpoch: epoch } = await c.initProducerId('tx', 60_000, null);
  await c.addPartitions('tx', pid, epoch, [tp('a', 0)]);
  const ending = c.endTxn('tx', pid, epoch, true);
  await new Promise((r) => setImmediate(r));
  t.equal(c.get('tx')!.state, 'PrepareCommit');
  t.equal(await c.endTxn('tx', pid, epoch, true), ErrorCode.CONCURRENT_TRANSACTIONS, 'EndTxn again');
  t.same((await c.addPartitions('tx', pid, epoch, [tp('a', 1)])).map((r) => r.errorCode), [ErrorCode.CONCURRENT_TRANSACTIONS], 'AddPartitionsToTxn');
  t.equal((await c.initProducerId('tx', 60_000, null)).errorCode, ErrorCode.CONCURRENT_TRANSACTIONS, 'InitProducerId');
  release();
  t.equal(await ending, ErrorCode.NONE);
  t.equal(c.get('tx')!.state, 'CompleteCommit');
});

t.test('a new incarnation aborts the open transaction under a bumped epoch and fences the old one', async (t) => {
  const { c, markers } = await harness(t);
  const old = await c.initProducerId('tx', 60_000, null);
  await c.addPartitions('tx', old.producerId, old.producerEpoch, [tp('a', 0)]);
  const next = await c.initProducerId('tx', 60_000, null);
  t.same(markers.map((m) => [m.commit, m.producerEpoch]), [[false, old.producerEpoch + 1]], 'abort marker with the fencing epoch');
  t.equal(next.producerEpoch, old.producerEpoch + 2, 'the new incarnation is past the fencing epoch');
  t.equal(await c.endTxn('tx', old.producerId, old.producerEpoch, true), ErrorCode.PRODUCER_FENCED, 'the old one cannot commit');
  t.equal(fencedAs(ErrorCode.PRODUCER_FENCED, 1, 2), ErrorCode.INVALID_PRODUCER_EPOCH, 'older request versions get INVALID_PRODUCER_EPOCH');
  t.equal(fencedAs(ErrorCode.PRODUCER_FENCED, 2, 2), ErrorCode.PRODUCER_FENCED);
});

t.test('a transaction open past its timeout is aborted with a bumped epoch', async (t) => {
  const h = await harness(t);
  const { producerId: pid, producerEpoch: epoch } = await h.c.initProducerId('tx', 1000, null);
  await h.c.addPartitions('tx', pid, epoch, [tp('a', 0)]);
  h.clock.now += 1000;
  await h.c.abortTimedOut();
  t.equal(h.c.get('tx')!.state, 'Ongoing', 'not yet: exactly the timeout has passed');
  h.clock.now += 1;
  await h.c.abortTimedOut();
  t.equal(h.c.get('tx')!.state, 'CompleteAbort');
  t.same(h.markers.map((m) => [m.commit, m.producerEpoch]), [[false, epoch + 1]]);
  t.equal(await h.c.endTxn('tx', pid, epoch, true), ErrorCode.PRODUCER_FENCED, 'the producer that left it open is fenced');
});

t.test('loading rebuilds ids from the records and finishes transactions caught in Prepare', async (t) => {
  const first = await harness(t);
  const a = await first.c.initProducerId('committed', 60_000, null);
  await first.c.addPartitions('committed', a.producerId, a.producerEpoch, [tp('a', 0)]);
  await first.c.endTxn('committed', a.producerId, a.producerEpoch, true);
  const b = await first.c.initProducerId('open', 60_000, null);
  await first.c.addPartitions('open', b.producerId, b.producerEpoch, [tp('a', 1), tp('b', 0)]);
  const prepared = txnValue({ producerId: 5, producerEpoch: 3, timeoutMs: 60_000, state: 'PrepareAbort', partitions: [{ topic: 'c', partitions: [2] }], lastUpdateTimestamp: 1, startTimestamp: 1 });
  const more = [{ transactionalId: 'prepared', value: prepared }, { transactionalId: 'gone', value: txnValue(readTxnValue(prepared)!) }, { transactionalId: 'gone', value: null }];

  // A new coordinator of the same log (after a restart, or on another broker) loads it.
  const second = await harness(t, {}, more, first.host);
  for (let i = 0; i < 100 && second.c.get('prepared')?.state !== 'CompleteAbort'; i++) await new Promise((r) => setTimeout(r, 10));
  t.equal(second.c.get('committed')!.state, 'CompleteCommit');
  t.same([second.c.get('open')!.state, [...second.c.get('open')!.partitions.values()]], ['Ongoing', [tp('a', 1), tp('b', 0)]], 'an open transaction stays open');
  t.equal(second.c.verify(b.producerId, b.producerEpoch, 'a', 1), ErrorCode.NONE, 'and its producer may go on writing');
  t.same(second.markers.map((m) => [m.topic, m.partition, m.producerId, m.commit]), [['c', 2, 5, false]], 'the Prepare transaction gets its markers');
  t.equal(second.c.get('prepared')!.state, 'CompleteAbort');
  t.equal(second.c.get('gone'), undefined, 'a tombstone removes the id');
  t.equal(readTxnKey(txnKey('x')), 'x');
});

t.test('transactional.id.expiration.ms forgets idle ids, never one with a transaction open', async (t) => {
  const h = await harness(t);
  await h.c.initProducerId('idle', 60_000, null);
  const open = await h.c.initProducerId('open', 60_000, null);
  await h.c.addPartitions('open', open.producerId, open.producerEpoch, [tp('a', 0)]);
  h.clock.now += 7 * 86_400_000;
  await h.c.expireIds();
  t.equal(h.c.get('idle'), undefined, 'the idle id is gone');
  t.ok(h.c.get('open'), 'the id with an open transaction stays (its timeout aborts it first)');
  t.same((await h.records()).filter((r) => r.value === null).map((r) => r.transactionalId), ['idle'], 'a tombstone for the expired id');
  t.equal((await h.c.initProducerId('idle', 60_000, null)).producerEpoch, 0, 'the id starts afresh');
});

t.test('a failed __transaction_state write (a full disk) changes nothing and answers COORDINATOR_NOT_AVAILABLE', async (t) => {
  const errors: unknown[] = [];
  const h = await harness(t, { onError: (e) => errors.push(e) });
  const enospc = Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
  const setFailing = (on: boolean) => { h.host.appendFault = on ? enospc : undefined; };
  setFailing(true);
  t.equal((await h.c.initProducerId('new', 60_000, null)).errorCode, ErrorCode.COORDINATOR_NOT_AVAILABLE, 'a new id');
  t.equal(h.c.get('new'), undefined, 'is not kept');
  setFailing(false);
  const { producerId: pid, producerEpoch: epoch } = await h.c.initProducerId('tx', 60_000, null);
  setFailing(true);
  t.same((await h.c.addPartitions('tx', pid, epoch, [tp('a', 0)])).map((r) => r.errorCode), [ErrorCode.COORDINATOR_NOT_AVAILABLE], 'AddPartitionsToTxn');
  t.same([h.c.get('tx')!.state, h.c.get('tx')!.partitions.size], ['Empty', 0], 'leaves the transaction as it was');
  t.equal(h.c.verify(pid, epoch, 'a', 0), ErrorCode.INVALID_TXN_STATE, 'so a produce to the partition is still refused');
  setFailing(false);
  await h.c.addPartitions('tx', pid, epoch, [tp('a', 0)]);
  setFailing(true);
  t.equal(await h.c.endTxn('tx', pid, epoch, true), ErrorCode.COORDINATOR_NOT_AVAILABLE, 'EndTxn');
  t.same([h.c.get('tx')!.state, h.markers.length], ['Ongoing', 0], 'no marker written, the transaction still open');
  t.equal((await h.c.initProducerId('tx', 60_000, null)).errorCode, ErrorCode.COORDINATOR_NOT_AVAILABLE, 'a fencing InitProducerId');
  t.same([h.c.get('tx')!.producerEpoch, h.c.get('tx')!.state], [epoch, 'Ongoing'], 'keeps the epoch and the open transaction');
  t.equal(h.c.verify(pid, epoch, 'a', 0), ErrorCode.NONE, 'whose producer is not fenced');
  setFailing(false);
  t.equal(await h.c.endTxn('tx', pid, epoch, true), ErrorCode.NONE, 'the retry once the disk has room commits');
  t.same(h.markers.map((m) => m.commit), [true]);
  t.ok(errors.length >= 4, 'every failed write was reported');
});

t.test('a marker refused for a passing reason (leader moved) is written again until it lands; the transaction completes only then', async (t) => {
  let refusals = 2;
  const attempts: number[] = [];
  const { c, markers } = await harness(t, {
    writeMarker: async (topic, partition, producerId, producerEpoch, commit) => {
      attempts.push(partition);
      if (partition === 1 && refusals-- > 0) return ErrorCode.NOT_LEADER_OR_FOLLOWER;
      markers.push({ topic, partition, producerId, producerEpoch, commit });
      return ErrorCode.NONE;
    },
  });
  const { producerId: pid, producerEpoch: epoch } = await c.initProducerId('tx', 60_000, null);
  await c.addPartitions('tx', pid, epoch, [tp('a', 0), tp('a', 1)]);
  t.equal(await c.endTxn('tx', pid, epoch, true), ErrorCode.NONE);
  t.same(attempts.filter((p) => p === 1).length, 3, 'partition 1 tried three times');
  t.same(markers.map((m) => [m.partition, m.commit]).sort(), [[0, true], [1, true]], 'both markers written');
  t.equal(c.get('tx')?.state, 'CompleteCommit', 'complete once every marker is in');
});

t.test('a marker refused for good is not retried; one still refused when the coordinator moves is left to the new one', async (t) => {
  const h = host(t);
  let tries = 0;
  const { c } = await harness(t, {
    writeMarker: async (_topic, partition) => {
      tries++;
      if (partition === 0) return ErrorCode.CORRUPT_MESSAGE;
      if (tries > 3) c.unloadPartition(0);
      return ErrorCode.NOT_LEADER_OR_FOLLOWER;
    },
  }, [], h);
  const { producerId: pid, producerEpoch: epoch } = await c.initProducerId('tx', 60_000, null);
  await c.addPartitions('tx', pid, epoch, [tp('a', 0), tp('a', 1)]);
  t.equal(await c.endTxn('tx', pid, epoch, false), ErrorCode.NONE, 'the abort is decided (PrepareAbort is in the log)');
  const log = new TxnStateTopic(h, 1, 1 << 20, 1);
  const states: string[] = [];
  for await (const r of log.partitionRecords(0)) if (r.value) states.push(readTxnValue(r.value)!.state);
  t.equal(states[states.length - 1], 'PrepareAbort', 'no CompleteAbort written by the coordinator that lost the partition: the next one finishes it');
});
