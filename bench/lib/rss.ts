import { readFileSync } from 'node:fs';

/** Resident set size of a process in MB, read from /proc (Linux). */
export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Samples a process's RSS every `everyMs` until stopped; reports the peak. */
export function sampleRss(pid: number | undefined, everyMs = 50): { stop(): number } {
  if (pid === undefined) return { stop: () => NaN };
  let peak = 0;
  const tick = () => { try { peak = Math.max(peak, rssMb(pid)); } catch { /* process gone */ } };
  tick();
  const timer = setInterval(tick, everyMs);
  return { stop: () => { clearInterval(timer); tick(); return peak; } };
}
