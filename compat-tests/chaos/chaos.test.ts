/**
 * The chaos test (Jepsen-style, in one process for now): a 3-broker cluster
 * under a seeded schedule of broker crashes and restarts and of pauses and
 * resumes (nemesis.ts) while kafkajs clients produce (idempotent and not,
 * acks=all), consume in a group and commit, and run transactions that commit
 * and abort in turn (workloads.ts); then every fault is healed and
 * checkers.ts holds the result to DESIGN.md's invariants: no acknowledged
 * write lost, no idempotent duplicate, dense offsets, nothing read that was
 * never sent or never committed, no aborted value read committed, committed
 * group offsets never going backwards, identical replicas.
 *
 * Settings (env): the default is the short seeded run `make test` does
 * (SHORT_RUN_SECONDS of faults with SHORT_RUN_SEED); CHAOS_SECONDS=<n> runs
 * for n seconds with a fresh seed (`make chaos`), CHAOS_SEED=<s> replays a
 * seed. Timing still varies between runs, so a replay repeats the fault
 * schedule and the workloads' choices, not every interleaving.
 * On a failure the history (JSON lines of every send, ack, read, commit poll
 * and fault) is kept in a directory under the OS temp dir named in the message.
 */
import t from 'tap';
import { Kafka, logLevel } from 'kafkajs';
import { testCluster } from '../helpers/cluster.js';
import { until } from '../helpers/until.js';
import { kcatConsumeAll } from '../helpers/kcat.js';
import { waitForFullIsr } from '../helpers/failover.js';
import { Rng } from './rng.js';
import { History } from './history.js';
import { Nemesis } from './nemesis.js';
import { committedOffsetPoller, consumerWorkload, newRecords, producerWorkload, transactionalWorkload } from './workloads.js';
import { check, type Final } from './checkers.js';

const SHORT_RUN_SECONDS = 25;
const SHORT_RUN_SEED = 20_261_203;
const DATA = 'chaos';
const TXN = 'chaos-txn';
const DATA_PARTITIONS = 4;
const TXN_PARTITIONS = 2;
const GROUP = 'chaos-group';

const env = process.env;
const seconds = Number(env.CHAOS_SECONDS ?? 0) > 0 ? Number(env.CHAOS_SECONDS) : SHORT_RUN_SECONDS;
const seed = env.CHAOS_SEED !== undefined && env.CHAOS_SEED !== '' ? Number(env.CHAOS_SEED) >>> 0 : Number(env.CHAOS_SECONDS ?? 0) > 0 ? Math.floor(Math.random() * 2 ** 32) : SHORT_RUN_SEED;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test(`chaos: crashes and pauses under produce, consume and transactions (seed ${seed}, ${seconds} s)`, { timeout: (seconds + 140) * 1000 }, async (t) => {
  t.comment(`chaos seed ${seed} (replay: CHAOS_SEED=${seed} CHAOS_SECONDS=${seconds})`);
  const rng = new Rng(seed);
  const h = new History();
  h.add('start', { seed, seconds });
  const c = await testCluster(t, 3);
  const kafka = new Kafka({ brokers: c.bootstrap.split(','), logLevel: logLevel.NOTHING, connectionTimeout: 1000, requestTimeout: 10_000, retry: { retries: 20, initialRetryTime: 100, maxRetryTime: 1000 } });
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  const r3 = { replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] };
  await admin.createTopics({ topics: [{ topic: DATA, numPartitions: DATA_PARTITIONS, ...r3 }, { topic: TXN, numPartitions: TXN_PARTITIONS, ...r3 }] });
  await waitForFullIsr(c, DATA, [...Array(DATA_PARTITIONS).keys()]);
  await waitForFullIsr(c, TXN, [...Array(TXN_PARTITIONS).keys()]);

  const rec = newRecords();
  const idem = await producerWorkload(kafka, 'idem', { idempotent: true }, DATA, DATA_PARTITIONS, rng.fork(1), h, rec);
  const plain = await producerWorkload(kafka, 'plain', { idempotent: false }, DATA, DATA_PARTITIONS, rng.fork(2), h, rec);
  const txn = await transactionalWorkload(kafka, TXN, TXN_PARTITIONS, rng.fork(3), h, rec);
  const consumer = await consumerWorkload(kafka, 'group-reader', GROUP, DATA, h, rec);
  const txnReader = await consumerWorkload(kafka, 'txn-reader', 'chaos-txn-reader', TXN, h, rec);
  const poller = await committedOffsetPoller(kafka, GROUP, DATA, h, rec);
  const nemesis = new Nemesis(c, rng.fork(0), h);
  const began = Date.now();
  nemesis.start();
  await sleep(seconds * 1000);
  await nemesis.stop();
  const duration = Math.round((Date.now() - began) / 1000);
  h.add('healed');

  // Quiesce: writers stop, every ISR fills again, readers catch up with the high watermarks, then everything stops.
  await Promise.all([idem.stop(), plain.stop(), txn.stop()]);
  const anomaliesBefore: string[] = [];
  const allIsrsFull = async () => { for (const tp of c.status().topics) await waitForFullIsr(c, tp.name, tp.partitions.map((p) => p.partition), 30_000); };
  await allIsrsFull().catch((e: Error) => anomaliesBefore.push(`ISRs not full after healing: ${e.message}`));
  const highWatermarks = new Map<string, number[]>();
  for (const topic of [DATA, TXN]) {
    const offs = await admin.fetchTopicOffsets(topic);
    highWatermarks.set(topic, offs.sort((a, b) => a.partition - b.partition).map((o) => Number(o.high)));
  }
  const committedNow = () => {
    const last = new Map<number, number>();
    for (const [, p, o] of rec.committed) last.set(p, o);
    return last;
  };
  await until(() => highWatermarks.get(DATA)!.every((hw, p) => (committedNow().get(p) ?? -1) >= hw), 30_000, 'the group committing up to the high watermarks')
    .catch((e: Error) => anomaliesBefore.push(`consumer group: ${e.message} (committed ${JSON.stringify([...committedNow()])}, high watermarks ${highWatermarks.get(DATA)})`));
  await sleep(500);
  await Promise.all([consumer.stop(), txnReader.stop(), poller.stop()]);

  // Replicas: the same log end offset everywhere (every topic, internal ones too), then the same batches in the test's topics.
  const leos = () => {
    const by = new Map<string, Set<number>>();
    for (let id = 0; id < c.size; id++) for (const r of c.broker(id)?.context.replicaManager.replicaStates() ?? []) {
      const k = `${r.topic}-${r.partition}`;
      by.set(k, (by.get(k) ?? new Set()).add(r.logEndOffset));
    }
    return [...by].filter(([, s]) => s.size > 1).map(([k, s]) => `${k}: ${[...s].join(' vs ')}`);
  };
  await until(() => leos().length === 0, 20_000, 'every replica at its leader\'s log end offset')
    .catch(() => anomaliesBefore.push(`replicas with different log end offsets: ${leos().join('; ')}`));
  const replicaBatches: Final['replicaBatches'] = new Map();
  for (const [topic, n] of [[DATA, DATA_PARTITIONS], [TXN, TXN_PARTITIONS]] as const) {
    for (let p = 0; p < n; p++) {
      const byBroker = new Map<number, string[]>();
      for (let id = 0; id < c.size; id++) {
        const log = c.broker(id)?.context.replicaManager.handle(topic, p)?.log;
        if (log) byBroker.set(id, [...log.scanBatches(log.logStartOffset)].map((b) => `${b.baseOffset}:${b.lastOffset}:${b.partitionLeaderEpoch}:${b.crc}`));
      }
      replicaBatches.set(`${topic}-${p}`, byBroker);
    }
  }

  const fin: Final = {
    data: await kcatConsumeAll(c.bootstrap, DATA, ['-X', 'isolation.level=read_uncommitted']),
    txnAll: await kcatConsumeAll(c.bootstrap, TXN, ['-X', 'isolation.level=read_uncommitted']),
    txnCommitted: await kcatConsumeAll(c.bootstrap, TXN, ['-X', 'isolation.level=read_committed']),
    highWatermarks,
    replicaBatches,
  };
  const v = check(rec, fin, { data: DATA, txn: TXN }, 'idem', 'plain');
  const anomalies = [...anomaliesBefore, ...v.anomalies];
  const summary = `chaos seed=${seed} duration=${duration}s ops=${rec.ops} faults=${nemesis.faults} acked=${v.acked} lost=${v.lost} duplicated=${v.duplicatedIdempotent + v.duplicatedPlain} anomalies=${anomalies.length}`;
  console.log(summary);
  t.comment(summary);
  t.comment(`duplicated by the idempotent producer ${v.duplicatedIdempotent}, by the non-idempotent one ${v.duplicatedPlain} (allowed); ` +
    `failed sends/transactions ${rec.sendErrors}; faults ${h.count('fault')} (${h.events.filter((e) => e.type === 'fault' && e.kind === 'crash').length} crashes); ` +
    `transactions committed ${h.count('txn-commit')}, aborted ${h.count('txn-abort')}, failed ${h.count('txn-error')}; records read ${rec.reads.length}; consumer crashes ${h.count('consumer-crash')}`);
  h.add('summary', { summary, anomalies });
  const failed = anomalies.length > 0;
  if (failed || env.CHAOS_KEEP_HISTORY === '1') {
    const dir = h.save({ 'summary.txt': `${summary}\n${anomalies.join('\n')}\n` });
    t.comment(`history kept in ${dir}`);
    for (const a of anomalies) t.comment(a);
    t.equal(v.lost, 0, `no acknowledged record lost (seed ${seed}; history in ${dir})`);
    t.equal(v.duplicatedIdempotent, 0, `no idempotent duplicate (seed ${seed}; history in ${dir})`);
    t.same(anomalies, [], `no anomaly (seed ${seed}; history in ${dir}/history.jsonl)`);
  } else {
    t.pass(`no anomaly: ${summary}`);
  }
  t.ok(v.acked > 0, 'the producers made progress');
});
