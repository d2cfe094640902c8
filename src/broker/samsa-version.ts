/**
 * Where Samsa's package is and its version: the folder of the package.json
 * named "samsa" found walking up from this file (the repository when run from
 * source or dist/, node_modules/samsa when installed). The broker's start-up
 * line, the console's session and the console's files all need it.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The folder holding `name`'s package.json and that manifest, walking up from `from` (a folder). */
export function findPackage(from: string, name: string): { dir: string; manifest: { name?: string; version?: string } } {
  for (let dir = from; ; ) {
    try {
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (manifest.name === name) return { dir, manifest };
    } catch { /* none here, or a broken one: not ours */ }
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json named "${name}" above ${from}`);
    dir = up;
  }
}

let version: string | undefined;

export function samsaVersion(): string {
  if (version !== undefined) return version;
  try {
    version = findPackage(dirname(fileURLToPath(import.meta.url)), 'samsa').manifest.version ?? 'unknown';
  } catch {
    version = 'unknown';
  }
  return version;
}
