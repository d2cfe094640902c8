/**
 * Flag parsing for the admin commands: `--name value`, `--name=value`,
 * switches, and repeatable flags whose values may also be comma-separated
 * (`--operation read,write` or `--operation read --operation write`).
 * Anything not starting with -- is an operand. An unknown flag is a
 * UsageError with a "did you mean". Commands that pass `short` also take
 * one-letter aliases as rpk and kcat do (`-n 5`, `-n5`, `-o -5`: a value
 * may start with a dash); without it a lone `-x` stays an operand.
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

export function parseFlags(args: readonly string[], spec: FlagSpec, short: Readonly<Record<string, string>> = {}): ParsedFlags {
  const values = new Map<string, string[]>();
  const operands: string[] = [];
  for (let i = 0; i < args.length; i++) {
    let a = args[i]!;
    if (/^-[A-Za-z]/.test(a) && Object.keys(short).length) {
      const long = short[a[1]!];
      if (!long) throw new UsageError(`unknown option ${a.slice(0, 2)} (short options: ${Object.keys(short).map((c) => `-${c} (--${short[c]})`).join(', ')})`);
      a = a.length > 2 ? `--${long}=${a.slice(2)}` : `--${long}`;
    }
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
