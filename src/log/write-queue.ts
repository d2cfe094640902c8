/**
 * Appends to one file as positional writes, grouped into rounds: buffers
 * appended while earlier rounds are in flight wait in the next round and go
 * out together as one writev. All appends of a round share one promise, so an
 * append costs an array push, not a write request and a promise of its own;
 * under load the number of write system calls falls with the queue's length.
 *
 * A round starts at the end of the tick it was opened in, or, when nothing is
 * being written, as soon as it holds ROUND_BYTES; one round is written at a
 * time (group commit: the next round collects while this one is written, so
 * rounds grow with the load). Writing two at once gained nothing in the
 * benchmark (buffered writes to one file serialise in the kernel) and took a
 * second thread of libuv's four-thread pool. A round that reaches ROUND_BYTES
 * while waiting stops collecting and a new one opens behind it, so a writev
 * stays within a few hundred buffers.
 *
 * A round can carry side writes (the segment's index tails, a few KiB at
 * most), made synchronously as it starts; it is complete when its data is in
 * the file (and, when an append asked for it, after an fsync). Rounds settle
 * in file order, so a resolved append means every byte before it is in the
 * file too, and `writtenUpTo` (what reads may serve) never skips unwritten bytes.
 *
 * A small round (at most SYNC_ROUND_BYTES, no fsync) is written
 * synchronously: copying a few KiB into the page cache costs less than the
 * two thread hand-offs of libuv's pool, and those hand-offs were most of an
 * acks=all produce's latency on a busy machine. Large rounds keep the pool, so
 * the event loop never waits on megabytes.
 *
 * After a failed write every later append fails with the same error and
 * `writeFailed` is called once: the file may hold a torn round past
 * `writtenUpTo`, and the owner truncates it there (log-segment.ts) before it
 * writes again.
 *
 * A queue can start gated (`after`): its rounds collect but none is written
 * until that promise settles. A log's new segment waits so for the writes of
 * the segment before it, so a crash or a failed write never leaves later
 * data behind a hole.
 *
 * Descriptors: the queue holds none. Each round pins its file's descriptor
 * (file-cache.ts) from its start until it completes, fsync included, so the
 * descriptor cannot be closed under a write and no other file can get its
 * number meanwhile; between rounds the cache may close it. When every
 * descriptor the cache may hold is pinned by other writes and reads, the
 * round waits for one (still in flight: later rounds wait behind it). A
 * round that cannot open its file (EMFILE with nothing left to close, the
 * file removed) fails as a failed write does.
 */
import { fsync, writev, writevSync } from 'node:fs';

const ROUND_BYTES = 1024 * 1024;
const SYNC_ROUND_BYTES = 64 * 1024;
const MAX_IN_FLIGHT = 1;

const enum State { Waiting, Writing, Written, Failed }

interface Round {
  bufs: Buffer[];
  bytes: number;
  position: number;
  fsync: boolean;
  state: State;
  error: Error | null;
  promise: Promise<void>;
  resolve(): void;
  reject(err: Error): void;
}

const ignore = () => {};
const TICK_END = Promise.resolve();

/** The file a queue writes (a segment), whose descriptor is held only while a round uses it. */
export interface WriteTarget {
  /** The descriptor, pinned until `unpin`; -1 when none is free now (then `whenFree`). Throws when the file cannot be opened. */
  tryPin(): number;
  whenFree(retry: () => void): void;
  unpin(): void;
  /** Writes what joins a round (index tails), synchronously; the error fails the round. */
  sideWrites(): Error | null;
  /** Called once, at the first failed round. */
  writeFailed(err: Error): void;
}

export class WriteQueue {
  /** Rounds not yet settled, in file order; the last may still be collecting. */
  private rounds: Round[] = [];
  private collecting: Round | null = null;
  private inFlight = 0;
  /** Position after the last queued byte. */
  private end: number;
  private failed: Error | null = null;
  /** Where the first failed round starts: rounds before it that were written still succeed. */
  private failedAt = Infinity;

  private gated: boolean;

  constructor(private readonly file: WriteTarget, public writtenUpTo: number, after?: Promise<unknown>) {
    this.end = writtenUpTo;
    this.gated = after !== undefined;
    if (after) {
      const ungate = () => {
        this.gated = false;
        if (!this.failed) this.pump(true);
      };
      after.then(ungate, ungate);
    }
  }

  get failure(): Error | null { return this.failed; }

  /**
   * Fails every round not yet started (and every later push) with `err`:
   * the owner saw a failure elsewhere that these bytes must not land after.
   */
  fail(err: Error): void {
    if (this.failed) return;
    this.failed = err;
    this.failedAt = this.writtenUpTo;
    for (const w of this.rounds) {
      if (w.state === State.Waiting) { w.state = State.Failed; w.error = err; }
      if (w.position < this.failedAt) this.failedAt = w.position;
    }
    this.collecting = null;
    this.settleHead();
  }

  /** Queues `bytes` at the end of the file. */
  push(bytes: Buffer, fsyncAfter: boolean): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    const r = this.collecting ?? this.open();
    r.bufs.push(bytes);
    r.bytes += bytes.length;
    this.end += bytes.length;
    if (fsyncAfter) r.fsync = true;
    if (r.bytes >= ROUND_BYTES) {
      // Full: the next append opens a new round, and this one starts if nothing is being written.
      this.collecting = null;
      this.pump(false);
    }
    return r.promise;
  }

  /** Writes a round even with no data, for side writes alone. */
  kick(): void { if (!this.failed && !this.collecting) this.open(); }

  get busy(): boolean { return this.rounds.length > 0; }

  /** Resolves when nothing is queued or in flight (failures included). */
  idle(): Promise<void> {
    const last = this.rounds[this.rounds.length - 1];
    return last ? last.promise.then(() => this.idle(), () => this.idle()) : Promise.resolve();
  }

  private open(): Round {
    let resolve!: () => void, reject!: (err: Error) => void;
    const promise = new Promise<void>((res, rej) => { resolve = res; reject = rej; });
    // A round nobody awaits (side writes alone) must not become an unhandled
    // rejection; appenders still get the error through their own await.
    promise.catch(ignore);
    const r: Round = { bufs: [], bytes: 0, position: this.end, fsync: false, state: State.Waiting, error: null, promise, resolve, reject };
    this.rounds.push(r);
    this.collecting = r;
    // At the end of this tick, so that appends made in the same tick share the round. A promise
    // reaction, not queueMicrotask: Node wraps each queueMicrotask callback in an AsyncResource
    // (created, entered, destroyed), a few percent of the broker's CPU at one round per request.
    void TICK_END.then(() => this.pump(true));
    return r;
  }

  /** Starts waiting rounds while there is room; the collecting one only at the end of a tick or once full. */
  private pump(endOfTick: boolean): void {
    if (this.gated) return;
    for (const r of this.rounds) {
      if (this.inFlight >= MAX_IN_FLIGHT) return;
      if (r.state !== State.Waiting) continue;
      if (r === this.collecting) {
        if (!endOfTick && r.bytes < ROUND_BYTES) return;
        this.collecting = null;
      }
      this.start(r);
    }
  }

  private start(r: Round): void {
    r.state = State.Writing;
    this.inFlight++;
    this.begin(r);
  }

  private begin(r: Round): void {
    let fd: number;
    try {
      fd = this.file.tryPin();
    } catch (err) {
      // Nothing of the round reached the file; it fails as a failed write does, and so does what follows.
      r.error = err as Error;
      r.bufs = [];
      return this.complete(r);
    }
    if (fd < 0) return this.file.whenFree(() => this.begin(r));
    const done = () => {
      this.file.unpin();
      this.complete(r);
    };
    const finish = (err: Error | null) => {
      if (err && !r.error) r.error = err;
      if (r.error || !r.fsync) return done();
      fsync(fd, (e) => { if (e) r.error = e; done(); });
    };
    const sideError = this.file.sideWrites();
    const bufs = r.bufs;
    r.bufs = [];
    if (sideError) finish(sideError);
    else if (r.bytes === 0) finish(null);
    else if (!r.fsync && r.bytes <= SYNC_ROUND_BYTES) finish(writeAllSync(fd, bufs, r.position));
    else writeAll(fd, bufs, r.position, finish);
  }

  private complete(r: Round): void {
    r.state = r.error ? State.Failed : State.Written;
    this.inFlight--;
    const firstFailure = r.error !== null && !this.failed;
    if (firstFailure) {
      this.failed = r.error;
      this.failedAt = r.position;
      // Rounds not started never will be.
      for (const w of this.rounds) if (w.state === State.Waiting) { w.state = State.Failed; w.error = r.error; }
      this.collecting = null;
    }
    this.settleHead();
    if (!this.failed) this.pump(true);
    else if (firstFailure) this.file.writeFailed(this.failed!);
  }

  /** Settles finished rounds from the head, in file order. */
  private settleHead(): void {
    while (this.rounds.length > 0 && (this.rounds[0]!.state === State.Written || this.rounds[0]!.state === State.Failed)) {
      const head = this.rounds.shift()!;
      if (head.position >= this.failedAt) head.reject(head.error ?? this.failed!);
      else { this.writtenUpTo = head.position + head.bytes; head.resolve(); }
    }
  }
}

/** writeAll, synchronously; returns the error instead of throwing it. */
function writeAllSync(fd: number, bufs: Buffer[], position: number): Error | null {
  try {
    for (let rest = bufs, at = position; rest.length > 0;) {
      const n = writevSync(fd, rest, at);
      if (n === 0) return new Error(`write of ${rest.reduce((k, b) => k + b.length, 0)} bytes at ${at} wrote nothing`);
      at += n;
      let i = 0, left = n;
      while (i < rest.length && left >= rest[i]!.length) left -= rest[i++]!.length;
      rest = rest.slice(i);
      if (rest.length > 0) rest[0] = rest[0]!.subarray(left);
    }
    return null;
  } catch (e) {
    return e as Error;
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
