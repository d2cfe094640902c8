/**
 * A consumer's Fetch reads records into pooled buffers that go to the socket
 * by reference and back to the pool once the socket write that sent them
 * completed (src/broker/response-buffers.ts). A buffer given back before its
 * response left, or reused by a second response in flight, would send other
 * bytes (or the poison below) in place of the records. The pool runs here
 * with `poisonReleased`: a released buffer is overwritten at once.
 *
 * Several consumers read the same log at once, so responses with pooled
 * buffers are in flight on several connections together, with different
 * fetch sizes (so different buffer sizes share the pool): kcat with its CRC
 * check on, at 1 MiB and 64 KiB per partition, and a kafkajs consumer group.
 * Each must read every record as produced, in order.
 */
import t from 'tap';
import { Kafka, logLevel } from 'kafkajs';
import { testBroker } from './helpers/broker.js';
import { kcat } from './helpers/kcat.js';
import { until } from './helpers/until.js';
import { framePoolChecks } from '../src/broker/frame-pool.js';

const uniq = (name: string) => `${name}-${process.pid}-${Math.floor(Math.random() * 1e9)}`;

t.before(() => { framePoolChecks.poisonReleased = true; });
t.teardown(() => { framePoolChecks.poisonReleased = false; });

t.test('consumers reading one log at once, at different fetch sizes, each read every record intact', async (t) => {
  const RECORDS = 120_000;
  const b = await testBroker(t);
  const kafka = new Kafka({ clientId: 'fetch-reuse', brokers: [b.bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  const topic = uniq('fetch-reuse');
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  const lines = Array.from({ length: RECORDS }, (_, i) => `${topic}:${String(i).padStart(7, '0')}:${'klmnopqrst'.repeat(9)}`);
  await kcat(['-P', '-b', b.bootstrap, '-t', topic, '-p', '0', '-X', 'acks=1', '-X', 'linger.ms=20'], lines.join('\n') + '\n', 60_000);

  const releasedBefore = framePoolChecks.released;
  const kcatRead = (perPartition: number) =>
    kcat(['-C', '-b', b.bootstrap, '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-q', '-X', 'check.crcs=true',
      '-X', `fetch.max.bytes=${Math.max(perPartition, 1024 * 1024)}`, '-X', `max.partition.fetch.bytes=${perPartition}`, '-f', '%s\n'], undefined, 120_000)
      .then(({ stdout }) => stdout.split('\n').slice(0, -1));

  const read: string[] = [];
  const consumer = kafka.consumer({ groupId: uniq('fetch-reuse-group'), maxWaitTimeInMs: 50 });
  await consumer.connect();
  t.teardown(() => consumer.disconnect());
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachBatch: async ({ batch }) => { for (const m of batch.messages) read.push(m.value?.toString() ?? ''); } });

  const [big, small, big2] = await Promise.all([kcatRead(1024 * 1024), kcatRead(64 * 1024), kcatRead(1024 * 1024)]);
  await until(() => read.length >= RECORDS, 60_000, `kafkajs read ${RECORDS} records`).catch(() => {});

  for (const [name, got] of [['kcat, 1 MiB', big], ['kcat, 64 KiB', small], ['second kcat, 1 MiB', big2], ['kafkajs', read]] as const) {
    t.equal(got.length, RECORDS, `${name}: every record read`);
    const wrong = got.findIndex((l, i) => l !== lines[i]);
    t.equal(wrong, -1, `${name}: every record as produced, in order${wrong >= 0 ? ` (record ${wrong} is ${got[wrong]?.slice(0, 40)})` : ''}`);
  }
  // 12 MB read four times over in reads of up to 1 MiB: dozens of buffers back to the pool (nothing else released meanwhile).
  t.ok(framePoolChecks.released - releasedBefore >= 20, `fetch read buffers went back to the pool (${framePoolChecks.released - releasedBefore})`);
});
