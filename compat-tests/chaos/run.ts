/**
 * The body the two chaos tests share (chaos.test.ts: brokers in this process;
 * chaos-processes.test.ts: broker processes with etcd): settings from the
 * environment, the topics and clients, the workloads, the faulted stretch, the
 * quiesce after healing, the final reads with kcat, the checks and the report.
 * What differs stays in each test: how its cluster starts, its nemesis, how it
 * heals, how its replicas are compared (live handles in one process, data
 * dirs after a SIGKILL over processes) and what its report adds.
 */
import type { Test } from 'tap';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { until } from '../helpers/until.js';
import { kcatConsumeAll } from '../helpers/kcat.js';
import type { History } from './history.js';
import type { Rng } from './rng.js';
import { committedOffsetPoller, consumerWorkload, newRecords, producerWorkload, transactionalWorkload, type Records, type Workload } from './workloads.js';
import { check, type Final, type Verdict } from './checkers.js';

export const DATA = 'chaos';
export const TXN = 'chaos-txn';
export const DATA_PARTITIONS = 4;
export const TXN_PARTITIONS = 2;
export const GROUP = 'chaos-group';
/** The test's topics and their partition counts, for the replica comparisons. */
export const TOPICS = [[DATA, DATA_PARTITIONS], [TXN, TXN_PARTITIONS]] as const;

/** The default run's length when CHAOS_SECONDS is not set: short enough for `make test`. */
const SHORT_RUN_SECONDS = 25;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * How long to fault and with which seed. The default is the short run `make
 * test` does with the test's own fixed seed (so it is the same run every
 * time); CHAOS_SECONDS=<n> runs n seconds with a fresh seed (`make chaos`, to
 * find new schedules), CHAOS_SEED=<s> replays a seed.
 */
export function runSettings(shortRunSeed: number, env = process.env): { seconds: number; seed: number } {
  const long = Number(env.CHAOS_SECONDS ?? 0) > 0;
  const seconds = long ? Number(env.CHAOS_SECONDS) : SHORT_RUN_SECONDS;
  const seed = env.CHAOS_SEED !== undefined && env.CHAOS_SEED !== '' ? Number(env.CHAOS_SEED) >>> 0 : long ? Math.floor(Math.random() * 2 ** 32) : shortRunSeed;
  return { seconds, seed };
}

/** The kafkajs client of the workloads and the admin: short connection timeouts and many quick retries, so a faulted broker delays a client rather than failing it. */
export function chaosClient(bootstrap: string): Kafka {
  return new Kafka({ brokers: bootstrap.split(','), logLevel: logLevel.NOTHING, connectionTimeout: 1000, requestTimeout: 10_000, retry: { retries: 20, initialRetryTime: 100, maxRetryTime: 1000 } });
}

/**
 * Connects an admin (disconnected at teardown; the quiesce reads the high
 * watermarks with it) and creates the data and transactional topics with 3
 * replicas and min.insync.replicas 2, so writes go on with one broker faulted.
 */
export async function adminWithTopics(t: Test, kafka: Kafka): Promise<Admin> {
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  const r3 = { replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] };
  await admin.createTopics({ topics: [{ topic: DATA, numPartitions: DATA_PARTITIONS, ...r3 }, { topic: TXN, numPartitions: TXN_PARTITIONS, ...r3 }] });
  return admin;
}

/** The running workloads: writers stop first (no new data after healing), readers last (once they have caught up). */
export interface Workloads { rec: Records; writers: Workload[]; readers: Workload[] }

/**
 * Starts the workloads (workloads.ts), each with its own fork of the seed so
 * one's draws do not shift another's: the idempotent and plain producers on
 * the data topic, the transactional producer, the group reader of the data
 * topic, the reader of the transactional topic and the poller of the group's
 * commits. Fork 0 is the nemesis's.
 */
export async function startWorkloads(kafka: Kafka, rng: Rng, h: History): Promise<Workloads> {
  const rec = newRecords();
  const idem = await producerWorkload(kafka, 'idem', { idempotent: true }, DATA, DATA_PARTITIONS, rng.fork(1), h, rec);
  const plain = await producerWorkload(kafka, 'plain', { idempotent: false }, DATA, DATA_PARTITIONS, rng.fork(2), h, rec);
  const txn = await transactionalWorkload(kafka, TXN, TXN_PARTITIONS, rng.fork(3), h, rec);
  const consumer = await consumerWorkload(kafka, 'group-reader', GROUP, DATA, h, rec);
  const txnReader = await consumerWorkload(kafka, 'txn-reader', 'chaos-txn-reader', TXN, h, rec);
  const poller = await committedOffsetPoller(kafka, GROUP, DATA, h, rec);
  return { rec, writers: [idem, plain, txn], readers: [consumer, txnReader, poller] };
}

/** Runs the nemesis for `seconds` and stops it (which heals its fault in progress); returns how long that took, in whole seconds, for the summary. */
export async function runFaults(nemesis: { start(): void; stop(): Promise<void> }, seconds: number): Promise<number> {
  const began = Date.now();
  nemesis.start();
  await sleep(seconds * 1000);
  await nemesis.stop();
  return Math.round((Date.now() - began) / 1000);
}

/** Each topic's high watermarks by partition: what the readers must reach and what the checkers hold the final logs to. */
export async function highWatermarks(admin: Admin): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  for (const topic of [DATA, TXN]) {
    const offs = await admin.fetchTopicOffsets(topic);
    out.set(topic, offs.sort((a, b) => a.partition - b.partition).map((o) => Number(o.high)));
  }
  return out;
}

/** The group's last polled commit per partition of the data topic. */
function committedNow(rec: Records): Map<number, number> {
  const last = new Map<number, number>();
  for (const [, p, o] of rec.committed) last.set(p, o);
  return last;
}

/** Waits (30 s at most) for the group's commits to reach the data topic's high watermarks; a group that does not is an anomaly, not a hang. */
async function groupCaughtUp(rec: Records, dataHighWatermarks: number[], anomalies: string[]): Promise<void> {
  await until(() => dataHighWatermarks.every((hw, p) => (committedNow(rec).get(p) ?? -1) >= hw), 30_000, 'the group committing up to the high watermarks')
    .catch((e: Error) => anomalies.push(`consumer group: ${e.message} (committed ${JSON.stringify([...committedNow(rec)])}, high watermarks ${dataHighWatermarks})`));
}

/**
 * After healing: writers stop, every ISR fills again (`fullIsrs`, the test's
 * own wait; 30 s bound), the high watermarks are read, the group commits up to
 * them, then everything stops. What does not happen in time goes to
 * `anomalies` so the run still reaches its checks. Returns the high watermarks.
 */
export async function quiesce(w: Workloads, admin: Admin, fullIsrs: () => Promise<unknown>, anomalies: string[]): Promise<Map<string, number[]>> {
  await Promise.all(w.writers.map((x) => x.stop()));
  await fullIsrs().catch((e: Error) => anomalies.push(`ISRs not full after healing: ${e.message}`));
  const hws = await highWatermarks(admin);
  await groupCaughtUp(w.rec, hws.get(DATA)!, anomalies);
  // A moment more for the readers nothing above waits for (the transactional reader).
  await sleep(500);
  await Promise.all(w.readers.map((x) => x.stop()));
  return hws;
}

/** The topics read back with kcat (librdkafka, not the workloads' client): the data topic, and the transactional one read_uncommitted and read_committed. */
export async function finalReads(bootstrap: string): Promise<Pick<Final, 'data' | 'txnAll' | 'txnCommitted'>> {
  return {
    data: await kcatConsumeAll(bootstrap, DATA, ['-X', 'isolation.level=read_uncommitted']),
    txnAll: await kcatConsumeAll(bootstrap, TXN, ['-X', 'isolation.level=read_uncommitted']),
    txnCommitted: await kcatConsumeAll(bootstrap, TXN, ['-X', 'isolation.level=read_committed']),
  };
}

/** The checkers' verdict, with the anomalies found before the checks (healing and quiesce) listed first. */
export function judge(rec: Records, fin: Final, anomaliesBefore: string[]): { v: Verdict; anomalies: string[] } {
  const v = check(rec, fin, { data: DATA, txn: TXN }, 'idem', 'plain');
  return { v, anomalies: [...anomaliesBefore, ...v.anomalies] };
}

/** A finished run, for its summary and report. */
export interface Outcome {
  /** The summary line's first word: which test ran. */
  label: string;
  seed: number;
  /** Seconds of faults (runFaults). */
  duration: number;
  faults: number;
  h: History;
  rec: Records;
  v: Verdict;
  anomalies: string[];
}

/** The one-line summary (`<label> seed=... anomalies=...`, the format README.md documents for both tests). */
export function summaryLine(o: Outcome): string {
  return `${o.label} seed=${o.seed} duration=${o.duration}s ops=${o.rec.ops} faults=${o.faults} acked=${o.v.acked} lost=${o.v.lost} duplicated=${o.v.duplicatedIdempotent + o.v.duplicatedPlain} anomalies=${o.anomalies.length}`;
}

export interface ReportExtras {
  /** The test's detail comment after the summary (counts only it knows about). */
  details: string;
  /** More files for the kept history directory, made only when it is kept (broker logs are large). */
  files?: () => Record<string, string>;
  /** Called with the history directory when the run failed, after the anomalies are listed. */
  onFailure?: (dir: string) => void;
}

/**
 * Prints the summary and the test's details, records the summary in the
 * history, then asserts (keepOrPass).
 */
export function report(t: Test, o: Outcome, extras: ReportExtras): void {
  const summary = summaryLine(o);
  console.log(summary);
  t.comment(summary);
  t.comment(extras.details);
  o.h.add('summary', { summary, anomalies: o.anomalies });
  keepOrPass(t, o, summary, extras);
}

/**
 * On a failure (or with CHAOS_KEEP_HISTORY=1) keeps the history in a fresh
 * directory and asserts lost, idempotent duplicates and anomalies separately,
 * each message naming the seed and the directory so a failure can be replayed
 * and read; a clean run is one pass carrying the summary. Either way the
 * producers must have made progress, or the run proved nothing.
 */
function keepOrPass(t: Test, o: Outcome, summary: string, extras: ReportExtras): void {
  const { seed, v, anomalies } = o;
  const failed = anomalies.length > 0;
  if (failed || process.env.CHAOS_KEEP_HISTORY === '1') {
    const dir = o.h.save({ 'summary.txt': `${summary}\n${anomalies.join('\n')}\n`, ...extras.files?.() });
    t.comment(`history kept in ${dir}`);
    for (const a of anomalies) t.comment(a);
    if (failed) extras.onFailure?.(dir);
    t.equal(v.lost, 0, `no acknowledged record lost (seed ${seed}; history in ${dir})`);
    t.equal(v.duplicatedIdempotent, 0, `no idempotent duplicate (seed ${seed}; history in ${dir})`);
    t.same(anomalies, [], `no anomaly (seed ${seed}; history in ${dir}/history.jsonl)`);
  } else {
    t.pass(`no anomaly: ${summary}`);
  }
  t.ok(v.acked > 0, 'the producers made progress');
}
