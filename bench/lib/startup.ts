/**
 * Start-up and idle memory against the floor Node itself sets (issue 16,
 * item 3): `samsa start --ephemeral` and a bare Node process that only
 * listens (bench/bare-listen.ts), started one after the other in the same
 * run, the order swapped every pair so that neither always runs on a cache
 * the other warmed or a load the other left. Both are timed from exec to the
 * first accepted connection by the same polling loop; each one's RSS is read
 * a moment after it is up (Samsa's after its first ApiVersions answer, which
 * loads the request path), then it is stopped before the next starts.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort, startSamsa, waitUntilListening } from './broker-process.js';
import { rssMb } from './rss.js';

const BARE_LISTEN = fileURLToPath(new URL('../bare-listen.js', import.meta.url));

/** How long a process sits idle after start-up before its RSS is read. */
const SETTLE_MS = 500;

interface OneStart { startupMs: number; idleRssMb: number }

export interface StartupComparison {
  runs: number;
  samsa: { startupMs: number; firstResponseMs: number; idleRssMb: number };
  bareNode: { startupMs: number; idleRssMb: number };
  /** Samsa's median start-up over bare Node's. */
  startupRatio: number;
  /** Samsa's median idle RSS minus bare Node's, MB. */
  idleRssDiffMb: number;
  samples: { samsaMs: number[]; bareNodeMs: number[]; samsaRssMb: number[]; bareNodeRssMb: number[] };
}

const settle = () => new Promise((r) => setTimeout(r, SETTLE_MS));

async function startBareNode(): Promise<OneStart> {
  const port = await freePort();
  const t0 = process.hrtime.bigint();
  const child = spawn(process.execPath, [BARE_LISTEN, String(port)], { stdio: ['ignore', 'ignore', 'inherit'] });
  let exited = false;
  const gone = new Promise<void>((resolve) => child.once('exit', () => { exited = true; resolve(); }));
  try {
    const sock = await waitUntilListening(port, () => exited, 'bare node');
    const startupMs = Number(process.hrtime.bigint() - t0) / 1e6;
    sock.destroy();
    await settle();
    return { startupMs, idleRssMb: rssMb(child.pid!) };
  } finally {
    if (!exited) child.kill('SIGTERM');
    await gone;
  }
}

async function startSamsaOnce(args?: string[]): Promise<OneStart & { firstResponseMs: number }> {
  const b = await startSamsa({ args });
  try {
    await settle();
    return { startupMs: b.startupMs, firstResponseMs: b.firstResponseMs, idleRssMb: rssMb(b.pid!) };
  } finally {
    await b.stop();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

/** `pairs` starts of each, alternated; medians, the ratio and the RSS difference. `samsaArgs` replace `--ephemeral`. */
export async function compareStartup(pairs: number, samsaArgs?: string[]): Promise<StartupComparison> {
  const samsa: (OneStart & { firstResponseMs: number })[] = [];
  const bare: OneStart[] = [];
  for (let i = 0; i < pairs; i++) {
    if (i % 2 === 0) { samsa.push(await startSamsaOnce(samsaArgs)); bare.push(await startBareNode()); }
    else { bare.push(await startBareNode()); samsa.push(await startSamsaOnce(samsaArgs)); }
  }
  const s = { startupMs: median(samsa.map((x) => x.startupMs)), firstResponseMs: median(samsa.map((x) => x.firstResponseMs)), idleRssMb: median(samsa.map((x) => x.idleRssMb)) };
  const b = { startupMs: median(bare.map((x) => x.startupMs)), idleRssMb: median(bare.map((x) => x.idleRssMb)) };
  return {
    runs: pairs,
    samsa: s,
    bareNode: b,
    startupRatio: s.startupMs / b.startupMs,
    idleRssDiffMb: s.idleRssMb - b.idleRssMb,
    samples: {
      samsaMs: samsa.map((x) => x.startupMs), bareNodeMs: bare.map((x) => x.startupMs),
      samsaRssMb: samsa.map((x) => x.idleRssMb), bareNodeRssMb: bare.map((x) => x.idleRssMb),
    },
  };
}
