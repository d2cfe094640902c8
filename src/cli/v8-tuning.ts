/**
 * V8 settings for the `samsa` command, made before anything else loads (by
 * main.ts for tsc's output, by bundle-launcher.ts for the bundle).
 *
 * V8's interrupt budget (how much bytecode a function runs before it is
 * considered for optimisation) goes from its default of 132 KB to 1 MB:
 * start-up runs Node's module loader and our module bodies hot but only once,
 * and with the default that wakes TurboFan, whose code pages and zone memory
 * then stay resident, ~4 MB of an idle broker's RSS. The request path runs
 * millions of times and is optimised as before (make bench throughput
 * unchanged). It is set here rather than as a command-line flag because
 * `#!/usr/bin/env -S node --flag` does not work with BusyBox env (Alpine
 * images) and NODE_OPTIONS does not accept V8 flags; set from the command line
 * (`node --interrupt-budget=1000000 ...`) it saves ~8 MB, as the loader of
 * the command's own files is then covered too.
 *
 * A function's budget changes only when its current one runs out, so the
 * small helpers Node's loader ran before this (path separators, URL getters)
 * still reach a check soon after it, where V8 optimises a function under 81
 * bytes of bytecode at once: --max-bytecode-size-for-early-opt=0 makes them
 * wait for real hotness like any other, and TurboFan stays asleep through
 * start-up (~4 MB less of Node's own code resident, measured with the
 * bundle). Hot small functions on the request path are optimised a few ticks
 * later than before, or inlined into their optimised callers as before.
 *
 * The bundle's code cache records these flags: V8 accepts the cache only in a
 * process whose flags match the one that made it, so both set them first.
 *
 * Once the broker listens, the interrupt budget goes back to V8's default
 * (servingV8): left at 1 MB it slowed the request path's tier-up so much that
 * at 10,000 acks=all requests a second the broker spent 25% more CPU over the
 * first 5 s (3.31-3.37 s against 2.63-2.67 s, three alternated pairs) and
 * 5-10% more over the next 5 s. An idle broker runs nothing, so this costs no
 * idle memory; early optimisation of small functions stays off, as they are
 * inlined into their hot callers anyway.
 */
import { setFlagsFromString } from 'node:v8';

export function tuneV8(): void {
  setFlagsFromString('--interrupt-budget=1000000');
  setFlagsFromString('--max-bytecode-size-for-early-opt=0');
}

/** V8's own interrupt budget (132 KB in Node 20's V8) from here on: start-up is over. */
export function servingV8(): void {
  setFlagsFromString(`--interrupt-budget=${132 * 1024}`);
}
