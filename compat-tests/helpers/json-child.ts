/**
 * Runs a client program (a Python script over librdkafka or kafka-python, a Go
 * binary over sarama or kafka-go) that prints one JSON object, asynchronously:
 * the broker under test runs in this same process, so a synchronous spawn
 * would stop it from answering.
 */
import { spawn } from 'node:child_process';

export interface ChildRun<T> { code: number | null; out: T; stdout: string; stderr: string }

/**
 * Resolves with the exit code and the parsed output; rejects, with stdout and
 * stderr in the message, when the program prints no JSON, cannot start, or is
 * still running after `killAfterMs` (a backstop: the programs end themselves
 * on their own timeouts first).
 */
export function runJsonChild<T>(file: string, args: string[], opts: { killAfterMs: number; env?: NodeJS.ProcessEnv; what: string }): Promise<ChildRun<T>> {
  return new Promise((resolve, reject) => {
    const p = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], env: opts.env ?? process.env });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => p.kill('SIGKILL'), opts.killAfterMs);
    p.on('error', (e) => { clearTimeout(timer); reject(e); });
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      try {
        resolve({ code, out: JSON.parse(stdout) as T, stdout, stderr });
      } catch {
        reject(new Error(`${opts.what} exited ${code ?? signal} with no JSON\nstdout: ${stdout}\nstderr: ${stderr}`));
      }
    });
  });
}

/** runJsonChild for programs whose failure is a non-zero exit: rejects on one, with the program's output. */
export async function runJsonChildOk<T>(file: string, args: string[], opts: { killAfterMs: number; env?: NodeJS.ProcessEnv; what: string }): Promise<T> {
  const r = await runJsonChild<T>(file, args, opts);
  if (r.code !== 0) throw new Error(`${opts.what} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r.out;
}
