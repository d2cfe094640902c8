/**
 * Kafka UUIDs (topic ids, directory ids) as the 22-character URL-safe base64
 * strings Kafka prints (e.g. in kafka-topics --describe), so they can be map
 * keys and compared with ===. On the wire they are 16 raw bytes.
 */
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

/** A random (version 4) UUID, never the zero UUID nor one starting with '-' (Kafka avoids those too). */
export function randomUuid(): Uuid {
  for (;;) {
    const b = Buffer.from(crypto.getRandomValues(new Uint8Array(16)));
    b[6] = (b[6]! & 0x0f) | 0x40;
    b[8] = (b[8]! & 0x3f) | 0x80;
    const id = uuidFromBytes(b);
    if (id !== ZERO_UUID && !id.startsWith('-')) return id;
  }
}
