/**
 * A partition's log (Kafka's UnifiedLog): a directory `<topic>-<partition>/`
 * of segments, the log start offset (checkpointed in `log-start-offset`), the
 * log end offset, and where each leader epoch starts (`leader-epoch-checkpoint`,
 * leader-epoch-cache.ts). A leader appends with `append` (offsets assigned
 * here), a follower with `appendAsFollower` (the leader's offsets), and a
 * follower whose tail diverged cuts it with `truncateTo`. The producer state
 * (idempotence, transactions) lives here too, with its `.snapshot` files and
 * the segments' `.txnindex` files (producer-state-store.ts).
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
import { deleteIndexFiles, INDEX_SUFFIXES, lastOffsetIn, LogSegment, segmentFileName, type SegmentOptions, type ReadAlloc } from './log-segment.js';
import { writeInt64 } from './int64.js';
import { cleanSegments, completeInterruptedSwaps, type CleanResult } from './log-cleaner.js';
import { DEFAULT_LOG_CONFIG, type LogConfig } from './log-config.js';
import { FileCache } from './file-cache.js';
import { LEADER_EPOCH_CHECKPOINT, LeaderEpochCache, type EpochEntry } from './leader-epoch-cache.js';
import { readInt64 } from './int64.js';
import { ProducerSnapshots } from './producer-snapshots.js';
import { hasProducerId, ProducerStateStore } from './producer-state-store.js';
import type { ProducerStateManager, AbortedTxn } from './producer-state-manager.js';
import { deleteTxnIndexFile, TXN_INDEX_SUFFIX } from './txn-index.js';

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
  /** Takes the fsync of a rewritten leader-epoch-checkpoint, to batch it with others' (deferred-syncs.ts); without it the write fsyncs. */
  syncLater?: (path: string) => void;
  /** Runs a job soon, in the background on this thread: the open's deletions of producer snapshots (producer-snapshots.ts); without it they run at once. */
  later?: (job: () => void) => void;
}

const reportToStderr = (message: string): void => { process.stderr.write(`${message}\n`); };
/** Descriptors of a log opened without a log manager's cache. */
const OWN_CACHE_FILES = 16;

/** Thrown by append while the log cannot take writes (a write failed; it is being truncated back). */
export class LogWriteError extends Error {
  override readonly name = 'LogWriteError';
}
/**
 * Thrown by appendAsFollower when the first batch starts below the log end
 * (Kafka's UnexpectedAppendOffsetException): the follower's log and the
 * fetch disagree; the offsets of that first batch say what it held.
 */
export class UnexpectedAppendOffsetError extends Error {
  override readonly name = 'UnexpectedAppendOffsetError';
  constructor(message: string, readonly firstOffset: number, readonly lastOffset: number) { super(message); }
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
  /** Where each leader epoch starts (leader-epoch-checkpoint). */
  private readonly epochs: LeaderEpochCache;
  /** Producer state with its snapshots and transaction indexes (producer-state-store.ts); made by load. */
  private producers!: ProducerStateStore;

  private constructor(readonly dir: string, readonly topic: string, readonly partition: number, public config: LogConfig,
    private readonly report: (message: string) => void, private readonly files: FileCache, syncLater?: (path: string) => void,
    private readonly later?: (job: () => void) => void) {
    this.epochs = new LeaderEpochCache(dir, files, report, syncLater);
  }

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
    const log = new PartitionLog(dir, topic, partition, { ...DEFAULT_LOG_CONFIG, ...config }, opts.report ?? reportToStderr, files, opts.syncLater, opts.later);
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
    this.producers = new ProducerStateStore(this, new ProducerSnapshots(dir, names, this.files, this.report, this.later), this.report);
    const bases = names.filter((f) => f.length === 24 && /^\d{20}\.log$/.test(f)).map((f) => Number(f.slice(0, 20))).sort((a, b) => a - b);
    // Index files whose segment is gone (a crash between the two unlinks) would be taken for a new segment's.
    for (const f of names) {
      const m = /^(\d{20})(\.\w+)$/.exec(f);
      if (m && ((INDEX_SUFFIXES as readonly string[]).includes(m[2]!) || m[2] === TXN_INDEX_SUFFIX) && !bases.includes(Number(m[1]))) unlinkSync(join(dir, f));
    }
    const recoveryPoint = checkpointed ?? 0;
    let removedUpTo = -1;
    let cutAt: number | undefined;
    let firstVerified: number | undefined;
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
        deleteTxnIndexFile(join(dir, segmentFileName(base)));
        continue;
      }
      const { segment, tail } = LogSegment.open(dir, base, this.segmentOptions(), verify);
      this.segments.push(segment);
      if (verify) firstVerified ??= base;
      if (tail) {
        removedUpTo = Math.max(removedUpTo, tail.maxOffset);
        cutAt = segment.nextOffset;
      }
    }
    const saved = names.includes(START_CHECKPOINT) ? Number(this.files.withRoom(() => readFileSync(join(dir, START_CHECKPOINT), 'utf8')).trim()) || 0 : 0;
    this._logStartOffset = Math.max(saved, this.segments[0]?.baseOffset ?? 0);
    if (this.segments.length === 0) this.segments.push(LogSegment.create(dir, this._logStartOffset, this.segmentOptions()));
    for (const s of this.segments.slice(0, -1)) s.seal();
    const dataEnd = this.logEndOffset;
    if (removedUpTo >= this.logEndOffset) {
      // Offsets up to removedUpTo may have been seen: the log continues after them (a gap, as compaction leaves).
      this.report(`${this.topic}-${this.partition}: recovery removed offsets ${this.logEndOffset}..${removedUpTo}; the log continues at ${removedUpTo + 1}`);
      this.roll(removedUpTo + 1);
    }
    this._logStartOffset = Math.min(this._logStartOffset, this.logEndOffset);
    // An array of exactly its segments: pushes left room for 16 more, in each of 100,000 logs.
    this.segments = this.segments.slice();
    this.recoveryPoint = Math.min(checkpointed ?? (clean ? this.logEndOffset : 0), this.logEndOffset);
    this.loadEpochs(names.includes(LEADER_EPOCH_CHECKPOINT), firstVerified);
    this.producers.opened(dataEnd, firstVerified, cutAt !== undefined || removedUpTo >= 0);
  }

  /**
   * The checkpoint may name epochs past the log end (written before their
   * data, which a crash or recovery then lost) or before its start. A log
   * written before the file existed gets it once, from its batches; an
   * empty log without one stays without one until its first append. After
   * an unclean stop, the batches of the verified segments (those past the
   * recovery point) add the epochs the file may lack: it is fsynced only
   * before the recovery point passes its epochs' data (deferred-syncs.ts).
   */
  private loadEpochs(hasCheckpoint: boolean, firstVerified: number | undefined): void {
    if (hasCheckpoint && this.epochs.load()) {
      this.epochs.truncateFromEnd(this.logEndOffset);
      this.epochs.truncateFromStart(this._logStartOffset);
      if (firstVerified !== undefined) this.completeEpochs(firstVerified);
    } else if (this.segments.some((s) => s.size > 0)) {
      this.epochs.rebuild(this.batchEpochs());
    }
  }

  /**
   * Only where the cache disagrees with a batch: assigning an epoch it already
   * has, at a later offset, would cut the entries after it.
   */
  private completeEpochs(fromSegment: number): void {
    try {
      for (const e of this.batchEpochs(fromSegment)) {
        if (e.epoch >= 0 && this.epochs.epochForOffset(e.startOffset) !== e.epoch) this.epochs.assign(e.epoch, e.startOffset);
      }
    } catch (err) {
      // A failed write: reported, and the log opens with the entries assigned so far (as after a failed rebuild).
      this.report(`${this.topic}-${this.partition}: cannot complete the leader epochs from the log: ${(err as Error).message}`);
    }
  }

  /**
   * Each batch's epoch from the log start on, in log order. Epochs never go
   * down along a log, so a segment whose first and last batches share one
   * holds only that one, and only its first and last headers are read.
   */
  private *batchEpochs(fromSegment = 0): Generator<EpochEntry> {
    const start = this._logStartOffset;
    for (const seg of this.segments) {
      if (seg.size === 0 || seg.nextOffset <= start || seg.baseOffset < fromSegment) continue;
      const first = seg.headers(0).next().value?.header;
      if (!first) continue;
      let last = first;
      for (const { header } of seg.headers(seg.lastIndexedPosition())) last = header;
      if (first.partitionLeaderEpoch === last.partitionLeaderEpoch) {
        yield { epoch: first.partitionLeaderEpoch, startOffset: Math.max(first.baseOffset, start) };
        continue;
      }
      for (const { header } of seg.headers(0)) {
        if (header.lastOffset >= start) yield { epoch: header.partitionLeaderEpoch, startOffset: Math.max(header.baseOffset, start) };
      }
    }
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
    deleteTxnIndexFile(path);
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
      this.afterTruncation();
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
    this.checkWritable();
    let next = this.logEndOffset;
    const baseOffset = next;
    let batches = 0;
    let producerBatches = false;
    // Header fields are read and written in place (no BatchHeader, no BigInt): this loop runs for every batch produced.
    for (let at = 0; at + BATCH_HEADER_SIZE <= records.length; batches++) {
      writeInt64(records, at, next);
      records.writeInt32BE(leaderEpoch, at + 12);
      if (!producerBatches) producerBatches = hasProducerId(records, at);
      next += records.readInt32BE(at + 23) + 1;
      at += records.readInt32BE(at + 8) + LOG_OVERHEAD;
    }
    if (producerBatches) this.prepareProducerState();
    if (leaderEpoch !== this.epochs.latest) this.assignEpoch(leaderEpoch, baseOffset);
    const appended = this.write(records, baseOffset, next, batches, false);
    if (producerBatches) this.producers.record(records, this.active);
    return appended;
  }

  /** Before an append of batches with producer ids: the state that records them is loaded (a failure fails the append, unwritten). */
  private prepareProducerState(): void {
    try {
      this.producers.prepare();
    } catch (err) {
      throw new LogWriteError(`log ${this.topic}-${this.partition} cannot load its producer state: ${(err as Error).message}`);
    }
  }

  /**
   * A follower's append: `records` are batches fetched from the leader,
   * stored exactly as they came (offsets and partition leader epochs are
   * the leader's). The first batch may not start below the log end
   * (UnexpectedAppendOffsetError: the caller truncates or refetches); it may
   * start past it, and batches may skip offsets, where compaction removed
   * whole batches on the leader. Offsets must increase and each batch's CRC
   * must hold (KafkaError CORRUPT_MESSAGE); nothing is appended when any
   * check fails. A partial batch at the end (a fetch cut at its size limit)
   * is left out. Epochs the batches start go into the epoch cache before
   * their data is written.
   */
  appendAsFollower(records: Buffer): { baseOffset: number; lastOffset: number; done: Promise<void> } {
    this.checkWritable();
    const end = this.logEndOffset;
    let next = end;
    let baseOffset = end;
    let batches = 0;
    let at = 0;
    let epoch = this.epochs.latest;
    let producerBatches = false;
    // Pairs of (epoch, start offset), only where the epoch changes: usually none.
    let newEpochs: number[] | undefined;
    for (; at + BATCH_HEADER_SIZE <= records.length; batches++) {
      const size = records.readInt32BE(at + 8) + LOG_OVERHEAD;
      if (size < BATCH_HEADER_SIZE || at + size > records.length) break;
      const base = readInt64(records, at);
      const last = base + records.readInt32BE(at + 23);
      if (batches === 0) {
        if (base < end) throw new UnexpectedAppendOffsetError(`${this.topic}-${this.partition}: a follower append starts at offset ${base} (batch ${base}..${last}), below the log end ${end}`, base, last);
        baseOffset = base;
      } else if (base < next) {
        throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, `${this.topic}-${this.partition}: follower batches out of order: offset ${base} after ${next - 1}`);
      }
      const batch = new BatchHeader(records, at);
      if (last < base || batch.magic !== 2 || !batch.isCrcValid()) {
        throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, `${this.topic}-${this.partition}: fetched batch at offset ${base} is corrupt (magic ${batch.magic}, ${last < base ? 'negative last offset delta' : 'CRC mismatch'})`);
      }
      const e = records.readInt32BE(at + 12);
      if (e !== epoch && e >= 0) { (newEpochs ??= []).push(e, base); epoch = e; }
      if (!producerBatches) producerBatches = hasProducerId(records, at);
      next = last + 1;
      at += size;
    }
    if (batches === 0) return { baseOffset: end, lastOffset: end - 1, done: Promise.resolve() };
    if (producerBatches) this.prepareProducerState();
    if (newEpochs) for (let i = 0; i < newEpochs.length; i += 2) this.assignEpoch(newEpochs[i]!, newEpochs[i + 1]!);
    const whole = at < records.length ? records.subarray(0, at) : records;
    const appended = this.write(whole, baseOffset, next, batches, true);
    // The leader's producer checks do not run here: the state follows the batches as they are.
    if (producerBatches) this.producers.record(whole, this.active);
    return appended;
  }

  private checkWritable(): void {
    if (this.deleted) throw new Error(`log ${this.topic}-${this.partition} is deleted`);
    if (this.writeError) throw new LogWriteError(`log ${this.topic}-${this.partition} is recovering from a failed write: ${this.writeError.message}`);
  }

  /** A new epoch starts: recorded on disk before its data, or the append fails with nothing written. */
  private assignEpoch(epoch: number, startOffset: number): void {
    if (epoch < 0) return;
    try {
      this.epochs.assign(epoch, startOffset);
    } catch (err) {
      throw new LogWriteError(`log ${this.topic}-${this.partition} cannot record leader epoch ${epoch} from offset ${startOffset}: ${(err as Error).message}`);
    }
  }

  /** Both appends' common end: roll, flush.messages / flush.ms, and the write of batches `baseOffset`..`next - 1`. */
  private write(records: Buffer, baseOffset: number, next: number, batches: number, offsetsFromBatches: boolean): { baseOffset: number; lastOffset: number; done: Promise<void> } {
    const now = Date.now();
    if (this.shouldRoll(records.length, next - 1, batches, now)) this.roll(baseOffset);
    this.unflushed += batches;
    const fsync = this.unflushed >= this.config.flushMessages || now - this.lastFlushMs >= this.config.flushMs;
    if (fsync) { this.unflushed = 0; this.lastFlushMs = now; }
    const done = this.active.append(records, fsync, offsetsFromBatches);
    if (fsync) void done.then(() => { this.advanceRecoveryPoint(next); }, () => {});
    return { baseOffset, lastOffset: next - 1, done };
  }

  /** The latest leader epoch that wrote to the log, -1 when none. */
  latestEpoch(): number { return this.epochs.latest; }

  /** OffsetForLeaderEpoch: where `epoch` ends in this log (leader-epoch-cache.ts), -1/-1 when unknown. */
  endOffsetForEpoch(epoch: number): { epoch: number; endOffset: number } {
    return this.epochs.endOffsetFor(epoch, this.logEndOffset);
  }

  /** The epoch entries, oldest first (tests, debugging). */
  epochEntries(): EpochEntry[] { return this.epochs.epochEntries(); }

  /**
   * Replication: removes every batch from the one holding `offset` on
   * (callers pass a batch boundary, so the log then ends at `offset`), after
   * the writes in flight finish. Later segments are deleted, the one
   * holding `offset` is cut, epochs starting at or past the new end are
   * forgotten, and `truncations` moves (state derived from the log is
   * stale). Nothing is cut when `offset` is at or past the log end. An
   * offset below the log start (or the first segment) empties the log, to
   * start at `offset`. Appends made while it waits are cut too when they lie
   * past `offset`. Throws LogWriteError while the log recovers from a failed write.
   */
  async truncateTo(offset: number): Promise<void> {
    await this.quiesce();
    if (offset >= this.logEndOffset) {
      // An epoch may have been recorded for an append that never made it.
      this.epochs.truncateFromEnd(this.logEndOffset);
      return;
    }
    if (offset < this._logStartOffset || offset < this.segments[0]!.baseOffset) {
      this.startAt(offset);
      return;
    }
    const i = this.segmentFor(offset);
    for (const s of this.segments.splice(i + 1)) s.delete();
    this.segments[i]!.truncateTo(offset);
    // Only a cut inside the batch holding the log start (not a batch boundary) ends the log before it.
    if (this._logStartOffset > this.logEndOffset) this.writeLogStart(this.logEndOffset);
    this.afterTruncation();
  }

  /**
   * Replication: deletes every segment and starts the log, empty, at
   * `offset` (a follower whose leader's log starts past this log's end),
   * after the writes in flight finish. The log start becomes `offset`, the
   * epoch cache is emptied, and `truncations` moves.
   */
  async truncateFullyAndStartAt(offset: number): Promise<void> {
    await this.quiesce();
    this.startAt(offset);
  }

  private startAt(offset: number): void {
    const old = this.segments;
    for (const s of old) s.delete();
    this.segments = [LogSegment.create(this.dir, offset, this.segmentOptions())];
    this.writeLogStart(offset);
    this.epochs.clear();
    this.unflushed = 0;
    this.recoveryPoint = offset;
    this.afterTruncation();
    this.producers.startedAt(offset);
  }

  /** Waits until no write is in flight, appends made meanwhile included. */
  private async quiesce(): Promise<void> {
    do await this.settled(); while (this.segments.some((s) => s.writing));
    this.checkWritable();
  }

  /** The log was cut back: what depended on its tail follows. */
  private afterTruncation(): void {
    const end = this.logEndOffset;
    this.epochs.truncateFromEnd(end);
    this.recoveryPoint = Math.min(this.recoveryPoint, end);
    this.cleanedUpTo = Math.min(this.cleanedUpTo, end);
    this.producers.truncated(end);
    this.truncations++;
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
    this.producers.rolled(baseOffset, this.snapshotsKeptFrom());
    void old.flushWritten().then((ok) => {
      if (!ok) return;
      this.advanceRecoveryPoint(old.nextOffset);
      if (!this.deleted) this.producers.retain(this.snapshotsKeptFrom());
    });
  }

  /** Kafka keeps the producer snapshots of the last two segments and those past the recovery point. */
  private snapshotsKeptFrom(): number {
    return Math.min(this.segments[this.segments.length - 2]?.baseOffset ?? this.active.baseOffset, this.recoveryPoint);
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
  read(fetchOffset: number, maxBytes: number, upperBound: number, alloc?: ReadAlloc): { chunks: Buffer[]; bytes: number } {
    const chunks: Buffer[] = [];
    let bytes = 0;
    if (fetchOffset >= upperBound || fetchOffset >= this.logEndOffset) return { chunks, bytes };
    for (let i = this.segmentFor(fetchOffset); i < this.segments.length; i++) {
      const { chunk, full } = this.segments[i]!.read(fetchOffset, maxBytes - bytes, upperBound, bytes === 0, alloc);
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
  async readAsync(fetchOffset: number, maxBytes: number, upperBound: number, alloc?: ReadAlloc): Promise<{ chunks: Buffer[]; bytes: number }> {
    const chunks: Buffer[] = [];
    let bytes = 0;
    if (fetchOffset >= upperBound || fetchOffset >= this.logEndOffset) return { chunks, bytes };
    const segments = this.segments.slice(this.segmentFor(fetchOffset));
    for (const seg of segments) {
      const { chunk, full } = await seg.readAsync(fetchOffset, maxBytes - bytes, upperBound, bytes === 0, alloc);
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
    this.writeLogStart(target);
    while (this.segments.length > 1 && this.segments[1]!.baseOffset <= target) this.dropOldest();
    this.epochs.truncateFromStart(this._logStartOffset);
    this.producers.logStartMoved();
    return target;
  }

  private writeLogStart(offset: number): void {
    this._logStartOffset = offset;
    const tmp = join(this.dir, `${START_CHECKPOINT}.tmp`);
    writeFileSync(tmp, `${offset}\n`);
    renameSync(tmp, join(this.dir, START_CHECKPOINT));
  }

  private dropOldest(): void {
    const seg = this.segments.shift()!;
    seg.delete();
    if (this._logStartOffset < this.segments[0]!.baseOffset) {
      this._logStartOffset = this.segments[0]!.baseOffset;
      this.epochs.truncateFromStart(this._logStartOffset);
      this.producers.logStartMoved();
    }
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

  /**
   * The partition's producer state (idempotence, transactions), loaded from
   * the newest producer snapshot and the batches after it on first use, then
   * kept current by every append (producer-state-store.ts). Callers check
   * batches against it before appending; the log records them.
   */
  producerState(): ProducerStateManager { return this.producers.state(); }

  /** read_committed: the aborted transactions overlapping [fetchOffset, upperBound), from the segments' transaction indexes. */
  abortedTxns(fetchOffset: number, upperBound: number): AbortedTxn[] { return this.producers.abortedTxns(fetchOffset, upperBound); }

  /** Offsets of the producer snapshot files (tests, status). */
  producerSnapshotOffsets(): readonly number[] { return this.producers.snapshots.list(); }

  /**
   * A clean shutdown: a producer snapshot at the log end, so the next start
   * replays nothing (the log manager calls it once writes are flushed).
   */
  async snapshotProducerState(): Promise<void> {
    if (this.writeError || this.deleted) return;
    await this.producers.snapshotAtEnd();
  }

  *scanBatches(fromOffset: number): Generator<BatchHeader> {
    for (let i = this.segmentFor(fromOffset); i < this.segments.length; i++) {
      for (const { header } of this.segments[i]!.headers(0)) if (header.lastOffset >= fromOffset) yield header;
    }
  }

  /** The segments, oldest first, for the producer state store to read (never to change). */
  segmentList(): readonly LogSegment[] { return this.segments; }

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
