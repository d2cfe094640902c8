/**
 * Samsa's version, for the broker's start-up log line: the "version" of the
 * package.json named "samsa" found walking up from this file (the repository
 * when run from source or dist/, node_modules/samsa when installed). Read once.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let version: string | undefined;

export function samsaVersion(): string {
  if (version !== undefined) return version;
  version = 'unknown';
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    try {
      const m = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (m.name === 'samsa' && m.version) return (version = m.version);
    } catch { /* none here, or not readable: not ours */ }
    if (dirname(dir) === dir) return version;
  }
}
