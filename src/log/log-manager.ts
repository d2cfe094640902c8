/**
 * All partition logs of a data directory. A file `.samsa-clean-shutdown` is
 * written by close() after every log is flushed and removed at open, so its
 * absence at open means the last run crashed: then each log verifies the
 * batches past its recovery point, read from Kafka's
 * `recovery-point-offset-checkpoint` file, which is rewritten every
 * `log.flush.offset.checkpoint.interval.ms` and at close (recovery-points.ts).
 * close() also has each log write a producer snapshot at its end, so the
 * next start replays no batch header (producer-state-store.ts).
 * Retention runs on an unref'd timer.
 *
 * Start-up: after an unclean stop every log is opened (and its unflushed
 * tail verified) before open() returns. After a clean stop nothing needs
 * checking, so open() only lists the partitions: a log is opened on first
 * use (get, create), and those still unused are opened in the background, a
 * few milliseconds of work per turn of the event loop, so retention, the
 * cleaner and the flusher cover every log soon after a start that did not
 * wait for 100,000 of them. Until then an unopened log keeps the recovery
 * point the checkpoint gave it.
 *
 * Descriptors: every log's segment files share one cache of at most
 * `maxOpenFiles` descriptors (log.max.open.files; file-cache.ts).
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { readTopicId, writeTopicId } from './partition-metadata-file.js';
import { DeferredSyncs } from './deferred-syncs.js';
import { join } from 'node:path';
import { PartitionLog } from './partition-log.js';
import type { LogConfig } from './log-config.js';
import { readRecoveryPoints, writeRecoveryPoints, type RecoveryPoint } from './recovery-points.js';
import { scrub } from './scrubber.js';
import { capacityWithin, FileCache } from './file-cache.js';

const CLEAN_MARKER = '.samsa-clean-shutdown';
export const DEFAULT_MAX_OPEN_FILES = 1024;
/** fsyncs in flight at once when closing. */
const CLOSE_FLUSHES = 32;
/** How long one turn of the background opener may hold the event loop. */
const OPEN_SLICE_MS = 5;
/** When the first background chore runs after one is queued: past the start-up that queued it. */
const CHORES_AFTER_MS = 2000;

export interface LogManagerOptions {
  retentionCheckIntervalMs?: number;
  cleanerBackoffMs?: number;
  checkpointIntervalMs?: number;
  /** A topic's log configs; also settable later with `configure`. */
  configFor?: (topic: string) => Partial<LogConfig>;
  report?: (message: string) => void;
  /** Segment descriptors kept open at most, over all logs (log.max.open.files); at most half the process's `ulimit -n`. */
  maxOpenFiles?: number;
}

/** A log on disk not opened yet, and the recovery point the checkpoint gave it. */
interface Unopened { topic: string; partition: number; recoveryPoint: number | undefined }

export class LogManager {
  private readonly logs = new Map<string, PartitionLog>();
  /** Logs whose partition.metadata was checked against their topic's id, and that id. */
  private readonly topicIds = new WeakMap<PartitionLog, string>();
  private readonly unopened = new Map<string, Unopened>();
  private configFor: (topic: string) => Partial<LogConfig> = () => ({});
  private opener: NodeJS.Immediate | undefined;
  private timer: NodeJS.Timeout | undefined;
  private cleaner: NodeJS.Timeout | undefined;
  private flusher: NodeJS.Timeout | undefined;
  private checkpointer: NodeJS.Timeout | undefined;
  private closing = false;
  /** The background opener's work: keys of logs unopened at start, and how far it got. */
  private toOpen: string[] = [];
  private nextToOpen = 0;
  /** After an unclean start: resolves when the data below every recovery point has been read and checked (scrubber.ts). */
  scrubbed: Promise<void> = Promise.resolve();

  /** fsyncs of partition.metadata and leader-epoch-checkpoint files, batched off the event loop. */
  private readonly syncs: DeferredSyncs;
  private readonly syncLater = (path: string): void => this.syncs.add(path);
  /**
   * Background jobs of the logs' opens (producer-snapshots.ts's deleteLater):
   * started a while after they are queued and run in short slices with gaps,
   * so that they neither delay a start-up (which gives the event loop many
   * turns) nor hold up requests for long.
   */
  private chores: (() => void)[] = [];
  private nextChore = 0;
  private choreRunner: NodeJS.Timeout | undefined;
  private readonly later = (job: () => void): void => {
    this.chores.push(job);
    this.choreRunner ??= setTimeout(() => this.runChores(OPEN_SLICE_MS), CHORES_AFTER_MS).unref();
  };

  private constructor(readonly dataDir: string, private readonly report: (message: string) => void, readonly files: FileCache) {
    this.syncs = new DeferredSyncs(files, report);
  }

  static open(dataDir: string, opts: LogManagerOptions = {}): LogManager {
    mkdirSync(dataDir, { recursive: true });
    const report = opts.report ?? ((m: string) => { process.stderr.write(`${m}\n`); });
    const m = new LogManager(dataDir, report, new FileCache(capacityWithin(opts.maxOpenFiles ?? DEFAULT_MAX_OPEN_FILES)));
    if (opts.configFor) m.configFor = opts.configFor;
    const marker = join(dataDir, CLEAN_MARKER);
    const clean = existsSync(marker);
    if (clean) unlinkSync(marker);
    // After a clean stop the file holds every log's end; unopened logs keep those until they open.
    const points = m.files.withRoom(() => readRecoveryPoints(dataDir, clean ? () => {} : report));
    for (const entry of m.files.withRoom(() => readdirSync(dataDir, { withFileTypes: true }))) {
      const match = /^(.+)-(\d+)$/.exec(entry.name);
      if (!match || !entry.isDirectory()) continue;
      const [, topic, p] = match;
      const recoveryPoint = points.get(`${topic} ${p}`);
      if (clean) m.unopened.set(`${topic}:${p}`, { topic: topic!, partition: Number(p), recoveryPoint });
      else m.logs.set(`${topic}:${p}`, m.openLog(topic!, Number(p), m.configFor(topic!), false, recoveryPoint ?? 0));
    }
    if (!clean) m.scrubbed = m.scrubTrusted(new Map([...m.logs.values()].map((l) => [l, l.recoveryPoint])));
    if (m.unopened.size > 0) {
      m.toOpen = [...m.unopened.keys()];
      m.opener = setImmediate(() => m.openInBackground()).unref();
    }
    // Kafka's log.flush.offset.checkpoint.interval.ms: recovery after a crash starts at what this file last said.
    m.checkpointer = setInterval(() => void m.checkpointRecoveryPointsSynced(), opts.checkpointIntervalMs ?? 60_000);
    m.checkpointer.unref();
    m.timer = setInterval(() => m.eachLog('retention', (l) => l.applyRetention()), opts.retentionCheckIntervalMs ?? 300_000);
    m.timer.unref();
    // The cleaner: a compaction pass over compacted logs every cleanerBackoffMs (Kafka's log.cleaner.backoff.ms, 15 s).
    m.cleaner = setInterval(() => m.eachLog('compaction', (l) => l.compact()), opts.cleanerBackoffMs ?? 15_000);
    m.cleaner.unref();
    // flush.ms between appends: a once-a-second check (logs with the default, Long.MAX, never match).
    m.flusher = setInterval(() => m.eachLog('flush', (l) => l.flushIfDue()), 1000);
    m.flusher.unref();
    m.timer.unref();
    return m;
  }

  /** A background task over every log: an I/O error in one log is reported, never thrown out of a timer (that would end the process). */
  private eachLog(task: string, fn: (log: PartitionLog) => unknown): void {
    for (const l of this.logs.values()) {
      try { fn(l); } catch (err) { this.report(`${task} of ${l.topic}-${l.partition} failed: ${(err as Error).message}`); }
    }
  }

  private openLog(topic: string, partition: number, config: Partial<LogConfig>, clean: boolean, recoveryPoint: number | undefined): PartitionLog {
    return PartitionLog.open(this.dataDir, topic, partition, config, clean, { recoveryPoint, report: this.report, files: this.files, syncLater: this.syncLater, later: this.later });
  }

  /**
   * Where logs take their configs from when they open from now on (the
   * broker's topic configs exist only after the log manager); logs open
   * already take theirs now.
   */
  configure(configFor: (topic: string) => Partial<LogConfig>): void {
    this.configFor = configFor;
    for (const l of this.logs.values()) l.setConfig(configFor(l.topic));
  }

  /**
   * The partition's log, opened now if it was not yet (after a clean start);
   * undefined when there is none. Throws when it cannot be opened (the next
   * call tries again).
   */
  get(topic: string, partition: number): PartitionLog | undefined {
    const key = `${topic}:${partition}`;
    return this.logs.get(key) ?? this.openUnopened(key, undefined);
  }

  /** The logs opened so far. */
  all(): PartitionLog[] { return [...this.logs.values()]; }

  create(topic: string, partition: number, config: Partial<LogConfig> = {}): PartitionLog {
    const key = `${topic}:${partition}`;
    let log = this.logs.get(key) ?? this.openUnopened(key, config);
    if (!log) {
      log = this.openLog(topic, partition, config, true, undefined);
      this.logs.set(key, log);
    }
    return log;
  }

  private openUnopened(key: string, config: Partial<LogConfig> | undefined): PartitionLog | undefined {
    const u = this.unopened.get(key);
    if (!u) return undefined;
    // Its files are as the clean stop left them: trusted, as every log is after a clean stop.
    const log = this.openLog(u.topic, u.partition, config ?? this.configFor(u.topic), true, u.recoveryPoint);
    this.unopened.delete(key);
    this.logs.set(key, log);
    return log;
  }

  /** Opens unopened logs for a few milliseconds, then yields to the event loop and goes on. */
  private openInBackground(): void {
    this.opener = undefined;
    const until = performance.now() + OPEN_SLICE_MS;
    while (this.nextToOpen < this.toOpen.length && !this.closing) {
      const key = this.toOpen[this.nextToOpen++]!;
      try {
        this.openUnopened(key, undefined);
      } catch (err) {
        // It stays unopened: its first use tries again and gets the error.
        const u = this.unopened.get(key);
        this.report(`cannot open the log of ${u?.topic}-${u?.partition}: ${(err as Error).message}`);
      }
      if (performance.now() >= until) break;
    }
    if (this.nextToOpen < this.toOpen.length && !this.closing) this.opener = setImmediate(() => this.openInBackground()).unref();
    else this.toOpen = [];
  }

  /** Runs queued chores for about `sliceMs` (all of them when Infinity), then yields and goes on. */
  private runChores(sliceMs: number): void {
    this.choreRunner = undefined;
    const until = performance.now() + sliceMs;
    while (this.nextChore < this.chores.length) {
      const job = this.chores[this.nextChore++]!;
      try { job(); } catch (err) { this.report(`background task failed: ${(err as Error).message}`); }
      if (performance.now() >= until) break;
    }
    if (this.nextChore < this.chores.length) this.choreRunner = setTimeout(() => this.runChores(OPEN_SLICE_MS), OPEN_SLICE_MS).unref();
    else { this.chores = []; this.nextChore = 0; }
  }

  /**
   * The log of partition `partition` of the topic whose id is `topicId`. A
   * log recorded for another id (a topic of that name deleted while this
   * broker was away, then created again) is closed and moved aside as a
   * stray, `<dir>.<its id>-stray` as Kafka names them, never served or
   * deleted; a fresh log takes its place. A log with no id recorded yet
   * (written before ids were) takes this one.
   */
  forTopicId(topic: string, partition: number, topicId: string, config: Partial<LogConfig> = {}): PartitionLog {
    const log = this.create(topic, partition, config);
    if (this.topicIds.get(log) === topicId) return log;
    const recorded = this.files.withRoom(() => readTopicId(log.dir));
    if (recorded === undefined || recorded === topicId) {
      if (recorded === undefined) this.syncs.add(this.files.withRoom(() => writeTopicId(log.dir, topicId, false)));
      this.topicIds.set(log, topicId);
      return log;
    }
    const key = `${topic}:${partition}`;
    log.close();
    this.logs.delete(key);
    const stray = `${log.dir}.${recorded}-stray`;
    renameSync(log.dir, stray);
    this.report(`${topic}-${partition}: the log on disk belongs to topic id ${recorded}, not ${topicId} (the topic was deleted and created again while this broker was away); moved aside to ${stray}`);
    return this.forTopicId(topic, partition, topicId, config);
  }

  delete(topic: string, partition: number): void {
    const key = `${topic}:${partition}`;
    const log = this.logs.get(key);
    if (log) log.destroy();
    else if (this.unopened.delete(key)) rmSync(join(this.dataDir, `${topic}-${partition}`), { recursive: true, force: true });
    this.logs.delete(key);
  }

  /** One log at a time, in the background: the scrubber only reads, and serving comes first. */
  private async scrubTrusted(points: Map<PartitionLog, number>): Promise<void> {
    await new Promise((r) => setImmediate(r));
    for (const [log, upTo] of points) {
      if (this.closing) return;
      try {
        await scrub(log, upTo, this.report, () => this.closing);
      } catch (err) {
        this.report(`${log.topic}-${log.partition}: cannot check the data below the recovery point: ${(err as Error).message}`);
      }
    }
  }

  /** Writes every log's recovery point (a failure is reported; the previous file stays). */
  checkpointRecoveryPoints(): void {
    this.writePoints(this.recoveryPoints());
  }

  /**
   * The periodic checkpoint: the points are taken first, then the queued
   * epoch files are synced, then the points written. An epoch assigned after
   * the points were taken starts at or past them, so no durable recovery
   * point passes data whose epoch is only in an unsynced file.
   */
  private async checkpointRecoveryPointsSynced(): Promise<void> {
    const points = this.recoveryPoints();
    await this.syncs.flush();
    if (!this.closing) this.writePoints(points);
  }

  private recoveryPoints(): RecoveryPoint[] {
    const points = [...this.logs.values()].map((l) => ({ topic: l.topic, partition: l.partition, offset: l.recoveryPoint }));
    for (const u of this.unopened.values()) {
      if (u.recoveryPoint !== undefined) points.push({ topic: u.topic, partition: u.partition, offset: u.recoveryPoint });
    }
    return points;
  }

  private writePoints(points: RecoveryPoint[]): void {
    try {
      this.files.withRoom(() => writeRecoveryPoints(this.dataDir, points));
    } catch (err) {
      this.report(`cannot write the recovery point checkpoint: ${(err as Error).message}`);
    }
  }

  /**
   * Lets go of every log as a crash would (an in-process broker stopped for
   * fault injection): timers stop and files close, but nothing is flushed,
   * no recovery point is written and there is no clean-shutdown marker, so
   * the next open recovers. Writes already handed to the OS still land.
   */
  abandon(): void {
    this.closing = true;
    clearImmediate(this.opener);
    clearInterval(this.timer);
    clearInterval(this.cleaner);
    clearInterval(this.flusher);
    clearInterval(this.checkpointer);
    this.syncs.stop();
    // Left undone, as a crash leaves them: the next open does them again.
    clearTimeout(this.choreRunner);
    this.chores = [];
    this.nextChore = 0;
    for (const l of this.logs.values()) {
      void l.settled().then(() => l.close(), () => l.close());
    }
    this.logs.clear();
  }

  async close(): Promise<void> {
    this.closing = true;
    clearImmediate(this.opener);
    await this.scrubbed;
    clearInterval(this.timer);
    clearInterval(this.cleaner);
    clearInterval(this.flusher);
    clearInterval(this.checkpointer);
    await Promise.all([...this.logs.values()].map((l) => l.settled()));
    let clean = true;
    // Many fsyncs at once: one after another, 100,000 logs with unflushed data took minutes.
    const logs = [...this.logs.values()];
    let next = 0;
    const flusher = async () => {
      while (next < logs.length) {
        const l = logs[next++]!;
        try { await l.flushAsync(); } catch (err) { clean = false; this.report(`cannot flush ${l.topic}-${l.partition}: ${(err as Error).message}`); }
        // Spares the next start a replay of batch headers; without it that start only replays more.
        try { await l.snapshotProducerState(); } catch (err) { this.report(`cannot write the producer snapshot of ${l.topic}-${l.partition}: ${(err as Error).message}`); }
      }
    };
    await Promise.all(Array.from({ length: CLOSE_FLUSHES }, flusher));
    for (const l of logs) {
      if (l.offline) clean = false;
      l.close();
    }
    // The clean marker says every file is durable, the batched epoch and topic id files too, and that chores are done.
    clearTimeout(this.choreRunner);
    this.runChores(Infinity);
    await this.syncs.flush();
    this.syncs.stop();
    this.checkpointRecoveryPoints();
    this.logs.clear();
    // A log that could not be flushed is recovered at the next start, as after a crash.
    if (clean) this.files.withRoom(() => writeFileSync(join(this.dataDir, CLEAN_MARKER), ''));
  }
}
