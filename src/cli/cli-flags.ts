/**
 * Flag parsing for the admin commands: `--name value`, `--name=value`,
 * switches, and repeatable flags whose values may also be comma-separated
 * (`--operation read,write` or `--operation read --operation write`).
 * Anything not starting with -- is an operand. An unknown flag is a
 * UsageError with a "did you mean".
 */
import { didYouMean } from '../config/did-you-mean.js';
import { UsageError } from './cluster.js';

/** value: one value (the last given wins); switch: no value; list: repeatable, comma-separated. */
export type FlagSpec = Readonly<Record<string, 'value' | 'switch' | 'list'>>;

export interface ParsedFlags {
  operands: string[];
  value(name: string): string | undefined;
  list(name: string): string[];
  has(name: string): boolean;
}

export function parseFlags(args: readonly string[], spec: FlagSpec): ParsedFlags {
  const values = new Map<string, string[]>();
  const operands: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('--') || a === '--') { operands.push(a); continue; }
    const eq = a.indexOf('=');
    const name = a.slice(2, eq < 0 ? undefined : eq);
    const kind = spec[name];
    if (!kind) throw new UsageError(`unknown option --${name}${didYouMean(name, Object.keys(spec)).replace(/mean (\S)/, 'mean --$1')}`);
    let v: string;
    if (kind === 'switch') {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`);
      v = '';
    } else if (eq >= 0) {
      v = a.slice(eq + 1);
    } else {
      const next = args[++i];
      if (next === undefined) throw new UsageError(`--${name} needs a value`);
      v = next;
    }
    const got = values.get(name) ?? [];
    if (kind === 'list') got.push(...v.split(',').map((s) => s.trim()).filter(Boolean));
    else got.push(v);
    values.set(name, got);
  }
  return {
    operands,
    value: (name) => values.get(name)?.at(-1),
    list: (name) => values.get(name) ?? [],
    has: (name) => values.has(name),
  };
}
