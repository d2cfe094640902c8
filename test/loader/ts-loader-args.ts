/**
 * The node arguments a child process needs to run TypeScript the way this test
 * process does: the transpile cache's loader (transpile-cache.mjs) when tap
 * gave it, which needs nothing else for our modules; otherwise tap's ts-node
 * loader, which compiles the child's whole import graph again (seconds of CPU
 * for src/cli/main.ts). And source maps, so a child's stack trace names .ts lines.
 */
const cache = process.execArgv.filter((a) => a.includes('transpile-cache.mjs'));
const loaders = cache.length > 0 ? cache : process.execArgv.filter((a) => a.includes('@tapjs/typescript'));

export const TS_LOADER_ARGS = [...process.execArgv.filter((a) => a === '--enable-source-maps'), ...loaders];
