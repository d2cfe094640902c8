/**
 * Caches the TypeScript that tap's ts-node loader compiles, on disk, by content.
 *
 * Every test file runs in its own node process, and ts-node (transpile-only)
 * compiles each .ts module that process imports from scratch: the broker's
 * import graph alone (about 2.5 MB of TypeScript, over half of it the generated
 * wire code) costs some 7 s of CPU per process, more than most test files spend
 * testing. With this cache a module is compiled once per content and the other
 * processes read the JavaScript ts-node produced for it.
 *
 * tap adds it to every test process (package.json, tap "node-arg"). It is an
 * --import registered after ts-node's, so its hooks run first: a hit answers the
 * load, a miss asks ts-node and stores what it returns. Resolution is left to
 * ts-node. Tests that start TypeScript children with process.execArgv pass it on
 * (or with ts-loader-args.ts). The entries live in build/transpile-cache (make
 * clean removes them); TRANSPILE_CACHE=off bypasses it, to rule it out or to
 * measure without it.
 */
import { register } from 'node:module';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');

// What ts-node's output depends on besides the module's own text: the compiler,
// ts-node, the project's compiler options and ts-node's environment switches.
function fingerprint() {
  const h = createHash('sha256');
  const read = (p) => { try { return readFileSync(resolve(root, p)); } catch { return 'none'; } };
  h.update(read('node_modules/typescript/package.json'));
  h.update(read('node_modules/@isaacs/ts-node-temp-fork-for-pr-2009/package.json'));
  h.update(read(process.env.TS_NODE_PROJECT ?? 'tsconfig.json'));
  for (const [k, v] of Object.entries(process.env).filter(([k]) => k.startsWith('TS_NODE_')).sort()) h.update(`${k}=${v}\n`);
  return h.digest('hex');
}

if (process.env.TRANSPILE_CACHE !== 'off') {
  register('./transpile-cache-hooks.mjs', import.meta.url, {
    data: { dir: join(root, 'build/transpile-cache'), salt: fingerprint() },
  });
}
