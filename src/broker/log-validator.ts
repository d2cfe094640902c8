/**
 * Kafka's checks of a produce request's records for one partition
 * (ProduceRequest.validateRecords, LogValidator and the size/CRC checks of
 * the log append), and the rewrites a topic's configs ask for.
 *
 * Produce v0-v2 message sets (magic 0/1) are up-converted to one v2 batch
 * first (message-format.ts).
 *
 * Header-only unless the topic needs more: a compacted topic decodes records
 * to refuse those without a key; a topic whose compression.type names a codec
 * different from the batch's gets the batch recompressed (records section
 * decompressed and compressed again, header fields kept, CRC recomputed). No
 * record is decoded on the plain path.
 *
 * Everything here is synchronous: the append that follows happens in the
 * same tick, in request order.
 */
import { BatchHeader, BATCH_HEADER_SIZE, LOG_OVERHEAD, MAGIC_OFFSET, Compression } from '../wire/records/batch-header.js';
import { readRecords, DEFAULT_MAX_DECOMPRESSED } from '../wire/records/record-reader.js';
import { codecFor } from '../wire/compression/index.js';
import { ErrorCode } from '../wire/errors.js';
import type { DataPathTopicConfig } from './replica-manager.js';
import { upConvert } from './message-format.js';

/** A record Kafka names in record_errors (Produce v8+): its index in the batch and why. */
export interface RecordError { batchIndex: number; message: string }
export type Validated = { batch: BatchHeader } | { errorCode: number; message: string; recordErrors?: RecordError[] };

const COMPRESSION_BY_NAME: Record<string, Compression | undefined> = {
  uncompressed: Compression.None, gzip: Compression.Gzip, snappy: Compression.Snappy, lz4: Compression.Lz4, zstd: Compression.Zstd,
};
const COMPRESSION_MASK = 0x07;

export function validateProduceRecords(records: Buffer | null, version: number, config: DataPathTopicConfig, partition: string): Validated {
  const err = (errorCode: number, message: string) => ({ errorCode, message });
  if (records === null || records.length < LOG_OVERHEAD + 5) {
    return err(ErrorCode.INVALID_RECORD, `Produce requests with version ${version} must have at least one record batch per partition`);
  }
  const magic = records.readInt8(MAGIC_OFFSET);
  if (magic !== 2) {
    if (version >= 3) return err(ErrorCode.INVALID_RECORD, `Produce requests with version ${version} are only allowed to contain record batches with magic version 2`);
    // Produce v0-v2 carry message format v0/v1: stored as one v2 batch (up-conversion).
    try {
      records = upConvert(records);
    } catch (e) {
      return err(ErrorCode.CORRUPT_MESSAGE, `Message set in ${partition} is corrupt: ${(e as Error).message}`);
    }
  }
  if (records.length < BATCH_HEADER_SIZE) return err(ErrorCode.CORRUPT_MESSAGE, `Record batch in ${partition} is truncated`);
  const h = new BatchHeader(records, 0);
  const size = h.sizeInBytes;
  if (h.batchLength < BATCH_HEADER_SIZE - LOG_OVERHEAD) return err(ErrorCode.CORRUPT_MESSAGE, `Record batch size ${size} in ${partition} is smaller than the minimum`);
  if (size > records.length) {
    return err(ErrorCode.INVALID_RECORD, `Produce requests with version ${version} must have at least one record batch per partition`);
  }
  if (size < records.length) {
    // Kafka ignores a trailing partial batch but refuses a second complete one.
    const rest = records.length - size;
    if (rest >= LOG_OVERHEAD && records.readInt32BE(size + 8) + LOG_OVERHEAD <= rest) {
      return err(ErrorCode.INVALID_RECORD, `Produce requests with version ${version} are only allowed to contain exactly one record batch per partition`);
    }
  }
  if (version < 7 && h.compression === Compression.Zstd) {
    return err(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, `Produce requests with version ${version} are not allowed to use ZStandard compression`);
  }
  if (h.compression > Compression.Zstd) return err(ErrorCode.CORRUPT_MESSAGE, `Unknown compression codec ${h.compression} in ${partition}`);
  const tooLarge = checkSize(size, config, partition);
  if (tooLarge) return tooLarge;
  if (!h.isCrcValid()) return err(ErrorCode.CORRUPT_MESSAGE, `Record is corrupt (stored crc = ${h.crc}) in topic partition ${partition}.`);
  const count = h.recordCount;
  if (h.lastOffsetDelta < 0 || count <= 0 || count !== h.lastOffsetDelta + 1) {
    return err(ErrorCode.INVALID_RECORD, `Invalid record count ${count} for a batch with last offset delta ${h.lastOffsetDelta} in ${partition}`);
  }
  if (h.isControl) return err(ErrorCode.INVALID_RECORD, `Clients are not allowed to write control records in topic partition ${partition}`);
  if (h.producerId >= 0 && h.baseSequence < 0) {
    return err(ErrorCode.INVALID_RECORD, `Invalid sequence number ${h.baseSequence} in record batch with producerId ${h.producerId} in topic partition ${partition}`);
  }
  if (!config.logAppendTime && (config.timestampBeforeMaxMs !== undefined || config.timestampAfterMaxMs !== undefined)) {
    // Kafka checks every record; the header's first and max timestamps bound them without decoding records.
    const now = Date.now();
    const low = now - (config.timestampBeforeMaxMs ?? Infinity);
    const high = now + (config.timestampAfterMaxMs ?? Infinity);
    for (const ts of [h.baseTimestamp, h.maxTimestamp]) {
      if (ts !== -1 && (ts < low || ts > high)) {
        return err(ErrorCode.INVALID_TIMESTAMP, `Timestamp ${ts} of message in ${partition} is out of range. The timestamp should be within [${low}, ${high}]`);
      }
    }
  }
  if (h.isTransactional && h.producerId < 0) return err(ErrorCode.INVALID_RECORD, `Transactional record batch in ${partition} has no producer id`);
  if (config.compactOnly || config.compacted) {
    try {
      const why = `Compacted topic cannot accept message without key in topic partition ${partition}.`;
      const recordErrors = readRecords(h, maxDecompressed(config)).flatMap((r, batchIndex) => (r.key === null ? [{ batchIndex, message: why }] : []));
      if (recordErrors.length > 0) {
        const shown = recordErrors.slice(0, 3).map((e) => `RecordError(batchIndex=${e.batchIndex}, message='${e.message}')`).join(', ');
        return { errorCode: ErrorCode.INVALID_RECORD, recordErrors,
          message: `One or more records have been rejected due to ${recordErrors.length} record errors in total, and only showing the first three errors at most: [${shown}]` };
      }
    } catch (e) {
      return err(ErrorCode.CORRUPT_MESSAGE, `Record batch in ${partition} cannot be read: ${(e as Error).message}`);
    }
  }
  return { batch: h };
}

function checkSize(size: number, config: DataPathTopicConfig, partition: string): { errorCode: number; message: string } | undefined {
  if (size > config.maxMessageBytes) {
    return { errorCode: ErrorCode.MESSAGE_TOO_LARGE, message: `The record batch size in the append to ${partition} is ${size} bytes which exceeds the maximum configured value of ${config.maxMessageBytes}.` };
  }
  if (size > config.segmentBytes) {
    return { errorCode: ErrorCode.RECORD_LIST_TOO_LARGE, message: `The record batch size in the append to ${partition} is ${size} bytes which exceeds the segment size ${config.segmentBytes}.` };
  }
  return undefined;
}

function maxDecompressed(config: DataPathTopicConfig): number {
  return Math.max(DEFAULT_MAX_DECOMPRESSED, Math.min(config.maxMessageBytes * 16, 1 << 30));
}

/**
 * The codec the topic stores batches with, when it differs from the batch's:
 * `producer` keeps the producer's, `uncompressed` means none.
 */
export function targetCompression(config: DataPathTopicConfig, batch: BatchHeader): Compression | undefined {
  const target = COMPRESSION_BY_NAME[config.compressionType];
  return target === undefined || target === batch.compression ? undefined : target;
}

/**
 * The batch with its records section recompressed to `target`; every header
 * field but the length, the codec bits and the CRC stays as it was. The
 * result is checked against max.message.bytes again, as Kafka does after a
 * recompression.
 */
export function recompress(batch: BatchHeader, target: Compression, config: DataPathTopicConfig, partition: string): Validated {
  let body: Buffer;
  try {
    const raw = batch.buf.subarray(batch.at + BATCH_HEADER_SIZE, batch.at + batch.sizeInBytes);
    body = codecFor(target).compress(codecFor(batch.compression).decompress(raw, maxDecompressed(config)));
  } catch (e) {
    return { errorCode: ErrorCode.CORRUPT_MESSAGE, message: `Record batch in ${partition} cannot be decompressed: ${(e as Error).message}` };
  }
  const out = Buffer.allocUnsafe(BATCH_HEADER_SIZE + body.length);
  batch.buf.copy(out, 0, batch.at, batch.at + BATCH_HEADER_SIZE);
  body.copy(out, BATCH_HEADER_SIZE);
  out.writeInt32BE(out.length - LOG_OVERHEAD, 8);
  out.writeInt16BE((batch.attributes & ~COMPRESSION_MASK) | target, 21);
  const h = new BatchHeader(out);
  h.updateCrc();
  const tooLarge = checkSize(h.sizeInBytes, config, partition);
  return tooLarge ?? { batch: h };
}
