/**
 * Finds the whole batches a read returns from one segment and reads them with
 * as few file reads as possible: one block from the offset index's entry
 * (which is at most about index.interval.bytes before the batch wanted)
 * covering the slack and `maxBytes`, walked in memory, and the answer is a
 * slice of that block (one copy out of the page cache). A batch that does not
 * fit in the block (a first batch larger than maxBytes) costs a second read.
 *
 * The walk is a generator that yields the reads it needs and gets their bytes
 * back, so the same logic serves the synchronous read and the asynchronous one
 * (segment.read / segment.readAsync).
 */
import { BATCH_HEADER_SIZE, LOG_OVERHEAD, MAGIC_OFFSET } from '../wire/records/batch-header.js';
import { readInt64 } from './int64.js';

export interface ReadRequest { position: number; length: number }
export interface RangeRead {
  /** The batches read, or null when none qualify. */
  chunk: Buffer | null;
  /** True when the read stopped at a limit (upper bound, maxBytes, unwritten bytes), not at the segment's end. */
  full: boolean;
}

export interface RangeQuery {
  /** Where the walk starts (an offset index entry at or before fetchOffset). */
  from: number;
  /** End of the written bytes of the segment. */
  end: number;
  fetchOffset: number;
  maxBytes: number;
  upperBound: number;
  /** The first batch is returned even when larger than maxBytes (the first segment of a read). */
  minOneBatch: boolean;
  /** Bytes the read may take beyond maxBytes to reach fetchOffset's batch from `from`. */
  slack: number;
}

export function* batchRange(q: RangeQuery): Generator<ReadRequest, RangeRead, Buffer> {
  let block: Buffer = Buffer.alloc(0), blockStart = q.from;
  // Makes [position, position + length) available in `block`, reading from `position` on when it is not.
  function* ensure(position: number, length: number): Generator<ReadRequest, boolean, Buffer> {
    if (position >= blockStart && position + length <= blockStart + block.length) return true;
    if (position + length > q.end) return false;
    const want = Math.min(q.end - position, Math.max(length, q.maxBytes + q.slack));
    block = yield { position, length: want };
    blockStart = position;
    return block.length >= length;
  }
  const at = (position: number) => position - blockStart;
  // A batch length that cannot be (an index entry or file damaged behind the checks at open)
  // would send the walk backwards or nowhere: fail the read instead of looping or serving garbage.
  const sizeAt = (position: number) => {
    const i = at(position), size = block.readInt32BE(i + 8) + LOG_OVERHEAD;
    if (size < BATCH_HEADER_SIZE || block[i + MAGIC_OFFSET] !== 2) throw new Error(`no record batch at position ${position} of the segment`);
    return size;
  };

  let pos = q.from;
  // Skip to the batch holding fetchOffset.
  while (true) {
    if (!(yield* ensure(pos, BATCH_HEADER_SIZE))) return { chunk: null, full: false };
    const i = at(pos);
    const last = readInt64(block, i) + block.readInt32BE(i + 23);
    if (last >= q.fetchOffset) break;
    pos += sizeAt(pos);
  }
  const start = pos;
  let bytes = 0, full = false;
  while (true) {
    if (!(yield* ensure(pos, BATCH_HEADER_SIZE))) break;
    const i = at(pos);
    const size = sizeAt(pos);
    const last = readInt64(block, i) + block.readInt32BE(i + 23);
    if (last >= q.upperBound || pos + size > q.end) { full = true; break; }
    if (bytes + size > q.maxBytes && (bytes > 0 || !q.minOneBatch)) { full = true; break; }
    bytes += size;
    pos += size;
  }
  if (bytes === 0) return { chunk: null, full };
  if (!(yield* ensure(start, bytes))) return { chunk: null, full: true };
  return { chunk: block.subarray(at(start), at(start) + bytes), full };
}
