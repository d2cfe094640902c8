import { crc32c } from './crc.js';

/**
 * RecordBatch v2 header: a zero-copy view over the 61 bytes that open every
 * batch. Layout (big-endian):
 *
 *   0 baseOffset int64        8 batchLength int32 (bytes after this field)
 *  12 partitionLeaderEpoch    16 magic int8 (2)     17 crc uint32 (CRC32C of 21..end)
 *  21 attributes int16        23 lastOffsetDelta    27 baseTimestamp int64
 *  35 maxTimestamp int64      43 producerId int64   51 producerEpoch int16
 *  53 baseSequence int32      57 recordCount int32  61 records...
 *
 * baseOffset and partitionLeaderEpoch sit before the CRC'd range, so the
 * broker can set them in place without recomputing the CRC. Offsets and
 * timestamps are JS numbers here (exact below 2^53, far beyond any real log).
 */
export const BATCH_HEADER_SIZE = 61;
/** Bytes before batchLength's range starts (baseOffset + batchLength). */
export const LOG_OVERHEAD = 12;
export const MAGIC_OFFSET = 16;
const CRC_OFFSET = 17;
const ATTRIBUTES_OFFSET = 21;

export enum Compression { None = 0, Gzip = 1, Snappy = 2, Lz4 = 3, Zstd = 4 }
export enum TimestampType { CreateTime = 0, LogAppendTime = 1 }

const COMPRESSION_MASK = 0x07;
const TIMESTAMP_TYPE_BIT = 0x08;
const TRANSACTIONAL_BIT = 0x10;
const CONTROL_BIT = 0x20;
const DELETE_HORIZON_BIT = 0x40;

export const NO_PRODUCER_ID = -1;
export const NO_SEQUENCE = -1;

export class BatchHeader {
  /** `at` is where the batch starts inside `buf`. */
  constructor(readonly buf: Buffer, readonly at = 0) {}

  get baseOffset(): number { return Number(this.buf.readBigInt64BE(this.at)); }
  set baseOffset(v: number) { this.buf.writeBigInt64BE(BigInt(v), this.at); }
  get batchLength(): number { return this.buf.readInt32BE(this.at + 8); }
  /** Whole batch size in bytes, header included. */
  get sizeInBytes(): number { return this.batchLength + LOG_OVERHEAD; }
  get partitionLeaderEpoch(): number { return this.buf.readInt32BE(this.at + 12); }
  set partitionLeaderEpoch(v: number) { this.buf.writeInt32BE(v, this.at + 12); }
  get magic(): number { return this.buf.readInt8(this.at + MAGIC_OFFSET); }
  get crc(): number { return this.buf.readUInt32BE(this.at + CRC_OFFSET); }
  get attributes(): number { return this.buf.readInt16BE(this.at + ATTRIBUTES_OFFSET); }
  get compression(): Compression { return this.attributes & COMPRESSION_MASK; }
  get timestampType(): TimestampType { return this.attributes & TIMESTAMP_TYPE_BIT ? TimestampType.LogAppendTime : TimestampType.CreateTime; }
  get isTransactional(): boolean { return (this.attributes & TRANSACTIONAL_BIT) !== 0; }
  get isControl(): boolean { return (this.attributes & CONTROL_BIT) !== 0; }
  get hasDeleteHorizon(): boolean { return (this.attributes & DELETE_HORIZON_BIT) !== 0; }
  get lastOffsetDelta(): number { return this.buf.readInt32BE(this.at + 23); }
  get lastOffset(): number { return this.baseOffset + this.lastOffsetDelta; }
  get baseTimestamp(): number { return Number(this.buf.readBigInt64BE(this.at + 27)); }
  get maxTimestamp(): number { return Number(this.buf.readBigInt64BE(this.at + 35)); }
  get producerId(): number { return Number(this.buf.readBigInt64BE(this.at + 43)); }
  get producerEpoch(): number { return this.buf.readInt16BE(this.at + 51); }
  get baseSequence(): number { return this.buf.readInt32BE(this.at + 53); }
  get recordCount(): number { return this.buf.readInt32BE(this.at + 57); }

  /** Bytes of this batch (header included) as a subarray; no copy. */
  bytes(): Buffer { return this.buf.subarray(this.at, this.at + this.sizeInBytes); }

  /** CRC32C over attributes..end, as stored in the crc field. */
  computeCrc(): number {
    return crc32c(this.buf.subarray(this.at + ATTRIBUTES_OFFSET, this.at + this.sizeInBytes));
  }
  isCrcValid(): boolean { return this.computeCrc() === this.crc; }
  /** Rewrites the crc after fields inside the CRC'd range changed. */
  updateCrc(): void { this.buf.writeUInt32BE(this.computeCrc(), this.at + CRC_OFFSET); }

  /**
   * Sets timestampType=LogAppendTime and maxTimestamp (Kafka's LogAppendTime
   * rewrite); the caller then calls updateCrc().
   */
  setLogAppendTime(timestamp: number): void {
    this.buf.writeInt16BE(this.attributes | TIMESTAMP_TYPE_BIT, this.at + ATTRIBUTES_OFFSET);
    this.buf.writeBigInt64BE(BigInt(timestamp), this.at + 35);
  }
}

export function attributesOf(opts: { compression?: Compression; timestampType?: TimestampType; transactional?: boolean; control?: boolean; deleteHorizon?: boolean }): number {
  return (opts.compression ?? 0)
    | (opts.timestampType === TimestampType.LogAppendTime ? TIMESTAMP_TYPE_BIT : 0)
    | (opts.transactional ? TRANSACTIONAL_BIT : 0)
    | (opts.control ? CONTROL_BIT : 0)
    | (opts.deleteHorizon ? DELETE_HORIZON_BIT : 0);
}
