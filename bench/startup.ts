/**
 * Start-up and idle RSS only (issue 16 item 3), without the rest of `make
 * bench`: `samsa start` against a bare listening Node, alternated, N pairs,
 * medians, by the same measurement as make bench's (bench/lib/startup.ts).
 * Two forms of a lone broker: `--ephemeral` (make bench's) and make run's,
 * a data directory kept from one start to the next plus the HTTP side.
 *   node dist/bench/startup.js [pairs, default 20] [ephemeral|data-dir|both, default both]
 * BENCH_CLI=<file> measures another build of the command (default: the bundle, else tsc's output).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareStartup, type StartupComparison } from './lib/startup.js';

const pairs = Number(process.argv[2] ?? 20);
const which = process.argv[3] ?? 'both';

function print(form: string, r: StartupComparison): void {
  const f = (x: number) => x.toFixed(1);
  console.log(`${form}: start-up (exec to accepting connections, medians of ${r.runs} alternated) samsa ${f(r.samsa.startupMs)} ms (first ApiVersions response ${f(r.samsa.firstResponseMs)} ms), bare node ${f(r.bareNode.startupMs)} ms: ${r.startupRatio.toFixed(2)}x`);
  console.log(`${form}: idle RSS samsa ${f(r.samsa.idleRssMb)} MB, bare node ${f(r.bareNode.idleRssMb)} MB: +${f(r.idleRssDiffMb)} MB`);
  if (process.env.STARTUP_SAMPLES) console.log(JSON.stringify(r.samples));
}

if (which === 'ephemeral' || which === 'both') print('--ephemeral', await compareStartup(pairs));
if (which === 'data-dir' || which === 'both') {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-startup-'));
  try {
    print('--data-dir --http', await compareStartup(pairs, ['--data-dir', dir, '--http', '127.0.0.1:0']));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
