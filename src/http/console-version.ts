/**
 * Samsa's version for GET /api/session: the "version" of the package.json
 * named "samsa" found walking up from this file (the repo from source or
 * dist/, node_modules/samsa when installed). Read once.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let version: string | undefined;

export function samsaVersion(): string {
  if (version !== undefined) return version;
  version = 'unknown';
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        const m = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; version?: string };
        if (m.name === 'samsa' && m.version) { version = m.version; break; }
      } catch { /* a broken package.json on the way up is not ours */ }
    }
    if (dirname(dir) === dir) break;
  }
  return version;
}
