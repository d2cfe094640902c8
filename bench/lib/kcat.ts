import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

/** Writes `count` messages of `size` bytes, one per line, for `kcat -P -l`. */
export async function writeMessageFile(path: string, count: number, size: number): Promise<void> {
  const line = Buffer.alloc(size + 1, 'x');
  line[size] = 0x0a;
  const out = createWriteStream(path);
  const chunk = Buffer.concat(Array.from({ length: 1000 }, () => line));
  let left = count;
  while (left > 0) {
    const n = Math.min(left, 1000);
    const ok = out.write(n === 1000 ? chunk : chunk.subarray(0, n * (size + 1)));
    left -= n;
    if (!ok) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

function run(args: string[], onStdout?: (d: Buffer) => void): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('kcat', args, { stdio: ['ignore', onStdout ? 'pipe' : 'ignore', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d) => { err += d; });
    if (onStdout) child.stdout!.on('data', onStdout);
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(0) : reject(new Error(`kcat ${args.join(' ')} exited ${code}: ${err.slice(-500)}`))));
  });
}

/** librdkafka producer with batching on and acks=all; resolves when every delivery report is in. */
export async function kcatProduce(broker: string, topic: string, file: string): Promise<number> {
  const t0 = performance.now();
  await run(['-P', '-b', broker, '-t', topic, '-p', '0', '-l', file,
    '-X', 'acks=all', '-X', 'linger.ms=5', '-X', 'batch.num.messages=10000',
    '-X', 'queue.buffering.max.messages=2000000', '-X', 'queue.buffering.max.kbytes=2097151']);
  return (performance.now() - t0) / 1000;
}

/** Reads `count` messages from the beginning; returns seconds and payload bytes seen. */
export async function kcatConsume(broker: string, topic: string, count: number): Promise<{ seconds: number; bytes: number }> {
  let bytes = 0;
  const t0 = performance.now();
  await run(['-C', '-b', broker, '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-q', '-c', String(count),
    '-X', 'fetch.wait.max.ms=10'], (d) => { bytes += d.length; });
  return { seconds: (performance.now() - t0) / 1000, bytes };
}
