/**
 * Where produce reads and consume writes records: the process's stdin and
 * stdout, or others in tests that run the commands in-process.
 */
import type { Readable, Writable } from 'node:stream';

export interface RecordStreams {
  stdin: Readable & { isTTY?: boolean };
  /** Record output (consume) and per-record lines (produce --output-format). */
  stdout: Writable;
  /** The progress line. */
  stderr: Writable & { isTTY?: boolean; columns?: number };
}

export function processStreams(): RecordStreams {
  return { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };
}
