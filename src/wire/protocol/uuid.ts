/**
 * Kafka UUIDs (topic ids, directory ids) as the 22-character URL-safe base64
 * strings Kafka prints (e.g. in kafka-topics --describe), so they can be map
 * keys and compared with ===. On the wire they are 16 raw bytes.
 */
import { closeSync, openSync, readSync } from 'node:fs';
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

/**
 * 16 bytes from the kernel's random source. /dev/urandom is what node:crypto
 * seeds from too, and reading it costs microseconds where loading node:crypto
 * costs ~6 ms: an ephemeral broker draws its cluster id before it listens.
 * Where there is no /dev/urandom (Windows), node:crypto, loaded then.
 */
function randomBytes16(): Buffer {
  const b = Buffer.allocUnsafe(16);
  try {
    const fd = openSync('/dev/urandom', 'r');
    try {
      if (readSync(fd, b, 0, 16, null) === 16) return b;
    } finally {
      closeSync(fd);
    }
  } catch { /* no /dev/urandom */ }
  return (createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto')).randomFillSync(b);
}

/** A random (version 4) UUID, never the zero UUID nor one starting with '-' (Kafka avoids those too). */
export function randomUuid(): Uuid {
  for (;;) {
    const b = randomBytes16();
    b[6] = (b[6]! & 0x0f) | 0x40;
    b[8] = (b[8]! & 0x3f) | 0x80;
    const id = uuidFromBytes(b);
    if (id !== ZERO_UUID && !id.startsWith('-')) return id;
  }
}
