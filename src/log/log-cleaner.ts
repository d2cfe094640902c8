/**
 * Compaction (cleanup.policy=compact): keeps the latest record per key.
 *
 * The cleanable part of a log is its inactive segments whose newest record is
 * older than min.compaction.lag.ms. A pass runs when the dirty part (written
 * since the last pass) is at least min.cleanable.dirty.ratio of it. The pass
 * maps each key to its last offset over the cleanable part, then rewrites each
 * segment keeping: records that are the latest for their key, tombstones
 * (null values) younger than delete.retention.ms, keyless records, and every
 * control batch (transaction markers), each producer's last batch, and each segment's last batch whole
 * (segments stay contiguous). Transactions: records of an aborted transaction
 * are removed and never count as a key's latest value (they would shadow the
 * committed one); a transaction whose marker is not in the cleanable part
 * (open, or ended later) is kept whole and does not count either, as Kafka
 * cleans only below the last stable offset. Offsets never change: a rewritten
 * batch keeps its base offset and lastOffsetDelta, and compressed batches are
 * recompressed with their own codec.
 *
 * Crash safety: a segment is rewritten to `<base>.log.cleaned`, fsynced,
 * renamed to `<base>.log.swap`, then renamed over `<base>.log`. At open,
 * `.cleaned` files are deleted (the old segment is intact) and `.swap` files
 * complete their rename (the new segment is whole), so a crash at any point
 * loses nothing. The segment's .index and .timeindex are deleted before the
 * last rename (and at open when a .swap is found) and rebuilt when the new
 * file is opened, so an index never describes the wrong file.
 */
import { closeSync, fsyncSync, openSync, readdirSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { BatchHeader } from '../wire/records/batch-header.js';
import { readRecords, MAX_DECOMPRESSED } from '../wire/records/record-reader.js';
import { buildBatch } from '../wire/records/batch-builder.js';
import { controlType, ControlType } from '../wire/records/control-records.js';
import { deleteIndexFiles, segmentFileName, type LogSegment } from './log-segment.js';

export interface CleanResult { segmentsRewritten: number; recordsRemoved: number }

/**
 * Finishes or rolls back swaps a crash interrupted (call before opening
 * segments); `names` is the directory's listing. True when it changed any file.
 */
export function completeInterruptedSwaps(dir: string, names: string[] = readdirSync(dir)): boolean {
  let changed = false;
  for (const f of names) {
    if (f.endsWith('.log.cleaned')) { unlinkSync(join(dir, f)); changed = true; }
    else if (f.endsWith('.log.swap')) {
      // The indexes beside it describe the old file: they go first, and are rebuilt at open.
      deleteIndexFiles(dir, Number(f.slice(0, 20)));
      renameSync(join(dir, f), join(dir, f.slice(0, -'.swap'.length)));
      changed = true;
    }
  }
  return changed;
}

function* batchesOf(seg: LogSegment): Generator<BatchHeader> {
  for (const { header, position } of seg.headers(0)) yield new BatchHeader(seg.readBytes(position, header.sizeInBytes));
}

const keyOf = (k: Buffer | null) => (k === null ? null : k.toString('base64'));

/**
 * Base offsets of the transactional batches in `segments` whose transaction
 * was aborted, and of those whose marker is not there (still open or ended
 * further on), from the markers in log order.
 */
function transactionOutcomes(segments: LogSegment[]): { aborted: Set<number>; undecided: Set<number> } {
  const aborted = new Set<number>();
  const open = new Map<number, number[]>();
  for (const seg of segments) {
    for (const b of batchesOf(seg)) {
      if (!b.isTransactional) continue;
      if (!b.isControl) { open.set(b.producerId, [...(open.get(b.producerId) ?? []), b.baseOffset]); continue; }
      const batches = open.get(b.producerId) ?? [];
      open.delete(b.producerId);
      if (controlType(b) === ControlType.Abort) for (const o of batches) aborted.add(o);
    }
  }
  return { aborted, undecided: new Set([...open.values()].flat()) };
}

/**
 * Rewrites `segments` (inactive, cleanable, oldest first) keeping what
 * compaction keeps; `reopen` swaps a rewritten segment file in.
 */
export function cleanSegments(segments: LogSegment[], opts: { now: number; deleteRetentionMs: number }, reopen: (seg: LogSegment) => void): CleanResult {
  const { aborted, undecided } = transactionOutcomes(segments);
  const latest = new Map<string, number>();
  for (const seg of segments) {
    for (const b of batchesOf(seg)) {
      if (b.isControl || aborted.has(b.baseOffset) || undecided.has(b.baseOffset)) continue;
      for (const r of readRecords(b, MAX_DECOMPRESSED)) { const k = keyOf(r.key); if (k !== null) latest.set(k, r.offset); }
    }
  }
  // Each idempotent producer's last batch stays whole, as in Kafka's cleaner, so
  // producer state rebuilt from the log after a restart still has its last sequence.
  const lastOfProducer = new Map<number, number>();
  for (const seg of segments) for (const { header } of seg.headers(0)) if (header.producerId >= 0) lastOfProducer.set(header.producerId, header.baseOffset);
  let segmentsRewritten = 0, recordsRemoved = 0;
  for (const seg of segments) {
    const out: Buffer[] = [];
    let removed = 0;
    const batches = [...batchesOf(seg)];
    for (const [i, b] of batches.entries()) {
      // The last batch of a segment stays whole so the segment still ends where
      // the next begins: recovery treats a gap between segments as a torn write.
      if (b.isControl || undecided.has(b.baseOffset) || i === batches.length - 1 || lastOfProducer.get(b.producerId) === b.baseOffset) { out.push(b.bytes()); continue; }
      const records = readRecords(b, MAX_DECOMPRESSED);
      const kept = aborted.has(b.baseOffset) ? [] : records.filter((r) => {
        const k = keyOf(r.key);
        if (k === null) return true;
        if (latest.get(k) !== r.offset) return false;
        return r.value !== null || opts.now - r.timestamp < opts.deleteRetentionMs;
      });
      removed += records.length - kept.length;
      if (kept.length === records.length) out.push(b.bytes());
      else if (kept.length > 0) {
        out.push(buildBatch(kept.map((r) => ({ key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp, offsetDelta: r.offset - b.baseOffset })), {
          baseOffset: b.baseOffset, lastOffsetDelta: b.lastOffsetDelta, baseTimestamp: b.baseTimestamp, compression: b.compression,
          producerId: b.producerId, producerEpoch: b.producerEpoch, baseSequence: b.baseSequence, transactional: b.isTransactional,
          partitionLeaderEpoch: b.partitionLeaderEpoch,
        }));
      }
    }
    if (removed === 0) continue;
    const file = join(seg.dir, segmentFileName(seg.baseOffset));
    const fd = openSync(`${file}.cleaned`, 'w');
    for (const buf of out) writeSync(fd, buf);
    fsyncSync(fd);
    closeSync(fd);
    renameSync(`${file}.cleaned`, `${file}.swap`);
    // Index files go before the new .log takes the name (they point into the old one); open rebuilds them.
    seg.discardIndexes();
    seg.close();
    renameSync(`${file}.swap`, file);
    reopen(seg);
    segmentsRewritten++;
    recordsRemoved += removed;
  }
  return { segmentsRewritten, recordsRemoved };
}

