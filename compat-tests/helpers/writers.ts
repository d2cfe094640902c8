/**
 * Writers that keep producing while a failover test kills brokers, and the
 * checks on what they wrote: a kafkajs idempotent acks=all producer loop and
 * a kcat (librdkafka) idempotent acks=all producer fed in batches.
 */
import type { Test } from 'tap';
import type { Producer } from 'kafkajs';
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { KCAT, kcatConsumeAll } from './kcat.js';

export interface Acked { partition: number; offset: number; value: string }

export interface AckedWriter {
  /** Records acknowledged so far, at the offset the broker gave them. */
  acked: Acked[];
  /** Every value handed to send, acknowledged or not: a record read back must be one of these. */
  sent: Set<string>;
  /** `value: name message` of each failed send. */
  errors: string[];
  /** Ends the loop after the send in flight; safe to call more than once. */
  stop(): Promise<void>;
}

/**
 * Sends `v0`, `v1`, ... one record per request to partition i % partitions with acks=all until stopped.
 * The caller builds the producer (idempotent, one request in flight) with its own retry settings.
 */
export function startAckedWriter(producer: Producer, topic: string, partitions: number): AckedWriter {
  const acked: Acked[] = [];
  const sent = new Set<string>();
  const errors: string[] = [];
  let stopped = false;
  const loop = (async () => {
    for (let i = 0; !stopped; i++) {
      const value = `v${i}`;
      sent.add(value);
      try {
        const [r] = await producer.send({ topic, acks: -1, messages: [{ partition: i % partitions, value }] });
        acked.push({ partition: r!.partition, offset: Number(r!.baseOffset), value });
      } catch (e) {
        errors.push(`${value}: ${(e as Error).name} ${(e as Error).message}`);
        // A send that fails at once (producer disconnected by a teardown) must not spin the loop.
        await sleep(100);
      }
    }
  })();
  return { acked, sent, errors, stop: async () => { stopped = true; await loop; } };
}

/** Every acknowledged record once at its offset, offsets dense from 0, nothing never sent, nothing twice. */
export function checkReadBack(t: Test, read: { partition: number; offset: number; payload: string | null }[], acked: Acked[], sent: Set<string>, partitions: number): void {
  const at = new Map(read.map((m) => [`${m.partition}:${m.offset}`, m.payload]));
  const missing = acked.filter((a) => at.get(`${a.partition}:${a.offset}`) !== a.value);
  // The first few missing records themselves, not just a count, say what was lost.
  t.same(missing.slice(0, 10), [], `all ${acked.length} acknowledged records at their acknowledged offsets (${missing.length} missing)`);
  for (let p = 0; p < partitions; p++) {
    const offsets = read.filter((m) => m.partition === p).map((m) => m.offset).sort((a, b) => a - b);
    t.ok(offsets.every((o, i) => o === i), `partition ${p}: offsets dense from 0 (${offsets.length} records)`);
  }
  t.same(read.filter((m) => !sent.has(m.payload ?? '')).map((m) => m.payload), [], 'no value that was never sent');
  const values = read.map((m) => m.payload);
  t.equal(new Set(values).size, values.length, 'no value twice (idempotent producer)');
}

export interface KcatFeeder {
  /** Lines written to kcat's stdin so far, in order: what the partition must hold afterwards. */
  sent: string[];
  /** Stops feeding, closes stdin and waits up to `ms` for kcat to deliver what it holds and exit. */
  stop(ms: number): Promise<{ code: number | null | 'timeout'; stderr: string }>;
}

/**
 * kcat -P, idempotent with acks=all, fed 10 lines every 50 ms on stdin. `valueOf(start, i)` names line i of the
 * batch that begins at sent.length `start`. The long message timeout and fast metadata refresh let librdkafka
 * retry through a leader change instead of failing the messages.
 */
export function startKcatFeeder(t: Test, bootstrap: string, topic: string, partition: number, valueOf: (start: number, i: number) => string): KcatFeeder {
  const p = spawn(KCAT, ['-P', '-b', bootstrap, '-t', topic, '-p', String(partition), '-X', 'acks=all', '-X', 'enable.idempotence=true',
    '-X', 'message.timeout.ms=60000', '-X', 'linger.ms=5', '-X', 'retry.backoff.ms=100', '-X', 'topic.metadata.refresh.interval.ms=500'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  p.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => p.on('close', resolve));
  const sent: string[] = [];
  let stopped = false;
  const feeding = (async () => {
    while (!stopped) {
      const lines = Array.from({ length: 10 }, (_, i) => valueOf(sent.length, i));
      sent.push(...lines);
      p.stdin.write(lines.join('\n') + '\n');
      await sleep(50);
    }
  })();
  // A test that fails midway must leave neither the loop nor kcat running.
  t.teardown(() => { stopped = true; if (p.exitCode === null) p.kill('SIGKILL'); });
  const stop = async (ms: number) => {
    stopped = true;
    await feeding;
    p.stdin.end();
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([exited, new Promise<'timeout'>((r) => { timer = setTimeout(() => r('timeout'), ms); })]);
    clearTimeout(timer);
    return { code, stderr };
  };
  return { sent, stop };
}

/** Stops the feeder, then: kcat exited 0 within `exitMs`, and the (one-partition) topic holds exactly the lines fed, in order, at offsets from 0. */
export async function stopAndCheckKcatFeed(t: Test, feeder: KcatFeeder, bootstrap: string, topic: string, exitMs: number): Promise<void> {
  const { code, stderr } = await feeder.stop(exitMs);
  t.equal(code, 0, `kcat delivered everything and exited 0 (stderr: ${stderr.slice(-500)})`);
  const read = await kcatConsumeAll(bootstrap, topic);
  const { sent } = feeder;
  t.equal(read.length, sent.length, `${sent.length} records read back`);
  t.same(read.map((m) => m.payload), sent, 'the values sent, in order, once each (idempotent producer)');
  t.same(read.map((m) => m.offset), sent.map((_, i) => i), 'offsets dense from 0');
}
