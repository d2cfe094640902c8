/**
 * Random, truncated and mutated frames only ever produce DecodeError: never a
 * RangeError or TypeError, never a hang, never an allocation beyond the frame.
 * Bounded: a fixed number of inputs per (message, version); tap's timeout catches a hang.
 */
import t from 'tap';
import { existsSync } from 'node:fs';
import { loadSpecs, kebab } from '../../src/wire/codegen/main.js';
import { Writer } from '../../src/wire/protocol/writer.js';
import { Reader } from '../../src/wire/protocol/reader.js';
import { DecodeError } from '../../src/wire/protocol/decode-error.js';
import { randomMessage, Rng } from './helpers/random-message.js';

const SPECS = '../shared/kafka-protocol/messages';

t.test('decoders fail only with DecodeError', { skip: existsSync(SPECS) ? false : `${SPECS} is not here` }, async (t) => {
  const rng = new Rng(7);
  const specs = loadSpecs(SPECS).filter((s) => s.apiKey !== undefined);
  let inputs = 0;
  const wrong: string[] = [];
  const started = Date.now();
  for (const spec of specs) {
    const mod = await import(`../../src/wire/generated/${kebab(spec.name.replace(/(Request|Response)$/, ''))}.js`);
    const decode = mod[`decode${spec.name}`];
    const encode = mod[`encode${spec.name}`];
    for (const v of [spec.validVersions.lo, spec.validVersions.hi]) {
      const w = new Writer();
      encode(w, randomMessage(spec, v, rng), v);
      const valid = w.toBuffer();
      const cases: Buffer[] = [rng.bytes(rng.int(0, 64)), rng.bytes(300)];
      for (let cut = 0; cut < valid.length; cut += Math.max(1, Math.floor(valid.length / 12))) cases.push(valid.subarray(0, cut));
      for (let i = 0; i < 12 && valid.length > 0; i++) {
        const m = Buffer.from(valid);
        const at = rng.int(0, m.length - 1);
        if (i % 3 === 0 && at + 4 <= m.length) m.writeUInt32BE(0x7fffffff, at);
        else if (i % 3 === 1) m[at] = 0xff;
        else m[at] ^= 1 << rng.int(0, 7);
        cases.push(m);
      }
      for (const c of cases) {
        inputs++;
        try { decode(new Reader(c), v); } catch (err) {
          if (!(err instanceof DecodeError)) wrong.push(`${spec.name} v${v}: ${(err as Error).name}: ${(err as Error).message}`);
        }
      }
    }
  }
  t.comment(`${inputs} inputs over ${specs.length} messages in ${Date.now() - started} ms`);
  t.same(wrong.slice(0, 10), [], 'only DecodeError was thrown');
});
