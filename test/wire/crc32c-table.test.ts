import t from 'tap';
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { crc32c, crc32cByTable } from '../../src/wire/records/crc.js';

const native = createRequire(import.meta.url)('@node-rs/crc32') as typeof import('@node-rs/crc32');

t.test('the table gives the addon\'s CRC32C for every length up to 600 bytes, at any alignment', async (t) => {
  const data = randomBytes(700);
  let mismatches = 0;
  for (let len = 0; len <= 600; len++) {
    const input = data.subarray(len % 7, (len % 7) + len);
    const want = native.crc32c(input);
    if (crc32cByTable(input) !== want || crc32c(input) !== want) mismatches++;
  }
  t.equal(mismatches, 0);
});

t.test('a checksum continued from an initial value matches the addon\'s', async (t) => {
  const a = randomBytes(37);
  const b = randomBytes(91);
  const whole = native.crc32c(Buffer.concat([a, b]));
  t.equal(crc32cByTable(b, crc32cByTable(a)), whole);
  t.equal(crc32c(b, native.crc32c(a)), whole);
});

t.test('the known CRC32C check value', async (t) => {
  // The CRC catalogue's check value for CRC-32C: the checksum of the ASCII digits 1-9.
  t.equal(crc32cByTable(Buffer.from('123456789')).toString(16), 'e3069283');
});
