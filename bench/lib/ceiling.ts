import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';

/**
 * Measures the ceiling (bench/ceiling-server.ts) in MB/s: a client process
 * (this one) streams `totalMb` of 1 MiB frames over loopback as fast as the
 * socket takes them; the clock stops when the server has read them all.
 */
export async function measureCeiling(totalMb = 512, frameBytes = 1 << 20): Promise<number> {
  const server = spawn(process.execPath, [fileURLToPath(new URL('../ceiling-server.js', import.meta.url))], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve) => server.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
  const frame = Buffer.alloc(frameBytes + 4, 7);
  frame.writeInt32BE(frameBytes, 0);
  const frames = Math.ceil((totalMb * (1 << 20)) / frameBytes);
  const t0 = process.hrtime.bigint();
  const seen = await new Promise<number>((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    sock.setNoDelay(true);
    let reply = '';
    sock.on('data', (d) => { reply += d.toString(); });
    sock.on('end', () => resolve(Number(reply.trim())));
    sock.on('error', reject);
    let sent = 0;
    const pump = () => {
      while (sent < frames) {
        sent++;
        if (!sock.write(frame)) return void sock.once('drain', pump);
      }
      sock.end();
    };
    sock.once('connect', pump);
  });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  server.kill('SIGTERM');
  return seen / (1 << 20) / seconds;
}
