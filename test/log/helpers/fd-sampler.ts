/**
 * Counts the process's open descriptors (entries of /proc/self/fd) every
 * millisecond from a worker thread, so the count is also taken while the main
 * thread is busy in a synchronous open of thousands of logs. `max()` is the
 * largest count seen since the last `reset()`.
 */
import { Worker } from 'node:worker_threads';
import { readdirSync } from 'node:fs';

const SAMPLER = `
const { workerData } = require('node:worker_threads');
const { readdirSync } = require('node:fs');
const shared = new Int32Array(workerData);
const sleep = new Int32Array(new SharedArrayBuffer(4));
while (Atomics.load(shared, 1) === 0) {
  const n = readdirSync('/proc/self/fd').length;
  if (n > Atomics.load(shared, 0)) Atomics.store(shared, 0, n);
  Atomics.wait(sleep, 0, 0, 1);
}
`;

export const openFds = (): number => readdirSync('/proc/self/fd').length;

export interface FdSampler {
  max(): number;
  reset(): void;
  stop(): Promise<void>;
}

export async function startFdSampler(): Promise<FdSampler> {
  const buffer = new SharedArrayBuffer(8);
  const shared = new Int32Array(buffer);
  const worker = new Worker(SAMPLER, { eval: true, workerData: buffer });
  await new Promise((resolve) => worker.once('online', resolve));
  return {
    max: () => Atomics.load(shared, 0),
    reset: () => Atomics.store(shared, 0, 0),
    stop: async () => {
      Atomics.store(shared, 1, 1);
      await new Promise((resolve) => worker.once('exit', resolve));
    },
  };
}
