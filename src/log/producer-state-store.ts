/**
 * The producer state of one partition log (Kafka's ProducerStateManager as
 * UnifiedLog and LogLoader drive it), kept with the files that spare a
 * restart the scan of every batch header: producer snapshots
 * (producer-snapshots.ts) and the segments' transaction indexes
 * (txn-index.ts).
 *
 * Loading is lazy: the state is built the first time someone needs it (an
 * idempotent or transactional append, a read_committed fetch,
 * DescribeProducers), from the newest snapshot within [log start, log end]
 * plus a replay of the batches after it. A snapshot that cannot be read is
 * moved aside with a report and the next older one is tried, down to a replay
 * from the log start, so state is never lost silently and a bad file never
 * stops the log. The replay also indexes each abort it passes that a
 * transaction index lacks (the indexes of a log written before they existed).
 *
 * Once loaded, the state follows every append: the log records each batch
 * that carries a producer id right after handing it to the write queue
 * (leader and follower appends alike), and an abort marker adds an entry to
 * the active segment's transaction index. An append of such a batch loads the
 * state first, so while it is not loaded no batch with a producer id has been
 * appended since the log opened (or was cut back): the state at the log end
 * is then the state at that point.
 *
 * Snapshots are taken when a segment rolls (at the new segment's base offset,
 * before the batch that caused the roll) and at a clean shutdown (at the log
 * end). A log whose state was never loaded still gets them when a snapshot
 * holds its state at the log end (the one a clean shutdown left, or an empty
 * state for an empty log): that file is copied, so a log written only by plain
 * producers never needs a scan either. Kept: those at or after the smaller of
 * the second newest segment's base and the recovery point (Kafka's
 * deleteSnapshotsAfterRecoveryPointCheckpoint), and never one below the log
 * start (its producers' data is gone, and replaying from it would skip
 * batches). Cut back with the log: none above a truncation point survives.
 *
 * After an unclean shutdown the segments past the recovery point were
 * verified and may have lost their tail, and with it markers whose index
 * entries were written (or kept markers whose entries a power loss took):
 * snapshots past the first verified segment's base are deleted, and the first
 * load cuts those segments' indexes and rebuilds them from its replay; until
 * it has, no snapshot is derived without a load.
 */
import { BATCH_HEADER_SIZE, BatchHeader, LOG_OVERHEAD } from '../wire/records/batch-header.js';
import { controlType, ControlType } from '../wire/records/control-records.js';
import { ProducerStateManager, type AbortedTxn, type CompletedAbort } from './producer-state-manager.js';
import type { ProducerSnapshots } from './producer-snapshots.js';
import type { LogSegment } from './log-segment.js';
import type { AbortedTxnEntry } from './txn-index.js';
import { readInt64 } from './int64.js';

/** What the store sees of its log (PartitionLog itself: no object of its own per log). */
export interface StoreLogView {
  readonly topic: string;
  readonly partition: number;
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  /** The segments, oldest first. */
  segmentList(): readonly LogSegment[];
}

/** Where the producer id of a batch starts (int64; negative when the batch has none). */
const PRODUCER_ID_OFFSET = 43;
/** Batch attribute bits (RecordBatch v2). */
const TRANSACTIONAL_BIT = 0x10;
const CONTROL_BIT = 0x20;

/** Whether the batch at `at` carries a producer id (its high word is negative when the id is -1). */
export function hasProducerId(records: Buffer, at: number): boolean {
  return records.readInt32BE(at + PRODUCER_ID_OFFSET) >= 0;
}

export class ProducerStateStore {
  private loaded: ProducerStateManager | null = null;
  /**
   * While not loaded: the offset since which no batch with a producer id was
   * appended (the state at the log end is the state there); Infinity when
   * that cannot be relied on (after an unclean open, until the first load).
   */
  private unchangedSince = Infinity;
  /** The log held no batch from its start at `unchangedSince`: the state there is empty. */
  private emptyAtUnchanged = false;
  /** Set once the log's load finished (its recovery rolls take no snapshot). */
  private ready = false;
  /** After an unclean open, until the first load: transaction index entries from here on are rebuilt. */
  private rebuildFrom = Infinity;

  constructor(private readonly log: StoreLogView, readonly snapshots: ProducerSnapshots, private readonly report: (message: string) => void) {}

  /**
   * The log finished opening: `dataEnd` is where its recovered data ends (a
   * gap roll may start the log after it), `firstVerified` the base of the
   * first segment verified after an unclean shutdown (undefined after a
   * clean one), `cut` whether the open removed a tail of the data.
   */
  opened(dataEnd: number, firstVerified: number | undefined, cut: boolean): void {
    const keepUpTo = firstVerified === undefined ? dataEnd : Math.min(dataEnd, firstVerified);
    this.snapshots.deleteLater((o) => o > keepUpTo);
    // Index entries of markers in the removed tail (a clean open's torn tail is not replayed over).
    if (cut) this.cutTxnIndexes(dataEnd);
    if (firstVerified === undefined) this.unchangedAt(this.log.logEndOffset);
    else this.rebuildFrom = firstVerified;
    this.ready = true;
  }

  get isLoaded(): boolean { return this.loaded !== null; }

  private get name(): string { return `${this.log.topic}-${this.log.partition}`; }

  /** The state, loaded now if it is not yet. Throws when the log cannot be read. */
  state(): ProducerStateManager {
    return this.loaded ?? this.load();
  }

  private load(): ProducerStateManager {
    const start = this.log.logStartOffset;
    const end = this.log.logEndOffset;
    const state = new ProducerStateManager(this.name, false);
    let from = start;
    for (let s = this.snapshots.newestIn(start, end); s !== undefined; s = this.snapshots.newestIn(start, end)) {
      try {
        state.loadSnapshot(this.snapshots.read(s));
        from = s;
        break;
      } catch (err) {
        const movedTo = this.snapshots.moveAside(s);
        this.report(`${this.name}: producer snapshot at offset ${s} cannot be loaded (${(err as Error).message})${movedTo ? `; moved aside to ${movedTo}` : ''}; trying an older one, or replaying the log from offset ${start}`);
        state.clear();
      }
    }
    this.replay(state, from);
    this.loaded = state;
    return state;
  }

  /**
   * Applies the batches from `from` on (what has been written: by the time
   * a load runs, no batch with a producer id is in flight) and indexes the
   * aborts it passes; after an unclean open, the index entries of the
   * verified segments are cut first, so they are rebuilt from their markers.
   */
  private replay(state: ProducerStateManager, from: number): void {
    const segments = this.log.segmentList();
    if (this.rebuildFrom !== Infinity) {
      for (let i = segmentIndexFor(segments, this.rebuildFrom); i < segments.length; i++) segments[i]!.txnIndex.truncateTo(this.rebuildFrom);
      this.rebuildFrom = Infinity;
    }
    for (let i = segmentIndexFor(segments, from); i < segments.length; i++) {
      const seg = segments[i]!;
      if (seg.nextOffset <= from) continue;
      for (const { header, position } of seg.headers(from > seg.baseOffset ? seg.positionFor(from) : 0)) {
        if (header.lastOffset < from || header.producerId < 0) continue;
        const commit = header.isControl ? markerIsCommit(new BatchHeader(seg.readBytes(position, header.sizeInBytes))) : undefined;
        this.indexAbort(seg, state.replay(header, commit));
      }
    }
  }

  /** Before an append of batches with producer ids: their state must be there to record them. */
  prepare(): void {
    if (this.loaded === null) this.load();
  }

  /**
   * Records the batches with producer ids of an append whose offsets are
   * assigned (called once the log handed them to its active segment).
   */
  record(records: Buffer, active: LogSegment): void {
    const state = this.state();
    for (let at = 0; at + BATCH_HEADER_SIZE <= records.length; at += records.readInt32BE(at + 8) + LOG_OVERHEAD) {
      if (!hasProducerId(records, at)) continue;
      // Fields read once, without BigInt: this runs for every idempotent batch produced.
      const attributes = records.readInt16BE(at + 21);
      const isControl = (attributes & CONTROL_BIT) !== 0;
      const batch = {
        producerId: readInt64(records, at + PRODUCER_ID_OFFSET), producerEpoch: records.readInt16BE(at + 51), baseSequence: records.readInt32BE(at + 53),
        lastOffsetDelta: records.readInt32BE(at + 23), baseOffset: readInt64(records, at), maxTimestamp: readInt64(records, at + 35),
        isControl, isTransactional: (attributes & TRANSACTIONAL_BIT) !== 0,
      };
      this.indexAbort(active, state.replay(batch, isControl ? markerIsCommit(new BatchHeader(records, at)) : undefined));
    }
  }

  private indexAbort(seg: LogSegment, abort: CompletedAbort | null): void {
    if (abort === null) return;
    try {
      seg.txnIndex.add(abort);
    } catch (err) {
      this.report(`${this.name}: cannot index the transaction of producer ${abort.producerId} aborted at offset ${abort.lastOffset}: ${(err as Error).message}`);
    }
  }

  /** A segment rolled at `base` (the log end): the snapshot there, then the snapshots below `keepFrom` go (see header). */
  rolled(base: number, keepFrom: number): void {
    if (!this.ready) return;
    try {
      const bytes = this.snapshotBytes();
      if (bytes !== undefined && !(this.loaded === null && this.snapshots.has(base))) this.snapshots.write(base, bytes);
    } catch (err) {
      this.report(`${this.name}: cannot write the producer snapshot at offset ${base}: ${(err as Error).message}`);
    }
    this.retain(keepFrom);
  }

  /**
   * Deletes the snapshots below `keepFrom` (the smaller of the second newest
   * segment's base and the recovery point): at a roll, and when a rolled
   * segment's fsync moved the recovery point.
   */
  retain(keepFrom: number): void {
    if (!this.ready) return;
    // Unloaded, the snapshot a load would start from stays whatever its age.
    const needed = this.loaded === null ? this.snapshots.newestIn(this.log.logStartOffset, this.log.logEndOffset) : undefined;
    const keep = Math.min(keepFrom, needed ?? keepFrom);
    this.snapshots.deleteWhere((o) => o < keep);
  }

  /**
   * The state at the log end as snapshot bytes: the loaded state's, or while
   * not loaded the snapshot that holds it (checked before it is copied), or
   * an empty state; undefined when unknown without a load.
   */
  private snapshotBytes(): Buffer | undefined {
    if (this.loaded !== null) return this.loaded.toSnapshot();
    if (this.unchangedSince === Infinity) return undefined;
    const at = this.snapshots.newestIn(this.unchangedSince, this.log.logEndOffset);
    if (at === undefined) return this.emptyAtUnchanged ? new ProducerStateManager().toSnapshot() : undefined;
    const bytes = this.snapshots.read(at);
    try {
      new ProducerStateManager().loadSnapshot(bytes);
    } catch (err) {
      const movedTo = this.snapshots.moveAside(at);
      this.report(`${this.name}: producer snapshot at offset ${at} is damaged (${(err as Error).message})${movedTo ? `; moved aside to ${movedTo}` : ''}`);
      return undefined;
    }
    return bytes;
  }

  /** A clean shutdown: the snapshot at the log end, unless there is one already (nothing changed since). */
  async snapshotAtEnd(): Promise<void> {
    if (!this.ready) return;
    const end = this.log.logEndOffset;
    if (this.snapshots.latest === end) return;
    const bytes = this.snapshotBytes();
    if (bytes !== undefined) await this.snapshots.writeDurably(end, bytes);
  }

  /**
   * The log was cut back to `end` (follower truncation, a failed write): the
   * snapshots and index entries past it go, and the state is loaded again
   * when next needed.
   */
  truncated(end: number): void {
    this.snapshots.deleteWhere((o) => o > end);
    this.cutTxnIndexes(end);
    // Unloaded, "unchanged since" an offset at or below the cut still holds; unknown stays unknown
    // (no load has rebuilt the indexes yet).
    if (this.loaded !== null || (this.unchangedSince !== Infinity && this.unchangedSince > end)) this.unchangedAt(end);
    this.loaded = null;
  }

  /** Index entries of markers at or past `end` go (the segments after the one holding it are gone with their files). */
  private cutTxnIndexes(end: number): void {
    const segments = this.log.segmentList();
    for (let i = segmentIndexFor(segments, end); i < segments.length; i++) segments[i]!.txnIndex.truncateTo(end);
  }

  /** The log was emptied to start at `offset`: no snapshot applies; the state is empty. */
  startedAt(offset: number): void {
    this.snapshots.deleteWhere(() => true);
    this.loaded = null;
    this.unchangedAt(offset);
  }

  /** The log start moved (retention, DeleteRecords): snapshots below it go. */
  logStartMoved(): void {
    const start = this.log.logStartOffset;
    this.snapshots.deleteWhere((o) => o < start);
  }

  private unchangedAt(offset: number): void {
    this.unchangedSince = offset;
    this.emptyAtUnchanged = offset <= this.log.logStartOffset;
  }

  /**
   * Aborted transactions overlapping [fetchOffset, upperBound), from the
   * transaction indexes of the segments from the one holding fetchOffset on,
   * until one says no later abort can overlap (txn-index.ts).
   */
  abortedTxns(fetchOffset: number, upperBound: number): AbortedTxn[] {
    // Index entries past the snapshot exist once the state is loaded (its replay rebuilds them).
    this.state();
    const segments = this.log.segmentList();
    const out: AbortedTxnEntry[] = [];
    for (let i = segmentIndexFor(segments, fetchOffset); i < segments.length; i++) {
      if (segments[i]!.txnIndex.collect(fetchOffset, upperBound, out)) break;
    }
    return out;
  }
}

/** The index of the segment holding `offset` (the first one for an offset before it). */
function segmentIndexFor(segments: readonly LogSegment[], offset: number): number {
  let lo = 0, hi = segments.length - 1, found = 0;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (segments[mid]!.baseOffset <= offset) { found = mid; lo = mid + 1; } else hi = mid - 1;
  }
  return found;
}

/** true for a commit marker, false for an abort, undefined for a control batch that is neither or cannot be read. */
function markerIsCommit(batch: BatchHeader): boolean | undefined {
  let type: ControlType | undefined;
  try { type = controlType(batch); } catch { return undefined; }
  return type === undefined ? undefined : type === ControlType.Commit;
}
