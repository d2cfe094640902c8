/** `make generate` reproduces the committed codecs byte for byte (when ../shared is present). */
import t from 'tap';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { generate } from '../../src/wire/codegen/main.js';

const SPECS = '../shared/kafka-protocol/messages';
const OUT = 'src/wire/generated';

t.test('generated codecs are current', { skip: existsSync(SPECS) ? false : `${SPECS} is not here` }, async (t) => {
  const files = generate(SPECS);
  const committed = readdirSync(OUT).sort();
  t.same(committed, [...files.keys()].sort(), 'same set of files');
  const stale = [...files].filter(([name, text]) => !existsSync(`${OUT}/${name}`) || readFileSync(`${OUT}/${name}`, 'utf8') !== text).map(([n]) => n);
  t.same(stale, [], 'every file byte-identical: run `make generate` and commit');
});
