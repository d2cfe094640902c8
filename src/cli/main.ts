#!/usr/bin/env node
/**
 * The `samsa` command from tsc's output (dist/src/cli/main.js; sub-commands in
 * commands.ts). The installed command is the bundle, whose entry is
 * bundle-launcher.ts; both tune V8 first (v8-tuning.ts) and name src/ lines
 * in stack traces where the source maps are (source-mapped-stacks.ts).
 */
import { tuneV8 } from './v8-tuning.js';
import { installSourceMappedStacks } from './source-mapped-stacks.js';

tuneV8();
if (!process.sourceMapsEnabled) installSourceMappedStacks();
await import('./commands.js');
