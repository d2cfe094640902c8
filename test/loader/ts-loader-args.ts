/**
 * The node arguments a child process needs to run TypeScript the way this test
 * process does: the transpile cache's loader (transpile-cache.mjs) when tap
 * gave it, which needs nothing else for our modules; otherwise tap's ts-node
 * loader, which compiles the child's whole import graph again (seconds of CPU
 * for src/cli/main.ts).
 */
const cache = process.execArgv.filter((a) => a.includes('transpile-cache.mjs'));

export const TS_LOADER_ARGS = cache.length > 0 ? cache : process.execArgv.filter((a) => a.includes('@tapjs/typescript'));
