/** The topic configs the log acts on, as numbers (ms, bytes). Long.MAX_VALUE defaults are Infinity. */
export interface LogConfig {
  segmentBytes: number;
  segmentMs: number;
  retentionMs: number;
  retentionBytes: number;
  /** Appends between fsyncs (Kafka's flush.messages); 1 = every append. */
  flushMessages: number;
  /** Interval of time-based fsyncs (flush.ms). */
  flushMs: number;
  indexIntervalBytes: number;
  /** segment.index.bytes: the largest .index/.timeindex; a full one rolls the segment. */
  segmentIndexBytes: number;
  /** cleanup.policy: delete old segments (retention) and/or compact by key. */
  deletePolicy: boolean;
  compactPolicy: boolean;
  deleteRetentionMs: number;
  minCleanableDirtyRatio: number;
  minCompactionLagMs: number;
}

export const DEFAULT_LOG_CONFIG: LogConfig = {
  segmentBytes: 1 << 30,
  segmentMs: 7 * 24 * 3600 * 1000,
  retentionMs: 7 * 24 * 3600 * 1000,
  retentionBytes: -1,
  flushMessages: Infinity,
  flushMs: Infinity,
  indexIntervalBytes: 4096,
  segmentIndexBytes: 10 * 1024 * 1024,
  deletePolicy: true,
  compactPolicy: false,
  deleteRetentionMs: 24 * 3600 * 1000,
  minCleanableDirtyRatio: 0.5,
  minCompactionLagMs: 0,
};
