import t from 'tap';
import {
  ProducerStateManager, lastSequenceOf, OUT_OF_ORDER_SEQUENCE_NUMBER, INVALID_PRODUCER_EPOCH, NUM_BATCHES_TO_RETAIN, snapshotFileName,
} from '../../src/log/producer-state-manager.js';

const INT32_MAX = 0x7fffffff;

/** Checks and, when accepted, records a batch at `offset`; returns the check. */
function append(m: ProducerStateManager, pid: number, epoch: number, seq: number, count: number, offset: number) {
  const b = { producerId: pid, producerEpoch: epoch, baseSequence: seq, lastOffsetDelta: count - 1 };
  const r = m.check(b);
  if (r.kind === 'ok') m.update(b, offset, offset + count - 1, 1000 + offset);
  return r;
}

t.test('in-sequence batches are accepted, a gap is OUT_OF_ORDER_SEQUENCE_NUMBER', async (t) => {
  const m = new ProducerStateManager('t-0');
  t.same(append(m, 7, 0, 0, 3, 0), { kind: 'ok' });
  t.same(append(m, 7, 0, 3, 2, 3), { kind: 'ok' });
  const gap = append(m, 7, 0, 6, 1, 5);
  t.equal(gap.kind, 'error');
  t.equal(gap.kind === 'error' && gap.errorCode, OUT_OF_ORDER_SEQUENCE_NUMBER);
  t.same(append(m, 7, 0, 5, 1, 5), { kind: 'ok' });
});

t.test('a retry of one of the last 5 batches is a duplicate with its original offsets', async (t) => {
  const m = new ProducerStateManager();
  for (let i = 0; i < 7; i++) append(m, 1, 0, i * 2, 2, 100 + i * 2);
  // batches 2..6 are retained (seq 4..13); batch 1 (seq 2-3) is gone
  const dup = append(m, 1, 0, 6, 2, 999);
  t.equal(dup.kind, 'duplicate');
  if (dup.kind === 'duplicate') { t.equal(dup.batch.firstOffset, 106); t.equal(dup.batch.lastOffset, 107); }
  t.equal(m.entry(1)!.batches.length, NUM_BATCHES_TO_RETAIN);
  const old = append(m, 1, 0, 2, 2, 999);
  t.equal(old.kind, 'error', 'too old to be recognised: out of order');
  // a different range overlapping a batch is not a duplicate
  t.equal(append(m, 1, 0, 6, 3, 999).kind, 'error');
});

t.test('epochs: older is INVALID_PRODUCER_EPOCH, a new epoch starts at 0', async (t) => {
  const m = new ProducerStateManager();
  append(m, 5, 3, 0, 1, 0);
  const older = append(m, 5, 2, 1, 1, 1);
  t.equal(older.kind === 'error' && older.errorCode, INVALID_PRODUCER_EPOCH);
  const bumpedBadSeq = append(m, 5, 4, 1, 1, 1);
  t.equal(bumpedBadSeq.kind === 'error' && bumpedBadSeq.errorCode, OUT_OF_ORDER_SEQUENCE_NUMBER);
  t.same(append(m, 5, 4, 0, 1, 1), { kind: 'ok' });
  t.equal(m.entry(5)!.producerEpoch, 4);
  t.equal(m.entry(5)!.batches.length, 1, 'batches of the old epoch are dropped');
});

t.test('an unknown producer id is accepted at any sequence (KIP-360)', async (t) => {
  const m = new ProducerStateManager();
  t.same(append(m, 9, 0, 42, 1, 0), { kind: 'ok' });
  t.same(append(m, 9, 0, 43, 1, 1), { kind: 'ok' });
});

t.test('sequences wrap at Int32.MAX', async (t) => {
  t.equal(lastSequenceOf(INT32_MAX - 1, 3), 1);
  t.equal(lastSequenceOf(INT32_MAX, 0), INT32_MAX);
  const m = new ProducerStateManager();
  append(m, 2, 0, INT32_MAX - 1, 2, 0);
  t.same(append(m, 2, 0, 0, 1, 2), { kind: 'ok' });
  const m2 = new ProducerStateManager();
  append(m2, 2, 0, INT32_MAX - 1, 4, 0); // MAX-1, MAX, 0, 1
  t.same(append(m2, 2, 0, 2, 1, 4), { kind: 'ok' });
  t.equal(append(m2, 2, 0, INT32_MAX - 1, 4, 9).kind, 'duplicate');
});

t.test('replay rebuilds the same state and ignores control batches and older epochs', async (t) => {
  const m = new ProducerStateManager();
  const h = (pid: number, epoch: number, seq: number, n: number, off: number, isControl = false) =>
    ({ producerId: pid, producerEpoch: epoch, baseSequence: seq, lastOffsetDelta: n - 1, baseOffset: off, maxTimestamp: off, isControl });
  m.replay(h(1, 0, 0, 2, 0));
  m.replay(h(-1, -1, -1, 3, 2));
  m.replay(h(1, 0, 2, 2, 5));
  m.replay(h(1, 0, 0, 1, 7, true));
  t.equal(m.size, 1);
  t.same(m.entry(1)!.batches.map((b) => [b.firstSeq, b.lastSeq, b.firstOffset, b.lastOffset]), [[0, 1, 0, 1], [2, 3, 5, 6]]);
  t.equal(append(m, 1, 0, 2, 2, 99).kind, 'duplicate');
  t.same(append(m, 1, 0, 4, 1, 8), { kind: 'ok' });
});

t.test('snapshot round trip keeps the retained batches of each producer', async (t) => {
  const m = new ProducerStateManager();
  append(m, 1, 0, 0, 2, 0);
  append(m, 1, 0, 2, 3, 2);
  append(m, 2 ** 40, 7, INT32_MAX, 2, 5); // wraps: last sequence 0
  const buf = m.toSnapshot();
  const m2 = new ProducerStateManager();
  m2.loadSnapshot(buf);
  t.equal(m2.size, 2);
  t.same(m2.entry(1)!.batches, [{ firstSeq: 0, lastSeq: 1, firstOffset: 0, lastOffset: 1, maxTimestamp: 1000 }, { firstSeq: 2, lastSeq: 4, firstOffset: 2, lastOffset: 4, maxTimestamp: 1002 }]);
  t.equal(buf.readInt32BE(6), 3, 'one entry per batch');
  t.equal(append(m2, 1, 0, 0, 2, 9).kind, 'duplicate', 'a retry of the earlier batch is still a duplicate');
  t.same(m2.entry(2 ** 40)!.batches[0], { firstSeq: INT32_MAX, lastSeq: 0, firstOffset: 5, lastOffset: 6, maxTimestamp: 1005 });
  t.equal(m2.entry(2 ** 40)!.producerEpoch, 7);
  t.same(append(m2, 1, 0, 5, 1, 7), { kind: 'ok' });
  buf[buf.length - 1] ^= 1;
  t.throws(() => new ProducerStateManager().loadSnapshot(buf), /CRC/);
  t.throws(() => new ProducerStateManager().loadSnapshot(buf.subarray(0, 5)), /truncated/);
  t.equal(snapshotFileName(42), '00000000000000000042.snapshot');
});

t.test('expired producers are removed', async (t) => {
  const m = new ProducerStateManager();
  append(m, 1, 0, 0, 1, 0); // timestamp 1000
  append(m, 2, 0, 0, 1, 5000); // timestamp 6000
  m.removeExpiredProducers(5000, 3000);
  t.equal(m.entry(1), undefined);
  t.ok(m.entry(2));
});

t.test('transactions: open ranges bound the last stable offset, abort markers list aborted ranges', async (t) => {
  const m = new ProducerStateManager('t-0');
  const txn = (pid: number, seq: number, offset: number) => m.update({ producerId: pid, producerEpoch: 0, baseSequence: seq, lastOffsetDelta: 0, isTransactional: true }, offset, offset, 1);
  t.equal(m.firstUnstableOffset(), Infinity, 'nothing open');
  txn(1, 0, 10);
  txn(2, 0, 11);
  txn(1, 1, 12);
  t.equal(m.openTxnFirstOffset(1), 10);
  t.equal(m.firstUnstableOffset(), 10, 'the oldest open transaction bounds the LSO');
  m.completeTxn(1, 0, false, 13, 2);
  t.equal(m.openTxnFirstOffset(1), -1, 'the marker closes it');
  t.equal(m.firstUnstableOffset(), 11, 'the next open one bounds it now');
  m.completeTxn(2, 0, true, 14, 2);
  t.equal(m.firstUnstableOffset(), Infinity);
  t.same(m.abortedTxns(0, 100), [{ producerId: 1, firstOffset: 10, lastOffset: 13 }], 'only the abort is listed');
  t.same(m.abortedTxns(14, 100), [], 'ranges wholly before the fetch are left out');
  t.same(m.abortedTxns(0, 10), [], 'and ranges after what the fetch returns');
  t.same(m.checkMarker(1, 0), { kind: 'ok' });
  m.completeTxn(1, 3, false, 20, 3);
  t.equal(m.checkMarker(1, 2).kind, 'error', 'a marker of an older epoch is refused');
  t.equal(m.entry(1)!.producerEpoch, 3, 'a marker moves the epoch up (fencing)');
  m.truncateAbortedBefore(14);
  t.same(m.abortedTxns(0, 100), [], 'aborted ranges below the log start are forgotten');
});

t.test('replay of control batches rebuilds open and aborted transactions', async (t) => {
  const m = new ProducerStateManager();
  const h = (pid: number, baseOffset: number, isControl: boolean) => ({ producerId: pid, producerEpoch: 0, baseSequence: 0, lastOffsetDelta: 0, baseOffset, maxTimestamp: 1, isControl, isTransactional: true });
  m.replay(h(1, 0, false));
  m.replay(h(1, 1, true), false);
  m.replay(h(2, 2, false));
  t.same(m.abortedTxns(0, 10), [{ producerId: 1, firstOffset: 0, lastOffset: 1 }]);
  t.equal(m.firstUnstableOffset(), 2, "producer 2's transaction is still open");
});
