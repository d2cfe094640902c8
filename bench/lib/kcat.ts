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

/**
 * Reads `count` messages from the beginning and counts them without printing
 * them: `-f '\n'` writes one newline per record, so the client spends nothing
 * on output and the figure measures the broker (and librdkafka's fetching).
 * Throws unless exactly `count` records arrived.
 */
export async function kcatConsume(broker: string, topic: string, count: number): Promise<{ seconds: number; records: number }> {
  let records = 0;
  const t0 = performance.now();
  await run(['-C', '-b', broker, '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-q', '-c', String(count), '-f', '\n',
    '-X', 'fetch.wait.max.ms=10'], (d) => {
    for (let i = d.indexOf(0x0a); i !== -1; i = d.indexOf(0x0a, i + 1)) records++;
  });
  const seconds = (performance.now() - t0) / 1000;
  if (records !== count) throw new Error(`kcat consume ${topic}: ${records} records, expected ${count}`);
  return { seconds, records };
}

/**
 * The old consume figure: kcat's default output, every payload and a newline
 * into a pipe this process drains. On small records that measures the client's
 * printing (about 31-45 MB/s whatever the broker), not the broker.
 */
export async function kcatConsumePrinting(broker: string, topic: string, count: number): Promise<{ seconds: number; bytes: number }> {
  let bytes = 0;
  const t0 = performance.now();
  await run(['-C', '-b', broker, '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-q', '-c', String(count),
    '-X', 'fetch.wait.max.ms=10'], (d) => { bytes += d.length; });
  return { seconds: (performance.now() - t0) / 1000, bytes };
}
