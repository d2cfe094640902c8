import { DecodeError } from './decode-error.js';
import { uuidFromBytes, type Uuid } from './uuid.js';

/**
 * A bounds-checked cursor over one frame. Every read checks the bytes that
 * remain first and throws DecodeError, so no length read off the wire can make
 * us allocate more than the frame holds. Byte-valued results (bytes, records)
 * are subarrays of the frame: no copy.
 */
export class Reader {
  pos: number;
  readonly end: number;

  constructor(readonly buf: Buffer, start = 0, end = buf.length) {
    this.pos = start;
    this.end = end;
  }

  remaining(): number {
    return this.end - this.pos;
  }

  fail(message: string): never {
    throw new DecodeError(message, this.pos);
  }

  private need(n: number): number {
    if (n > this.end - this.pos) this.fail(`needs ${n} bytes, ${this.end - this.pos} remain`);
    const at = this.pos;
    this.pos += n;
    return at;
  }

  int8(): number { return this.buf.readInt8(this.need(1)); }
  uint8(): number { return this.buf[this.need(1)]!; }
  int16(): number { return this.buf.readInt16BE(this.need(2)); }
  uint16(): number { return this.buf.readUInt16BE(this.need(2)); }
  int32(): number { return this.buf.readInt32BE(this.need(4)); }
  uint32(): number { return this.buf.readUInt32BE(this.need(4)); }
  int64(): bigint { return this.buf.readBigInt64BE(this.need(8)); }
  float64(): number { return this.buf.readDoubleBE(this.need(8)); }
  bool(): boolean { return this.buf[this.need(1)] !== 0; }
  uuid(): Uuid { const at = this.need(16); return uuidFromBytes(this.buf.subarray(at, at + 16)); }

  /** Unsigned varint of at most 32 bits (Kafka's length and tag encoding). */
  uvarint(): number {
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const b = this.buf[this.need(1)]!;
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) {
        if (result > 0xffffffff) this.fail('unsigned varint exceeds 32 bits');
        return result;
      }
    }
    this.fail('unsigned varint longer than 5 bytes');
  }

  /** Zigzag-encoded signed varint (record fields). */
  varint(): number {
    const u = this.uvarint();
    return (u >>> 1) ^ -(u & 1);
  }

  /** Zigzag-encoded signed 64-bit varint, as a number (record fields hold deltas that fit). */
  varlong(): number {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      const b = this.buf[this.need(1)]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) {
        const signed = (result >> 1n) ^ -(result & 1n);
        return Number(BigInt.asIntN(64, signed));
      }
    }
    this.fail('varlong longer than 10 bytes');
  }

  private lengthChecked(n: number, what: string): number {
    if (n > this.end - this.pos) this.fail(`${what} length ${n} exceeds the ${this.end - this.pos} bytes that remain`);
    return n;
  }

  private utf8(n: number): string {
    const at = this.need(n);
    return this.buf.toString('utf8', at, at + n);
  }

  /** int16-length string; null when the length is -1. */
  nullableString(): string | null {
    const n = this.int16();
    if (n < -1) this.fail(`invalid string length ${n}`);
    return n === -1 ? null : this.utf8(this.lengthChecked(n, 'string'));
  }

  string(): string {
    const s = this.nullableString();
    return s === null ? this.fail('non-nullable string is null') : s;
  }

  /** uvarint(length + 1) string; null when 0. */
  compactNullableString(): string | null {
    const n = this.uvarint() - 1;
    return n === -1 ? null : this.utf8(this.lengthChecked(n, 'string'));
  }

  compactString(): string {
    const s = this.compactNullableString();
    return s === null ? this.fail('non-nullable string is null') : s;
  }

  /** The next n bytes as a subarray of the frame (no copy). */
  take(n: number): Buffer {
    const at = this.need(n);
    return this.buf.subarray(at, at + n);
  }

  /** int32-length bytes (also records); null when the length is -1. */
  nullableBytes(): Buffer | null {
    const n = this.int32();
    if (n < -1) this.fail(`invalid bytes length ${n}`);
    return n === -1 ? null : this.take(this.lengthChecked(n, 'bytes'));
  }

  bytes(): Buffer {
    const b = this.nullableBytes();
    return b === null ? this.fail('non-nullable bytes are null') : b;
  }

  compactNullableBytes(): Buffer | null {
    const n = this.uvarint() - 1;
    return n === -1 ? null : this.take(this.lengthChecked(n, 'bytes'));
  }

  compactBytes(): Buffer {
    const b = this.compactNullableBytes();
    return b === null ? this.fail('non-nullable bytes are null') : b;
  }

  /**
   * int32 element count; -1 when null. A count larger than the bytes that
   * remain is rejected before anything is allocated, as Kafka does.
   */
  arrayLength(): number {
    const n = this.int32();
    if (n < -1) this.fail(`invalid array length ${n}`);
    return n === -1 ? -1 : this.lengthChecked(n, 'array');
  }

  /** uvarint(count + 1); -1 when null. */
  compactArrayLength(): number {
    const n = this.uvarint() - 1;
    return n === -1 ? -1 : this.lengthChecked(n, 'array');
  }

  /** Bytes of a tagged field's value, as a sub-reader limited to its declared size. */
  sub(n: number): Reader {
    const at = this.need(this.lengthChecked(n, 'tagged field'));
    return new Reader(this.buf, at, at + n);
  }

  skip(n: number): void {
    this.need(this.lengthChecked(n, 'skipped field'));
  }
}
