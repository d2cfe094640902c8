/**
 * All partition logs of a data directory. A file `.samsa-clean-shutdown` is
 * written by close() after every log is flushed and removed at open, so its
 * absence at open means the last run crashed and every batch is verified.
 * Retention runs on an unref'd timer.
 */
import { existsSync, mkdirSync, readdirSync, unlinkSync, writeFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PartitionLog } from './partition-log.js';
import type { LogConfig } from './log-config.js';

const CLEAN_MARKER = '.samsa-clean-shutdown';

export class LogManager {
  private readonly logs = new Map<string, PartitionLog>();
  private timer: NodeJS.Timeout | undefined;
  private cleaner: NodeJS.Timeout | undefined;
  private flusher: NodeJS.Timeout | undefined;

  private constructor(readonly dataDir: string) {}

  static open(dataDir: string, opts: { retentionCheckIntervalMs?: number; cleanerBackoffMs?: number; configFor?: (topic: string) => Partial<LogConfig> } = {}): LogManager {
    mkdirSync(dataDir, { recursive: true });
    const m = new LogManager(dataDir);
    const marker = join(dataDir, CLEAN_MARKER);
    const clean = existsSync(marker);
    if (clean) unlinkSync(marker);
    for (const name of readdirSync(dataDir)) {
      const match = /^(.+)-(\d+)$/.exec(name);
      if (!match || !statSync(join(dataDir, name)).isDirectory()) continue;
      const [, topic, p] = match;
      m.logs.set(`${topic}:${p}`, PartitionLog.open(dataDir, topic!, Number(p), opts.configFor?.(topic!) ?? {}, clean));
    }
    m.timer = setInterval(() => { for (const l of m.logs.values()) l.applyRetention(); }, opts.retentionCheckIntervalMs ?? 300_000);
    m.timer.unref();
    // The cleaner: a compaction pass over compacted logs every cleanerBackoffMs (Kafka's log.cleaner.backoff.ms, 15 s).
    m.cleaner = setInterval(() => { for (const l of m.logs.values()) l.compact(); }, opts.cleanerBackoffMs ?? 15_000);
    m.cleaner.unref();
    // flush.ms between appends: a once-a-second check (logs with the default, Long.MAX, never match).
    m.flusher = setInterval(() => { for (const l of m.logs.values()) l.flushIfDue(); }, 1000);
    m.flusher.unref();
    m.timer.unref();
    return m;
  }

  get(topic: string, partition: number): PartitionLog | undefined { return this.logs.get(`${topic}:${partition}`); }
  all(): PartitionLog[] { return [...this.logs.values()]; }

  create(topic: string, partition: number, config: Partial<LogConfig> = {}): PartitionLog {
    const key = `${topic}:${partition}`;
    let log = this.logs.get(key);
    if (!log) {
      log = PartitionLog.open(this.dataDir, topic, partition, config, true);
      this.logs.set(key, log);
    }
    return log;
  }

  delete(topic: string, partition: number): void {
    const key = `${topic}:${partition}`;
    this.logs.get(key)?.destroy();
    this.logs.delete(key);
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    clearInterval(this.cleaner);
    clearInterval(this.flusher);
    await Promise.all([...this.logs.values()].map((l) => l.settled()));
    for (const l of this.logs.values()) { l.flush(); l.close(); }
    this.logs.clear();
    writeFileSync(join(this.dataDir, CLEAN_MARKER), '');
  }
}
