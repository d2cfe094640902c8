/**
 * The compiled `samsa` command as a child process, for tests that run it as
 * a user does (compat-tests/cli-*.test.ts): dist/src/cli/main.js, which
 * `make build` writes before `make test` runs tap, or SAMSA_CLI_MAIN (a
 * private build: tsc -p tsconfig.json --outDir build/dist-cli). Spawned
 * asynchronously, so a broker in the test's own process keeps serving.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const SAMSA_CLI = process.env.SAMSA_CLI_MAIN ?? fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));

/** Why the CLI tests cannot run (for tap's skip), or false. */
export const cliMissing: string | false = existsSync(SAMSA_CLI) ? false : `${SAMSA_CLI} is missing (build first: make build)`;

export interface CliRun { code: number | null; stdout: string; stderr: string }

/** `main`: another build of the command than SAMSA_CLI (the bundle's dist/bundle/samsa.cjs, say). */
export function samsaCli(args: string[], opts: { input?: string | Buffer; env?: NodeJS.ProcessEnv; timeoutMs?: number; main?: string } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    // SAMSA_BOOTSTRAP from the environment would hide a missing --bootstrap.
    const env = { ...process.env, SAMSA_BOOTSTRAP: undefined, ...opts.env };
    const p = spawn(process.execPath, [opts.main ?? SAMSA_CLI, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => { p.kill('SIGKILL'); reject(new Error(`samsa ${args.join(' ')} timed out; stderr: ${stderr}`)); }, opts.timeoutMs ?? 60_000);
    p.on('error', (e) => { clearTimeout(timer); reject(e); });
    p.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
    p.stdin.on('error', () => undefined);
    p.stdin.end(opts.input ?? '');
  });
}

/**
 * The same commands run in this process (no node start-up, ~1 s each on a
 * loaded machine): what `samsa topic|topics|group|cluster info ...` prints
 * and returns, stdin from `input`. For the many checks of a suite; the
 * process itself (main.js, exit codes, real stdin) is checked with samsaCli.
 */
export async function samsaInProcess(args: string[], input: string | Buffer = ''): Promise<CliRun> {
  const { Readable, Writable } = await import('node:stream');
  let stdout = '';
  let stderr = '';
  const io = { out: (l: string) => { stdout += `${l}\n`; }, err: (l: string) => { stderr += `${l}\n`; } };
  const streams = {
    stdin: Readable.from([Buffer.from(input)]),
    stdout: new Writable({ write(chunk, _enc, cb) { stdout += chunk; cb(); } }),
    stderr: new Writable({ write(chunk, _enc, cb) { stderr += chunk; cb(); } }),
  };
  const [cmd, ...rest] = args;
  let code: number;
  if (cmd === 'topic' || cmd === 'topics') code = await (await import('../../src/cli/topic.js')).topicCommand(rest, io, streams);
  else if (cmd === 'group') code = await (await import('../../src/cli/group.js')).groupCommand(rest, io);
  else if (cmd === 'cluster' && rest[0] === 'info') code = await (await import('../../src/cli/cluster-info.js')).clusterInfoCommand(rest.slice(1), io);
  else throw new Error(`samsaInProcess: no ${cmd}`);
  return { code, stdout, stderr };
}
