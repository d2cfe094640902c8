#!/usr/bin/env node
/**
 * The `samsa` command (sub-commands in commands.ts).
 *
 * Before anything else loads, V8's interrupt budget (how much bytecode a
 * function runs before it is considered for optimisation) goes from its
 * default of 132 KB to 1 MB: start-up runs Node's module loader and our
 * module bodies hot but only once, and with the default that wakes TurboFan,
 * whose code pages and zone memory then stay resident, ~4 MB of an idle
 * broker's RSS. The request path runs millions of times and is optimised as
 * before (make bench throughput unchanged). It is set here rather than as a
 * command-line flag because `#!/usr/bin/env -S node --flag` does not work with
 * BusyBox env (Alpine images) and NODE_OPTIONS does not accept V8 flags; set
 * from the command line (`node --interrupt-budget=1000000 ...`) it saves ~8 MB,
 * as the loader of this file's own module graph is then covered too.
 */
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--interrupt-budget=1000000');
await import('./commands.js');
