import type { Reader } from './reader.js';
import { Writer } from './writer.js';

/** A tagged field kept as raw bytes: unknown ones survive a decode/encode round trip. */
export interface TaggedField { tag: number; data: Buffer }

/** Reads a tagged-field section where no tag is known to the struct. */
export function readUnknownTaggedFields(r: Reader): TaggedField[] | undefined {
  const count = r.uvarint();
  if (count === 0) return undefined;
  const out: TaggedField[] = [];
  for (let i = 0; i < count; i++) {
    const tag = r.uvarint();
    out.push({ tag, data: r.take(r.uvarint()) });
  }
  return out;
}

/** Writes a tagged-field section: ascending tag order, as the protocol requires. */
export function writeTaggedFields(w: Writer, fields: TaggedField[] | undefined): void {
  if (!fields || fields.length === 0) return w.uvarint(0);
  const sorted = fields.length > 1 ? [...fields].sort((a, b) => a.tag - b.tag) : fields;
  w.uvarint(sorted.length);
  for (const f of sorted) {
    w.uvarint(f.tag);
    w.uvarint(f.data.length);
    w.raw(f.data);
  }
}

/** Encodes one tagged value on its own to learn its size. */
export function encodeTagged(write: (w: Writer) => void): Buffer {
  const w = new Writer(64);
  write(w);
  return w.toBuffer();
}
