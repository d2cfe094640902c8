/**
 * Random Kafka UUIDs (src/wire/protocol/uuid.ts), drawn from /dev/urandom:
 * version 4 with the RFC 4122 variant, 16 bytes on the wire, never the zero
 * UUID nor one Kafka's tools would read as an option ('-' first), and no
 * two alike in a few thousand draws.
 */
import t from 'tap';
import { randomUuid, uuidFromBytes, uuidToBytes, ZERO_UUID } from '../../src/wire/protocol/uuid.js';

t.test('random UUIDs are version 4, distinct and round-trip', async (t) => {
  const seen = new Set<string>();
  let bad = 0;
  for (let i = 0; i < 5000; i++) {
    const id = randomUuid();
    const b = uuidToBytes(id);
    if (id.length !== 22 || b.length !== 16 || b[6]! >> 4 !== 4 || b[8]! >> 6 !== 2 || id === ZERO_UUID || id.startsWith('-') || uuidFromBytes(b) !== id) bad++;
    seen.add(id);
  }
  t.equal(bad, 0, 'every id is a version 4, RFC 4122 variant UUID of 22 characters');
  t.equal(seen.size, 5000, 'no two alike');
  // Each of the 122 random bits is set in some id and clear in another: the bytes are not constant.
  const ones = new Uint32Array(128);
  for (const id of [...seen].slice(0, 1000)) uuidToBytes(id).forEach((byte, i) => { for (let bit = 0; bit < 8; bit++) ones[i * 8 + bit]! += (byte >> (7 - bit)) & 1; });
  const fixed = [48, 49, 50, 51, 64, 65];
  const stuck = [...ones].map((n, bit) => ({ n, bit })).filter(({ n, bit }) => !fixed.includes(bit) && (n === 0 || n === 1000));
  t.same(stuck, [], 'no random bit is stuck');
});
