/**
 * Bundles the `samsa` command into dist/bundle/ (make build runs this after
 * tsc): samsa.js, the entry, and chunks/, one file per lazily loaded part.
 *
 * Why: from tsc's output a lone broker loads about 110 modules before it
 * listens and 230 by its first answer, and Node's ES module loader (resolve,
 * package scope lookups, a read and a compile per file) was most of its
 * start-up. Code splitting keeps what start-up does not run (the request
 * path, loaded once the broker listens; the HTTP side; the client commands;
 * etcd; TLS) out of the files start-up reads, as the dynamic imports in src/
 * already draw those lines; a single file would have to be parsed whole, and
 * every package a lazy part imports statically would load at start.
 *
 * Packages stay external (node_modules: the native codecs and CRC, etcd3,
 * pino, prom-client...), resolved by Node as from tsc's output. Identifiers
 * and lines are kept as written (no minifying): a stack trace read without
 * the maps still names the functions. The maps (sources only, no contents)
 * are read when a stack trace is first formatted (src/cli/source-mapped-stacks.ts),
 * not at start-up.
 *
 * dist/src/ (tsc) stays: the package's library entry (import 'samsa') and the
 * tests that spawn dist/src/cli/main.js use it.
 *
 *   node scripts/bundle.mjs [outdir]   (default dist/bundle)
 */
import { chmodSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = process.argv[2] ?? join(root, 'dist', 'bundle');

rmSync(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: { samsa: 'src/cli/main.ts' },
  outdir,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  sourcemap: 'linked',
  sourcesContent: false,
  legalComments: 'none',
  logLevel: 'warning',
});
chmodSync(join(outdir, 'samsa.js'), 0o755);
