/**
 * The committed codecs in src/wire/generated are exactly what `make generate`
 * produces from ../shared/kafka-protocol/messages: same file names, same bytes.
 * Skipped when the specs are not checked out next to the repository.
 */
import t from 'tap';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { generate } from '../../src/wire/codegen/main.js';

const SPECS = resolve(process.cwd(), '../shared/kafka-protocol/messages');
const OUT = resolve(process.cwd(), 'src/wire/generated');

t.test('src/wire/generated is what the generator makes from the specs', { skip: existsSync(SPECS) ? false : `no specs at ${SPECS}` }, async (t) => {
  const files = generate(SPECS);
  t.ok(files.size > 0, 'the generator produced files');
  const committed = readdirSync(OUT).sort();
  const generated = [...files.keys()].sort();
  t.same(generated.filter((n) => !committed.includes(n)), [], 'no generated file is missing from src/wire/generated');
  t.same(committed.filter((n) => !files.has(n)), [], 'src/wire/generated holds no extra file');
  const differing: string[] = [];
  for (const [name, text] of files) {
    const path = `${OUT}/${name}`;
    if (!existsSync(path)) continue;
    const onDisk = readFileSync(path);
    if (!onDisk.equals(Buffer.from(text, 'utf8'))) differing.push(name);
  }
  t.same(differing, [], 'every file is byte-identical (run `make generate` and commit)');
  t.comment(`${files.size} generated files compared`);
});
