/**
 * Kafka's checks of a produce request's records for one partition
 * (ProduceRequest.validateRecords, LogValidator and the size/CRC checks of
 * the log append), and the rewrites a topic's configs ask for.
 *
 * Produce v0-v2 message sets (magic 0/1) are up-converted to one v2 batch
 * first (message-format.ts).
 *
 * After the header checks every record is walked (record-walk.ts): the
 * count and offset deltas agree with the records present, each record's
 * framing holds, nothing trails the last one. On an uncompressed batch that
 * is a walk over the request's bytes; a compressed batch is decompressed
 * once, refused past decompressionLimit() without allocating more, and the
 * same bytes serve the walk, the compacted-topic key check, per-record
 * timestamp checks and the recompression a topic's compression.type asks
 * for (records section compressed again, header fields kept, CRC
 * recomputed).
 *
 * Error codes as Kafka answers: a bad CRC or a batch below the header size is
 * CORRUPT_MESSAGE (CorruptRecordException); counts, framing and offsets are
 * INVALID_RECORD (InvalidRecordException). Where Kafka has no answer of its
 * own: compressed data the codec cannot read is CORRUPT_MESSAGE (Kafka wraps
 * the codec's IOException in a plain KafkaException, UNKNOWN_SERVER_ERROR),
 * and output past the decompression limit, which Kafka does not have, is
 * INVALID_RECORD, the answer Kafka gives a bomb whose bytes are not records.
 *
 * Everything here is synchronous: the append that follows happens in the
 * same tick, in request order.
 */
import { BatchHeader, BATCH_HEADER_SIZE, LOG_OVERHEAD, MAGIC_OFFSET, Compression, TimestampType } from '../wire/records/batch-header.js';
import { DEFAULT_MAX_DECOMPRESSED } from '../wire/records/record-reader.js';
import { walkRecords, MIN_RECORD_SIZE, type RecordVisitor } from '../wire/records/record-walk.js';
import { codecFor, DecompressionLimitError } from '../wire/compression/index.js';
import { ErrorCode } from '../wire/errors.js';
import type { DataPathTopicConfig } from './replica-manager.js';
import { upConvert } from './message-format.js';

/** A record Kafka names in record_errors (Produce v8+): its index in the batch and why. */
export interface RecordError { batchIndex: number; message: string }
type Refused = { errorCode: number; message: string; recordErrors?: RecordError[] };
export type Validated = { batch: BatchHeader } | Refused;

const COMPRESSION_BY_NAME: Record<string, Compression | undefined> = {
  uncompressed: Compression.None, gzip: Compression.Gzip, snappy: Compression.Snappy, lz4: Compression.Lz4, zstd: Compression.Zstd,
};
const COMPRESSION_MASK = 0x07;

/**
 * Validates one partition's records. The batch returned is the one to
 * append: the request's bytes, or a recompressed copy when the topic's
 * compression.type differs from the producer's.
 */
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
      if (e instanceof DecompressionLimitError) return err(ErrorCode.INVALID_RECORD, `Message set in ${partition} decompresses past the limit: ${e.message}`);
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
  const range = () => `[${h.baseOffset}, ${h.baseOffset + h.lastOffsetDelta}]`; // for messages only: reading offsets costs BigInts
  if (h.lastOffsetDelta < 0) return err(ErrorCode.INVALID_RECORD, `Batch has an invalid offset range: ${range()} in topic partition ${partition}`);
  if (count <= 0) return err(ErrorCode.INVALID_RECORD, `Invalid reported count for record batch: ${count} in topic partition ${partition}`);
  if (count !== h.lastOffsetDelta + 1) {
    return err(ErrorCode.INVALID_RECORD, `Inconsistent batch offset range ${range()} and count of records ${count} in topic partition ${partition}`);
  }
  if (h.isControl) return err(ErrorCode.INVALID_RECORD, `Clients are not allowed to write control records in topic partition ${partition}`);
  if (h.producerId >= 0 && h.baseSequence < 0) {
    return err(ErrorCode.INVALID_RECORD, `Invalid sequence number ${h.baseSequence} in record batch with producerId ${h.producerId} in topic partition ${partition}`);
  }
  if (h.isTransactional && h.producerId < 0) return err(ErrorCode.INVALID_RECORD, `Transactional record batch in ${partition} has no producer id`);
  const checked = checkRecords(h, config, partition);
  if ('errorCode' in checked) return checked;
  const target = targetCompression(config, h);
  return target === undefined ? { batch: h } : recompress(h, target, config, partition, checked.records);
}

/**
 * Walks the batch's records (decompressed when the batch is) and applies
 * the per-record checks the topic needs: a key on compacted topics,
 * message.timestamp.before/after.max.ms on CreateTime topics. Returns the
 * uncompressed records section for a recompression to reuse.
 */
function checkRecords(h: BatchHeader, config: DataPathTopicConfig, partition: string): { records: Buffer } | Refused {
  const count = h.recordCount;
  let records = h.buf.subarray(h.at + BATCH_HEADER_SIZE, h.at + h.sizeInBytes);
  if (h.compression !== Compression.None) {
    const limit = decompressionLimit(config);
    if (count > limit / MIN_RECORD_SIZE) {
      return { errorCode: ErrorCode.INVALID_RECORD, message: `Record count ${count} cannot fit in the ${limit} bytes a batch may decompress to in topic partition ${partition}` };
    }
    try {
      records = codecFor(h.compression).decompress(records, limit);
    } catch (e) {
      if (e instanceof DecompressionLimitError) {
        return { errorCode: ErrorCode.INVALID_RECORD, message: `Record batch in topic partition ${partition} decompresses to more than ${limit} bytes` };
      }
      return { errorCode: ErrorCode.CORRUPT_MESSAGE, message: `Record batch in topic partition ${partition} cannot be decompressed: ${(e as Error).message}` };
    }
  }
  const recordErrors: RecordError[] = [];
  let badTimestamps = false;
  const why = walkRecords(records, 0, records.length, count, recordVisitor(h, config, partition, (error, timestamp) => {
    recordErrors.push(error);
    badTimestamps ||= timestamp;
  }));
  if (why !== undefined) return { errorCode: ErrorCode.INVALID_RECORD, message: `${why} in topic partition ${partition}` };
  if (recordErrors.length === 0) return { records };
  if (badTimestamps) return { errorCode: ErrorCode.INVALID_TIMESTAMP, recordErrors, message: 'One or more records have been rejected due to invalid timestamp' };
  const shown = recordErrors.slice(0, 3).map((e) => `RecordError(batchIndex=${e.batchIndex}, message='${e.message}')`).join(', ');
  return { errorCode: ErrorCode.INVALID_RECORD, recordErrors,
    message: `One or more records have been rejected due to ${recordErrors.length} record errors in total, and only showing the first three errors at most: [${shown}]` };
}

/**
 * The per-record checks a topic needs, as Kafka's validateRecord makes them
 * (a key first, then the timestamp; one error per record), or undefined when
 * it needs none: the plain path decodes no record field it does not have to.
 */
function recordVisitor(h: BatchHeader, config: DataPathTopicConfig, partition: string, refuse: (error: RecordError, timestamp: boolean) => void): RecordVisitor | undefined {
  const compacted = config.compactOnly || config.compacted === true;
  const bounded = (ms: number | undefined) => ms !== undefined && Number.isFinite(ms);
  const timestamps = !config.logAppendTime && (bounded(config.timestampBeforeMaxMs) || bounded(config.timestampAfterMaxMs));
  if (!compacted && !timestamps) return undefined;
  const now = Date.now();
  const low = now - (config.timestampBeforeMaxMs ?? Infinity);
  const high = now + (config.timestampAfterMaxMs ?? Infinity);
  // A LogAppendTime batch's records all carry its max timestamp (Kafka's record.timestamp()).
  const fixed = h.timestampType === TimestampType.LogAppendTime ? h.maxTimestamp : undefined;
  const base = h.baseTimestamp;
  const noKey = `Compacted topic cannot accept message without key in topic partition ${partition}.`;
  return (batchIndex, hasKey, timestampDelta) => {
    if (compacted && !hasKey) return refuse({ batchIndex, message: noKey }, false);
    if (!timestamps) return;
    const ts = fixed ?? base + timestampDelta;
    if (ts !== -1 && (ts < low || ts > high)) {
      refuse({ batchIndex, message: `Timestamp ${ts} of message with offset ${h.baseOffset + batchIndex} is out of range. The timestamp should be within [${low}, ${high}]` }, true);
    }
  };
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

/**
 * The most a batch may decompress to: 16 times max.message.bytes, at least
 * 64 MiB (64:1 for a batch of the default 1 MiB) and at most 1 GiB. Kafka
 * has no such limit; a bomb is refused at this size instead of its own, and
 * so is a real batch that compresses better than that (very repetitive data).
 */
export function decompressionLimit(config: DataPathTopicConfig): number {
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
 * recompression. `records` is the uncompressed records section when the
 * caller has it already (validateProduceRecords does).
 */
export function recompress(batch: BatchHeader, target: Compression, config: DataPathTopicConfig, partition: string, records?: Buffer): Validated {
  let body: Buffer;
  try {
    const raw = batch.buf.subarray(batch.at + BATCH_HEADER_SIZE, batch.at + batch.sizeInBytes);
    body = codecFor(target).compress(records ?? codecFor(batch.compression).decompress(raw, decompressionLimit(config)));
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
