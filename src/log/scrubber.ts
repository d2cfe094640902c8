/**
 * After an unclean start, the data below a log's recovery point is trusted
 * without being read (only the tail is verified before the log serves). The
 * scrubber reads it afterwards, in the background, and reports every batch
 * whose CRC fails, so damage in old segments is known and logged rather than
 * found by a consumer first. It repairs nothing: a damaged batch stays where
 * it is, served as it is (the client's CRC check fails there), and no data
 * after it is touched.
 */
import { BatchHeader, BATCH_HEADER_SIZE } from '../wire/records/batch-header.js';

/** What the scrubber needs of a log. */
export interface ScrubbedLog {
  readonly topic: string;
  readonly partition: number;
  readonly logStartOffset: number;
  readonly deleted: boolean;
  readAsync(fetchOffset: number, maxBytes: number, upperBound: number): Promise<{ chunks: Buffer[] }>;
}

const READ_BYTES = 1 << 20;

/** Verifies batches from the log start up to `upTo`; returns the base offsets of the corrupt ones. */
export async function scrub(log: ScrubbedLog, upTo: number, report: (message: string) => void, stopped: () => boolean): Promise<number[]> {
  const corrupt: number[] = [];
  let offset = log.logStartOffset;
  while (offset < upTo && !stopped() && !log.deleted) {
    const { chunks } = await log.readAsync(offset, READ_BYTES, upTo);
    if (chunks.length === 0) break;
    const before = offset;
    for (const chunk of chunks) {
      for (let at = 0; at + BATCH_HEADER_SIZE <= chunk.length;) {
        const h = new BatchHeader(chunk, at);
        if (h.sizeInBytes < BATCH_HEADER_SIZE || at + h.sizeInBytes > chunk.length || h.lastOffset < offset) break;
        if (!h.isCrcValid()) {
          corrupt.push(h.baseOffset);
          report(`${log.topic}-${log.partition}: corrupt batch at offsets ${h.baseOffset}..${h.lastOffset} (CRC mismatch, below the recovery point); kept as it is, consumers get a CRC error there`);
        }
        offset = h.lastOffset + 1;
        at += h.sizeInBytes;
      }
    }
    if (offset === before) {
      report(`${log.topic}-${log.partition}: data after offset ${offset - 1} cannot be read as batches (below the recovery point); kept as it is`);
      break;
    }
  }
  return corrupt;
}
