/**
 * The loader hooks of transpile-cache.mjs (they run on node's loader thread).
 * Entries are named by a hash of the compile fingerprint, the module's URL (its
 * inline source map names the file) and its text, so an edited file is simply
 * a new entry; they are written to a temporary name and renamed, so test
 * processes filling the cache at the same time never read half an entry.
 *
 * Relative imports of our own TypeScript ('./x.js' meaning x.ts, as tsc wants
 * them written) are resolved here too: ts-node's resolver, a JavaScript copy of
 * node's, costs about 0.3 s of CPU per test process over the few hundred
 * modules of src/. Anything else (packages, node:, a .js file that exists) is
 * left to it.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

let dir = '';
let salt = '';

export async function initialize(data) {
  dir = data.dir;
  salt = data.salt;
  await mkdir(dir, { recursive: true });
}

export async function resolve(specifier, context, nextResolve) {
  if (context.parentURL?.startsWith('file:') && (specifier.startsWith('./') || specifier.startsWith('../'))) {
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
  // Only plain TypeScript files: a query or hash means another loader (tap's
  // mocks) owns the URL.
  if (!url.startsWith('file:') || !/\.m?ts$/.test(url)) return nextLoad(url, context);
  let text;
  try {
    text = await readFile(fileURLToPath(url));
  } catch {
    return nextLoad(url, context);
  }
  const key = createHash('sha256').update(salt).update('\0').update(url).update('\0').update(text).digest('hex');
  const entry = join(dir, `${key}.js`);
  try {
    return { format: 'module', source: await readFile(entry, 'utf8'), shortCircuit: true };
  } catch {
    // not cached yet
  }
  const out = await nextLoad(url, context);
  if (out.format === 'module' && out.source != null) {
    const tmp = `${entry}.${process.pid}.${Math.random().toString(36).slice(2)}`;
    try {
      await writeFile(tmp, typeof out.source === 'string' ? out.source : Buffer.from(out.source));
      await rename(tmp, entry);
    } catch {
      // a cache that cannot be written only costs time
    }
  }
  return out;
}
