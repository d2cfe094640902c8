import t from 'tap';
import {
  FetchSessionCache, type FetchPartitionParams, type FetchPartitionOutcome,
  FETCH_SESSION_ID_NOT_FOUND, INVALID_FETCH_SESSION_EPOCH, FETCH_SESSION_TOPIC_ID_ERROR, INVALID_SESSION_ID,
} from '../../src/broker/fetch-session-cache.js';

const ZERO = '00000000-0000-0000-0000-000000000000';
const p = (topic: string, partition: number, fetchOffset = 0): FetchPartitionParams =>
  ({ topic, topicId: ZERO, partition, fetchOffset, partitionMaxBytes: 1 << 20, logStartOffset: -1, currentLeaderEpoch: -1, lastFetchedEpoch: -1 });
const out = (hw: number, recordsSize = 0, errorCode = 0): FetchPartitionOutcome => ({ errorCode, highWatermark: hw, logStartOffset: 0, recordsSize });
let nextId = 100;
const cache = (max = 10) => new FetchSessionCache({ maxEntries: max, evictionMs: 1000, newSessionId: () => nextId++ });

t.test('sessionless full fetch (0, -1) creates nothing and answers everything', async (t) => {
  const c = cache();
  const ctx = c.newContext(12, 0, -1, false, [p('a', 0), p('a', 1)], [], 0);
  t.equal(ctx.kind, 'sessionless');
  t.same(ctx.finish([out(1), out(2)], 0), { sessionId: 0, include: [0, 1] });
  t.equal(c.size, 0);
});

t.test('full fetch creates a session; incremental fetches answer only changes', async (t) => {
  const c = cache();
  const full = c.newContext(12, 0, 0, false, [p('a', 0), p('a', 1), p('b', 0)], [], 0);
  t.equal(full.kind, 'full');
  const { sessionId, include } = full.finish([out(5, 10), out(0), out(3)], 0);
  t.not(sessionId, INVALID_SESSION_ID);
  t.same(include, [0, 1, 2]);
  t.equal(c.get(sessionId)!.epoch, 1);

  // epoch 1: client advances a-0 to 5; nothing new anywhere
  const inc = c.newContext(12, sessionId, 1, false, [p('a', 0, 5)], [], 10);
  t.equal(inc.kind, 'incremental');
  t.same(inc.partitions().map((x) => `${x.topic}-${x.partition}@${x.fetchOffset}`), ['a-0@5', 'a-1@0', 'b-0@0']);
  t.same(inc.finish([out(5), out(0), out(3)], 10).include, [], 'unchanged partitions are left out');

  // epoch 2: a-1 got records (and a new high watermark), b-0 an error
  const inc2 = c.newContext(12, sessionId, 2, false, [], [], 20);
  t.same(inc2.finish([out(5), out(4, 100), out(-1, 0, 6)], 20), { sessionId, include: [1, 2] });
  t.same(inc2.partitions().map((x) => x.partition), [0, 1, 0]);
  const order = [...c.get(sessionId)!.partitions.keys()];
  t.same(order, ['a:0', 'b:0', 'a:1'], 'a partition that returned records moves to the end');

  // epoch 3: the errored partition is answered again even though nothing changed
  const inc3 = c.newContext(12, sessionId, 3, false, [], [], 30);
  const outs = inc3.partitions().map((x) => (x.topic === 'b' ? out(3) : x.partition === 0 ? out(5) : out(4)));
  t.same(inc3.finish(outs, 30).include, [1]);
});

t.test('errors: unknown session, wrong epoch, topic id mismatch', async (t) => {
  const c = cache();
  t.equal(c.newContext(12, 12345, 1, false, [], [], 0).errorCode, FETCH_SESSION_ID_NOT_FOUND);
  const full = c.newContext(12, 0, 0, false, [p('a', 0)], [], 0);
  const { sessionId } = full.finish([out(0)], 0);
  const bad = c.newContext(12, sessionId, 7, false, [], [], 0);
  t.equal(bad.errorCode, INVALID_FETCH_SESSION_EPOCH);
  t.same(bad.finish([], 0), { sessionId: 0, include: [] });
  t.equal(c.newContext(13, sessionId, 1, false, [], [], 0).errorCode, FETCH_SESSION_TOPIC_ID_ERROR);
  t.equal(c.newContext(12, sessionId, 1, false, [], [], 0).kind, 'incremental', 'the epoch was not consumed by errors');
});

t.test('forgotten partitions; an emptied session is closed', async (t) => {
  const c = cache();
  const { sessionId } = c.newContext(12, 0, 0, false, [p('a', 0), p('a', 1)], [], 0).finish([out(0), out(0)], 0);
  const inc = c.newContext(12, sessionId, 1, false, [p('c', 0)], [{ topic: 'a', topicId: ZERO, partition: 0 }], 0);
  t.same(inc.partitions().map((x) => `${x.topic}-${x.partition}`), ['a-1', 'c-0']);
  t.same(inc.finish([out(0), out(0)], 0).include, [1], 'a newly added partition is always answered');
  const last = c.newContext(12, sessionId, 2, false, [], [{ topic: 'a', topicId: ZERO, partition: 1 }, { topic: 'c', topicId: ZERO, partition: 0 }], 0);
  t.equal(last.kind, 'sessionless');
  t.equal(c.size, 0);
});

t.test('full fetch with a session id closes it; epoch -1 closes without a new one', async (t) => {
  const c = cache();
  const { sessionId } = c.newContext(12, 0, 0, false, [p('a', 0)], [], 0).finish([out(0)], 0);
  const again = c.newContext(12, sessionId, 0, false, [p('a', 0)], [], 0).finish([out(0)], 0);
  t.not(again.sessionId, sessionId);
  t.equal(c.get(sessionId), undefined);
  t.equal(c.newContext(12, again.sessionId, -1, false, [p('a', 0)], [], 0).kind, 'sessionless');
  t.equal(c.size, 0);
});

t.test('bounded cache: evict stale LRU, else a smaller session, else no session', async (t) => {
  const c = cache(2);
  const s1 = c.newContext(12, 0, 0, false, [p('a', 0)], [], 0).finish([out(0)], 0).sessionId;
  const s2 = c.newContext(12, 0, 0, false, [p('a', 0), p('a', 1)], [], 500).finish([out(0), out(0)], 500).sessionId;
  // at 600 nothing is stale; a 1-partition session cannot evict anything smaller
  t.equal(c.newContext(12, 0, 0, false, [p('b', 0)], [], 600).finish([out(0)], 600).sessionId, 0);
  // a 3-partition session evicts the smallest (s1)
  const s3 = c.newContext(12, 0, 0, false, [p('b', 0), p('b', 1), p('b', 2)], [], 700).finish([out(0), out(0), out(0)], 700).sessionId;
  t.not(s3, 0);
  t.equal(c.get(s1), undefined);
  t.ok(c.get(s2));
  // at 1600 s2 (last used 500) is stale and goes first
  const s4 = c.newContext(12, 0, 0, false, [p('c', 0)], [], 1600).finish([out(0)], 1600).sessionId;
  t.not(s4, 0);
  t.equal(c.get(s2), undefined);
  t.ok(c.get(s3));
});

t.test('v13+ sessions key partitions by topic id', async (t) => {
  const c = cache();
  const id = '11111111-2222-3333-4444-555555555555';
  const q = { ...p('', 0), topicId: id };
  const { sessionId } = c.newContext(13, 0, 0, false, [q], [], 0).finish([out(0)], 0);
  const inc = c.newContext(13, sessionId, 1, false, [{ ...q, fetchOffset: 3 }], [], 0);
  t.same(inc.partitions().map((x) => x.fetchOffset), [3]);
  t.equal(c.newContext(13, sessionId, 2, false, [], [{ topic: '', topicId: id, partition: 0 }], 0).kind, 'sessionless');
});
