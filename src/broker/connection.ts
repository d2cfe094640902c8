/**
 * One client connection: framing, response ordering and backpressure. Knows
 * nothing of Kafka APIs; it hands each complete frame to `handleFrame` and
 * sends what comes back.
 *
 * - Frames are an int32 size then the body. The size is checked against
 *   socket.request.max.bytes before any buffer is allocated for the body;
 *   a negative or oversized size closes the connection with a log line.
 * - Responses leave in request order: each frame takes a slot at arrival and
 *   slots are written from the head of the queue as they complete, so a slow
 *   request (a long-poll fetch) holds back later responses, as Kafka does.
 * - When more than MAX_PENDING responses are unsent, or the socket's buffer
 *   holds more than MAX_BUFFERED bytes, reading stops until they drain.
 *   Responses completed together go out in one corked write (writev).
 * - shutdown() stops reading and ends the socket once every request already
 *   read has been answered (graceful broker shutdown).
 */
import type { Socket } from 'node:net';
import type { Logger } from './logger.js';

const MAX_PENDING = 256;
const MAX_BUFFERED = 8 << 20;
const CLOSE_GRACE_MS = 1000;

/** What a frame handler returns: response chunks, nothing (acks=0), or a reason to close. */
export type FrameResult = Buffer[] | null | { close: string };

export class Connection {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private expected = -1;
  private readonly slots: { result: FrameResult | undefined }[] = [];
  private paused = false;
  private closed = false;
  private draining = false;
  /** Resolves when the socket has closed. */
  readonly done: Promise<void>;

  constructor(
    readonly id: number,
    readonly socket: Socket,
    private readonly maxRequestBytes: number,
    private readonly log: Logger,
    private readonly handleFrame: (frame: Buffer, conn: Connection) => FrameResult | Promise<FrameResult>,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('drain', () => this.maybeResume());
    socket.on('error', (err) => this.log.debug(`connection ${id}: ${err.message}`));
    let onClose!: () => void;
    this.done = new Promise((resolve) => { onClose = resolve; });
    socket.on('close', () => { this.closed = true; onClose(); });
  }

  get remote(): string { return `${this.socket.remoteAddress}:${this.socket.remotePort}`; }
  get isClosed(): boolean { return this.closed; }

  /**
   * Closes the connection: reads nothing more, lets the responses already
   * written (including corked ones) reach the client, then sends FIN; a client
   * that does not close its side within CLOSE_GRACE_MS is dropped.
   */
  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.log.warn(`closing connection ${this.id} from ${this.remote}: ${reason}`);
    this.chunks = [];
    this.buffered = 0;
    this.socket.resume(); // keep reading (and dropping) so the client's FIN is seen and the socket closes
    this.socket.end();
    setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS).unref();
  }

  /** Reads no more requests; ends the connection once the responses owed have been written. */
  shutdown(): void {
    if (this.closed || this.draining) return;
    this.draining = true;
    this.socket.resume(); // requests that arrive from now on are read and dropped, so the client's FIN is seen
    this.chunks = [];
    this.buffered = 0;
    if (this.slots.length === 0) this.socket.end();
  }

  private onData(data: Buffer): void {
    if (this.draining || this.closed) return;
    this.chunks.push(data);
    this.buffered += data.length;
    while (!this.closed) {
      if (this.expected < 0) {
        if (this.buffered < 4) return;
        const head = this.take(4);
        const size = head.readInt32BE(0);
        if (size < 0 || size > this.maxRequestBytes) {
          return this.close(`request size ${size} is outside 0..${this.maxRequestBytes} (socket.request.max.bytes)`);
        }
        this.expected = size;
      }
      if (this.buffered < this.expected) return;
      const frame = this.take(this.expected);
      this.expected = -1;
      this.dispatch(frame);
    }
  }

  /** Removes and returns the next n buffered bytes (a copy only when they span chunks). */
  private take(n: number): Buffer {
    const first = this.chunks[0]!;
    let out: Buffer;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      out = Buffer.allocUnsafe(n);
      let at = 0;
      while (at < n) {
        const c = this.chunks[0]!;
        const k = Math.min(c.length, n - at);
        c.copy(out, at, 0, k);
        at += k;
        if (k === c.length) this.chunks.shift();
        else this.chunks[0] = c.subarray(k);
      }
    }
    this.buffered -= n;
    return out;
  }

  private dispatch(frame: Buffer): void {
    const slot: { result: FrameResult | undefined } = { result: undefined };
    this.slots.push(slot);
    const finish = (r: FrameResult) => { slot.result = r; this.flush(); };
    try {
      const r = this.handleFrame(frame, this);
      if (r instanceof Promise) r.then(finish, (err) => finish({ close: `internal error: ${err?.stack ?? err}` }));
      else finish(r);
    } catch (err) {
      finish({ close: `internal error: ${(err as Error)?.stack ?? err}` });
    }
    if (this.slots.length > MAX_PENDING) this.pause();
  }

  private flush(): void {
    let wrote = false;
    while (this.slots.length > 0 && this.slots[0]!.result !== undefined) {
      const r = this.slots.shift()!.result!;
      if (this.closed) continue;
      if (r === null) continue;
      if (!Array.isArray(r)) { this.close(r.close); continue; }
      if (!wrote) { this.socket.cork(); wrote = true; }
      for (const c of r) this.socket.write(c);
    }
    if (wrote) process.nextTick(() => this.socket.uncork());
    if (this.draining) {
      if (this.slots.length === 0 && !this.closed) this.socket.end();
      return;
    }
    if (this.socket.writableLength > MAX_BUFFERED) this.pause();
    else this.maybeResume();
  }

  private pause(): void {
    if (!this.paused) { this.paused = true; this.socket.pause(); }
  }

  private maybeResume(): void {
    if (this.draining) return;
    if (this.paused && this.slots.length <= MAX_PENDING / 2 && this.socket.writableLength <= MAX_BUFFERED / 2) {
      this.paused = false;
      this.socket.resume();
    }
  }
}
