import t from 'tap';
import { ReplicaManager, type DataPathTopicConfig, READ_UNCOMMITTED } from '../../src/broker/replica-manager.js';
import { ErrorCode as E } from '../../src/wire/errors.js';
import { BatchHeader } from '../../src/wire/records/batch-header.js';
import { makeBatch, MemoryLog } from './test-batches.js';

const defaults: DataPathTopicConfig = { maxMessageBytes: 1048588, logAppendTime: false, compressionType: 'producer', minInsyncReplicas: 1, compactOnly: false, segmentBytes: 1 << 30 };

function setup(config: Partial<DataPathTopicConfig> = {}) {
  const log = new MemoryLog();
  const cfg = { ...defaults, ...config };
  const rm = new ReplicaManager((topic, p) => (topic === 't' && p === 0 ? { log, config: cfg, leaderEpoch: 0 } : undefined), () => 4242);
  return { log, rm };
}

t.test('append assigns offsets, overwrites the leader epoch, moves the high watermark when written', async (t) => {
  const { log, rm } = setup();
  log.hold = true;
  const a = rm.appendRecords('t', 0, makeBatch({ values: ['a', 'b'], partitionLeaderEpoch: -1 }), 9, 1);
  const b = rm.appendRecords('t', 0, makeBatch({ values: ['c'] }), 9, 1);
  t.equal(a.errorCode, 0);
  t.equal(a.baseOffset, 0);
  t.equal(b.baseOffset, 2);
  t.equal(rm.highWatermark('t', 0), 0, 'nothing visible before the write finished');
  t.equal(rm.readPartition('t', 0, 0, 1 << 20, READ_UNCOMMITTED, true).records.length, 0);
  log.release();
  await Promise.all([a.done, b.done]);
  t.equal(rm.highWatermark('t', 0), 3);
  t.equal(new BatchHeader(log.batches[0]!).partitionLeaderEpoch, 0);
  const r = rm.readPartition('t', 0, 1, 1 << 20, READ_UNCOMMITTED, true);
  t.equal(r.errorCode, 0);
  t.equal(new BatchHeader(r.records).baseOffset, 0, 'a fetch in the middle of a batch gets the whole batch');
  t.equal(r.records.length, log.batches[0]!.length + log.batches[1]!.length);
});

t.test('per-partition errors', async (t) => {
  const { rm } = setup({ maxMessageBytes: 200 });
  t.equal(rm.appendRecords('nope', 0, makeBatch({ values: ['x'] }), 9, 1).errorCode, E.UNKNOWN_TOPIC_OR_PARTITION);
  t.equal(rm.appendRecords('t', 0, makeBatch({ values: ['x'.repeat(300)] }), 9, 1).errorCode, E.MESSAGE_TOO_LARGE);
  const corrupt = makeBatch({ values: ['x'] });
  corrupt[corrupt.length - 1] ^= 0xff;
  t.equal(rm.appendRecords('t', 0, corrupt, 9, 1).errorCode, E.CORRUPT_MESSAGE);
  const two = Buffer.concat([makeBatch({ values: ['x'] }), makeBatch({ values: ['y'] })]);
  t.equal(rm.appendRecords('t', 0, two, 9, 1).errorCode, E.INVALID_RECORD);
  const v1 = makeBatch({ values: ['x'] }); v1[16] = 1;
  t.equal(rm.appendRecords('t', 0, v1, 9, 1).errorCode, E.INVALID_RECORD);
  t.equal(rm.appendRecords('t', 0, v1, 2, 1).errorCode, E.CORRUPT_MESSAGE, 'v0-v2: not a valid legacy message set');
  t.equal(rm.appendRecords('t', 0, makeBatch({ values: ['x'], attributes: 4 }), 6, 1).errorCode, E.UNSUPPORTED_COMPRESSION_TYPE);
  t.equal(rm.appendRecords('t', 0, makeBatch({ values: ['x'], attributes: 0x20 }), 9, 1).errorCode, E.INVALID_RECORD, 'control batch');
  t.equal(rm.appendRecords('t', 0, null, 9, 1).errorCode, E.INVALID_RECORD);
  t.equal(rm.appendRecords('t', 0, Buffer.alloc(30), 9, 1).errorCode, E.INVALID_RECORD);
  const { rm: rm2 } = setup({ minInsyncReplicas: 2 });
  t.equal(rm2.appendRecords('t', 0, makeBatch({ values: ['x'] }), 9, -1).errorCode, E.NOT_ENOUGH_REPLICAS);
  t.equal(rm2.appendRecords('t', 0, makeBatch({ values: ['x'] }), 9, 1).errorCode, 0);
});

t.test('idempotent producer: duplicates get their original offsets, gaps are refused', async (t) => {
  const { log, rm } = setup();
  const p = (seq: number, n = 1) => makeBatch({ values: Array(n).fill('v'), producerId: 7, producerEpoch: 0, baseSequence: seq });
  t.equal(rm.appendRecords('t', 0, makeBatch({ values: ['plain'] }), 9, 1).baseOffset, 0);
  t.equal(rm.appendRecords('t', 0, p(0, 2), 9, 1).baseOffset, 1);
  t.equal(rm.appendRecords('t', 0, p(2), 9, 1).baseOffset, 3);
  const dup = rm.appendRecords('t', 0, p(0, 2), 9, 1);
  t.same([dup.errorCode, dup.baseOffset], [0, 1]);
  await dup.done;
  t.equal(log.batches.length, 3, 'the duplicate was not appended');
  t.equal(rm.appendRecords('t', 0, p(5), 9, 1).errorCode, 45);
  t.equal(rm.appendRecords('t', 0, makeBatch({ values: ['v'], producerId: 7, producerEpoch: 0, baseSequence: -1 }), 9, 1).errorCode, E.INVALID_RECORD);
  // state is rebuilt from the log by a fresh replica manager (restart)
  const rm2 = new ReplicaManager((topic, q) => (topic === 't' && q === 0 ? { log, config: defaults, leaderEpoch: 0 } : undefined));
  t.equal(rm2.appendRecords('t', 0, p(2), 9, 1).baseOffset, 3, 'duplicate recognised after restart');
  t.equal(rm2.appendRecords('t', 0, p(3), 9, 1).baseOffset, 4);
});

t.test('LogAppendTime topics rewrite timestamp type and max timestamp with a valid CRC', async (t) => {
  const { log, rm } = setup({ logAppendTime: true });
  const r = rm.appendRecords('t', 0, makeBatch({ values: ['x'], timestamp: 5 }), 9, 1);
  t.equal(r.logAppendTimeMs, 4242);
  const h = new BatchHeader(log.batches[0]!);
  t.equal(h.timestampType, 1);
  t.equal(h.maxTimestamp, 4242);
  t.ok(h.isCrcValid());
});

t.test('reads: out of range, empty set at the end, max bytes, minOneBatch', async (t) => {
  const { rm } = setup();
  for (let i = 0; i < 3; i++) await rm.appendRecords('t', 0, makeBatch({ values: ['x'.repeat(100)] }), 9, 1).done;
  t.equal(rm.readPartition('t', 0, 4, 100, 0, true).errorCode, E.OFFSET_OUT_OF_RANGE);
  const end = rm.readPartition('t', 0, 3, 100, 0, true);
  t.same([end.errorCode, end.records.length, end.highWatermark], [0, 0, 3]);
  const one = rm.readPartition('t', 0, 0, 10, 0, true);
  t.equal(new BatchHeader(one.records).recordCount, 1, 'first batch returned even when larger than max bytes');
  t.equal(one.records.length, new BatchHeader(one.records).sizeInBytes);
  t.equal(rm.readPartition('t', 0, 0, 10, 0, false).records.length, 0);
  const unknown = rm.readPartition('x', 0, 0, 10, 0, true);
  t.same([unknown.errorCode, unknown.highWatermark, unknown.records.length], [E.UNKNOWN_TOPIC_OR_PARTITION, -1, 0]);
});

t.test('list offsets, delete records, leader epochs', async (t) => {
  const { rm } = setup();
  await rm.appendRecords('t', 0, makeBatch({ values: ['a', 'b'], timestamp: 100 }), 9, 1).done;
  await rm.appendRecords('t', 0, makeBatch({ values: ['c'], timestamp: 300 }), 9, 1).done;
  await rm.appendRecords('t', 0, makeBatch({ values: ['d'], timestamp: 200 }), 9, 1).done;
  t.same(rm.listOffset('t', 0, -2, 0), { errorCode: 0, offset: 0, timestamp: -1, leaderEpoch: 0 });
  t.same(rm.listOffset('t', 0, -1, 0), { errorCode: 0, offset: 4, timestamp: -1, leaderEpoch: 0 });
  t.same(rm.listOffset('t', 0, 150, 0), { errorCode: 0, offset: 2, timestamp: 300, leaderEpoch: 0 });
  t.same(rm.listOffset('t', 0, 301, 0), { errorCode: 0, offset: -1, timestamp: -1, leaderEpoch: -1 });
  t.same(rm.listOffset('t', 0, -3, 0), { errorCode: 0, offset: 2, timestamp: 300, leaderEpoch: 0 });
  t.same(rm.deleteRecords('t', 0, 5), { errorCode: E.OFFSET_OUT_OF_RANGE, lowWatermark: -1 });
  t.same(rm.deleteRecords('t', 0, 2), { errorCode: 0, lowWatermark: 2 });
  t.same(rm.deleteRecords('t', 0, 1), { errorCode: 0, lowWatermark: 2 }, 'never moves back');
  t.equal(rm.readPartition('t', 0, 1, 100, 0, true).errorCode, E.OFFSET_OUT_OF_RANGE);
  t.same(rm.deleteRecords('t', 0, -1), { errorCode: 0, lowWatermark: 4 });
  t.equal(rm.checkLeaderEpoch('t', 0, -1), 0);
  t.equal(rm.checkLeaderEpoch('t', 0, 1), E.UNKNOWN_LEADER_EPOCH);
});

t.test('a delayed fetch wakes when the high watermark moves', async (t) => {
  const { rm } = setup();
  const waiting = rm.purgatory.wait(['t:0'], 5000, () => rm.availableBytes('t', 0, 0, 1000) >= 1);
  setTimeout(() => rm.appendRecords('t', 0, makeBatch({ values: ['late'] }), 9, 1), 10);
  t.equal(await waiting, true);
});

t.test('a topic deleted and re-created under the same name starts with fresh state', async (t) => {
  let log = new MemoryLog();
  const rm = new ReplicaManager((topic, p) => (topic === 't' && p === 0 ? { log, config: defaults, leaderEpoch: 0 } : undefined));
  await rm.appendRecords('t', 0, makeBatch({ values: ['a', 'b'], producerId: 1, producerEpoch: 0, baseSequence: 0 }), 9, 1).done;
  t.equal(rm.highWatermark('t', 0), 2);
  log = new MemoryLog();
  t.equal(rm.highWatermark('t', 0), 0);
  const again = rm.appendRecords('t', 0, makeBatch({ values: ['a', 'b'], producerId: 1, producerEpoch: 0, baseSequence: 0 }), 9, 1);
  t.same([again.errorCode, again.baseOffset], [0, 0], 'not taken for a duplicate of the old topic');
});

t.test('message.timestamp.before/after.max.ms bound CreateTime timestamps (INVALID_TIMESTAMP)', async (t) => {
  const { rm } = setup({ timestampBeforeMaxMs: 60_000, timestampAfterMaxMs: 60_000 });
  t.equal(rm.appendRecords('t', 0, makeBatch({ values: ['x'], timestamp: Date.now() }), 9, 1).errorCode, 0);
  t.equal(rm.appendRecords('t', 0, makeBatch({ values: ['x'], timestamp: Date.now() - 3_600_000 }), 9, 1).errorCode, E.INVALID_TIMESTAMP);
  t.equal(rm.appendRecords('t', 0, makeBatch({ values: ['x'], timestamp: Date.now() + 3_600_000 }), 9, 1).errorCode, E.INVALID_TIMESTAMP);
  const { rm: lat } = setup({ timestampBeforeMaxMs: 60_000, logAppendTime: true });
  t.equal(lat.appendRecords('t', 0, makeBatch({ values: ['x'], timestamp: 5 }), 9, 1).errorCode, 0, 'LogAppendTime topics ignore the producer time');
});

t.test('clients cannot append to internal topics', async (t) => {
  const log = new MemoryLog();
  const rm = new ReplicaManager((topic) => (topic === '__consumer_offsets' ? { log, config: defaults, leaderEpoch: 0 } : undefined));
  t.equal(rm.appendRecords('__consumer_offsets', 0, makeBatch({ values: ['x'] }), 9, 1).errorCode, E.INVALID_TOPIC_EXCEPTION);
  t.equal(rm.appendRecords('__consumer_offsets', 0, makeBatch({ values: ['x'] }), 9, 1, true).errorCode, 0, 'the broker itself may');
});

t.test('availableBytes: no log read for small min_bytes; errors complete a waiting fetch at once', async (t) => {
  const { log, rm } = setup();
  t.equal(rm.availableBytes('t', 0, 0, 1000, 1), 0);
  await rm.appendRecords('t', 0, makeBatch({ values: ['x'.repeat(500)] }), 9, 1).done;
  const read = log.read.bind(log);
  let reads = 0;
  log.read = (...a) => { reads++; return read(...a); };
  t.equal(rm.availableBytes('t', 0, 0, 1000, 1), 61);
  t.equal(reads, 0, 'min_bytes 1: answered from the high watermark');
  t.ok(rm.availableBytes('t', 0, 0, 10_000, 400) > 500);
  t.equal(reads, 1);
  t.equal(rm.availableBytes('t', 0, 50, 1000, 1), Infinity, 'out of range');
  t.equal(rm.availableBytes('gone', 0, 0, 1000, 1), Infinity);
});

t.test('a log that cannot be opened (logs open on first use) fails the append with KAFKA_STORAGE_ERROR', async (t) => {
  const emfile = Object.assign(new Error('EMFILE: too many open files, scandir'), { code: 'EMFILE' });
  const errors: string[] = [];
  const rm = new ReplicaManager(() => { throw emfile; }, () => 4242, { error: (m) => errors.push(m) });
  const r = rm.appendRecords('t', 0, makeBatch({ values: ['x'] }), 9, 1);
  t.equal(r.errorCode, E.KAFKA_STORAGE_ERROR, 'a retriable storage error, as a failed write gets');
  t.match(r.errorMessage, /EMFILE/);
  t.equal(await r.done, 0, 'nothing to wait for');
  t.match(errors, [/cannot open the log of t-0/], 'logged');
});
