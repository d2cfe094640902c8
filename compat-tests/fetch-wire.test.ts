/**
 * Data path checks that need exact control of the requests: a long poll woken
 * by a produce, many pipelined requests on one connection, produce to a topic
 * deleted meanwhile, restart durability. Raw requests use our codecs
 * (helpers/wire-client.ts); the producer is kafkajs.
 */
import t from 'tap';
import { Kafka, logLevel } from 'kafkajs';
import { ApiKey } from '../src/wire/generated/api-keys.js';
import { encodeFetchRequest, decodeFetchResponse, type FetchRequest } from '../src/wire/generated/fetch.js';
import { encodeProduceRequest, decodeProduceResponse } from '../src/wire/generated/produce.js';
import { encodeListOffsetsRequest, decodeListOffsetsResponse } from '../src/wire/generated/list-offsets.js';
import { encodeMetadataRequest, decodeMetadataResponse } from '../src/wire/generated/metadata.js';
import { BatchHeader } from '../src/wire/records/batch-header.js';
import { WireClient } from './helpers/wire-client.js';
import { kcatConsumeAll, kcatProduce } from './helpers/kcat.js';
import { testBroker } from './helpers/broker.js';
import { oneRecordBatch } from './helpers/data-path.js';

const uniq = (name: string) => `${name}-${process.pid}-${Math.floor(Math.random() * 1e9)}`;

function fetchRequest(topic: string, offset: bigint, maxWaitMs: number): FetchRequest {
  return {
    replicaId: -1, maxWaitMs, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: offset, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }],
    forgottenTopicsData: [], rackId: '',
  };
}

t.test('data path over the wire', async (t) => {
  const b = await testBroker(t);
  const kafka = new Kafka({ clientId: 'compat-wire', brokers: [b.bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  t.teardown(() => producer.disconnect());

  t.test('a fetch waiting in a long poll gets a new message within 100 ms of the ack', async (t) => {
    const topic = uniq('longpoll');
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    const c = await WireClient.connect(b.host, b.port);
    t.teardown(() => c.close());
    const delays: number[] = [];
    for (let i = 0; i < 7; i++) {
      const waiting = c.request(ApiKey.Fetch, 11, (w) => encodeFetchRequest(w, fetchRequest(topic, BigInt(i), 10_000), 11), (r) => decodeFetchResponse(r, 11));
      let receivedAt = 0;
      void waiting.then(() => { receivedAt = performance.now(); });
      await new Promise((r) => setTimeout(r, 50)); // the fetch is now parked
      await producer.send({ topic, acks: -1, messages: [{ value: `m${i}` }] });
      const ackedAt = performance.now();
      const res = await waiting;
      const p = res.responses[0]!.partitions[0]!;
      t.equal(p.errorCode, 0);
      t.equal(new BatchHeader(p.records!).baseOffset, i);
      delays.push(Math.max(0, receivedAt - ackedAt));
    }
    delays.sort((x, y) => x - y);
    const median = delays[Math.floor(delays.length / 2)]!;
    t.ok(median < 100, `median delay from produce ack to fetch receipt ${median.toFixed(1)} ms (all: ${delays.map((d) => d.toFixed(1)).join(', ')})`);
  });

  t.test('many pipelined requests on one connection are answered in order', async (t) => {
    const topic = uniq('pipeline');
    const quiet = uniq('pipeline-quiet'); // never written: fetches on it wait their max_wait_ms
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }, { topic: quiet, numPartitions: 1 }], waitForLeaders: true });
    const c = await WireClient.connect(b.host, b.port);
    t.teardown(() => c.close());
    const sent: number[] = [];
    const pending: Promise<unknown>[] = [];
    for (let i = 0; i < 60; i++) {
      let s;
      switch (i % 4) {
        case 0: // a fetch that waits: later cheap requests must not overtake it
          s = c.send(ApiKey.Fetch, 11, (w) => encodeFetchRequest(w, fetchRequest(quiet, 0n, i === 0 ? 300 : 5), 11));
          break;
        case 1:
          s = c.send(ApiKey.Produce, 7, (w) => encodeProduceRequest(w, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records: oneRecordBatch(`p${i}`) }] }] }, 7));
          pending.push(s.response.then((r) => t.equal(decodeProduceResponse(r, 7).responses[0]!.partitionResponses[0]!.errorCode, 0)));
          break;
        case 2:
          s = c.send(ApiKey.ListOffsets, 3, (w) => encodeListOffsetsRequest(w, { replicaId: -1, isolationLevel: 0, topics: [{ name: topic, partitions: [{ partitionIndex: 0, timestamp: -1n }] }] }, 3));
          pending.push(s.response.then((r) => decodeListOffsetsResponse(r, 3)));
          break;
        default:
          s = c.send(ApiKey.Metadata, 4, (w) => encodeMetadataRequest(w, { topics: [{ name: topic }], allowAutoTopicCreation: false }, 4));
          pending.push(s.response.then((r) => decodeMetadataResponse(r, 4)));
      }
      sent.push(s.correlationId);
      pending.push(s.response);
    }
    await Promise.all(pending);
    t.same(c.order, sent, 'responses in request order with matching correlation ids');
    const got = await kcatConsumeAll(b.bootstrap, topic);
    t.equal(got.length, 15);
  });

  t.test('produce to a topic deleted meanwhile gets UNKNOWN_TOPIC_OR_PARTITION', async (t) => {
    const topic = uniq('deleted');
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    const c = await WireClient.connect(b.host, b.port);
    t.teardown(() => c.close());
    const produce = () => c.request(ApiKey.Produce, 7, (w) => encodeProduceRequest(w, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records: oneRecordBatch('x') }] }] }, 7), (r) => decodeProduceResponse(r, 7));
    t.equal((await produce()).responses[0]!.partitionResponses[0]!.errorCode, 0);
    await admin.deleteTopics({ topics: [topic] });
    t.equal((await produce()).responses[0]!.partitionResponses[0]!.errorCode, 3);
  });

  t.test('a topic with compression.type=zstd refuses fetches before v10 (UNSUPPORTED_COMPRESSION_TYPE), as Kafka does', async (t) => {
    const topic = uniq('zstd-topic');
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'compression.type', value: 'zstd' }] }], waitForLeaders: true });
    const c = await WireClient.connect(b.host, b.port);
    t.teardown(() => c.close());
    const fetchAt = (v: number) => c.request(ApiKey.Fetch, v, (w) => encodeFetchRequest(w, fetchRequest(topic, 0n, 0), v), (r) => decodeFetchResponse(r, v).responses[0]!.partitions[0]!.errorCode);
    t.same([await fetchAt(4), await fetchAt(9), await fetchAt(10), await fetchAt(12)], [76, 76, 0, 0]);
  });

  t.test('after a restart everything produced before is consumed again from the beginning', { skip: b.external ? 'BROKER=host:port cannot be restarted from here' : false }, async (t) => {
    const topic = uniq('restart');
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    await producer.send({ topic, messages: Array.from({ length: 30 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })) });
    await kcatProduce(b.bootstrap, topic, ['a', 'b', 'c'], ['-z', 'lz4']);
    const idem = kafka.producer({ idempotent: true });
    await idem.connect();
    await idem.send({ topic, messages: [{ value: 'idem' }] });
    await idem.disconnect();
    await producer.disconnect();
    await admin.disconnect();
    await b.restart();
    const got = await kcatConsumeAll(b.bootstrap, topic);
    t.equal(got.length, 34);
    t.same(got.map((m) => m.offset), Array.from({ length: 34 }, (_, i) => i));
    t.same(got.slice(0, 2).map((m) => [m.key, m.payload]), [['k0', 'v0'], ['k1', 'v1']]);
    t.equal(got[33]!.payload, 'idem');
    await admin.connect();
    await producer.connect();
    await producer.send({ topic, messages: [{ value: 'after' }] });
    const offsets = await admin.fetchTopicOffsets(topic);
    t.equal(offsets[0]!.high, '35', 'new offsets continue after the old ones');
  });
});
