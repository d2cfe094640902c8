/**
 * A stack trace of the built command names the TypeScript source lines
 * (src/cli/source-mapped-stacks.ts), for tsc's output (dist/src/cli/main.js)
 * and, once built, the bundle (dist/bundle/samsa.cjs, which runs samsa-app.cjs): `samsa start` on a data
 * directory under a file fails in MetadataStore.open with ENOTDIR, whose stack
 * the command prints. Without the mapping the frames name dist/ files.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SAMSA_CLI } from './samsa-process.js';

const BUNDLE = fileURLToPath(new URL('../../dist/bundle/samsa.cjs', import.meta.url));

function run(main: string, args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    // No --enable-source-maps from the test runner (the command maps stacks itself), and no
    // SAMSA_CLI_MAIN: SAMSA_* variables are broker settings.
    const { NODE_OPTIONS: _options, SAMSA_CLI_MAIN: _main, ...env } = process.env;
    const p = spawn(process.execPath, [main, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr.on('data', (d) => (stderr += d));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stderr }));
  });
}

const dir = mkdtempSync(join(tmpdir(), 'samsa-stacks-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const file = join(dir, 'a-file');
writeFileSync(file, '');

for (const [name, main] of [['tsc output', SAMSA_CLI], ['bundle', BUNDLE]] as const) {
  t.test(name, { skip: existsSync(main) ? false : `${main} is not built (make build)` }, async (t) => {
    const r = await run(main, ['start', '--data-dir', join(file, 'data'), '--listen', '127.0.0.1:0']);
    t.equal(r.code, 2, 'start-up fails');
    t.match(r.stderr, /ENOTDIR/, 'with the error');
    t.match(r.stderr, /\n\s+at \S+ \(\/\S+\/src\/controller\/metadata-store\.ts:\d+:\d+\)/, `a frame names the TypeScript source\n${r.stderr}`);
    t.notMatch(r.stderr, /\/dist\/(src|bundle)\/\S+\.c?js:\d+/, 'no frame names a built file');
  });
}
