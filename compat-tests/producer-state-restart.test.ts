/**
 * Producer state across broker restarts, with real clients: a kafkajs
 * idempotent producer writes, the broker stops cleanly and starts again (its
 * producer state now comes from the `.snapshot` it wrote at shutdown); a
 * retry of one of the producer's last batches is acknowledged as a duplicate
 * at its original offset, a gap is still OUT_OF_ORDER_SEQUENCE_NUMBER, and the
 * producer's next sends go on without an error. A kafkajs transactional
 * producer aborts a transaction between two committed ones; after a restart a
 * read_committed kcat consumer skips the aborted records (from the
 * `.txnindex` files). Then both again with a `samsa start` child process
 * killed with SIGKILL and started again on the same data dir.
 */
import t from 'tap';
import type { Test } from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { testBroker } from './helpers/broker.js';
import { WireClient } from './helpers/wire-client.js';
import { recordBatch } from './helpers/data-path.js';
import { kcatConsumeAll } from './helpers/kcat.js';
import { TS_LOADER_ARGS as TS_LOADER } from '../test/loader/ts-loader-args.js';
import { ApiKey } from '../src/wire/generated/api-keys.js';
import { encodeProduceRequest, decodeProduceResponse } from '../src/wire/generated/produce.js';
import { encodeDescribeProducersRequest, decodeDescribeProducersResponse } from '../src/wire/generated/describe-producers.js';

const { Kafka, logLevel } = kafkajs;
type KafkaClient = InstanceType<typeof Kafka>;

const OUT_OF_ORDER_SEQUENCE_NUMBER = 45;
const MAIN = new URL('../src/cli/main.ts', import.meta.url).pathname;
/** How long a child broker may take to print its ready line (loading TypeScript under a busy tap), not a timing assertion. */
const READY_WAIT_MS = 60_000;

async function producerOf(host: string, port: number, topic: string): Promise<{ producerId: bigint; producerEpoch: number; lastSequence: number }[]> {
  const c = await WireClient.connect(host, port);
  try {
    const r = await c.request(ApiKey.DescribeProducers, 0, (w) => encodeDescribeProducersRequest(w, { topics: [{ name: topic, partitionIndexes: [0] }] }, 0),
      (rd) => decodeDescribeProducersResponse(rd, 0));
    return r.topics[0]!.partitions[0]!.activeProducers.map((p) => ({ producerId: p.producerId, producerEpoch: p.producerEpoch, lastSequence: p.lastSequence }));
  } finally {
    c.close();
  }
}

/** One batch with explicit producer id, epoch and sequence, acks=all: what a client's retry sends. */
async function rawProduce(host: string, port: number, topic: string, batch: Buffer): Promise<{ errorCode: number; baseOffset: bigint }> {
  const c = await WireClient.connect(host, port);
  try {
    const r = await c.request(ApiKey.Produce, 9,
      (w) => encodeProduceRequest(w, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }] }, 9),
      (rd) => decodeProduceResponse(rd, 9).responses[0]!.partitionResponses[0]!);
    return { errorCode: r.errorCode, baseOffset: r.baseOffset };
  } finally {
    c.close();
  }
}

/** What an idempotent and a transactional producer leave in two topics before the broker goes down. */
async function writeBoth(t: Test, kafka: KafkaClient, prefix: string): Promise<{ idem: kafkajs.Producer }> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: `${prefix}-idem`, numPartitions: 1 }, { topic: `${prefix}-txn`, numPartitions: 1 }] });
  await admin.disconnect();
  const idem = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await idem.connect();
  t.teardown(() => idem.disconnect());
  for (let i = 0; i < 5; i++) await idem.send({ topic: `${prefix}-idem`, messages: [{ value: `m${i}`, partition: 0 }] });

  const tx = kafka.producer({ transactionalId: `${prefix}-tx`, idempotent: true, maxInFlightRequests: 1 });
  await tx.connect();
  for (const [values, commit] of [[['c1', 'c2'], true], [['a1', 'a2', 'a3'], false], [['c3'], true]] as const) {
    const txn = await tx.transaction();
    await txn.send({ topic: `${prefix}-txn`, messages: values.map((value) => ({ value, partition: 0 })) });
    if (commit) await txn.commit(); else await txn.abort();
  }
  await tx.disconnect();
  return { idem };
}

/** After the restart: the idempotent producer's state, a retried batch, a gap, the producer going on; the aborted records skipped. */
async function checkBoth(t: Test, host: string, port: number, prefix: string, idem: kafkajs.Producer): Promise<void> {
  const bootstrap = `${host}:${port}`;
  const [state] = await producerOf(host, port, `${prefix}-idem`);
  t.ok(state, 'the producer is known after the restart');
  t.equal(state!.lastSequence, 4, 'with its last sequence');
  const retry = recordBatch({ values: ['m4'], producerId: state!.producerId, producerEpoch: state!.producerEpoch, baseSequence: 4 });
  t.same(await rawProduce(host, port, `${prefix}-idem`, retry), { errorCode: 0, baseOffset: 4n }, 'a retry of the last batch is a duplicate: acknowledged at its original offset');
  const earlier = recordBatch({ values: ['m2'], producerId: state!.producerId, producerEpoch: state!.producerEpoch, baseSequence: 2 });
  t.same(await rawProduce(host, port, `${prefix}-idem`, earlier), { errorCode: 0, baseOffset: 2n }, 'so is a retry of an earlier one of the last five');
  const gap = recordBatch({ values: ['m6'], producerId: state!.producerId, producerEpoch: state!.producerEpoch, baseSequence: 6 });
  t.equal((await rawProduce(host, port, `${prefix}-idem`, gap)).errorCode, OUT_OF_ORDER_SEQUENCE_NUMBER, 'a gap in the sequence is still refused');
  const [next] = await idem.send({ topic: `${prefix}-idem`, messages: [{ value: 'm5', partition: 0 }] });
  t.equal(next!.baseOffset, '5', 'the producer goes on with its next sequence, no OUT_OF_ORDER');
  t.same((await kcatConsumeAll(bootstrap, `${prefix}-idem`)).map((m) => m.payload), ['m0', 'm1', 'm2', 'm3', 'm4', 'm5'], 'each record once');

  const committed = await kcatConsumeAll(bootstrap, `${prefix}-txn`, ['-X', 'isolation.level=read_committed']);
  t.same(committed.map((m) => m.payload), ['c1', 'c2', 'c3'], 'read_committed (kcat) skips the aborted records');
  const all = await kcatConsumeAll(bootstrap, `${prefix}-txn`, ['-X', 'isolation.level=read_uncommitted']);
  t.same(all.map((m) => m.payload), ['c1', 'c2', 'a1', 'a2', 'a3', 'c3'], 'which are in the log (read_uncommitted)');
}

t.test('clean stop and restart of an in-process broker', async (t) => {
  const b = await testBroker(t);
  const kafka = new Kafka({ brokers: [b.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 10 } });
  const { idem } = await writeBoth(t, kafka, 'clean');
  await b.restart();
  await checkBoth(t, b.host, b.port, 'clean', idem);
});

/** A free loopback port (the child broker keeps it across its restart, so clients find it again). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address() as { port: number }; s.close(() => resolve(port)); });
  });
}

/** `samsa start` from source on `dataDir` and `port`; resolves once it prints its ready line. */
function startChild(t: Test, dataDir: string, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [...TS_LOADER, MAIN, 'start', '--data-dir', dataDir, '--listen', `127.0.0.1:${port}`, '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => { child.kill('SIGKILL'); });
  let stderr = '';
  child.stderr!.on('data', (d) => { stderr += d; });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready line after ${READY_WAIT_MS} ms; stderr: ${stderr}`)), READY_WAIT_MS);
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      if (/listening on/.test(out)) { clearTimeout(timer); resolve(child); }
    });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`samsa exited with ${code} before its ready line; stderr: ${stderr}`)); });
  });
}

t.test('SIGKILL of a samsa process, then a start on the same data dir', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'samsa-kill-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const port = await freePort();
  const first = await startChild(t, dataDir, port);
  const kafka = new Kafka({ brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING, retry: { retries: 10 } });
  const { idem } = await writeBoth(t, kafka, 'killed');
  const exited = new Promise((resolve) => first.once('exit', resolve));
  first.kill('SIGKILL');
  await exited;
  await startChild(t, dataDir, port);
  await checkBoth(t, '127.0.0.1', port, 'killed', idem);
});
