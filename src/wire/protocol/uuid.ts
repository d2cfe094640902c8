/**
 * Kafka UUIDs (topic ids, directory ids) as the 22-character URL-safe base64
 * strings Kafka prints (e.g. in kafka-topics --describe), so they can be map
 * keys and compared with ===. On the wire they are 16 raw bytes.
 */
import { createRequire } from 'node:module';

export type Uuid = string;

export const ZERO_UUID: Uuid = 'AAAAAAAAAAAAAAAAAAAAAA';

export function uuidFromBytes(bytes: Uint8Array): Uuid {
  return Buffer.from(bytes.buffer, bytes.byteOffset, 16).toString('base64url');
}

export function uuidToBytes(id: Uuid): Buffer {
  const b = Buffer.from(id, 'base64url');
  if (b.length !== 16) throw new TypeError(`not a Kafka UUID: ${id}`);
  return b;
}

// node:crypto's randomFillSync, loaded at the first random id: every codec imports this module and
// few processes draw an id; globalThis.crypto (WebCrypto) would cost ~1.5 ms more to set up than this.
let randomFill: ((b: Buffer) => Buffer) | undefined;

/** A random (version 4) UUID, never the zero UUID nor one starting with '-' (Kafka avoids those too). */
export function randomUuid(): Uuid {
  randomFill ??= (createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto')).randomFillSync;
  for (;;) {
    const b = randomFill(Buffer.allocUnsafe(16));
    b[6] = (b[6]! & 0x0f) | 0x40;
    b[8] = (b[8]! & 0x3f) | 0x80;
    const id = uuidFromBytes(b);
    if (id !== ZERO_UUID && !id.startsWith('-')) return id;
  }
}
