/** A tiny leveled logger writing one line per event to stderr. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export class Logger {
  constructor(public level: LogLevel = 'info') {}
  enabled(level: LogLevel): boolean { return ORDER[level] >= ORDER[this.level]; }
  private write(level: LogLevel, msg: string): void {
    if (this.enabled(level)) process.stderr.write(`${new Date().toISOString()} ${level.toUpperCase()} ${msg}\n`);
  }
  debug(msg: string): void { this.write('debug', msg); }
  info(msg: string): void { this.write('info', msg); }
  warn(msg: string): void { this.write('warn', msg); }
  error(msg: string): void { this.write('error', msg); }
}
