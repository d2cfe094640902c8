/**
 * Issue 16's targets, each with the figure this run measured and whether it
 * is met, for `make bench`'s summary line and its results JSON. A target
 * whose figure is missing (its workload failed, or BROKER= points at a broker
 * we did not start and so cannot meter) is neither met nor missed.
 */
export interface TargetFigures {
  /** Broker CPU seconds per million 100 B records produced by kcat. */
  produceCpuSPerMillion100B: number;
  /** The system time in it (the kernel's copy into the page cache, mostly). */
  produceSystemSPerMillion100B: number;
  /** kcat 1 KiB produce MB/s over the in-run ceiling's. */
  kcatProduce1KiBRatio: number;
  /** Medians over the latency runs at 10,000 msg/s, acks=all, linger 0, and how many runs. */
  latencyP99Ms: number;
  latencyP999Ms: number;
  latencyRuns: number;
  /** Samsa's start-up over a bare listening Node's, same run. */
  startupRatio: number;
  /** Samsa's idle RSS minus the bare listening Node's, MB. */
  idleRssDiffMb: number;
  /** Highest RSS of the single broker over every workload, MB. */
  peakRssMb: number;
}

export interface TargetResult { target: string; figure: string; met: boolean | null }

const known = (...xs: number[]) => xs.every((x) => Number.isFinite(x));

function check(target: string, figure: string, values: number[], ok: () => boolean): TargetResult {
  return { target, figure, met: known(...values) ? ok() : null };
}

export function issue16Targets(f: TargetFigures): TargetResult[] {
  return [
    check('produce CPU per M 100 B records <= 0.2 s', `${f.produceCpuSPerMillion100B.toFixed(2)} s (system ${f.produceSystemSPerMillion100B.toFixed(2)} s)`,
      [f.produceCpuSPerMillion100B], () => f.produceCpuSPerMillion100B <= 0.2),
    check('kcat 1 KiB produce >= 45% of ceiling', `${(100 * f.kcatProduce1KiBRatio).toFixed(0)}%`,
      [f.kcatProduce1KiBRatio], () => f.kcatProduce1KiBRatio >= 0.45),
    check('10k msg/s p99 <= 2 ms, p999 <= 5 ms', `${f.latencyP99Ms.toFixed(2)}/${f.latencyP999Ms.toFixed(2)} ms (median of ${f.latencyRuns})`,
      [f.latencyP99Ms, f.latencyP999Ms], () => f.latencyP99Ms <= 2 && f.latencyP999Ms <= 5),
    check('start-up <= 1.3x bare node', `${f.startupRatio.toFixed(2)}x`,
      [f.startupRatio], () => f.startupRatio <= 1.3),
    check('idle RSS <= bare node + 8 MB', `+${f.idleRssDiffMb.toFixed(1)} MB`,
      [f.idleRssDiffMb], () => f.idleRssDiffMb <= 8),
    check('peak RSS < 150 MB', `${f.peakRssMb.toFixed(0)} MB`,
      [f.peakRssMb], () => f.peakRssMb < 150),
  ];
}

/** One line: every target, its figure, met / NOT MET / no figure, and a count. */
export function targetsLine(results: TargetResult[]): string {
  const word = (m: boolean | null) => (m === null ? 'no figure' : m ? 'met' : 'NOT MET');
  const met = results.filter((r) => r.met === true).length;
  return `issue 16 targets, ${met}/${results.length} met: ` + results.map((r) => `${r.target}: ${r.figure} ${word(r.met)}`).join('; ');
}
