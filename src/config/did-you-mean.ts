import { closest, distance } from 'fastest-levenshtein';

/** " (did you mean X?)" when a known name is close to `name`, else "". */
export function didYouMean(name: string, known: readonly string[]): string {
  if (known.length === 0) return '';
  const best = closest(name, known as string[]);
  return distance(name, best) <= Math.max(2, Math.floor(best.length / 3)) ? ` (did you mean ${best}?)` : '';
}
