/**
 * How the admin commands talk back: through a CliIo (stdout/stderr lines, so
 * tests can run a command in-process), plain aligned tables or JSON, and exit
 * codes: 0 done, 1 the broker or the network refused, 2 a usage mistake.
 */
import { AdminError } from './admin-connection.js';
import { UsageError } from './cluster.js';

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

export const STDIO: CliIo = { out: (l) => console.log(l), err: (l) => console.error(l) };

/** Columns padded to their widest cell, two spaces apart; the header first. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return [line(headers), ...rows.map(line)].join('\n');
}

/** What to try when nothing listens at the address (the first thing a new user meets). */
export function connectionHint(message: string): string {
  return /^cannot connect to .*ECONNREFUSED/.test(message) ? '; is a broker running? start one with `samsa start`' : '';
}

/** Runs a command body: --help prints the usage, a UsageError the usage too (exit 2), an AdminError its sentence (exit 1). */
export async function runCommand(io: CliIo, usage: string, args: readonly string[], body: () => Promise<number>): Promise<number> {
  if (args.includes('--help') || args.includes('-h') || args[0] === 'help') {
    io.out(usage);
    return 0;
  }
  try {
    return await body();
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`samsa: ${e.message}\n${usage}`);
      return 2;
    }
    if (e instanceof AdminError) {
      io.err(`samsa: ${e.message}${connectionHint(e.message)}`);
      return 1;
    }
    throw e;
  }
}
