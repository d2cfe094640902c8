/**
 * The machine's cost of writing into the page cache, and memory made ready
 * for the broker's writes.
 *
 * On the VMs this bench runs on, the first write into memory the guest has
 * not used since it booted costs about ten times a later one (system time
 * in the kernel's copy into the page cache, `copy_folio_from_iter_atomic` in
 * `perf record`: the host backs the page then), and a guest with 20 GB free
 * hands out such memory for a long time. A broker's produce CPU would then
 * measure how long the machine has been up. So before the broker's
 * workloads the bench writes a scratch file and deletes it twice, timing
 * both fills: the freed pages, already backed, go back to the kernel's free
 * lists and are mostly what it hands out next, as on any host whose memory
 * has been in use (not all: a round now and then still meets fresh pages).
 * Both costs are printed, and every row shows the broker's system time, so
 * the effect is visible rather than hidden.
 */
import { closeSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export interface PageCacheFill { mb: number; firstMsPerMb: number; againMsPerMb: number }

/** One fill: `mb` MiB written into a new file under `dir`, then deleted; system ms per MiB. */
function fill(dir: string, mb: number): number {
  const chunk = Buffer.alloc(1 << 20, 0x61);
  const file = join(dir, 'page-cache-fill');
  const before = process.cpuUsage().system;
  const fd = openSync(file, 'w');
  try {
    for (let i = 0; i < mb; i++) writeSync(fd, chunk);
  } finally {
    closeSync(fd);
    unlinkSync(file);
  }
  return (process.cpuUsage().system - before) / 1000 / mb;
}

export function fillPageCache(dir: string, mb = 1024): PageCacheFill {
  const firstMsPerMb = fill(dir, mb);
  return { mb, firstMsPerMb, againMsPerMb: fill(dir, mb) };
}
