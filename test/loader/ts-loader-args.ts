/**
 * The node arguments a child process needs to run TypeScript the way this test
 * process does: tap's ts-node loader and the transpile cache
 * (transpile-cache.mjs), without which each child compiles its whole import
 * graph again (seconds of CPU for src/cli/main.ts).
 */
export const TS_LOADER_ARGS = process.execArgv.filter((a) => a.includes('@tapjs/typescript') || a.includes('transpile-cache.mjs'));
