/**
 * Many partitions, few descriptors (issue 10, defect 4): a broker with
 * log.max.open.files=64 takes a topic of 3,000 partitions from kafkajs
 * 2.2.4's admin client, kafkajs produces to every partition (one Produce
 * request carrying all of them, twice), kcat (librdkafka) reads the whole
 * topic back, and the same holds after a restart (logs open on first use)
 * with more appends. The process's descriptors (broker and clients share it)
 * stay within the cache plus the sockets and a few more.
 */
import t from 'tap';
import { readdirSync } from 'node:fs';
import kafkajs from 'kafkajs';
import { testBroker } from './helpers/broker.js';
import { kcatConsumeAll } from './helpers/kcat.js';

const { Kafka, logLevel } = kafkajs;
const PARTITIONS = 3000;
const CACHE = 64;
/** Sockets (broker and client ends of kafkajs' and kcat's connections), kcat's pipes, and a file being written. */
const SLACK = 40;
const TOPIC = 'wide';

const openFds = () => readdirSync('/proc/self/fd').length;
const value = (p: number, round: number) => `partition ${p} round ${round}`;

t.test(`${PARTITIONS} partitions with log.max.open.files=${CACHE}: create, produce, consume, restart`, async (t) => {
  const b = await testBroker(t, { 'log.max.open.files': String(CACHE), 'max.broker.partitions': '10000', 'max.partitions.per.request': '10000' });
  if (b.external) { t.pass('skipped against an external broker: needs our broker (it sets log.max.open.files and counts its descriptors)'); return; }
  const bound = openFds() + CACHE + SLACK;
  let peak = 0;
  const sampler = setInterval(() => { peak = Math.max(peak, openFds()); }, 5);
  t.teardown(() => clearInterval(sampler));

  const kafka = new Kafka({ brokers: [b.bootstrap], logLevel: logLevel.NOTHING, requestTimeout: 60_000 });
  const admin = kafka.admin();
  await admin.connect();
  t.ok(await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }] }), `a topic of ${PARTITIONS} partitions is created`);
  await admin.disconnect();
  peak = Math.max(peak, openFds());
  t.ok(peak <= bound, `descriptors after creating it: ${peak} (bound ${bound})`);

  const produceRound = async (round: number) => {
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    try {
      const acks = await producer.send({ topic: TOPIC, acks: -1, messages: Array.from({ length: PARTITIONS }, (_, p) => ({ partition: p, value: value(p, round) })) });
      return acks.filter((a) => a.errorCode !== 0).length;
    } finally {
      await producer.disconnect();
    }
  };
  const consumeAll = async () => {
    const got = await kcatConsumeAll(b.bootstrap, TOPIC);
    const byPartition = new Map<number, string[]>();
    for (const m of got) byPartition.set(m.partition, [...(byPartition.get(m.partition) ?? []), `${m.offset}:${m.payload}`]);
    return byPartition;
  };
  const wrong = (byPartition: Map<number, string[]>, rounds: number) =>
    Array.from({ length: PARTITIONS }, (_, p) => p).filter((p) =>
      JSON.stringify(byPartition.get(p)) !== JSON.stringify(Array.from({ length: rounds }, (_, r) => `${r}:${value(p, r)}`)));

  t.equal(await produceRound(0), 0, 'kafkajs produces to every partition in one request, acks=all');
  t.equal(await produceRound(1), 0, 'and again');
  t.same(wrong(await consumeAll(), 2), [], 'kcat reads every record of every partition back');
  peak = Math.max(peak, openFds());
  t.ok(peak <= bound, `descriptors peaked at ${peak} (bound ${bound}), not one per partition`);

  await b.restart();
  t.same(wrong(await consumeAll(), 2), [], 'after a restart every record is there');
  t.equal(await produceRound(2), 0, 'produce after the restart');
  t.same(wrong(await consumeAll(), 3), [], 'and read back');
  peak = Math.max(peak, openFds());
  t.ok(peak <= bound, `descriptors peaked at ${peak} (bound ${bound}) across the restart`);
});
