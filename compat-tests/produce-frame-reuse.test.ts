/**
 * Produce frames are read into pooled buffers that the broker reuses once the
 * log writes made from them have completed (src/broker/frame-pool.ts). A
 * buffer given back too early, or a view of it kept past the release (a log
 * tail kept for fetches, a write still queued), would put other bytes into
 * the log in place of the produced ones. The pool runs here with
 * `poisonReleased`: a released buffer is overwritten at once, so any read of
 * it after the release shows, every time.
 *
 * kcat produces about 1 MB requests of numbered records back to back with
 * acks=0 (the answer never waits for the write), acks=1 and acks=all; every
 * record read back must be the one produced, in order. In a 3-broker cluster
 * the same runs go on while a kafkajs consumer fetches and the followers
 * replicate, and every replica must end with the leader's batches (a follower
 * refuses a batch whose CRC does not hold, and would never catch up).
 */
import t from 'tap';
import { Kafka, logLevel } from 'kafkajs';
import { testBroker } from './helpers/broker.js';
import { testCluster } from './helpers/cluster.js';
import { kcat } from './helpers/kcat.js';
import { until } from './helpers/until.js';
import { waitForFullIsr } from './helpers/failover.js';
import { framePoolChecks } from '../src/broker/frame-pool.js';

const uniq = (name: string) => `${name}-${process.pid}-${Math.floor(Math.random() * 1e9)}`;

/** Numbered lines of about 100 bytes, different for each run. */
const linesFor = (run: string, n: number) => Array.from({ length: n }, (_, i) => `${run}:${String(i).padStart(7, '0')}:${'abcdefghij'.repeat(9)}`);

/**
 * Large requests (linger and batch size let kcat fill about 1 MB per
 * request), the whole input in one kcat run; a record not delivered within
 * 30 s fails the run (a corrupt log stalls acks=all for good).
 */
const produce = (bootstrap: string, topic: string, acks: string, lines: string[]) =>
  kcat(['-P', '-b', bootstrap, '-t', topic, '-p', '0', '-X', `acks=${acks}`, '-X', 'linger.ms=50', '-X', 'batch.num.messages=10000', '-X', 'message.timeout.ms=30000'],
    lines.join('\n') + '\n', 60_000);

t.before(() => { framePoolChecks.poisonReleased = true; });
t.teardown(() => { framePoolChecks.poisonReleased = false; });

t.test('records produced in large pipelined requests come back intact, with acks 0, 1 and all', async (t) => {
  const RECORDS = 100_000;
  const b = await testBroker(t);
  const kafka = new Kafka({ clientId: 'frame-reuse', brokers: [b.bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  for (const acks of ['0', '1', 'all']) {
    const topic = uniq(`reuse-${acks}`);
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    const lines = linesFor(`acks${acks}`, RECORDS);
    await produce(b.bootstrap, topic, acks, lines);
    // acks=0: kcat is done when it has sent; the broker may still be writing.
    for (let end = 0; end < RECORDS;) {
      end = Number((await admin.fetchTopicOffsets(topic))[0]!.high);
      if (end < RECORDS) await new Promise((r) => setTimeout(r, 100));
    }
    const { stdout } = await kcat(['-C', '-b', b.bootstrap, '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-q', '-X', 'check.crcs=true', '-f', '%s\n'], undefined, 120_000);
    const got = stdout.split('\n').slice(0, -1);
    t.equal(got.length, RECORDS, `acks=${acks}: every record read back`);
    const wrong = got.findIndex((l, i) => l !== lines[i]);
    t.equal(wrong, -1, `acks=${acks}: every record as produced, in order${wrong >= 0 ? ` (record ${wrong} is ${got[wrong]?.slice(0, 40)})` : ''}`);
  }
});

t.test('replicated: a consumer fetching and two followers replicating while large requests are produced see the produced records', async (t) => {
  const PER_RUN = 40_000;
  const c = await testCluster(t, 3);
  const kafka = new Kafka({ clientId: 'frame-reuse-cluster', brokers: c.bootstrap.split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  const topic = uniq('reuse-replicated');
  await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }], waitForLeaders: true });
  await waitForFullIsr(c, topic, [0]);

  const runs = ['0', '1', 'all'].map((acks) => ({ acks, lines: linesFor(`r-acks${acks}`, PER_RUN) }));
  const expected = runs.flatMap((r) => r.lines);
  // The consumer fetches from the first record on, so its fetches meet the writes in flight.
  const read: string[] = [];
  const consumer = kafka.consumer({ groupId: uniq('reuse-group'), maxWaitTimeInMs: 50 });
  await consumer.connect();
  t.teardown(() => consumer.disconnect());
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachBatch: async ({ batch }) => { for (const m of batch.messages) read.push(m.value?.toString() ?? ''); } });

  for (const r of runs) await produce(c.bootstrap, topic, r.acks, r.lines);
  await until(() => read.length >= expected.length, 60_000, `the consumer read ${expected.length} records`).catch(() => {});
  t.equal(read.length, expected.length, 'the consumer read every record once');
  const wrong = read.findIndex((l, i) => l !== expected[i]);
  t.equal(wrong, -1, `the consumer read every record as produced, in order${wrong >= 0 ? ` (record ${wrong} is ${read[wrong]?.slice(0, 40)})` : ''}`);

  // Every replica at the leader's end, with the same batches (offsets, epochs and CRCs).
  const batchesOn = (id: number) => {
    const log = c.broker(id)?.context.replicaManager.handle(topic, 0)?.log;
    return log ? [...log.scanBatches(log.logStartOffset)].map((h) => `${h.baseOffset}:${h.lastOffset}:${h.partitionLeaderEpoch}:${h.crc}`) : [];
  };
  const ends = () => [0, 1, 2].map((id) => c.broker(id)?.context.replicaManager.handle(topic, 0)?.log.logEndOffset ?? -1);
  await until(() => ends().every((e) => e === expected.length), 30_000, 'every replica at the log end').catch(() => {});
  t.same(ends(), [expected.length, expected.length, expected.length], 'every replica reached the leader\'s log end');
  const leaderBatches = batchesOn(0);
  t.ok(leaderBatches.length > 0, 'the log holds batches');
  t.same(batchesOn(1), leaderBatches, 'replica 1 holds the same batches as replica 0');
  t.same(batchesOn(2), leaderBatches, 'replica 2 holds the same batches as replica 0');
  await waitForFullIsr(c, topic, [0]);
  t.pass('the ISR is full');
});
