/**
 * The entry of the bundled `samsa` command (dist/bundle/samsa.cjs, the
 * package's bin; scripts/bundle.mjs builds it). It runs the rest of the
 * command, dist/bundle/samsa-app.cjs (commands.ts and all it loads, one
 * CommonJS file), from V8's code cache for that file, made at build time: V8
 * then reads the compiled functions back instead of parsing and compiling
 * the source. A lone broker's start-up beyond a bare listening Node's is
 * about half what it was as two dozen ES module files, each resolved, read
 * and compiled (bench/startup.ts: 1.50x bare Node's time before, 1.20-1.26x).
 *
 * The cache fits one build of the app: both carry the build's id (the app as
 * its first bytes), and a cache from another build is not offered to V8.
 * V8 itself refuses a cache from another V8 version or other V8 flags
 * (tuneV8 runs first, here as when the cache was made); refused or absent,
 * the source is compiled as usual, only slower.
 *
 * Only the bundle runs this file: it uses the CommonJS module scope
 * (`__dirname`, `require`, `module`), which tsc's ES module output lacks.
 *   samsa.cjs --write-code-cache <args>   runs the command and writes the cache on SIGTERM (the build's training run)
 *   samsa.cjs --code-cache-status         prints whether V8 takes the cache: accepted, rejected, absent or another build
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Script, constants } from 'node:vm';
import { installSourceMappedStacks } from './source-mapped-stacks.js';
import { tuneV8 } from './v8-tuning.js';

/** Set by scripts/bundle.mjs, the same in this file and at the start of the app. */
declare const SAMSA_BUILD_ID: string;

tuneV8();
installSourceMappedStacks();

const app = `${__dirname}/samsa-app.cjs`;
const cacheFile = `${app}.v8cache`;
const mode = process.argv[2];
if (mode === '--write-code-cache' || mode === '--code-cache-status') process.argv.splice(2, 1);

// latin1: the app is ASCII (esbuild escapes the rest), and Node keeps a large latin1 string outside the heap.
const source = readFileSync(app, 'latin1');
const sameBuild = source.startsWith(`/*${SAMSA_BUILD_ID}*/`);
let cachedData: Buffer | undefined;
if (sameBuild && mode !== '--write-code-cache') {
  try { cachedData = readFileSync(cacheFile); } catch { /* none: compiled from source */ }
}
const script = new Script(source, { filename: app, cachedData, importModuleDynamically: constants.USE_MAIN_CONTEXT_DEFAULT_LOADER });

if (mode === '--code-cache-status') {
  console.log(!sameBuild ? 'another build' : cachedData === undefined ? 'absent' : script.cachedDataRejected ? 'rejected' : 'accepted');
} else {
  // At SIGTERM, before the broker's own handler shuts it down: the cache then holds what start-up compiled, not the stop.
  // By then the listening broker has put V8's interrupt budget back (servingV8), and V8 stamps a cache with the flags
  // in force when it is made: start-up's are set again first, or no starting process would accept it.
  if (mode === '--write-code-cache') {
    process.prependOnceListener('SIGTERM', () => {
      tuneV8();
      writeFileSync(cacheFile, script.createCachedData());
    });
  }
  const run = script.runInThisContext() as (exports: object, req: NodeJS.Require, mod: NodeJS.Module, filename: string, dirname: string) => void;
  run(module.exports, require, module, app, __dirname);
}
