/**
 * All partition logs of a data directory. A file `.samsa-clean-shutdown` is
 * written by close() after every log is flushed and removed at open, so its
 * absence at open means the last run crashed: then each log verifies the
 * batches past its recovery point, read from Kafka's
 * `recovery-point-offset-checkpoint` file, which is rewritten every
 * `log.flush.offset.checkpoint.interval.ms` and at close (recovery-points.ts).
 * Retention runs on an unref'd timer.
 */
import { existsSync, mkdirSync, readdirSync, unlinkSync, writeFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PartitionLog } from './partition-log.js';
import type { LogConfig } from './log-config.js';
import { readRecoveryPoints, writeRecoveryPoints } from './recovery-points.js';
import { scrub } from './scrubber.js';

const CLEAN_MARKER = '.samsa-clean-shutdown';

export class LogManager {
  private readonly logs = new Map<string, PartitionLog>();
  private timer: NodeJS.Timeout | undefined;
  private cleaner: NodeJS.Timeout | undefined;
  private flusher: NodeJS.Timeout | undefined;
  private checkpointer: NodeJS.Timeout | undefined;
  private closing = false;
  /** After an unclean start: resolves when the data below every recovery point has been read and checked (scrubber.ts). */
  scrubbed: Promise<void> = Promise.resolve();

  private constructor(readonly dataDir: string, private readonly report: (message: string) => void) {}

  static open(dataDir: string, opts: {
    retentionCheckIntervalMs?: number; cleanerBackoffMs?: number; checkpointIntervalMs?: number;
    configFor?: (topic: string) => Partial<LogConfig>; report?: (message: string) => void;
  } = {}): LogManager {
    mkdirSync(dataDir, { recursive: true });
    const report = opts.report ?? ((m: string) => { process.stderr.write(`${m}\n`); });
    const m = new LogManager(dataDir, report);
    const marker = join(dataDir, CLEAN_MARKER);
    const clean = existsSync(marker);
    if (clean) unlinkSync(marker);
    const points = clean ? new Map<string, number>() : readRecoveryPoints(dataDir, report);
    for (const name of readdirSync(dataDir)) {
      const match = /^(.+)-(\d+)$/.exec(name);
      if (!match || !statSync(join(dataDir, name)).isDirectory()) continue;
      const [, topic, p] = match;
      const recoveryPoint = points.get(`${topic} ${p}`) ?? 0;
      m.logs.set(`${topic}:${p}`, PartitionLog.open(dataDir, topic!, Number(p), opts.configFor?.(topic!) ?? {}, clean, { recoveryPoint, report }));
    }
    if (!clean) m.scrubbed = m.scrubTrusted(new Map([...m.logs.values()].map((l) => [l, l.recoveryPoint])));
    // Kafka's log.flush.offset.checkpoint.interval.ms: recovery after a crash starts at what this file last said.
    m.checkpointer = setInterval(() => m.checkpointRecoveryPoints(), opts.checkpointIntervalMs ?? 60_000);
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

  get(topic: string, partition: number): PartitionLog | undefined { return this.logs.get(`${topic}:${partition}`); }
  all(): PartitionLog[] { return [...this.logs.values()]; }

  create(topic: string, partition: number, config: Partial<LogConfig> = {}): PartitionLog {
    const key = `${topic}:${partition}`;
    let log = this.logs.get(key);
    if (!log) {
      log = PartitionLog.open(this.dataDir, topic, partition, config, true, { report: this.report });
      this.logs.set(key, log);
    }
    return log;
  }

  delete(topic: string, partition: number): void {
    const key = `${topic}:${partition}`;
    this.logs.get(key)?.destroy();
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
    try {
      writeRecoveryPoints(this.dataDir, [...this.logs.values()].map((l) => ({ topic: l.topic, partition: l.partition, offset: l.recoveryPoint })));
    } catch (err) {
      this.report(`cannot write the recovery point checkpoint: ${(err as Error).message}`);
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.scrubbed;
    clearInterval(this.timer);
    clearInterval(this.cleaner);
    clearInterval(this.flusher);
    clearInterval(this.checkpointer);
    await Promise.all([...this.logs.values()].map((l) => l.settled()));
    let clean = true;
    for (const l of this.logs.values()) {
      try { l.flush(); } catch (err) { clean = false; this.report(`cannot flush ${l.topic}-${l.partition}: ${(err as Error).message}`); }
      if (l.offline) clean = false;
      l.close();
    }
    this.checkpointRecoveryPoints();
    this.logs.clear();
    // A log that could not be flushed is recovered at the next start, as after a crash.
    if (clean) writeFileSync(join(this.dataDir, CLEAN_MARKER), '');
  }
}
