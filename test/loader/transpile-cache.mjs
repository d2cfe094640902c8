/**
 * Runs the tests' TypeScript with a compile cache on disk, keyed by content.
 *
 * Every test file runs in its own node process, and tap's ts-node loader
 * (transpile-only) compiled each .ts module that process imports from scratch:
 * the broker's import graph alone (about 2.5 MB of TypeScript, over half of it
 * the generated wire code) cost some 7 s of CPU per process, more than most
 * test files spend testing. Here a module is compiled once per content (types
 * stripped, nothing checked, an inline source map: what ts-node's
 * transpile-only mode emits) and every other process reads the JavaScript.
 *
 * tap adds it to every test process (package.json, tap "node-arg"), after its
 * own loaders, so these hooks run first and answer for our .ts modules; with
 * tap's TypeScript plugin also loaded, ts-node is left only what they pass on
 * (packages). Tests that start TypeScript children pass it on with
 * process.execArgv or ts-loader-args.ts. The entries live in
 * build/transpile-cache (make clean removes them); TRANSPILE_CACHE=off
 * compiles every module afresh, to rule the cache out or to measure without it.
 */
import { register } from 'node:module';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const tsconfig = resolve(root, process.env.TS_NODE_PROJECT ?? 'tsconfig.json');

// What the output depends on besides the module's own text: the compiler, the
// project's compiler options and how the hooks call the compiler.
function fingerprint() {
  const h = createHash('sha256');
  const read = (p) => { try { return readFileSync(resolve(root, p)); } catch { return 'none'; } };
  h.update(read('node_modules/typescript/package.json'));
  h.update(read(tsconfig));
  h.update(read(fileURLToPath(new URL('./transpile-cache-hooks.mjs', import.meta.url))));
  return h.digest('hex');
}

register('./transpile-cache-hooks.mjs', import.meta.url, {
  data: { dir: process.env.TRANSPILE_CACHE === 'off' ? '' : join(root, 'build/transpile-cache'), salt: fingerprint(), tsconfig },
});
