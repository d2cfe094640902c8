import { spawn } from 'node:child_process';
import { join } from 'node:path';

/** What bench/latency.py prints (milliseconds). */
export interface LatencyResult {
  p50: number;
  p99: number;
  p999: number;
  max: number;
  count: number;
  errors: number;
  achievedRate: number;
  maxSendSlipMs: number;
  /** The client's CPU seconds (all its threads) over the sending: on 2 cores, what it takes from the broker. */
  clientCpuS: number;
  /** p50 of the messages due in the first and in the last second: growing means the broker falls behind the rate. */
  p50FirstSecond: number | null;
  p50LastSecond: number | null;
  client: string;
}

/**
 * Debian's interpreter, not the first python3 on PATH: python3-confluent-kafka
 * (installed by `make bench-deps`) lives in /usr/lib/python3/dist-packages, which
 * a pyenv or venv python3 earlier on PATH does not see. PYTHON overrides it.
 */
const PYTHON = process.env.PYTHON ?? '/usr/bin/python3';

/** Runs bench/latency.py (librdkafka, open loop at a fixed rate, acks=all) and parses its JSON line. */
export function librdkafkaLatency(broker: string, topic: string, ratePerSec: number, seconds: number, size: number): Promise<LatencyResult> {
  const args = [join(process.cwd(), 'bench/latency.py'), '--broker', broker, '--topic', topic,
    '--rate', String(ratePerSec), '--seconds', String(seconds), '--size', String(size)];
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`latency.py exited ${code}: ${err.trim().slice(-500)}`));
      try {
        const result = JSON.parse(out) as LatencyResult;
        if (result.errors > 0) return reject(new Error(`latency.py: ${result.errors} delivery errors`));
        resolve(result);
      } catch {
        reject(new Error(`latency.py printed no JSON: ${out.slice(0, 200)}`));
      }
    });
  });
}
