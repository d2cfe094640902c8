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
 * (dist/src/cli/main.js). The body shared with chaos.test.ts is run.ts; this
 * file keeps the process cluster, its nemesis and healing, the comparison of
 * the replicas on disk and the broker logs in a kept history.
 */
import t from 'tap';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { etcdAvailable, ETCD_MISSING } from '../helpers/etcd.js';
import { SAMSA_MAIN, startProcessCluster, waitForFullIsrP } from '../helpers/process-cluster.js';
import { PartitionLog } from '../../src/log/partition-log.js';
import { Rng } from './rng.js';
import { History } from './history.js';
import { ProcessNemesis } from './process-nemesis.js';
import type { Final } from './checkers.js';
import { adminWithTopics, chaosClient, DATA, finalReads, judge, quiesce, report, runFaults, runSettings, sleep, startWorkloads, TOPICS, TXN } from './run.js';

const SHORT_RUN_SEED = 20_261_213;
const { seconds, seed } = runSettings(SHORT_RUN_SEED);

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
  const kafka = chaosClient(c.bootstrap);
  const admin = await adminWithTopics(t, kafka);
  await waitForFullIsrP(c, [DATA, TXN]);

  const w = await startWorkloads(kafka, rng, h);
  const { rec } = w;
  const nemesis = new ProcessNemesis(c, rng.fork(0), h, { topic: DATA, records: rec });
  const duration = await runFaults(nemesis, seconds);

  // Heal everything that might still be faulted (nemesis.stop heals its own fault; this is belt and braces).
  const anomaliesBefore: string[] = [];
  c.heal();
  if (!c.etcd.running()) await c.etcd.start();
  for (let id = 0; id < c.size; id++) {
    if (c.paused(id)) c.resumeBroker(id);
    if (!c.running(id)) await c.startBroker(id).catch((e: Error) => anomaliesBefore.push(`broker ${id} did not restart: ${e.message}`));
  }
  h.add('healed');

  const highWatermarks = await quiesce(w, admin, () => waitForFullIsrP(c, undefined, 30_000), anomaliesBefore);
  const fin: Final = { ...await finalReads(c.bootstrap), highWatermarks, replicaBatches: new Map() };

  // Replicas: give followers a moment, stop every broker at once (SIGKILL: one instant, nothing moves after it),
  // then read each replica's batches from its data dir, below the high watermark every ISR member has reached.
  await sleep(1500);
  await Promise.all([...Array(c.size).keys()].map((id) => c.stopBroker(id, 'SIGKILL')));
  for (const [topic, n] of TOPICS) {
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

  const { v, anomalies } = judge(rec, fin, anomaliesBefore);
  report(t, { label: 'chaos-processes', seed, duration, faults: nemesis.faults, h, rec, v, anomalies }, {
    details: `faults by kind ${JSON.stringify(Object.fromEntries(nemesis.byKind))}; zombie probes sent ${nemesis.probes.sent}, acked ${nemesis.probes.acked}, refused ${nemesis.probes.refused}; ` +
      `duplicated by the idempotent producer ${v.duplicatedIdempotent}, by the non-idempotent one ${v.duplicatedPlain} (allowed); failed sends/transactions ${rec.sendErrors}; ` +
      `transactions committed ${h.count('txn-commit')}, aborted ${h.count('txn-abort')}, failed ${h.count('txn-error')}; records read ${rec.reads.length}; consumer crashes ${h.count('consumer-crash')}; ` +
      `slow recoveries ${h.count('not-recovered')}`,
    // The brokers' and etcd's logs go with a kept history: a failure over processes is read from them.
    files: () => ({ 'broker-logs.txt': `${c.allLogs()}\n--- etcd ---\n${c.etcd.logs()}\n` }),
    onFailure: (dir) => t.comment(`the brokers' last log lines (more in ${dir}/broker-logs.txt):\n${c.allLogs(30)}`),
  });
});
