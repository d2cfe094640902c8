/**
 * One node-rdkafka (librdkafka 2.12) consumer speaking the KIP-848 consumer
 * protocol (`group.protocol: consumer`), for the consumer-protocol client
 * tests: it records what it is assigned, what is revoked, and every record
 * its 'data' handler sees, and commits the offsets it has seen.
 *
 * Everything that waits on the broker goes through node-rdkafka's
 * asynchronous calls (connect, commit with offset_commit_cb, committed,
 * disconnect): the broker under test runs in this same process, and a
 * synchronous librdkafka call (commitSync, consume with a timeout on the main
 * thread) would hold the event loop the broker needs to answer it.
 *
 * Records are taken with consume(n, cb) in a loop, not node-rdkafka's flowing
 * mode: its consume thread hands messages to JavaScript through a queue that
 * disconnect drops without freeing them, and librdkafka's rd_kafka_destroy
 * then waits forever for the broker thread those messages hold (seen as a
 * test hanging in close() while records were arriving; gdb: rdk:main joining
 * rdk:broker0). Here every message librdkafka hands out is returned to a
 * callback, and close() waits for the loop before it disconnects. The loop
 * also serves rebalance and commit callbacks (librdkafka's consumer queue).
 */
import rdkafka from 'node-rdkafka';
import type { LibrdKafkaError, Message, TopicPartition, TopicPartitionOffset } from 'node-rdkafka';
import { spawnMemberChild, type ChildMember } from './consumer-protocol-clients-child.js';

const { KafkaConsumer } = rdkafka;

interface Teardown { teardown(fn: () => unknown): void }

/** librdkafka's rebalance "errors" that carry an assignment change. */
const ASSIGN = -175;
const REVOKE = -174;

export interface Consumed { member: string; topic: string; partition: number; offset: number; value: string }

export interface RdMemberOptions {
  /** group.remote.assignor: the server-side assignor the member asks for (uniform or range). */
  assignor?: string;
  /** Where a partition without a committed offset starts (default earliest). */
  reset?: 'earliest' | 'latest';
  /** librdkafka debug contexts (e.g. 'cgrp'): their lines are kept in `logs` (and echoed to stderr with RDKAFKA_DEBUG=1). */
  debug?: string;
}

/** "topic-partition" */
export const tp = (topic: string, partition: number): string => `${topic}-${partition}`;

export class RdMember {
  /** Partitions assigned now. */
  readonly assigned = new Set<string>();
  /** Every assignment and revocation in order, as "+t-p" / "-t-p". */
  readonly changes: string[] = [];
  readonly records: Consumed[] = [];
  readonly errors: string[] = [];
  /** librdkafka's debug lines when started with `debug`. */
  readonly logs: string[] = [];
  /** Next offset to commit per partition: one past the last record the handler saw. */
  private readonly seen = new Map<string, TopicPartitionOffset>();
  private closing = false;
  private closed?: Promise<void>;
  private commitWaiters: ((err: LibrdKafkaError | null) => void)[] = [];
  /** The consume loop: ends once `stopping` is set and the call in flight returns. */
  private consuming: Promise<void> = Promise.resolve();
  private stopping = false;

  private constructor(readonly name: string, readonly consumer: InstanceType<typeof KafkaConsumer>) {}

  /**
   * Connects, subscribes (topic names, or regexes starting with ^) and starts
   * consuming in flowing mode on node-rdkafka's background thread. Closed in
   * the test's teardown when the test has not closed it itself.
   */
  static async start(t: Teardown, bootstrap: string, groupId: string, subscription: string[], name: string, opts: RdMemberOptions = {}): Promise<RdMember> {
    const consumer = new KafkaConsumer({
      'metadata.broker.list': bootstrap,
      'group.id': groupId,
      'group.protocol': 'consumer',
      ...(opts.assignor ? { 'group.remote.assignor': opts.assignor } : {}),
      'client.id': name,
      // Commits are the test's: it commits exactly what its handler saw, so a record is never both committed and unseen.
      'enable.auto.commit': false,
      rebalance_cb: true,
      offset_commit_cb: true,
      // A new topic matching a regex, or a partition's leader, is found within a second rather than five minutes.
      'topic.metadata.refresh.interval.ms': 1000,
      ...(opts.debug ? { debug: opts.debug } : {}),
    }, { 'auto.offset.reset': opts.reset ?? 'earliest' });
    const m = new RdMember(name, consumer);
    t.teardown(() => m.close());
    consumer.on('rebalance', (err, assignment) => {
      const code = (err as LibrdKafkaError).code;
      for (const a of assignment as TopicPartition[]) {
        const key = tp(a.topic, a.partition);
        if (code === ASSIGN) { m.assigned.add(key); m.changes.push(`+${key}`); }
        if (code === REVOKE) { m.assigned.delete(key); m.changes.push(`-${key}`); }
      }
    });
    consumer.on('rebalance.error', (e) => m.errors.push(`rebalance: ${String(e)}`));
    consumer.on('event.error', (e) => m.errors.push(`error: ${e.message}`));
    consumer.on('offset.commit', (err) => {
      const w = m.commitWaiters.shift();
      w?.(err ?? null);
    });
    if (opts.debug) {
      consumer.on('event.log', (l) => {
        m.logs.push(`${l.fac} ${l.message}`);
        if (process.env.RDKAFKA_DEBUG) process.stderr.write(`[${name}] ${l.fac} ${l.message}\n`);
      });
    }
    await new Promise<void>((resolve, reject) => consumer.connect({ timeout: 30_000 }, (err) => (err ? reject(err) : resolve())));
    consumer.subscribe(subscription);
    // A call returns after 100 ms without a record, so close() waits at most that long for the loop.
    consumer.setDefaultConsumeTimeout(100);
    m.consuming = m.consumeLoop();
    return m;
  }

  private async consumeLoop(): Promise<void> {
    while (!this.stopping) {
      const batch = await new Promise<Message[]>((resolve) => this.consumer.consume(500, (err, msgs) => {
        if (err) this.errors.push(`consume: ${err.message}`);
        resolve(msgs ?? []);
      }));
      for (const msg of batch) this.onData(msg);
    }
  }

  private onData(msg: Message): void {
    // Once closing, records are neither recorded nor committed: whoever gets the partition next reads them.
    if (this.closing) return;
    const value = msg.value?.toString() ?? '';
    this.records.push({ member: this.name, topic: msg.topic, partition: msg.partition, offset: msg.offset, value });
    this.seen.set(tp(msg.topic, msg.partition), { topic: msg.topic, partition: msg.partition, offset: msg.offset + 1 });
  }

  /** Sorted "topic-partition" strings of the current assignment. */
  partitions(): string[] { return [...this.assigned].sort(); }

  /** Revocations so far ("t-p"), in order. */
  revocations(): string[] { return this.changes.filter((c) => c.startsWith('-')).map((c) => c.slice(1)); }

  /** Records seen on one topic. */
  values(topic?: string): string[] { return this.records.filter((r) => !topic || r.topic === topic).map((r) => r.value); }

  /**
   * Commits one past the last record seen on each partition still assigned
   * (a partition already handed on is the next owner's to commit). Resolves
   * when librdkafka reports the commit's result; rejects on an error.
   */
  async commit(): Promise<number> {
    const offsets = [...this.seen.entries()].filter(([k]) => this.assigned.has(k)).map(([, o]) => o);
    if (offsets.length === 0) return 0;
    const done = new Promise<LibrdKafkaError | null>((resolve) => this.commitWaiters.push(resolve));
    this.consumer.commit(offsets);
    const err = await done;
    if (err) throw new Error(`${this.name}: commit failed: ${err.message} (${err.code})`);
    return offsets.length;
  }

  /** Committed offsets of a topic's partitions in the group (-1001 where none), by "topic-partition". */
  committed(topic: string, partitions: number[]): Promise<Record<string, number>> {
    return new Promise((resolve, reject) => {
      this.consumer.committed(partitions.map((partition) => ({ topic, partition })), 10_000, (err, tps) => {
        if (err) { reject(err); return; }
        resolve(Object.fromEntries(tps.map((x) => [tp(x.topic, x.partition), x.offset])));
      });
    });
  }

  /** Stops recording, commits what was seen, and closes (librdkafka leaves the group with epoch -1). Idempotent. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      this.closing = true;
      // The commit's result comes through the consumer's queue, which only the consume loop serves.
      try { await this.commit(); } catch (e) { this.errors.push(String(e)); }
      this.stopping = true;
      await this.consuming;
      await new Promise<void>((resolve) => this.consumer.disconnect(() => resolve()));
    })();
    return this.closed;
  }
}

/** An RdMember in a child process (consumer-protocol-member-child.ts), killed in teardown if still running. */
export function spawnRdMember(t: Teardown, bootstrap: string, groupId: string, topics: string[]): ChildMember {
  return spawnMemberChild(t, 'rdkafka', bootstrap, groupId, topics);
}
