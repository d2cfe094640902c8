/**
 * Every API key x every valid version (unstable ones too) x request and
 * response, plus the headers and data specs: a seeded random value encodes,
 * decodes to the same value, uses every byte, and re-encodes to the same bytes.
 */
import t from 'tap';
import { existsSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { loadSpecs, kebab } from '../../src/wire/codegen/main.js';
import { Writer } from '../../src/wire/protocol/writer.js';
import { Reader } from '../../src/wire/protocol/reader.js';
import { randomMessage, versionsOf, Rng } from './helpers/random-message.js';

const SPECS = '../shared/kafka-protocol/messages';

/** True when every field set in `sent` comes back equal in `got` (fields not set come back as defaults). */
function sameWhereSet(sent: unknown, got: unknown): boolean {
  if (Buffer.isBuffer(sent)) return Buffer.isBuffer(got) && sent.equals(got);
  if (Array.isArray(sent)) return Array.isArray(got) && sent.length === got.length && sent.every((s, i) => sameWhereSet(s, got[i]));
  if (sent !== null && typeof sent === 'object') {
    if (got === null || typeof got !== 'object') return false;
    return Object.entries(sent).every(([k, v]) => sameWhereSet(v, (got as Record<string, unknown>)[k]));
  }
  return isDeepStrictEqual(sent, got);
}

t.test('round trip of every message at every version', { skip: existsSync(SPECS) ? false : `${SPECS} is not here` }, async (t) => {
  const specs = loadSpecs(SPECS);
  let covered = 0, expected = 0;
  const failures: string[] = [];
  const rng = new Rng(20261124);
  for (const spec of specs) {
    const base = spec.apiKey !== undefined ? kebab(spec.name.replace(/(Request|Response)$/, '')) : kebab(spec.name);
    const mod = await import(`../../src/wire/generated/${base}.js`);
    const encode = mod[`encode${spec.name}`];
    const decode = mod[`decode${spec.name}`];
    for (const v of versionsOf(spec)) {
      expected++;
      let ok = true;
      for (let round = 0; round < 3 && ok; round++) {
        const value = randomMessage(spec, v, rng);
        try {
          const w = new Writer();
          encode(w, value, v);
          const bytes = w.toBuffer();
          const r = new Reader(bytes);
          const back = decode(r, v);
          const w2 = new Writer();
          encode(w2, back, v);
          if (r.remaining() !== 0) throw new Error(`${r.remaining()} bytes left over`);
          if (!sameWhereSet(value, back)) throw new Error('decoded value differs');
          if (!w2.toBuffer().equals(bytes)) throw new Error('re-encoding differs');
        } catch (err) {
          ok = false;
          failures.push(`${spec.name} v${v}: ${(err as Error).message}`);
        }
      }
      if (ok) covered++;
    }
  }
  t.comment(`covered ${covered} of ${expected} (message, version) pairs across ${specs.length} specs`);
  t.same(failures, [], 'no failures');
  t.equal(covered, expected, 'every message at every version');
});
