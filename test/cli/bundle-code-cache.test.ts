/**
 * The bundled command (dist/bundle/samsa.cjs, src/cli/bundle-launcher.ts)
 * starts from the V8 code cache scripts/bundle.mjs made for its app, and
 * without it, or with a cache V8 or the launcher refuses, still starts, only
 * slower: a copy of the bundle with the cache removed, with a cache from
 * another build (the app's build id changed), and with a truncated cache
 * each start a broker that answers ApiVersions and stops cleanly on SIGTERM.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, truncateSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WireClient } from '../../compat-tests/helpers/wire-client.js';
import { samsaCli } from './samsa-process.js';
import { ApiKey } from '../../src/wire/generated/api-keys.js';
import { encodeApiVersionsRequest, decodeApiVersionsResponse } from '../../src/wire/generated/api-versions.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const BUNDLE = join(REPO, 'dist/bundle');
const FILES = ['samsa.cjs', 'samsa-app.cjs', 'samsa-app.cjs.v8cache'];

// The copies live outside the repository: their packages come from the repository's node_modules.
const env = { ...process.env, NODE_PATH: join(REPO, 'node_modules'), NODE_OPTIONS: undefined };

const codeCacheStatus = async (dir: string) => (await samsaCli(['--code-cache-status'], { main: join(dir, 'samsa.cjs'), env })).stdout.trim();

/** ApiVersions v0 on a new connection; resolves with the response's error code. */
async function apiVersions(port: number): Promise<number> {
  const c = await WireClient.connect('127.0.0.1', port);
  try {
    return (await c.request(ApiKey.ApiVersions, 0, (w) => encodeApiVersionsRequest(w, {}, 0), (r) => decodeApiVersionsResponse(r, 0))).errorCode;
  } finally {
    c.close();
  }
}

/** Starts a broker from the bundle in `dir`, asks it ApiVersions, stops it with SIGTERM. */
function startAnswerStop(dir: string): Promise<{ errorCode: number; exit: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [join(dir, 'samsa.cjs'), 'start', '--ephemeral', '--listen', '127.0.0.1:0', '--log-level', 'warn'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let errorCode = -2;
    const timer = setTimeout(() => p.kill('SIGKILL'), 30_000);
    const seen = (d: Buffer) => {
      output += d;
      const m = /samsa listening on 127\.0\.0\.1:(\d+)/.exec(output);
      if (m && errorCode === -2) {
        errorCode = -1;
        apiVersions(Number(m[1])).then((e) => { errorCode = e; p.kill('SIGTERM'); }, (e: Error) => { output += `\n${e.message}`; p.kill('SIGTERM'); });
      }
    };
    p.stdout.on('data', seen);
    p.stderr.on('data', seen);
    p.on('error', reject);
    p.on('close', (code) => { clearTimeout(timer); resolve({ errorCode, exit: code, output }); });
  });
}

const missing = FILES.filter((f) => !existsSync(join(BUNDLE, f)));
if (missing.length) {
  t.fail(`dist/bundle is not built (${missing.join(', ')} missing): make build`);
} else {
  t.test('the built bundle: V8 accepts its code cache', async (t) => {
    t.equal(await codeCacheStatus(BUNDLE), 'accepted');
  });

  const cases: [string, string, (dir: string) => void][] = [
    ['no cache', 'absent', (dir) => rmSync(join(dir, 'samsa-app.cjs.v8cache'))],
    ['a cache from another build', 'another build', (dir) => {
      const app = join(dir, 'samsa-app.cjs');
      writeFileSync(app, readFileSync(app, 'latin1').replace(/^\/\*samsa-[0-9a-f]+\*\//, '/*samsa-0000000000000000*/'), 'latin1');
    }],
    ['a truncated cache', 'rejected', (dir) => {
      const cache = join(dir, 'samsa-app.cjs.v8cache');
      truncateSync(cache, Math.floor(statSync(cache).size / 2));
    }],
  ];
  for (const [name, status, spoil] of cases) {
    t.test(`${name}: compiled from source, and the broker works`, async (t) => {
      const dir = mkdtempSync(join(tmpdir(), 'samsa-bundle-'));
      t.teardown(() => rmSync(dir, { recursive: true, force: true }));
      for (const f of FILES) copyFileSync(join(BUNDLE, f), join(dir, f));
      spoil(dir);
      t.equal(await codeCacheStatus(dir), status, `the launcher reports ${status}`);
      const r = await startAnswerStop(dir);
      t.equal(r.errorCode, 0, `ApiVersions answered with no error\n${r.output}`);
      t.equal(r.exit, 0, 'a clean stop on SIGTERM');
    });
  }
}
