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
 * The body shared with chaos-processes.test.ts (settings, workloads, quiesce,
 * final reads, checks, report) is run.ts; this file keeps the in-process
 * cluster, its nemesis and the comparison of the live replicas.
 */
import t from 'tap';
import { testCluster } from '../helpers/cluster.js';
import { until } from '../helpers/until.js';
import { waitForFullIsr } from '../helpers/failover.js';
import { Rng } from './rng.js';
import { History } from './history.js';
import { Nemesis } from './nemesis.js';
import type { Final } from './checkers.js';
import { adminWithTopics, chaosClient, DATA, DATA_PARTITIONS, finalReads, judge, quiesce, report, runFaults, runSettings, startWorkloads, TOPICS, TXN, TXN_PARTITIONS } from './run.js';

const SHORT_RUN_SEED = 20_261_203;
const { seconds, seed } = runSettings(SHORT_RUN_SEED);

t.test(`chaos: crashes and pauses under produce, consume and transactions (seed ${seed}, ${seconds} s)`, { timeout: (seconds + 140) * 1000 }, async (t) => {
  t.comment(`chaos seed ${seed} (replay: CHAOS_SEED=${seed} CHAOS_SECONDS=${seconds})`);
  const rng = new Rng(seed);
  const h = new History();
  h.add('start', { seed, seconds });
  const c = await testCluster(t, 3);
  const kafka = chaosClient(c.bootstrap);
  const admin = await adminWithTopics(t, kafka);
  await waitForFullIsr(c, DATA, [...Array(DATA_PARTITIONS).keys()]);
  await waitForFullIsr(c, TXN, [...Array(TXN_PARTITIONS).keys()]);

  const w = await startWorkloads(kafka, rng, h);
  const nemesis = new Nemesis(c, rng.fork(0), h);
  const duration = await runFaults(nemesis, seconds);
  h.add('healed');

  const anomaliesBefore: string[] = [];
  const allIsrsFull = async () => { for (const tp of c.status().topics) await waitForFullIsr(c, tp.name, tp.partitions.map((p) => p.partition), 30_000); };
  const highWatermarks = await quiesce(w, admin, allIsrsFull, anomaliesBefore);

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
  for (const [topic, n] of TOPICS) {
    for (let p = 0; p < n; p++) {
      const byBroker = new Map<number, string[]>();
      for (let id = 0; id < c.size; id++) {
        const log = c.broker(id)?.context.replicaManager.handle(topic, p)?.log;
        if (log) byBroker.set(id, [...log.scanBatches(log.logStartOffset)].map((b) => `${b.baseOffset}:${b.lastOffset}:${b.partitionLeaderEpoch}:${b.crc}`));
      }
      replicaBatches.set(`${topic}-${p}`, byBroker);
    }
  }

  const fin: Final = { ...await finalReads(c.bootstrap), highWatermarks, replicaBatches };
  const { rec } = w;
  const { v, anomalies } = judge(rec, fin, anomaliesBefore);
  report(t, { label: 'chaos', seed, duration, faults: nemesis.faults, h, rec, v, anomalies }, {
    details: `duplicated by the idempotent producer ${v.duplicatedIdempotent}, by the non-idempotent one ${v.duplicatedPlain} (allowed); ` +
      `failed sends/transactions ${rec.sendErrors}; faults ${h.count('fault')} (${h.events.filter((e) => e.type === 'fault' && e.kind === 'crash').length} crashes); ` +
      `transactions committed ${h.count('txn-commit')}, aborted ${h.count('txn-abort')}, failed ${h.count('txn-error')}; records read ${rec.reads.length}; consumer crashes ${h.count('consumer-crash')}`,
  });
});
