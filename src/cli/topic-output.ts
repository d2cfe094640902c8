/**
 * Where consume's records go: formatted, gathered into writes of up to
 * 64 KB (a write per record is slow on a pipe), flushed after every fetch so
 * a followed partition shows records as they come, waiting when stdout is
 * slower than the broker. A closed pipe (`| head`) or an interrupt stops
 * the command quietly instead of killing it, so a group member can still
 * commit and leave.
 */
import type { Writable } from 'node:stream';
import type { PrintableRecord, RecordFormatter } from './format-record.js';

const FLUSH_BYTES = 64 * 1024;

export class RecordOutput {
  printed = 0;
  stopped = false;
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(private readonly out: Writable, private readonly format: RecordFormatter) {
    out.on('error', (e: NodeJS.ErrnoException) => {
      // EPIPE: the reader went away; nothing more to print.
      this.stopped = true;
      if (e.code !== 'EPIPE') process.stderr.write(`samsa: cannot write the records: ${e.message}\n`);
    });
  }

  async print(r: PrintableRecord): Promise<void> {
    if (this.stopped) return;
    const b = this.format(r, this.printed++);
    this.pending.push(b);
    this.pendingBytes += b.length;
    if (this.pendingBytes >= FLUSH_BYTES) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.pending.length === 0 || this.stopped) return;
    const b = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    if (!this.out.write(b)) await new Promise<void>((resolve) => { this.out.once('drain', resolve); this.out.once('error', () => resolve()); });
  }

  /** Ctrl-C and SIGTERM end the loop at its next turn; returns the function that puts the default handling back. */
  stopOnInterrupt(): () => void {
    const onSignal = () => {
      if (this.stopped) process.exit(130);
      this.stopped = true;
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    return () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    };
  }
}
