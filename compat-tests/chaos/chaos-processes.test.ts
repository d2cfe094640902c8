/**
 * The multi-process chaos test: 3 Samsa broker processes with their metadata
 * in a real etcd (helpers/process-cluster.ts), each behind our fault-injecting
 * proxies, under a seeded schedule of process kills and restarts, SIGSTOP
 * pauses longer than the lease TTL (with a probe that the woken broker does
 * not acknowledge writes as a zombie leader), partitions between one broker
 * and the others, between one broker and etcd, and etcd restarts
 * (process-nemesis.ts), while the kafkajs workloads of chaos.test.ts run:
 * idempotent and non-idempotent acks=all producers, a consumer group
 * committing, transactions committing and aborting with a read_committed
 * reader. Then every fault is healed and checkers.ts holds the result to
 * DESIGN.md's invariants (no acknowledged write lost, no idempotent
 * duplicate, dense offsets, nothing read that was never sent or committed, no
 * aborted value read committed, committed offsets never backwards, and the
 * replicas' logs, read from disk once every broker is stopped, identical
 * below the high watermark).
 *
 * Settings (env) as chaos.test.ts: the default is the short seeded run `make
 * test` does; CHAOS_SECONDS=<n> runs n seconds with a fresh seed,
 * CHAOS_SEED=<s> replays a seed's schedule; CHAOS_KEEP_HISTORY=1 keeps the
 * history of a passing run too. Needs etcd (/usr/bin/etcd) and the built CLI
 * (dist/src/cli/main.js).
 */
import t from 'tap';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { etcdAvailable, ETCD_MISSING } from '../helpers/etcd.js';
import { SAMSA_MAIN, startProcessCluster, waitForFullIsrP } from '../helpers/process-cluster.js';
import { until } from '../helpers/until.js';
import { kcatConsumeAll } from '../helpers/kcat.js';
import { PartitionLog } from '../../src/log/partition-log.js';
import { Rng } from './rng.js';
import { History } from './history.js';
import { ProcessNemesis } from './process-nemesis.js';
import { committedOffsetPoller, consumerWorkload, newRecords, producerWorkload, transactionalWorkload } from './workloads.js';
import { check, type Final } from './checkers.js';

const SHORT_RUN_SECONDS = 25;
const SHORT_RUN_SEED = 20_261_213;
const DATA = 'chaos';
const TXN = 'chaos-txn';
const DATA_PARTITIONS = 4;
const TXN_PARTITIONS = 2;
const GROUP = 'chaos-group';

const env = process.env;
const seconds = Number(env.CHAOS_SECONDS ?? 0) > 0 ? Number(env.CHAOS_SECONDS) : SHORT_RUN_SECONDS;
const seed = env.CHAOS_SEED !== undefined && env.CHAOS_SEED !== '' ? Number(env.CHAOS_SEED) >>> 0 : Number(env.CHAOS_SECONDS ?? 0) > 0 ? Math.floor(Math.random() * 2 ** 32) : SHORT_RUN_SEED;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// The whole file's budget (tap's default is 180 s): broker processes, etcd and the bounded waits after the faults.
t.setTimeout((seconds + 240) * 1000);

const skip = !etcdAvailable ? ETCD_MISSING : !existsSync(SAMSA_MAIN) ? `${SAMSA_MAIN} is missing (build first: make build)` : false;

t.test(`chaos-processes: kills, pauses, partitions and etcd restarts under produce, consume and transactions (seed ${seed}, ${seconds} s)`, { skip, timeout: (seconds + 200) * 1000 }, async (t) => {
  t.comment(`chaos-processes seed ${seed} (replay: CHAOS_SEED=${seed} CHAOS_SECONDS=${seconds})`);
  const rng = new Rng(seed);
  const h = new History();
  h.add('start', { seed, seconds });
  const c = await startProcessCluster(t, { brokers: 3, name: `chaos-${seed}` });
  h.add('cluster', { bootstrap: c.bootstrap, etcd: c.etcd.endpoint });
  const kafka = new Kafka({ brokers: c.bootstrap.split(','), logLevel: logLevel.NOTHING, connectionTimeout: 1000, requestTimeout: 10_000, retry: { retries: 20, initialRetryTime: 100, maxRetryTime: 1000 } });
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  const r3 = { replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] };
  await admin.createTopics({ topics: [{ topic: DATA, numPartitions: DATA_PARTITIONS, ...r3 }, { topic: TXN, numPartitions: TXN_PARTITIONS, ...r3 }] });
  await waitForFullIsrP(c, [DATA, TXN]);

  const rec = newRecords();
  const idem = await producerWorkload(kafka, 'idem', { idempotent: true }, DATA, DATA_PARTITIONS, rng.fork(1), h, rec);
  const plain = await producerWorkload(kafka, 'plain', { idempotent: false }, DATA, DATA_PARTITIONS, rng.fork(2), h, rec);
  const txn = await transactionalWorkload(kafka, TXN, TXN_PARTITIONS, rng.fork(3), h, rec);
  const consumer = await consumerWorkload(kafka, 'group-reader', GROUP, DATA, h, rec);
  const txnReader = await consumerWorkload(kafka, 'txn-reader', 'chaos-txn-reader', TXN, h, rec);
  const poller = await committedOffsetPoller(kafka, GROUP, DATA, h, rec);
  const nemesis = new ProcessNemesis(c, rng.fork(0), h, { topic: DATA, records: rec });
  const began = Date.now();
  nemesis.start();
  await sleep(seconds * 1000);
  await nemesis.stop();
  const duration = Math.round((Date.now() - began) / 1000);

  // Heal everything that might still be faulted (nemesis.stop heals its own fault; this is belt and braces).
  const anomaliesBefore: string[] = [];
  c.heal();
  if (!c.etcd.running()) await c.etcd.start();
  for (let id = 0; id < c.size; id++) {
    if (c.paused(id)) c.resumeBroker(id);
    if (!c.running(id)) await c.startBroker(id).catch((e: Error) => anomaliesBefore.push(`broker ${id} did not restart: ${e.message}`));
  }
  h.add('healed');

  // Quiesce: writers stop, every ISR fills again, readers catch up with the high watermarks, then everything stops.
  await Promise.all([idem.stop(), plain.stop(), txn.stop()]);
  await waitForFullIsrP(c, undefined, 30_000).catch((e: Error) => anomaliesBefore.push(`ISRs not full after healing: ${e.message}`));
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

  const fin: Final = {
    data: await kcatConsumeAll(c.bootstrap, DATA, ['-X', 'isolation.level=read_uncommitted']),
    txnAll: await kcatConsumeAll(c.bootstrap, TXN, ['-X', 'isolation.level=read_uncommitted']),
    txnCommitted: await kcatConsumeAll(c.bootstrap, TXN, ['-X', 'isolation.level=read_committed']),
    highWatermarks,
    replicaBatches: new Map(),
  };

  // Replicas: give followers a moment, stop every broker at once (SIGKILL: one instant, nothing moves after it),
  // then read each replica's batches from its data dir, below the high watermark every ISR member has reached.
  await sleep(1500);
  await Promise.all([...Array(c.size).keys()].map((id) => c.stopBroker(id, 'SIGKILL')));
  for (const [topic, n] of [[DATA, DATA_PARTITIONS], [TXN, TXN_PARTITIONS]] as const) {
    for (let p = 0; p < n; p++) {
      const hw = highWatermarks.get(topic)![p]!;
      const byBroker = new Map<number, string[]>();
      for (let id = 0; id < c.size; id++) {
        const brokerDir = join(c.dataDir, `broker-${id}`);
        if (!existsSync(join(brokerDir, `${topic}-${p}`))) { byBroker.set(id, ['(no replica on disk)']); continue; }
        const log = PartitionLog.open(brokerDir, topic, p, {}, false, { report: (m) => h.add('log-recovery', { broker: id, topic, partition: p, message: m }) });
        try {
          byBroker.set(id, [...log.scanBatches(log.logStartOffset)].filter((b) => b.baseOffset < hw).map((b) => `${b.baseOffset}:${b.lastOffset}:${b.partitionLeaderEpoch}:${b.crc}`));
        } finally {
          log.close();
        }
      }
      fin.replicaBatches.set(`${topic}-${p}`, byBroker);
    }
  }

  const v = check(rec, fin, { data: DATA, txn: TXN }, 'idem', 'plain');
  const anomalies = [...anomaliesBefore, ...v.anomalies];
  const summary = `chaos-processes seed=${seed} duration=${duration}s ops=${rec.ops} faults=${nemesis.faults} acked=${v.acked} lost=${v.lost} duplicated=${v.duplicatedIdempotent + v.duplicatedPlain} anomalies=${anomalies.length}`;
  console.log(summary);
  t.comment(summary);
  t.comment(`faults by kind ${JSON.stringify(Object.fromEntries(nemesis.byKind))}; zombie probes sent ${nemesis.probes.sent}, acked ${nemesis.probes.acked}, refused ${nemesis.probes.refused}; ` +
    `duplicated by the idempotent producer ${v.duplicatedIdempotent}, by the non-idempotent one ${v.duplicatedPlain} (allowed); failed sends/transactions ${rec.sendErrors}; ` +
    `transactions committed ${h.count('txn-commit')}, aborted ${h.count('txn-abort')}, failed ${h.count('txn-error')}; records read ${rec.reads.length}; consumer crashes ${h.count('consumer-crash')}; ` +
    `slow recoveries ${h.count('not-recovered')}`);
  h.add('summary', { summary, anomalies });
  const failed = anomalies.length > 0;
  if (failed || env.CHAOS_KEEP_HISTORY === '1') {
    const dir = h.save({ 'summary.txt': `${summary}\n${anomalies.join('\n')}\n`, 'broker-logs.txt': `${c.allLogs()}\n--- etcd ---\n${c.etcd.logs()}\n` });
    t.comment(`history kept in ${dir}`);
    for (const a of anomalies) t.comment(a);
    if (failed) t.comment(`the brokers' last log lines (more in ${dir}/broker-logs.txt):\n${c.allLogs(30)}`);
    t.equal(v.lost, 0, `no acknowledged record lost (seed ${seed}; history in ${dir})`);
    t.equal(v.duplicatedIdempotent, 0, `no idempotent duplicate (seed ${seed}; history in ${dir})`);
    t.same(anomalies, [], `no anomaly (seed ${seed}; history in ${dir}/history.jsonl)`);
  } else {
    t.pass(`no anomaly: ${summary}`);
  }
  t.ok(v.acked > 0, 'the producers made progress');
});
