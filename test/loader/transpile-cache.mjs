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
 * build/transpile-cache (make clean removes them; prewarm.mjs fills it in one
 * process); TRANSPILE_CACHE=off compiles every module afresh, to rule the
 * cache out or to measure without it.
 */
import { register } from 'node:module';
import { cacheSettings } from './transpile-store.mjs';

register('./transpile-cache-hooks.mjs', import.meta.url, { data: cacheSettings() });
