/**
 * Produce frames are read into pooled buffers that the broker reuses once the
 * log writes made from them have completed (src/broker/frame-pool.ts). A
 * buffer reused too early would put the next request's bytes into the log in
 * place of this one's. kcat produces about 1 MB requests of numbered records
 * back to back with acks=0 (the answer never waits for the write), acks=1 and
 * acks=all, and every record read back must be the one produced, in order.
 */
import t from 'tap';
import { Kafka, logLevel } from 'kafkajs';
import { testBroker } from './helpers/broker.js';
import { kcat } from './helpers/kcat.js';

const RECORDS = 120_000;
const uniq = (name: string) => `${name}-${process.pid}-${Math.floor(Math.random() * 1e9)}`;

/** Numbered lines of about 100 bytes, different for each run. */
const linesFor = (run: string) => Array.from({ length: RECORDS }, (_, i) => `${run}:${String(i).padStart(7, '0')}:${'abcdefghij'.repeat(9)}`);

t.test('records produced in large pipelined requests come back intact, with acks 0, 1 and all', async (t) => {
  const b = await testBroker(t);
  const kafka = new Kafka({ clientId: 'frame-reuse', brokers: [b.bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  for (const acks of ['0', '1', 'all']) {
    const topic = uniq(`reuse-${acks}`);
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    const lines = linesFor(`acks${acks}`);
    await kcat(['-P', '-b', b.bootstrap, '-t', topic, '-p', '0', '-X', `acks=${acks}`, '-X', 'linger.ms=50', '-X', 'batch.num.messages=10000'], lines.join('\n') + '\n', 120_000);
    // acks=0: kcat is done when it has sent; the broker may still be writing.
    for (let end = 0; end < RECORDS;) {
      end = Number((await admin.fetchTopicOffsets(topic))[0]!.high);
      if (end < RECORDS) await new Promise((r) => setTimeout(r, 100));
    }
    const { stdout } = await kcat(['-C', '-b', b.bootstrap, '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-q', '-f', '%s\n'], undefined, 120_000);
    const got = stdout.split('\n').slice(0, -1);
    t.equal(got.length, RECORDS, `acks=${acks}: every record read back`);
    const wrong = got.findIndex((l, i) => l !== lines[i]);
    t.equal(wrong, -1, `acks=${acks}: every record as produced, in order${wrong >= 0 ? ` (record ${wrong} is ${got[wrong]?.slice(0, 40)})` : ''}`);
  }
});
