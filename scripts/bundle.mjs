/**
 * Bundles the `samsa` command into dist/bundle/ (make build runs this after
 * tsc), the package's bin:
 *   samsa.cjs             the entry (src/cli/bundle-launcher.ts), small;
 *   samsa-app.cjs         the rest of the command, one CommonJS file;
 *   samsa-app.cjs.v8cache V8's code cache for it, made here by a training
 *                         start of a broker (bundle-launcher.ts says how it is used).
 *
 * Why: from tsc's output a lone broker loads about 110 modules before it
 * listens and 230 by its first answer, and Node's ES module loader (resolve,
 * package scope lookups, a read and a compile per file) was most of its
 * start-up. Split into ES module chunks by the dynamic imports in src/, it
 * still read and compiled two dozen files before listening. One CommonJS
 * file is one read and, with the code cache, no parse or compile of what
 * start-up runs; the modules that dynamic imports load stay lazy inside it
 * (esbuild wraps each in a function run on first import), so start-up runs
 * only what it needs. Node keeps the file's text outside V8's heap (a latin1
 * string), and the code cache is what makes its size cheap.
 *
 * Packages stay external (node_modules: the native codecs and CRC, etcd3,
 * pino, prom-client...), required by Node as from tsc's output. Whitespace is
 * squeezed out (a third less text to hold) but identifiers are kept: a stack
 * trace read without the maps still names the functions. The maps (sources
 * only, no contents) are read when a stack trace is first formatted
 * (src/cli/source-mapped-stacks.ts), not at start-up.
 *
 * dist/src/ (tsc) stays: the package's library entry (import 'samsa') and the
 * tests that spawn dist/src/cli/main.js use it.
 *
 *   node scripts/bundle.mjs [outdir]   (default dist/bundle)
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = process.argv[2] ?? join(root, 'dist', 'bundle');
const buildId = `samsa-${randomBytes(8).toString('hex')}`;

// CommonJS has no import.meta: each file's URL is its own (both files are in outdir, as the chunks were).
const common = {
  absWorkingDir: root,
  outdir,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  charset: 'ascii',
  minifyWhitespace: true,
  sourcemap: 'linked',
  sourcesContent: false,
  legalComments: 'none',
  logLevel: 'warning',
  outExtension: { '.js': '.cjs' },
  define: { 'import.meta.url': '__samsaFileUrl', SAMSA_BUILD_ID: JSON.stringify(buildId) },
};
const fileUrl = 'var __samsaFileUrl=require("node:url").pathToFileURL(__filename).href;';

rmSync(outdir, { recursive: true, force: true });
await build({
  ...common,
  entryPoints: { samsa: 'src/cli/bundle-launcher.ts' },
  banner: { js: `#!/usr/bin/env node\n${fileUrl}` },
});
// The app is one function expression, the module wrapper Node would add, so that the launcher compiles the file's text as it is.
await build({
  ...common,
  entryPoints: { 'samsa-app': 'src/cli/commands.ts' },
  banner: { js: `/*${buildId}*/(function(exports,require,module,__filename,__dirname){"use strict";${fileUrl}` },
  footer: { js: '\n})' },
});
chmodSync(join(outdir, 'samsa.cjs'), 0o755);
await trainCodeCache();

/** Starts a broker from the new bundle, stops it once it listens; the launcher writes the code cache at the SIGTERM. */
function trainCodeCache() {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(outdir, 'samsa.cjs'), '--write-code-cache', 'start', '--ephemeral', '--listen', '127.0.0.1:0', '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('samsa listening on')) child.kill('SIGTERM');
    });
    child.on('error', reject);
    child.on('exit', () => {
      clearTimeout(timer);
      if (existsSync(join(outdir, 'samsa-app.cjs.v8cache'))) resolve();
      else reject(new Error(`the training start wrote no code cache; its output:\n${out}`));
    });
  });
}
