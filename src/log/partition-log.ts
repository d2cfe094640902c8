/**
 * A partition's log (Kafka's UnifiedLog): a directory `<topic>-<partition>/`
 * of segments, the log start offset (checkpointed in `log-start-offset`) and
 * the log end offset.
 *
 * Invariants: offsets are dense and assigned here, synchronously, in append
 * order; a read returns whole batches, never bytes whose write has not
 * completed, and never a batch at or past the caller's upper bound (the high
 * watermark). Retention removes whole segments, never the active one.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { BatchHeader, BATCH_HEADER_SIZE, Compression, LOG_OVERHEAD } from '../wire/records/batch-header.js';
import { firstRecordAtOrAfter } from '../wire/records/record-walk.js';
import { MAX_DECOMPRESSED } from '../wire/records/record-reader.js';
import { ErrorCode, KafkaError } from '../wire/errors.js';
import { deleteIndexFiles, INDEX_SUFFIXES, lastOffsetIn, LogSegment, segmentFileName, type SegmentOptions } from './log-segment.js';
import { writeInt64 } from './int64.js';
import { cleanSegments, completeInterruptedSwaps, type CleanResult } from './log-cleaner.js';
import { DEFAULT_LOG_CONFIG, type LogConfig } from './log-config.js';
import { FileCache } from './file-cache.js';

const START_CHECKPOINT = 'log-start-offset';
/** How long a log whose recovery from a failed write failed waits before trying again. */
const RETRY_RECOVERY_MS = 1000;

export interface OpenOptions {
  /**
   * Offset below which the data is known to be fsynced (recovery verifies
   * only from there). Default: the log end after a clean stop, 0 otherwise.
   */
  recoveryPoint?: number;
  /** The segment descriptors' cache, shared by the logs of a log manager; a log opened alone gets its own. */
  files?: FileCache;
  /** Error-level reports: recovery moving data aside, failed writes. */
  report?: (message: string) => void;
}

const reportToStderr = (message: string): void => { process.stderr.write(`${message}\n`); };
/** Descriptors of a log opened without a log manager's cache. */
const OWN_CACHE_FILES = 16;

/** Thrown by append while the log cannot take writes (a write failed; it is being truncated back). */
export class LogWriteError extends Error {
  override readonly name = 'LogWriteError';
}
/** Index entries hold offsets relative to the segment's base as int32. */
const MAX_RELATIVE_OFFSET = 0x7fffffff;

export class PartitionLog {
  private segments: LogSegment[] = [];
  private _logStartOffset = 0;
  private unflushed = 0;
  private lastFlushMs = Date.now();
  deleted = false;
  /** Offset below which every byte is known to be fsynced (Kafka's recovery point). */
  recoveryPoint = 0;
  /** Set from a failed write until the log is truncated back to what was written. */
  private writeError: Error | null = null;
  /** Counts truncations: state derived from the log (producer state, high watermark) is stale when it changes. */
  truncations = 0;
  private segmentOpts: SegmentOptions | undefined;

  private constructor(readonly dir: string, readonly topic: string, readonly partition: number, public config: LogConfig,
    private readonly report: (message: string) => void, private readonly files: FileCache) {}

  /** The failed write the log is recovering from, or null when it takes appends. */
  get offline(): Error | null { return this.writeError; }

  /**
   * Opens (or creates) the log. After an unclean shutdown only the segments
   * that may hold data past `recoveryPoint` (the offset below which data was
   * fsynced, from the log manager's checkpoint) are verified: a bad batch
   * there moves the rest of the tail aside (log-segment.ts) and every later
   * segment with it (renamed to `.corrupt`), as nothing after a torn write
   * was acknowledged. Segments below the recovery point are trusted, as
   * Kafka trusts them; damage in them is served as is and reported by the
   * clients' CRC checks, never "repaired" by deleting data. When recovery
   * removed offsets, the log continues after the largest of them, so no
   * offset is used twice.
   */
  static open(dataDir: string, topic: string, partition: number, config: Partial<LogConfig> = {}, clean = false, opts: OpenOptions = {}): PartitionLog {
    const dir = join(dataDir, `${topic}-${partition}`);
    mkdirSync(dir, { recursive: true });
    const files = opts.files ?? new FileCache(OWN_CACHE_FILES);
    const log = new PartitionLog(dir, topic, partition, { ...DEFAULT_LOG_CONFIG, ...config }, opts.report ?? reportToStderr, files);
    try {
      log.load(clean, opts.recoveryPoint);
    } catch (err) {
      // The segments opened so far give their descriptors back.
      log.close();
      throw err;
    }
    return log;
  }

  private load(clean: boolean, checkpointed: number | undefined): void {
    const dir = this.dir;
    let names = this.files.withRoom(() => readdirSync(dir));
    if (completeInterruptedSwaps(dir, names)) names = this.files.withRoom(() => readdirSync(dir));
    const bases = names.filter((f) => f.length === 24 && /^\d{20}\.log$/.test(f)).map((f) => Number(f.slice(0, 20))).sort((a, b) => a - b);
    // Index files whose segment is gone (a crash between the two unlinks) would be taken for a new segment's.
    for (const f of names) {
      const m = /^(\d{20})(\.\w+)$/.exec(f);
      if (m && (INDEX_SUFFIXES as readonly string[]).includes(m[2]!) && !bases.includes(Number(m[1]))) unlinkSync(join(dir, f));
    }
    const recoveryPoint = checkpointed ?? 0;
    let removedUpTo = -1;
    let cutAt: number | undefined;
    for (let i = 0; i < bases.length; i++) {
      const base = bases[i]!;
      if (cutAt !== undefined) {
        removedUpTo = Math.max(removedUpTo, this.moveSegmentAside(base, cutAt));
        continue;
      }
      // A segment is below the recovery point when the next one starts at or before it.
      const verify = !clean && !(i + 1 < bases.length && bases[i + 1]! <= recoveryPoint);
      const prev = this.segments[this.segments.length - 1];
      if (verify && prev && prev.nextOffset < base && statSync(join(dir, segmentFileName(base))).size === 0) {
        // Rolled while the previous segment's last writes were still in flight, and the crash came
        // first: those offsets were never written, so the empty segment goes and the log ends where the data does.
        unlinkSync(join(dir, segmentFileName(base)));
        deleteIndexFiles(dir, base);
        continue;
      }
      const { segment, tail } = LogSegment.open(dir, base, this.segmentOptions(), verify);
      this.segments.push(segment);
      if (tail) {
        removedUpTo = Math.max(removedUpTo, tail.maxOffset);
        cutAt = segment.nextOffset;
      }
    }
    const saved = names.includes(START_CHECKPOINT) ? Number(this.files.withRoom(() => readFileSync(join(dir, START_CHECKPOINT), 'utf8')).trim()) || 0 : 0;
    this._logStartOffset = Math.max(saved, this.segments[0]?.baseOffset ?? 0);
    if (this.segments.length === 0) this.segments.push(LogSegment.create(dir, this._logStartOffset, this.segmentOptions()));
    for (const s of this.segments.slice(0, -1)) s.seal();
    if (removedUpTo >= this.logEndOffset) {
      // Offsets up to removedUpTo may have been seen: the log continues after them (a gap, as compaction leaves).
      this.report(`${this.topic}-${this.partition}: recovery removed offsets ${this.logEndOffset}..${removedUpTo}; the log continues at ${removedUpTo + 1}`);
      this.roll(removedUpTo + 1);
    }
    this._logStartOffset = Math.min(this._logStartOffset, this.logEndOffset);
    // An array of exactly its segments: pushes left room for 16 more, in each of 100,000 logs.
    this.segments = this.segments.slice();
    this.recoveryPoint = Math.min(checkpointed ?? (clean ? this.logEndOffset : 0), this.logEndOffset);
  }

  /**
   * Recovery: a whole segment after a torn one is renamed to
   * `<base>.log.corrupt` with its indexes dropped; returns the largest offset
   * its batches claim (-1 when none can be read).
   */
  private moveSegmentAside(base: number, after: number): number {
    const path = join(this.dir, segmentFileName(base));
    let maxOffset = -1;
    try { maxOffset = lastOffsetIn(this.files.withRoom(() => readFileSync(path)), base); } catch { /* unreadable: moved as it is */ }
    let target = `${path}.corrupt`;
    for (let n = 1; existsSync(target); n++) target = `${path}.corrupt.${n}`;
    renameSync(path, target);
    deleteIndexFiles(this.dir, base);
    this.report(`recovery: ${path} follows a torn segment (which ends at offset ${after - 1}); moved aside to ${target}${maxOffset >= 0 ? ` (offsets up to ${maxOffset})` : ''}`);
    return maxOffset;
  }

  /** One options object for the segments made under the same config (a new one after setConfig). */
  private segmentOptions(): SegmentOptions {
    return this.segmentOpts ??= {
      files: this.files, indexIntervalBytes: this.config.indexIntervalBytes, maxIndexBytes: this.config.segmentIndexBytes,
      onWriteError: this.onWriteError, report: this.report,
    };
  }

  /**
   * A write failed (disk full, I/O error): no append is taken, every append
   * not yet written fails (in this segment and the later ones), and once
   * nothing is in flight the log is cut back to what was written and takes
   * appends again. The failed bytes and everything after them were never
   * acknowledged, so nothing acknowledged is lost; offsets of the cut appends
   * are handed out again (no client saw them: the high watermark never passed them).
   */
  private readonly onWriteError = (err: Error): void => {
    if (this.writeError || this.deleted) return;
    this.writeError = err;
    this.report(`${this.topic}-${this.partition}: write failed (${err.message}); appends refused until the log is cut back to what was written`);
    const failedAt = this.segments.findIndex((s) => s.writeFailure !== null);
    for (const s of this.segments.slice(failedAt + 1)) s.failWrites(err);
    void this.recoverFromWriteError();
  };

  private async recoverFromWriteError(): Promise<void> {
    await this.settled();
    if (this.deleted) return;
    try {
      const failedAt = this.segments.findIndex((s) => s.writeFailure !== null);
      if (failedAt >= 0) {
        // Segments after the failed one hold only appends that failed with it.
        for (const s of this.segments.splice(failedAt + 1)) s.delete();
        const seg = this.segments[failedAt]!;
        const removed = seg.truncateToWritten();
        this.report(`${this.topic}-${this.partition}: cut ${removed} unwritten bytes; the log ends at offset ${this.logEndOffset} and takes appends again`);
      }
      this.recoveryPoint = Math.min(this.recoveryPoint, this.logEndOffset);
      this.truncations++;
      this.writeError = null;
    } catch (err) {
      this.report(`${this.topic}-${this.partition}: cannot cut the log back after a failed write (${(err as Error).message}); retrying`);
      setTimeout(() => void this.recoverFromWriteError(), RETRY_RECOVERY_MS).unref();
    }
  }

  get logStartOffset(): number { return this._logStartOffset; }
  get logEndOffset(): number { return this.active.nextOffset; }
  private get active(): LogSegment { return this.segments[this.segments.length - 1]!; }

  setConfig(partial: Partial<LogConfig>): void {
    this.config = { ...this.config, ...partial };
    this.segmentOpts = undefined;
  }

  /**
   * Assigns offsets to the batches in `records` (writing baseOffset and the
   * partition leader epoch in place), rolls the segment if needed and starts
   * the write. Returns at once; `done` resolves when the bytes are in the file.
   */
  append(records: Buffer, leaderEpoch: number): { baseOffset: number; lastOffset: number; done: Promise<void> } {
    if (this.deleted) throw new Error(`log ${this.topic}-${this.partition} is deleted`);
    if (this.writeError) throw new LogWriteError(`log ${this.topic}-${this.partition} is recovering from a failed write: ${this.writeError.message}`);
    let next = this.logEndOffset;
    const baseOffset = next;
    let batches = 0;
    // Header fields are read and written in place (no BatchHeader, no BigInt): this loop runs for every batch produced.
    for (let at = 0; at + BATCH_HEADER_SIZE <= records.length; batches++) {
      writeInt64(records, at, next);
      records.writeInt32BE(leaderEpoch, at + 12);
      next += records.readInt32BE(at + 23) + 1;
      at += records.readInt32BE(at + 8) + LOG_OVERHEAD;
    }
    const now = Date.now();
    if (this.shouldRoll(records.length, next - 1, batches, now)) this.roll(baseOffset);
    this.unflushed += batches;
    const fsync = this.unflushed >= this.config.flushMessages || now - this.lastFlushMs >= this.config.flushMs;
    if (fsync) { this.unflushed = 0; this.lastFlushMs = now; }
    const done = this.active.append(records, fsync);
    if (fsync) void done.then(() => { this.advanceRecoveryPoint(next); }, () => {});
    return { baseOffset, lastOffset: next - 1, done };
  }

  /** segment.bytes, segment.ms, a full index (segment.index.bytes), or an offset too far from the base for an index entry. */
  private shouldRoll(incoming: number, lastOffset: number, batches: number, now: number): boolean {
    const a = this.active;
    if (a.size === 0) return false;
    return a.size + incoming > this.config.segmentBytes || now - a.createdMs >= this.config.segmentMs
      || !a.indexHasRoomFor(batches) || lastOffset - a.baseOffset > MAX_RELATIVE_OFFSET;
  }

  /**
   * A new active segment at `baseOffset`. Its writes wait for the old one's
   * (so no later data lands behind a hole), and the old one is fsynced once
   * they are done, moving the recovery point to its end, as Kafka flushes a
   * segment when it rolls.
   */
  private roll(baseOffset: number): void {
    const old = this.active;
    const next = LogSegment.create(this.dir, baseOffset, this.segmentOptions(), old.idle());
    old.seal();
    this.segments.push(next);
    void old.flushWritten().then((ok) => { if (ok) this.advanceRecoveryPoint(old.nextOffset); });
  }

  private advanceRecoveryPoint(offset: number): void {
    if (!this.writeError && offset > this.recoveryPoint) this.recoveryPoint = Math.min(offset, this.logEndOffset);
  }

  private segmentFor(offset: number): number {
    let lo = 0, hi = this.segments.length - 1, found = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.segments[mid]!.baseOffset <= offset) { found = mid; lo = mid + 1; } else hi = mid - 1;
    }
    return found;
  }

  /**
   * Whole batches starting with the one containing `fetchOffset`, up to
   * `maxBytes` (the first batch even if larger), none at or past `upperBound`.
   */
  read(fetchOffset: number, maxBytes: number, upperBound: number): { chunks: Buffer[]; bytes: number } {
    const chunks: Buffer[] = [];
    let bytes = 0;
    if (fetchOffset >= upperBound || fetchOffset >= this.logEndOffset) return { chunks, bytes };
    for (let i = this.segmentFor(fetchOffset); i < this.segments.length; i++) {
      const { chunk, full } = this.segments[i]!.read(fetchOffset, maxBytes - bytes, upperBound, bytes === 0);
      if (chunk) { chunks.push(chunk); bytes += chunk.length; }
      if (full || bytes >= maxBytes) break;
    }
    return { chunks, bytes };
  }

  /**
   * `read` with asynchronous file reads, for callers that can wait: the event
   * loop is not held while data that is not in the page cache comes off the
   * disk. Same answer as `read` at the moment of the call (segments removed
   * meanwhile end the read early; it never returns bytes of another file).
   */
  async readAsync(fetchOffset: number, maxBytes: number, upperBound: number): Promise<{ chunks: Buffer[]; bytes: number }> {
    const chunks: Buffer[] = [];
    let bytes = 0;
    if (fetchOffset >= upperBound || fetchOffset >= this.logEndOffset) return { chunks, bytes };
    const segments = this.segments.slice(this.segmentFor(fetchOffset));
    for (const seg of segments) {
      const { chunk, full } = await seg.readAsync(fetchOffset, maxBytes - bytes, upperBound, bytes === 0);
      if (chunk) { chunks.push(chunk); bytes += chunk.length; }
      if (full || bytes >= maxBytes) break;
    }
    return { chunks, bytes };
  }

  /**
   * ListOffsets by time, as Kafka's LogSegment.findOffsetByTimestamp answers:
   * the first record at or past the log start offset whose timestamp is >=
   * `timestamp`, with that record's own timestamp, or null. A batch whose max
   * timestamp reaches the target is looked into record by record, decompressed
   * when it is compressed; a LogAppendTime batch's records carry its max
   * timestamp; control records count like any other, as in Kafka. A stored
   * batch that cannot be read is CORRUPT_MESSAGE.
   */
  offsetForTimestamp(timestamp: number): { offset: number; timestamp: number } | null {
    for (const seg of this.segments) {
      if (seg.maxTimestamp < timestamp) continue;
      for (const { header, position } of seg.headers(seg.positionForTimestamp(timestamp))) {
        if (header.maxTimestamp < timestamp || header.lastOffset < this._logStartOffset) continue;
        const batch = new BatchHeader(seg.readBytes(position, header.sizeInBytes), 0);
        let exact: { offset: number; timestamp: number } | null;
        try {
          exact = firstRecordAtOrAfter(batch, timestamp, this._logStartOffset, MAX_DECOMPRESSED);
        } catch (e) {
          throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, `Record batch at offset ${header.baseOffset} of ${this.dir} cannot be read: ${(e as Error).message}`);
        }
        if (exact) return exact;
      }
    }
    return null;
  }

  maxTimestampOffset(): { offset: number; timestamp: number } | null {
    let best: { offset: number; timestamp: number } | null = null;
    for (const s of this.segments) if (s.maxTimestamp >= 0 && (!best || s.maxTimestamp > best.timestamp)) best = { offset: s.maxTimestampOffset, timestamp: s.maxTimestamp };
    return best;
  }

  /** DeleteRecords: moves the log start offset (never past the end) and drops segments wholly below it. */
  deleteRecordsBefore(offset: number): number {
    const target = Math.min(offset, this.logEndOffset);
    if (target <= this._logStartOffset) return this._logStartOffset;
    this._logStartOffset = target;
    const tmp = join(this.dir, `${START_CHECKPOINT}.tmp`);
    writeFileSync(tmp, `${target}\n`);
    renameSync(tmp, join(this.dir, START_CHECKPOINT));
    while (this.segments.length > 1 && this.segments[1]!.baseOffset <= target) this.dropOldest();
    return target;
  }

  private dropOldest(): void {
    const seg = this.segments.shift()!;
    seg.delete();
    if (this._logStartOffset < this.segments[0]!.baseOffset) this._logStartOffset = this.segments[0]!.baseOffset;
  }

  /** Deletes inactive segments past retention.ms (by their newest timestamp) or beyond retention.bytes. */
  applyRetention(now = Date.now()): number {
    let removed = 0;
    const { retentionMs, retentionBytes } = this.config;
    if (!this.config.deletePolicy) return 0;
    while (this.segments.length > 1) {
      const oldest = this.segments[0]!;
      const expired = retentionMs >= 0 && oldest.maxTimestamp >= 0 && now - oldest.maxTimestamp > retentionMs;
      const tooBig = retentionBytes >= 0 && this.sizeInBytes() - oldest.size >= retentionBytes;
      if (!expired && !tooBig) break;
      this.dropOldest();
      removed++;
    }
    return removed;
  }

  /** Offset below which the log has been compacted (in memory: a restart cleans once more). */
  private cleanedUpTo = 0;

  /** One compaction pass if the policy asks for it and enough of the log is dirty (see log-cleaner.ts). */
  compact(now = Date.now()): CleanResult {
    const none = { segmentsRewritten: 0, recordsRemoved: 0 };
    if (!this.config.compactPolicy) return none;
    const cleanable = this.segments.slice(0, -1).filter((s) => s.maxTimestamp < 0 || now - s.maxTimestamp >= this.config.minCompactionLagMs);
    if (cleanable.length === 0) return none;
    // A segment is swapped for its cleaned copy by its path: not while bytes are still on their way to it (just rolled).
    if (cleanable.some((s) => s.writing)) return none;
    const total = cleanable.reduce((n, s) => n + s.size, 0);
    const dirty = cleanable.filter((s) => s.nextOffset > this.cleanedUpTo).reduce((n, s) => n + s.size, 0);
    if (total === 0 || dirty / total < this.config.minCleanableDirtyRatio) return none;
    const result = cleanSegments(cleanable, { now, deleteRetentionMs: this.config.deleteRetentionMs }, (old) => {
      const i = this.segments.indexOf(old);
      const { segment } = LogSegment.open(this.dir, old.baseOffset, this.segmentOptions(), false);
      segment.seal();
      this.segments[i] = segment;
    });
    this.cleanedUpTo = cleanable[cleanable.length - 1]!.nextOffset;
    return result;
  }

  *scanBatches(fromOffset: number): Generator<BatchHeader> {
    for (let i = this.segmentFor(fromOffset); i < this.segments.length; i++) {
      for (const { header } of this.segments[i]!.headers(0)) if (header.lastOffset >= fromOffset) yield header;
    }
  }

  sizeInBytes(): number { return this.segments.reduce((n, s) => n + s.size, 0); }
  segmentCount(): number { return this.segments.length; }

  /** fsyncs the segments past the recovery point; with no write in flight, everything is below it then. */
  flush(): void {
    const writing = this.segments.some((s) => s.writing);
    for (const s of this.segments) if (s.nextOffset > this.recoveryPoint) s.flush();
    if (!writing && !this.writeError) this.recoveryPoint = this.logEndOffset;
  }

  /** `flush` with the fsyncs off the event loop, so that many logs can be flushed at once (a shutdown). */
  async flushAsync(): Promise<void> {
    const writing = this.segments.some((s) => s.writing);
    for (const s of this.segments) if (s.nextOffset > this.recoveryPoint) await s.fsync();
    if (!writing && !this.writeError) this.recoveryPoint = this.logEndOffset;
  }

  /** flush.ms: fsyncs when appends are waiting and the interval has passed (called by the LogManager's flusher). */
  flushIfDue(now = Date.now()): boolean {
    if (this.unflushed === 0 || now - this.lastFlushMs < this.config.flushMs) return false;
    this.unflushed = 0;
    this.lastFlushMs = now;
    this.flush();
    return true;
  }

  /** Resolves when every append started so far has reached the file (failed ones included). */
  async settled(): Promise<void> {
    await Promise.all(this.segments.map((s) => s.idle()));
  }

  close(): void {
    for (const s of this.segments) s.close();
  }

  /** Closes and removes the partition's directory. */
  destroy(): void {
    this.deleted = true;
    // delete(), not close(): a segment closing after its writes must not write index files into a removed directory.
    for (const s of this.segments) s.delete();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
