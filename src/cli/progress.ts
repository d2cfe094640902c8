/**
 * The progress line of `samsa topic produce` on stderr: a bar when the input
 * size is known (a file), records and bytes sent, and the rate. On a terminal
 * it redraws one line in place, and only once the input has taken more than
 * a moment (a few lines typed or piped should not flash a bar); with
 * --progress on a pipe it writes a line a second instead.
 */

export interface ProgressSink {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

const SHOW_AFTER_MS = 300;

export function humanBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}

export const count = (n: number) => Math.round(n).toLocaleString('en-US');

export interface ProgressOptions {
  sink: ProgressSink;
  /** The input's size, when known: the bar and the percentage. */
  totalBytes?: number;
  /** --progress: show it even when the sink is not a terminal. */
  force: boolean;
  now?: () => number;
}

export class Progress {
  private readonly started: number;
  private readonly tty: boolean;
  private lastDraw = 0;
  private drawn = false;
  private records = 0;
  private bytes = 0;

  constructor(private readonly o: ProgressOptions) {
    this.tty = o.sink.isTTY === true;
    this.started = this.now();
  }

  private now(): number {
    return this.o.now ? this.o.now() : performance.now();
  }

  /** Records acknowledged so far and input bytes consumed so far. */
  update(records: number, bytes: number): void {
    this.records = records;
    this.bytes = bytes;
    const t = this.now();
    if (!this.o.force && (!this.tty || t - this.started < SHOW_AFTER_MS)) return;
    if (t - this.lastDraw < (this.tty ? 100 : 1000)) return;
    this.lastDraw = t;
    this.draw(t);
  }

  /** The current line: `[=====>    ]  45%  4,500 records  1.2 MB  12,000 records/s  3.1 MB/s`. */
  line(t = this.now()): string {
    const secs = Math.max((t - this.started) / 1000, 1e-3);
    const rate = `${count(this.records / secs)} records/s  ${humanBytes(Math.round(this.bytes / secs))}/s`;
    const stats = `${count(this.records)} records  ${humanBytes(this.bytes)}  ${rate}`;
    const total = this.o.totalBytes;
    if (!total) return stats;
    const frac = Math.min(1, this.bytes / total);
    const width = 24;
    const full = Math.floor(frac * width);
    const bar = '='.repeat(full) + (full < width ? '>' : '') + ' '.repeat(Math.max(0, width - full - 1));
    return `[${bar}] ${String(Math.floor(frac * 100)).padStart(3)}%  ${stats}`;
  }

  private draw(t: number): void {
    const l = this.line(t);
    if (this.tty) {
      const cols = this.o.sink.columns ?? 120;
      this.o.sink.write(`\r\x1b[K${l.slice(0, cols - 1)}`);
    } else {
      this.o.sink.write(`${l}\n`);
    }
    this.drawn = true;
  }

  /** Clears the bar on a terminal so the summary line takes its place; with --progress on a pipe, the last line. */
  finish(): void {
    if (this.drawn && this.tty) this.o.sink.write('\r\x1b[K');
    else if (this.o.force && !this.tty) this.draw(this.now());
  }

  /** Seconds since it started. */
  elapsed(): number {
    return (this.now() - this.started) / 1000;
  }
}
