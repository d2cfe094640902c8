/**
 * The json log format: pino's JSON lines, one object per event, for log
 * collectors (Loki, Elasticsearch, `jq`):
 *
 *   {"level":"info","time":"2026-12-03T10:00:00.000Z","broker":0,"topic":"orders","partitions":3,"msg":"topic created"}
 *
 * The level is its name, the time ISO 8601; a child logger's bindings
 * (`broker`) and the call's fields come before `msg`. No pid or hostname:
 * a broker's lines are told apart by `broker`, and a collector knows the host.
 * An Error under `err` is written with its type, message and stack.
 *
 * pino (a CommonJS package) is required on first use, so a broker logging
 * in the pretty format never loads it.
 */
import { createRequire } from 'node:module';
import type pinoFactory from 'pino';
import type { DestinationStream, Logger as Pino } from 'pino';
import type { LineLevel, LogFields, LogSink } from './logger.js';

type PinoModule = typeof pinoFactory;

const require = createRequire(import.meta.url);
let pinoModule: PinoModule | undefined;
/** One destination per file descriptor, shared by every logger writing to it. */
const destinations = new Map<number, DestinationStream>();

export function jsonSink(fd: number): LogSink {
  const pino = (pinoModule ??= require('pino') as PinoModule);
  let dest = destinations.get(fd);
  if (!dest) {
    // Synchronous: a line written just before a crash or exit reaches the descriptor.
    const stream = pino.destination({ fd, sync: true });
    // A closed stderr (EPIPE) must not crash the broker through an unhandled 'error' event.
    stream.on('error', () => {});
    destinations.set(fd, dest = stream);
  }
  // pino lets everything through: the Logger in front of it has already filtered by level.
  return wrap(pino({
    level: 'debug',
    base: undefined,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  }, dest));
}

function wrap(p: Pino): LogSink {
  return {
    write: (level: LineLevel, msg: string, fields?: LogFields) => { if (fields) p[level](fields, msg); else p[level](msg); },
    child: (bindings) => wrap(p.child(bindings)),
  };
}
