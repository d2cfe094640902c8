import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Clock ticks per second, the unit of utime and stime in /proc/<pid>/stat (`getconf CLK_TCK`, 100 on Linux almost always). */
const CLK_TCK = (() => {
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isFinite(n) && n > 0 ? n : 100;
  } catch {
    return 100;
  }
})();

/**
 * User and system CPU seconds a process has used so far, all its threads
 * together (the main thread, libuv's pool, V8's GC and compiler threads), from
 * /proc/<pid>/stat (Linux): fields 14 and 15, counted after the parenthesised
 * command name, which may itself hold spaces and parentheses.
 */
export function cpuTimes(pid: number): { userS: number; systemS: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state), so utime (14) is fields[11] and stime (15) fields[12].
  return { userS: Number(fields[11]) / CLK_TCK, systemS: Number(fields[12]) / CLK_TCK };
}

/**
 * Broker CPU time over one workload: call before it starts, `stop()` after it
 * ends. NaN for an external broker (no pid) or a process that went away.
 * Resolution is one clock tick (10 ms at CLK_TCK 100).
 */
export function meterCpu(pid: number | undefined): { stop(): number } {
  const m = meterCpuTimes(pid);
  return { stop: () => { const t = m.stop(); return t.userS + t.systemS; } };
}

/**
 * meterCpu with user and system time apart. System time is mostly the
 * kernel copying written data into the page cache, which on a VM costs many
 * times more when the page is memory the guest never used before (README,
 * Benchmarks: the produce CPU figure).
 */
export function meterCpuTimes(pid: number | undefined): { stop(): { userS: number; systemS: number } } {
  const none = { stop: () => ({ userS: NaN, systemS: NaN }) };
  if (pid === undefined) return none;
  let start: { userS: number; systemS: number };
  try { start = cpuTimes(pid); } catch { return none; }
  return {
    stop: () => {
      try {
        const end = cpuTimes(pid);
        return { userS: end.userS - start.userS, systemS: end.systemS - start.systemS };
      } catch {
        return { userS: NaN, systemS: NaN };
      }
    },
  };
}
