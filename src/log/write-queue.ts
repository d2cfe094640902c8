/**
 * Appends to one file as positional writes, one round at a time: buffers
 * appended while a round is in flight wait and go out together as the next
 * round's single writev. All appends of a round share one promise, so an
 * append costs an array push, not a write request and a promise of its own;
 * under load the number of write system calls falls with the queue's length.
 *
 * A round can carry side writes (the segment's index tails) started with the
 * data write; it completes when all of them are in the file (and, when an
 * append asked for it, after an fsync). Rounds complete in order, so
 * `writtenUpTo` only grows and never skips unwritten bytes.
 *
 * After a failed write every later append fails with the same error: the file
 * may have a hole, and recovery at the next open decides what is kept.
 */
import { fsync, writev } from 'node:fs';

interface Round { promise: Promise<void>; resolve(): void; reject(err: Error): void }

const ignore = () => {};

function newRound(): Round {
  let resolve!: () => void, reject!: (err: Error) => void;
  const promise = new Promise<void>((res, rej) => { resolve = res; reject = rej; });
  // A round nobody awaits (side writes alone) must not become an unhandled rejection;
  // appenders still see the error through their own await.
  promise.catch(ignore);
  return { promise, resolve, reject };
}

/** Starts writes that join a round; returns how many callbacks of `done` will come. */
export type SideWrites = (done: (err: Error | null) => void) => number;

export class WriteQueue {
  private queued: Buffer[] = [];
  private queuedBytes = 0;
  private fsyncQueued = false;
  /** The round collecting appends, and the one being written. */
  private next: Round | null = null;
  private current: Round | null = null;
  private failed: Error | null = null;

  constructor(private readonly fd: number, public writtenUpTo: number, private readonly sideWrites: SideWrites) {}

  /** Queues `bytes` at the end (position writtenUpTo + what is queued before it). */
  push(bytes: Buffer, fsyncAfter: boolean): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    this.queued.push(bytes);
    this.queuedBytes += bytes.length;
    if (fsyncAfter) this.fsyncQueued = true;
    return this.collecting().promise;
  }

  /** Starts a round even with no data, for side writes alone. */
  kick(): void { if (!this.failed) this.collecting(); }

  get busy(): boolean { return this.current !== null || this.next !== null; }

  /** Resolves when nothing is queued or in flight (failures included). */
  idle(): Promise<void> {
    const p = this.next?.promise ?? this.current?.promise;
    return p ? p.then(() => this.idle(), () => this.idle()) : Promise.resolve();
  }

  private collecting(): Round {
    if (!this.next) {
      this.next = newRound();
      // A microtask, not at once: appends made in the same tick share the round.
      if (!this.current) queueMicrotask(() => this.start());
    }
    return this.next;
  }

  private start(): void {
    if (this.current || !this.next) return;
    const round = this.current = this.next;
    this.next = null;
    const bufs = this.queued, bytes = this.queuedBytes, fsyncAfter = this.fsyncQueued, position = this.writtenUpTo;
    this.queued = [];
    this.queuedBytes = 0;
    this.fsyncQueued = false;
    let waiting = 1, error: Error | null = null;
    const finish = (err: Error | null) => {
      if (err && !error) error = err;
      if (--waiting > 0) return;
      if (error) return this.end(round, error);
      this.writtenUpTo = position + bytes;
      if (fsyncAfter) fsync(this.fd, (e) => this.end(round, e));
      else this.end(round, null);
    };
    waiting += this.sideWrites(finish);
    if (bytes > 0) writeAll(this.fd, bufs, position, finish);
    else finish(null);
  }

  private end(round: Round, err: Error | null): void {
    this.current = null;
    if (err) {
      this.failed = err;
      round.reject(err);
      this.next?.reject(err);
      this.next = null;
      return;
    }
    round.resolve();
    if (this.next) this.start();
  }
}

/** writev of every buffer at `position`, continuing after short writes. */
function writeAll(fd: number, bufs: Buffer[], position: number, done: (err: Error | null) => void): void {
  writev(fd, bufs, position, (err, n) => {
    if (err) return done(err);
    let i = 0, left = n;
    while (i < bufs.length && left >= bufs[i]!.length) left -= bufs[i++]!.length;
    if (i === bufs.length) return done(null);
    const rest = bufs.slice(i);
    rest[0] = rest[0]!.subarray(left);
    writeAll(fd, rest, position + n, done);
  });
}
