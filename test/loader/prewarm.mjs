/**
 * Fills the transpile cache (transpile-store.mjs) with every TypeScript module
 * of src/, test/ and compat-tests/, in this one process, before tap starts.
 *
 * On a fresh checkout (CI) the first test files tap runs at once would each
 * compile the same few hundred modules, each loading typescript: about a minute
 * of CPU over the suite that one pass here does in a third of it. Run it
 * before tap or alongside other set-up (it needs only node_modules):
 *   node test/loader/prewarm.mjs
 * A module that does not compile is named and skipped (its test reports it);
 * the exit code is 0 unless the cache cannot be used at all.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cacheSettings, ROOT, transpileStore } from './transpile-store.mjs';

const DIRS = ['src', 'test', 'compat-tests'];

async function* tsFiles(dir) {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) yield* tsFiles(path);
    else if (/\.m?ts$/.test(e.name) && !e.name.endsWith('.d.ts')) yield path;
  }
}

const settings = cacheSettings();
if (!settings.dir) {
  console.log('prewarm: TRANSPILE_CACHE=off, nothing to fill');
  process.exit(0);
}
const store = transpileStore(settings);
const started = Date.now();
let files = 0;
const failed = [];
for (const dir of DIRS) {
  for await (const path of tsFiles(join(ROOT, dir))) {
    files++;
    try {
      await store.source(pathToFileURL(path).href, await readFile(path, 'utf8'));
    } catch (e) {
      failed.push(`${path}: ${e.message.split('\n').slice(1, 2).join('')}`);
    }
  }
}
console.log(`prewarm: ${files} TypeScript modules in the transpile cache in ${((Date.now() - started) / 1000).toFixed(1)} s${failed.length ? `; ${failed.length} did not compile:\n  ${failed.join('\n  ')}` : ''}`);
