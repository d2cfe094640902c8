/**
 * The loader hooks of transpile-cache.mjs (they run on node's loader thread).
 *
 * load: a .ts module's JavaScript comes from the transpile cache
 * (transpile-store.mjs), compiled and stored there on a miss.
 *
 * resolve: relative imports of our own TypeScript ('./x.js' meaning x.ts, as
 * tsc wants them written) are resolved here; anything else (packages, node:,
 * a .js file that exists) goes on down the chain (to ts-node's resolver while
 * tap's TypeScript plugin is loaded, else to node's).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { transpileStore } from './transpile-store.mjs';

/** @type {ReturnType<typeof transpileStore>} */
let store;

export async function initialize(settings) {
  store = transpileStore(settings);
}

export async function resolve(specifier, context, nextResolve) {
  // An import from a module tap's mocks loaded (its URL carries their query) goes to tap's resolver, which swaps in the mocks.
  if (context.parentURL?.startsWith('file:') && !context.parentURL.includes('?') && (specifier.startsWith('./') || specifier.startsWith('../'))) {
    const url = new URL(specifier, context.parentURL);
    if (!url.search && !url.hash) {
      if (url.pathname.endsWith('.ts') && existsSync(url)) return { url: url.href, format: 'module', shortCircuit: true };
      if (url.pathname.endsWith('.js') && !existsSync(url)) {
        const ts = new URL(`${url.href.slice(0, -3)}.ts`);
        if (existsSync(ts)) return { url: ts.href, format: 'module', shortCircuit: true };
      }
    }
  }
  return nextResolve(specifier, context);
}

export async function load(url, context, nextLoad) {
  // Only plain TypeScript modules: a query or hash means another loader (tap's
  // mocks) owns the URL.
  if (!url.startsWith('file:') || !/\.m?ts$/.test(url)) return nextLoad(url, context);
  let text;
  try {
    text = await readFile(fileURLToPath(url), 'utf8');
  } catch {
    return nextLoad(url, context);
  }
  return { format: 'module', source: await store.source(url, text), shortCircuit: true };
}
