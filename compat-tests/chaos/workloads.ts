/**
 * The chaos workloads, all kafkajs over TCP: an idempotent and a
 * non-idempotent acks=all producer writing unique sequence-numbered values, a
 * consumer group reading and committing them, a transactional producer that
 * commits and aborts in turn with a read_committed reader, and a poller of the
 * group's committed offsets. Each records what it saw in the history and in
 * the Records it returns for the checkers.
 */
import { Kafka, type Consumer, type Producer } from 'kafkajs';
import type { History } from './history.js';
import type { Rng } from './rng.js';

export interface Ack { producer: string; partition: number; offset: number; value: string }
export interface Read { reader: string; partition: number; offset: number; value: string }
export type TxnOutcome = 'committed' | 'aborted' | 'unknown';

/** What the workloads did, for the checkers. */
export interface Records {
  acks: Ack[];
  /** Every value a producer tried to write (acknowledged or not), by producer. */
  sent: Map<string, string>;
  reads: Read[];
  /** Each transactional value's outcome as the producer saw it. */
  txnValues: Map<string, TxnOutcome>;
  /** Committed offsets of the group as polled during the run: [time, partition, offset]. */
  committed: [number, number, number][];
  /** Client operations: sends, transactions, records read. */
  ops: number;
  sendErrors: number;
}

export const newRecords = (): Records => ({ acks: [], sent: new Map(), reads: [], txnValues: new Map(), committed: [], ops: 0, sendErrors: 0 });

const errText = (e: unknown) => { const x = e as Error & { type?: string }; return `${x?.name}${x?.type ? ` ${x.type}` : ''}: ${x?.message}`; };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Workload { stop(): Promise<void> }

/** Keeps writing 1-3 unique values per send to one random partition with acks=all until stopped; records every ack. */
export async function producerWorkload(kafka: Kafka, name: string, opts: { idempotent: boolean }, topic: string, partitions: number, rng: Rng, h: History, rec: Records): Promise<Workload> {
  const producer: Producer = kafka.producer(opts.idempotent ? { idempotent: true, maxInFlightRequests: 1 } : { idempotent: false, retry: { retries: 20, initialRetryTime: 100, maxRetryTime: 1000 } });
  await producer.connect();
  let stopped = false;
  let seq = 0;
  const loop = (async () => {
    while (!stopped) {
      const partition = rng.int(0, partitions - 1);
      const values = Array.from({ length: rng.int(1, 3) }, () => `${name}-${seq++}`);
      for (const v of values) rec.sent.set(v, name);
      rec.ops++;
      h.add('send', { producer: name, partition, values });
      try {
        const [r] = await producer.send({ topic, acks: -1, messages: values.map((value) => ({ partition, value })) });
        const base = Number(r!.baseOffset);
        values.forEach((value, i) => rec.acks.push({ producer: name, partition: r!.partition, offset: base + i, value }));
        h.add('ack', { producer: name, partition: r!.partition, offset: base, values });
      } catch (e) {
        rec.sendErrors++;
        h.add('send-error', { producer: name, partition, values, error: errText(e) });
        await sleep(100);
      }
    }
  })();
  return { stop: async () => { stopped = true; await loop; await producer.disconnect().catch(() => undefined); } };
}

/** A consumer group member that reads `topic` from the beginning and commits (kafkajs auto-commit after each batch). */
export async function consumerWorkload(kafka: Kafka, name: string, groupId: string, topic: string, h: History, rec: Records): Promise<Workload & { consumer: Consumer }> {
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200, retry: { retries: 20, initialRetryTime: 100, maxRetryTime: 1000, restartOnFailure: async () => true } });
  consumer.on(consumer.events.CRASH, (e) => h.add('consumer-crash', { reader: name, error: errText(e.payload.error), restart: e.payload.restart }));
  consumer.on(consumer.events.GROUP_JOIN, (e) => h.add('consumer-join', { reader: name, generation: e.payload.groupProtocol, leader: e.payload.isLeader }));
  // What the consumer itself committed and which requests timed out (for the history: tells a regression the client made from one a broker served).
  consumer.on(consumer.events.COMMIT_OFFSETS, (e) => h.add('consumer-commit', { reader: name, generation: e.payload.groupGenerationId, offsets: e.payload.topics.flatMap((tp) => tp.partitions.map((p) => [Number(p.partition), Number(p.offset)])) }));
  consumer.on(consumer.events.REQUEST_TIMEOUT, (e) => h.add('consumer-request-timeout', { reader: name, broker: e.payload.broker, api: e.payload.apiName }));
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      const value = message.value?.toString() ?? '';
      const offset = Number(message.offset);
      rec.ops++;
      rec.reads.push({ reader: name, partition, offset, value });
      h.add('read', { reader: name, partition, offset, value });
    },
  });
  return { consumer, stop: async () => { await consumer.disconnect().catch(() => undefined); } };
}

/** Polls the group's committed offsets (admin OffsetFetch) every 250 ms. */
export async function committedOffsetPoller(kafka: Kafka, groupId: string, topic: string, h: History, rec: Records): Promise<Workload> {
  const admin = kafka.admin({ retry: { retries: 2, initialRetryTime: 100 } });
  await admin.connect();
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      try {
        const [r] = await admin.fetchOffsets({ groupId, topics: [topic] });
        for (const p of r?.partitions ?? []) {
          const offset = Number(p.offset);
          rec.committed.push([Date.now(), p.partition, offset]);
          h.add('committed', { partition: p.partition, offset });
        }
      } catch (e) {
        h.add('committed-error', { error: errText(e) });
      }
      await sleep(250);
    }
  })();
  return { stop: async () => { stopped = true; await loop; await admin.disconnect().catch(() => undefined); } };
}

/**
 * A transactional producer: each transaction sends 1-3 unique values to random
 * partitions, then commits (even transactions) or aborts (odd ones). A failed
 * transaction's values are 'unknown'; the producer is then made again (its
 * InitProducerId fences the old epoch and aborts what was open).
 */
export async function transactionalWorkload(kafka: Kafka, topic: string, partitions: number, rng: Rng, h: History, rec: Records): Promise<Workload> {
  const make = async () => {
    const p = kafka.producer({ transactionalId: 'chaos-tx', idempotent: true, maxInFlightRequests: 1, retry: { retries: 20, initialRetryTime: 100, maxRetryTime: 1000 } });
    await p.connect();
    return p;
  };
  let producer: Producer | undefined;
  let stopped = false;
  const loop = (async () => {
    for (let n = 0; !stopped; n++) {
      const commit = n % 2 === 0;
      const values: string[] = [];
      const acks: Ack[] = [];
      try {
        producer ??= await make();
        const txn = await producer.transaction();
        rec.ops++;
        for (let k = rng.int(1, 3); k > 0; k--) {
          const value = `tx-${n}-${k}`;
          const partition = rng.int(0, partitions - 1);
          values.push(value);
          rec.sent.set(value, 'tx');
          rec.txnValues.set(value, 'unknown');
          const [r] = await txn.send({ topic, messages: [{ partition, value }] });
          acks.push({ producer: 'tx', partition: r!.partition, offset: Number(r!.baseOffset), value });
        }
        if (commit) await txn.commit(); else await txn.abort();
        for (const v of values) rec.txnValues.set(v, commit ? 'committed' : 'aborted');
        if (commit) rec.acks.push(...acks);
        h.add(commit ? 'txn-commit' : 'txn-abort', { n, acks });
      } catch (e) {
        rec.sendErrors++;
        h.add('txn-error', { n, values, error: errText(e) });
        await producer?.disconnect().catch(() => undefined);
        producer = undefined;
        await sleep(200);
      }
    }
  })();
  return { stop: async () => { stopped = true; await loop; await producer?.disconnect().catch(() => undefined); } };
}
