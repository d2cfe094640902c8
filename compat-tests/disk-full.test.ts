/**
 * A full disk, for real: the broker's data directory is a small tmpfs, a
 * ballast file leaves it a little room, and kafkajs produces with acks=all
 * until the disk is full. Producers get KAFKA_STORAGE_ERROR at once (not
 * their own timeouts), nothing past a failed write is acknowledged, freeing
 * space lets writes resume by themselves, and every acknowledged record is
 * read back by kcat, at its acknowledged offset, before and after a restart.
 */
import t from 'tap';
import { closeSync, openSync, writeFileSync, writeSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { testBroker } from './helpers/broker.js';
import { mountTmpfs } from './helpers/tmpfs.js';
import { kcatConsumeAll } from './helpers/kcat.js';

const MiB = 1 << 20;

interface Outcome { ok: boolean; offset?: number; error?: string; ms: number }

async function send(producer: Producer, topic: string, value: string): Promise<Outcome> {
  const started = Date.now();
  try {
    const [r] = await producer.send({ topic, acks: -1, messages: [{ value }] });
    return { ok: true, offset: Number(r!.baseOffset), ms: Date.now() - started };
  } catch (err) {
    const e = err as { type?: string; cause?: { type?: string }; message: string };
    return { ok: false, error: e.type ?? e.cause?.type ?? e.message, ms: Date.now() - started };
  }
}

t.test('disk full: KAFKA_STORAGE_ERROR at once, nothing acknowledged lost, writes resume when space is back', async (t) => {
  const fs = mountTmpfs(t, 24 * MiB);
  if ('skip' in fs) { t.plan(0, fs.skip); return; }
  const dataDir = join(fs.path, 'data');
  // Segments of 1 MiB so the disk fills across rolls (the roll path is where acknowledged records were lost).
  const b = await testBroker(t, { 'log.dirs': dataDir, 'log.segment.bytes': String(MiB) });
  const kafka = new Kafka({ brokers: [b.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  await admin.createTopics({ topics: [{ topic: 'full', numPartitions: 1 }] });
  const producer = kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 0 } });
  await producer.connect();
  t.teardown(() => producer.disconnect());

  // Leave about 3 MiB free.
  const ballast = join(fs.path, 'ballast');
  writeFileSync(ballast, Buffer.alloc(24 * MiB - 3 * MiB - 256 * 1024, 1));

  const acked = new Map<number, string>();
  const payload = (n: number) => `${n}:${'v'.repeat(16 * 1024)}`;
  let n = 0;
  const errors: Outcome[] = [];
  // Concurrent sends, as a real producer pipelines: some land across the failure.
  while (errors.length < 20 && n < 2000) {
    const batch = await Promise.all(Array.from({ length: 8 }, () => { const v = payload(n++); return send(producer, 'full', v).then((o) => ({ o, v })); }));
    for (const { o, v } of batch) {
      if (o.ok) acked.set(o.offset!, v);
      else errors.push(o);
    }
  }
  t.ok(acked.size > 50, `${acked.size} records acknowledged before the disk filled`);
  t.ok(errors.length >= 20, `${errors.length} sends failed once the disk was full`);
  t.ok(errors.every((e) => e.error === 'KAFKA_STORAGE_ERROR'), `every failure is KAFKA_STORAGE_ERROR (${[...new Set(errors.map((e) => e.error))].join(', ')})`);
  t.ok(errors.every((e) => e.ms < 5000), `failures are answered at once, not by a timeout (slowest ${Math.max(...errors.map((e) => e.ms))} ms)`);

  // Every last byte taken: creating a topic (its metadata, its log) fails with the retriable KAFKA_STORAGE_ERROR, not UNKNOWN_SERVER_ERROR.
  const filler = join(fs.path, 'filler');
  const fd = openSync(filler, 'w');
  try { for (;;) writeSync(fd, Buffer.alloc(4096, 2)); } catch { /* ENOSPC: the disk is full */ } finally { closeSync(fd); }
  const created = await admin.createTopics({ topics: [{ topic: 'while-full', numPartitions: 2 }] }).then(() => 'created', (e: { errors?: { type: string }[]; type?: string }) => e.errors?.[0]?.type ?? e.type);
  t.equal(created, 'KAFKA_STORAGE_ERROR', 'CreateTopics on a full disk gets KAFKA_STORAGE_ERROR');
  const refused = await send(producer, 'full', payload(n++));
  t.equal(refused.error, 'KAFKA_STORAGE_ERROR', 'produce on a full disk gets KAFKA_STORAGE_ERROR');
  unlinkSync(filler);

  // Space comes back: writes resume without a restart.
  unlinkSync(ballast);
  t.ok((await admin.createTopics({ topics: [{ topic: 'while-full', numPartitions: 2 }] })), 'the topic is created once space is back');
  let resumed: Outcome | undefined;
  for (let i = 0; i < 50 && !resumed?.ok; i++) {
    const v = payload(n++);
    resumed = await send(producer, 'full', v);
    if (resumed.ok) acked.set(resumed.offset!, v);
    else await new Promise((r) => setTimeout(r, 100));
  }
  t.ok(resumed?.ok, 'a send succeeds once space is back');
  for (let i = 0; i < 20; i++) {
    const v = payload(n++);
    const o = await send(producer, 'full', v);
    t.ok(o.ok, `send ${i} after recovery`) ;
    if (o.ok) acked.set(o.offset!, v);
  }

  const check = async (when: string) => {
    const read = await kcatConsumeAll(b.bootstrap, 'full');
    const byOffset = new Map(read.map((m) => [m.offset, m.payload]));
    const lost = [...acked].filter(([off, v]) => byOffset.get(off) !== v);
    t.same(lost.map(([o]) => o), [], `${when}: every acknowledged record is at its offset (${acked.size} acknowledged, ${read.length} read)`);
    t.ok(read.every((m, i) => m.offset === i), `${when}: offsets are dense from 0`);
  };
  await check('before restart');
  await b.restart();
  await check('after restart');
});
