import { uuidToBytes, type Uuid } from './uuid.js';

/** Byte slices at least this long are kept by reference rather than copied. */
const ZERO_COPY_MIN = 4096;

/**
 * Writes one message into a growing buffer. Large byte slices (record batches
 * in a FetchResponse) are kept by reference as separate chunks, so a response
 * can go to the socket with writev and no copy. `chunks()` returns the pieces
 * in order; `toBuffer()` joins them.
 */
export class Writer {
  private buf: Buffer;
  private pos = 0;
  /** Finished pieces before `buf`: filled parts of earlier buffers and referenced slices. */
  private done: Buffer[] = [];
  private doneBytes = 0;

  constructor(initialSize = 256) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  /** Total bytes written so far. */
  get length(): number {
    return this.doneBytes + this.pos;
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n, 256));
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }

  int8(v: number): void { this.room(1); this.buf.writeInt8(v, this.pos); this.pos += 1; }
  uint8(v: number): void { this.room(1); this.buf[this.pos++] = v; }
  int16(v: number): void { this.room(2); this.buf.writeInt16BE(v, this.pos); this.pos += 2; }
  uint16(v: number): void { this.room(2); this.buf.writeUInt16BE(v, this.pos); this.pos += 2; }
  int32(v: number): void { this.room(4); this.buf.writeInt32BE(v, this.pos); this.pos += 4; }
  uint32(v: number): void { this.room(4); this.buf.writeUInt32BE(v, this.pos); this.pos += 4; }
  int64(v: bigint): void { this.room(8); this.buf.writeBigInt64BE(v, this.pos); this.pos += 8; }
  float64(v: number): void { this.room(8); this.buf.writeDoubleBE(v, this.pos); this.pos += 8; }
  bool(v: boolean): void { this.uint8(v ? 1 : 0); }
  uuid(v: Uuid): void { this.raw(uuidToBytes(v)); }

  uvarint(v: number): void {
    this.room(5);
    while (v >= 0x80) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
  }

  varint(v: number): void {
    this.uvarint(((v << 1) ^ (v >> 31)) >>> 0);
  }

  varlong(v: number | bigint): void {
    let z = BigInt.asUintN(64, (BigInt(v) << 1n) ^ (BigInt(v) >> 63n));
    this.room(10);
    while (z >= 0x80n) {
      this.buf[this.pos++] = Number(z & 0x7fn) | 0x80;
      z >>= 7n;
    }
    this.buf[this.pos++] = Number(z);
  }

  /** Appends bytes; large slices are referenced, not copied (see class comment). */
  raw(b: Uint8Array): void {
    if (b.length >= ZERO_COPY_MIN) {
      this.seal();
      const slice = Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.length);
      this.done.push(slice);
      this.doneBytes += slice.length;
      return;
    }
    this.room(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** Moves what `buf` holds into `done` so later writes start a fresh buffer. */
  private seal(): void {
    if (this.pos === 0) return;
    this.done.push(this.buf.subarray(0, this.pos));
    this.doneBytes += this.pos;
    this.buf = this.buf.subarray(this.pos);
    this.pos = 0;
  }

  nullableString(v: string | null): void {
    if (v === null) return this.int16(-1);
    const n = Buffer.byteLength(v);
    this.int16(n);
    this.room(n);
    this.pos += this.buf.write(v, this.pos, 'utf8');
  }
  string(v: string): void { this.nullableString(v); }

  compactNullableString(v: string | null): void {
    if (v === null) return this.uvarint(0);
    const n = Buffer.byteLength(v);
    this.uvarint(n + 1);
    this.room(n);
    this.pos += this.buf.write(v, this.pos, 'utf8');
  }
  compactString(v: string): void { this.compactNullableString(v); }

  nullableBytes(v: Uint8Array | null): void {
    if (v === null) return this.int32(-1);
    this.int32(v.length);
    this.raw(v);
  }
  bytes(v: Uint8Array): void { this.nullableBytes(v); }

  compactNullableBytes(v: Uint8Array | null): void {
    if (v === null) return this.uvarint(0);
    this.uvarint(v.length + 1);
    this.raw(v);
  }
  compactBytes(v: Uint8Array): void { this.compactNullableBytes(v); }

  arrayLength(n: number): void { this.int32(n); }
  compactArrayLength(n: number): void { this.uvarint(n + 1); }

  /** The pieces written, in order, for writev. */
  chunks(): Buffer[] {
    this.seal();
    return this.done;
  }

  toBuffer(): Buffer {
    const parts = this.chunks();
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts, this.doneBytes);
  }
}
