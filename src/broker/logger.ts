/**
 * The broker's logger: one line per event on stderr, in one of two formats.
 *
 * - pretty (the default): `2026-12-03T10:00:00.000Z INFO  message key=value ...`,
 *   for people (log-format-pretty.ts);
 * - json: pino's JSON lines, `{"level":"info","time":"...","broker":0,...,"msg":"..."}`,
 *   for log collectors (log-format-json.ts).
 *
 * Both write synchronously to the file descriptor (stderr, fd 2): a line
 * logged just before a crash or process.exit() is not lost in a buffer.
 * pino is loaded only for json: requiring it costs more start-up time
 * (~25 ms here) than the whole pretty path.
 *
 * Messages stay readable sentences; what a program would want to pick out
 * (topic, group, client address...) goes in `fields`. A disabled level costs
 * one comparison; callers that would build costly fields check enabled() first.
 */
import { writeSync } from 'node:fs';
import { prettyLine, prettyFields } from './log-format-pretty.js';
import { jsonSink } from './log-format-json.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
export type LogFormat = 'pretty' | 'json';
export type LogFields = Record<string, unknown>;
/** The levels a line can have. */
export type LineLevel = Exclude<LogLevel, 'silent'>;

export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];
export const LOG_FORMATS: readonly LogFormat[] = ['pretty', 'json'];

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/** Where a format writes its lines; a child logger's sink adds its bindings to every line. */
export interface LogSink {
  write(level: LineLevel, msg: string, fields?: LogFields): void;
  child(bindings: LogFields): LogSink;
}

export class Logger {
  private threshold: number;
  private readonly sink: LogSink;

  /**
   * `out` is the file descriptor lines go to (stderr unless a test gives a
   * file's), or the sink of the logger this one is a child of.
   */
  constructor(level: LogLevel = 'info', readonly format: LogFormat = 'pretty', out: number | LogSink = 2) {
    this.threshold = ORDER[level];
    this.sink = typeof out !== 'number' ? out : format === 'json' ? jsonSink(out) : prettySink(out, '');
  }

  get level(): LogLevel { return LOG_LEVELS.find((l) => ORDER[l] === this.threshold)!; }
  set level(level: LogLevel) { this.threshold = ORDER[level]; }

  enabled(level: LogLevel): boolean { return ORDER[level] >= this.threshold; }

  debug(msg: string, fields?: LogFields): void { if (this.threshold <= ORDER.debug) this.sink.write('debug', msg, fields); }
  info(msg: string, fields?: LogFields): void { if (this.threshold <= ORDER.info) this.sink.write('info', msg, fields); }
  warn(msg: string, fields?: LogFields): void { if (this.threshold <= ORDER.warn) this.sink.write('warn', msg, fields); }
  error(msg: string, fields?: LogFields): void { if (this.threshold <= ORDER.error) this.sink.write('error', msg, fields); }

  /** A logger that adds `bindings` (e.g. { broker: 0 }) to every line; its level starts as this one's. */
  child(bindings: LogFields): Logger {
    return new Logger(this.level, this.format, this.sink.child(bindings));
  }
}

function prettySink(fd: number, bound: string): LogSink {
  return {
    write: (level, msg, fields) => writeFully(fd, prettyLine(new Date(), level, msg, fields, bound)),
    child: (bindings) => prettySink(fd, bound + prettyFields(bindings)),
  };
}

const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Writes the whole line now. A non-blocking descriptor that is full (EAGAIN)
 * is waited on a millisecond at a time, as pino's sync destination does; any
 * other failure (stderr closed) drops the line: logging never stops the broker.
 */
export function writeFully(fd: number, text: string): void {
  let buf = Buffer.from(text);
  let waits = 0;
  while (buf.length > 0) {
    try {
      buf = buf.subarray(writeSync(fd, buf));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN' || ++waits > 1000) return;
      Atomics.wait(pause, 0, 0, 1);
    }
  }
}
