import { createRequire } from 'node:module';

type Levenshtein = typeof import('fastest-levenshtein');
// Required on first use: suggestions are only computed for a bad name, and
// importing this CommonJS package at start-up costs several milliseconds.
const require = createRequire(import.meta.url);
let levenshtein: Levenshtein | undefined;

/** " (did you mean X?)" when a known name is close to `name`, else "". */
export function didYouMean(name: string, known: readonly string[]): string {
  if (known.length === 0) return '';
  const { closest, distance } = (levenshtein ??= require('fastest-levenshtein') as Levenshtein);
  const best = closest(name, known as string[]);
  return distance(name, best) <= Math.max(2, Math.floor(best.length / 3)) ? ` (did you mean ${best}?)` : '';
}
