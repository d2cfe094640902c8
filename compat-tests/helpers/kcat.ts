import { spawn } from 'node:child_process';

export const KCAT = process.env.KCAT ?? '/usr/bin/kcat';

export interface KcatMessage {
  topic: string;
  partition: number;
  offset: number;
  tstype: string;
  ts: number;
  key: string | null;
  payload: string | null;
  headers?: string[];
}

/** Runs kcat with `args`, feeding `input` on stdin; rejects on a non-zero exit (stderr in the message). */
export function kcat(args: string[], input?: string, timeoutMs = 30_000): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(KCAT, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => { p.kill('SIGKILL'); reject(new Error(`kcat ${args.join(' ')} timed out; stderr: ${stderr}`)); }, timeoutMs);
    p.on('error', (e) => { clearTimeout(timer); reject(e); });
    p.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve({ stdout, stderr });
      else reject(new Error(`kcat ${args.join(' ')} exited ${code}: ${stderr}`));
    });
    p.stdin.end(input ?? '');
  });
}

/** Consumes a topic from the beginning to its end with kcat (-J JSON lines). */
export async function kcatConsumeAll(broker: string, topic: string, extra: string[] = []): Promise<KcatMessage[]> {
  const { stdout } = await kcat(['-C', '-b', broker, '-t', topic, '-o', 'beginning', '-e', '-J', '-q', ...extra]);
  return stdout.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as KcatMessage);
}

/** Produces lines (`key<TAB>value` when keyed) with kcat; `-z codec` etc. in extra. */
export async function kcatProduce(broker: string, topic: string, lines: string[], extra: string[] = []): Promise<void> {
  await kcat(['-P', '-b', broker, '-t', topic, ...extra], lines.join('\n') + '\n');
}
