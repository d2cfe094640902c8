/**
 * The loader hooks of transpile-cache.mjs (they run on node's loader thread).
 * Entries are named by a hash of the compile fingerprint, the module's URL (its
 * inline source map names the file) and its text, so an edited file is simply
 * a new entry; they are written to a temporary name and renamed, so test
 * processes filling the cache at the same time never read half an entry.
 */
import { createHash } from 'node:crypto';
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
