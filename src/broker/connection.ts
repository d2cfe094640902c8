/**
 * One client connection: framing, response ordering, the memory it may hold,
 * and its timeouts. Knows nothing of Kafka APIs beyond "a frame starts with
 * an int16 key"; it hands each complete frame to `handleFrame` and sends what
 * comes back.
 *
 * - Frames are an int32 size then the body. The size is checked against
 *   `minRequestBytes` (the smallest request header) and
 *   socket.request.max.bytes before any buffer is allocated for the body;
 *   a size outside them closes the connection with a log line.
 * - Responses leave in request order: each frame takes a slot when it is
 *   dispatched and slots are written from the head of the queue as they
 *   complete, so a slow request (a long-poll fetch) holds back later
 *   responses, as Kafka does. Responses completed together go out in one
 *   corked write (writev).
 * - Memory. The connection holds: the frame being read and frames dispatched
 *   and not yet answered (charged at their size from when the size prefix is
 *   read), responses built and waiting behind an earlier slot, and responses
 *   written but not yet taken by the kernel (charged until the write's
 *   callback). These "held" bytes count against `maxQueuedBytes` and against
 *   the broker-wide `budget`. A new frame is started (its size read, its body
 *   read, it dispatched) only while fewer than MAX_PENDING requests are
 *   unanswered, the connection holds less than `maxQueuedBytes`, and the
 *   budget is not full - unless the connection holds nothing at all, so a
 *   client that reads its responses always gets one request served however
 *   others behave. Otherwise frames wait and the socket is not read.
 *   A Fetch's response is only counted once built, so frames of the kind
 *   `oneAtATime` picks (Fetch) start only when no other is in flight on this
 *   connection: real clients send one Fetch per connection at a time, and
 *   Kafka mutes a channel until its response is sent anyway.
 *   Bound on what the broker holds for clients, with B =
 *   queued.max.request.bytes, P = queued.max.request.bytes.per.connection,
 *   R = socket.request.max.bytes, F = the largest response a request can
 *   build (fetch.max.bytes, or one record batch when that is larger) and N
 *   connections: at most min(B + N x (R + F), N x (P + R + F)), plus per
 *   connection a socket read-ahead of about 64 KiB and MAX_PENDING requests'
 *   bookkeeping.
 * - A closed connection releases everything at once: queued responses are
 *   dropped, the socket is destroyed when it still holds unsent bytes (a
 *   peer that does not read is not waited for), and results of requests
 *   still in flight are dropped when they arrive.
 * - Reads. A plain TCP socket reads into one buffer shared by every
 *   connection (socket-reads.ts): nothing is allocated per read, and what a
 *   read leaves unconsumed is copied out before the next. A large frame
 *   (from 16 KiB) gets a buffer of its own once its size is known, and the
 *   socket then reads the rest of it straight into that buffer, so its bytes
 *   are copied by the kernel only. Frames of the `pooled` kind (Produce) get
 *   that buffer from the broker's frame pool (frame-pool.ts) and hand its
 *   lease to `handleFrame`, which gives the buffer back when nothing refers to
 *   it any more. A TLS socket (or a Node whose internals differ) reads as
 *   sockets usually do, each read a new buffer, from which large frames are
 *   copied into theirs as they arrive.
 * - Timeouts, checked by the broker's sweep (checkTimeouts): a frame whose
 *   rest the client is slow to send (`requestReceiveTimeoutMs`), and a
 *   connection with nothing read or written and no request in flight for
 *   `idleTimeoutMs` (connections.max.idle.ms), are closed.
 * - shutdown() stops reading and ends the socket once every request already
 *   dispatched has been answered (graceful broker shutdown).
 */
import type { Socket } from 'node:net';
import type { Logger } from './logger.js';
import type { MemoryBudget } from './memory-budget.js';
import type { ClientSession } from './client-session.js';
import { MIN_BYTES as ASSEMBLE_MIN_BYTES, type FramePool, type FrameLease } from './frame-pool.js';
import { readIntoBuffers } from './socket-reads.js';

/** The buffer every connection's socket reads into (see the class comment); made on first use. */
const READ_BUFFER_BYTES = 64 * 1024;
let sharedReads: Buffer | undefined;
const readBuffer = () => (sharedReads ??= Buffer.allocUnsafeSlow(READ_BUFFER_BYTES));

/** Unanswered requests per connection before reading stops (a count bound beside the byte bounds). */
const MAX_PENDING = 256;
const CLOSE_GRACE_MS = 1000;

/** A response's bytes; `afterWrite` runs once the socket write that sent them completed (not on a failed write). */
export type ResponseChunks = Buffer[] & { afterWrite?: () => void };
/** What a frame handler returns: response chunks, nothing (acks=0), or a reason to close (after a last response, when given). */
export type FrameResult = ResponseChunks | null | { close: string; last?: Buffer[] };

export interface ConnectionOptions {
  /** socket.request.max.bytes: larger frames close the connection before anything is allocated. */
  maxRequestBytes: number;
  /** Smaller frames close the connection (they cannot hold a request header). */
  minRequestBytes: number;
  /** Bytes this connection may hold before it stops starting requests; negative: no limit. */
  maxQueuedBytes?: number;
  /** The broker-wide budget the connection charges what it holds to. */
  budget?: MemoryBudget;
  /** Frames (by their first int16, the API key) of which at most one is in flight: those with responses as large as a Fetch's. */
  oneAtATime?: (key: number) => boolean;
  /** Frames (by API key) read into buffers of `framePool` when large: those whose bytes the handler gives back (Produce). */
  pooled?: (key: number) => boolean;
  framePool?: FramePool;
  /** Before a SASL exchange succeeds frames are at most this large (sasl.server.max.receive.size), as Kafka bounds what an unauthenticated client may make it read. */
  maxUnauthenticatedBytes?: number;
  /** Close when a frame's rest takes longer than this to arrive; negative: never. */
  requestReceiveTimeoutMs?: number;
  /** Close after this long with nothing read or written and nothing in flight; negative: never. */
  idleTimeoutMs?: number;
}

interface Slot {
  result: FrameResult | undefined;
  /** Bytes charged for it: its request frame until answered, then its response until written. */
  charge: number;
  oneAtATime: boolean;
}

export class Connection {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Size of the frame being read (its size prefix consumed), or -1 between frames. */
  private expected = -1;
  /** Whether the frame being read is of the oneAtATime kind. */
  private expectedOneAtATime = false;
  /** The buffer a large frame is copied into as it arrives (see the class comment), and how much of it is filled. */
  private assembling: Buffer | null = null;
  private assembled = 0;
  /** The pool's lease on `assembling`, when it came from the frame pool. */
  private assemblingLease: FrameLease | undefined;
  private readonly slots: Slot[] = [];
  /** Bytes held (see the class comment); the same amount is charged to the budget. */
  private held = 0;
  private oneAtATimeInFlight = false;
  private paused = false;
  private frozen = false;
  private pumping = false;
  private waitingForBudget = false;
  private closed = false;
  private draining = false;
  /** Set once a frame ends the connection: nothing after it is read or run. */
  private refusing = false;
  private lastActivity = Date.now();
  /** When the connection started waiting for the rest of a frame, or 0 when it is not. */
  private partialSince = 0;
  private readonly maxQueuedBytes: number;
  private readonly wake = () => { this.waitingForBudget = false; this.pump(); };
  /** Resolves when the socket has closed. */
  readonly done: Promise<void>;
  /** Until when (ms since epoch) no new request is read: a client over its quota (KIP-219). */
  private mutedUntil = 0;
  private muteTimer?: NodeJS.Timeout;
  /** Who the client is (listener, principal, SASL state); set by the broker as it accepts the connection. */
  session?: ClientSession;
  /** The client id of its last request (set by the dispatcher), named in the connection's log lines. */
  clientId: string | null = null;

  constructor(
    readonly id: number,
    readonly socket: Socket,
    private readonly opts: ConnectionOptions,
    private readonly log: Logger,
    private readonly handleFrame: (frame: Buffer, conn: Connection, lease?: FrameLease) => FrameResult | Promise<FrameResult>,
  ) {
    this.maxQueuedBytes = opts.maxQueuedBytes !== undefined && opts.maxQueuedBytes >= 0 ? opts.maxQueuedBytes : Infinity;
    socket.setNoDelay(true);
    if (!readIntoBuffers(socket, () => this.nextRead(), (buffer, n) => this.onRead(buffer, n))) socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('error', (err) => this.log.debug(`connection ${id}: ${err.message}`, this.logFields()));
    let onClose!: () => void;
    this.done = new Promise((resolve) => { onClose = resolve; });
    socket.on('close', () => { this.closed = true; this.releaseAll(); onClose(); });
  }

  get remote(): string { return `${this.socket.remoteAddress}:${this.socket.remotePort}`; }
  private logFields(): Record<string, unknown> {
    return { conn: this.id, clientId: this.clientId, address: this.remote, listener: this.session?.listener.name };
  }
  get isClosed(): boolean { return this.closed; }
  /** Bytes this connection holds (requests read and unanswered, responses unsent). */
  get heldBytes(): number { return this.held; }

  /**
   * Closes the connection: reads nothing more, drops responses not yet
   * written, and lets those already written reach the client before the FIN;
   * when the kernel has not taken them all (a peer that is not reading), the
   * socket is destroyed at once. A client that does not close its side within
   * CLOSE_GRACE_MS is dropped. Logged at warn: a client did something wrong
   * (idle connections, which are normal, pass 'debug', as Kafka logs them).
   */
  close(reason: string, level: 'warn' | 'debug' = 'warn', lastResponse = false): void {
    if (this.closed) return;
    this.closed = true;
    this.log[level](`closing connection ${this.id} from ${this.remote}: ${reason}`, this.logFields());
    this.releaseAll();
    while (this.socket.writableCorked > 0) this.socket.uncork(); // written responses go to the kernel now, so writableLength says what it refused
    // A response that explains the close (a failed authentication) is worth the wait: end() flushes it, the grace timer bounds it.
    if (this.socket.writableLength > 0 && !lastResponse) return void this.socket.destroy();
    this.socket.resume(); // keep reading (and dropping) so the client's FIN is seen and the socket closes
    this.socket.end();
    setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS).unref();
  }

  /** Reads no more requests; ends the connection once the responses owed have been written. */
  shutdown(): void {
    if (this.closed || this.draining) return;
    this.draining = true;
    this.dropUnread();
    this.socket.resume(); // requests that arrive from now on are read and dropped, so the client's FIN is seen
    if (this.slots.length === 0) this.socket.end();
  }

  /** Closes the connection when a frame has been arriving or it has been idle for too long; called by the broker's sweep. */
  checkTimeouts(now: number): void {
    if (this.closed || this.draining) return;
    const receive = this.opts.requestReceiveTimeoutMs ?? -1;
    const idle = this.opts.idleTimeoutMs ?? -1;
    if (receive >= 0 && this.partialSince > 0 && now - this.partialSince > receive) {
      this.close(`the rest of a request did not arrive within ${receive} ms (socket.request.receive.timeout.ms)`);
    } else if (idle >= 0 && this.slots.length === 0 && this.partialSince === 0 && now - this.lastActivity > idle) {
      this.close(`idle for more than ${idle} ms (connections.max.idle.ms)`, 'debug');
    }
  }

  /** Where the socket's next read goes: the rest of the frame being assembled, else the shared buffer. */
  private nextRead(): Buffer {
    return this.assembling !== null && this.assembled < this.expected ? this.assembling.subarray(this.assembled) : readBuffer();
  }

  /** `n` bytes read into `buffer`, the buffer nextRead() named. */
  private onRead(buffer: Buffer, n: number): void {
    if (buffer === sharedReads) {
      this.onData(buffer.subarray(0, n));
      this.keepUnconsumed();
      return;
    }
    // Straight into the frame being assembled (unless it was dropped meanwhile: the connection is closing).
    this.lastActivity = Date.now();
    if (this.draining || this.closed || this.refusing || this.assembling === null) return;
    if (buffer.buffer !== this.assembling.buffer || buffer.byteOffset !== this.assembling.byteOffset + this.assembled) {
      return this.close('internal error: a read landed outside the frame being read');
    }
    this.assembled += n;
    if (this.assembled === this.expected) this.pump();
  }

  /** Bytes of the shared read buffer still waiting in `chunks` are copied out: the next read overwrites them. */
  private keepUnconsumed(): void {
    for (let i = 0; i < this.chunks.length; i++) {
      if (this.chunks[i]!.buffer === sharedReads!.buffer) this.chunks[i] = Buffer.from(this.chunks[i]!);
    }
  }

  private onData(data: Buffer): void {
    this.lastActivity = Date.now();
    if (this.draining || this.closed || this.refusing) return;
    if (this.assembling !== null) {
      const n = Math.min(data.length, this.expected - this.assembled);
      data.copy(this.assembling, this.assembled, 0, n);
      this.assembled += n;
      if (n === data.length) return void (this.assembled === this.expected && this.pump());
      data = data.subarray(n);
    }
    this.chunks.push(data);
    this.buffered += data.length;
    this.pump();
  }

  /**
   * Reads and dispatches the frames buffered, as far as the limits allow; then
   * reads on, or waits. A request answered at once calls back in here (via
   * flush); the loop already running sees what changed, so the nested call
   * returns rather than recursing once per pipelined frame.
   */
  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      this.pumpFrames();
    } finally {
      this.pumping = false;
    }
  }

  private pumpFrames(): void {
    while (!this.closed && !this.draining && !this.refusing) {
      if (this.expected < 0) {
        if (this.buffered < 4) break;
        const size = this.peekInt32(0);
        // A raw SASL token (after SaslHandshake v0) has no request header, so it may be shorter than one.
        const min = this.session?.rawTokens ? 1 : Math.max(1, this.opts.minRequestBytes);
        const unauthenticated = this.session?.authenticated === false && this.opts.maxUnauthenticatedBytes !== undefined;
        const max = unauthenticated ? Math.min(this.opts.maxRequestBytes, this.opts.maxUnauthenticatedBytes!) : this.opts.maxRequestBytes;
        if (size < min || size > max) {
          return this.refuse(`request size ${size} is outside ${min}..${max} (${unauthenticated && max < this.opts.maxRequestBytes ? 'sasl.server.max.receive.size before authentication' : 'socket.request.max.bytes'})`);
        }
        const keyed = (this.opts.oneAtATime !== undefined || this.opts.pooled !== undefined) && size >= 2;
        if (keyed && this.buffered < 6) break;
        const key = keyed ? this.peekInt16(4) : -1;
        const oneAtATime = keyed && this.opts.oneAtATime !== undefined && this.opts.oneAtATime(key);
        if (this.mustWait(oneAtATime)) return this.pause();
        this.take(4);
        this.expected = size;
        this.expectedOneAtATime = oneAtATime;
        this.charge(size);
        if (size >= ASSEMBLE_MIN_BYTES) this.startAssembling(size, keyed && this.opts.pooled !== undefined && this.opts.pooled(key));
      }
      let frame: Buffer;
      let lease: FrameLease | undefined;
      if (this.assembling !== null) {
        if (this.assembled < this.expected) break;
        frame = this.assembling;
        lease = this.assemblingLease;
        this.assembling = null;
        this.assemblingLease = undefined;
      } else {
        if (this.buffered < this.expected) break;
        frame = this.take(this.expected);
        // A frame in the shared read buffer is overwritten by the next read; a small one cut from a large
        // read would keep the whole read alive while it is in flight.
        if (frame.buffer === sharedReads?.buffer || frame.buffer.byteLength > 2 * frame.length) frame = Buffer.from(frame);
      }
      this.expected = -1;
      this.partialSince = 0;
      this.dispatch(frame, this.expectedOneAtATime, lease);
    }
    if (this.closed || this.draining || this.refusing) return;
    // Wanting more bytes: read on; the receive timeout runs while part of a frame is here.
    if (this.buffered > 0 || this.expected >= 0) { if (this.partialSince === 0) this.partialSince = Date.now(); }
    else this.partialSince = 0;
    this.resume();
  }

  /** Reads no new request for `ms` (a throttled client); requests already read are answered. */
  throttle(ms: number): void {
    const until = Date.now() + ms;
    if (until <= this.mutedUntil || this.closed) return;
    this.mutedUntil = until;
    clearTimeout(this.muteTimer);
    this.muteTimer = setTimeout(() => { this.muteTimer = undefined; this.pump(); }, ms);
    this.muteTimer.unref();
  }

  /** True when the next frame may not start yet (see the class comment); registers for the budget's wake-up when that is the reason. */
  private mustWait(oneAtATime: boolean): boolean {
    if (this.slots.length >= MAX_PENDING || this.held >= this.maxQueuedBytes) return true;
    if (this.muteTimer !== undefined) return true;
    if (oneAtATime && this.oneAtATimeInFlight) return true;
    const budget = this.opts.budget;
    if (budget?.full && this.held > 0) {
      if (!this.waitingForBudget) { this.waitingForBudget = true; budget.wait(this.wake); }
      return true;
    }
    return false;
  }

  private pause(): void {
    this.partialSince = 0; // waiting on us, not on the client
    if (!this.paused) { this.paused = true; this.socket.pause(); }
  }

  private resume(): void {
    if (this.paused) { this.paused = false; if (!this.frozen) this.socket.resume(); }
  }

  /**
   * Fault injection (a paused broker, as SIGSTOP would leave it): nothing is
   * read and nothing written (responses wait in the socket's buffer) until
   * thaw(). The connection's own flow control goes on underneath.
   */
  freeze(): void {
    if (this.frozen) return;
    this.frozen = true;
    this.socket.pause();
    this.socket.cork();
  }

  thaw(): void {
    if (!this.frozen) return;
    this.frozen = false;
    this.socket.uncork();
    if (!this.paused) this.socket.resume();
  }

  private peekInt32(at: number): number { return this.peek(at, 4).readInt32BE(0); }
  private peekInt16(at: number): number { return this.peek(at, 2).readInt16BE(0); }

  /** n bytes at offset `at` of the buffered data (which holds at least at + n). */
  private peek(at: number, n: number): Buffer {
    const first = this.chunks[0]!;
    if (first.length >= at + n) return first.subarray(at, at + n);
    const out = Buffer.allocUnsafe(n);
    let skip = at;
    let got = 0;
    for (const c of this.chunks) {
      if (skip >= c.length) { skip -= c.length; continue; }
      got += c.copy(out, got, skip, Math.min(c.length, skip + n - got));
      skip = 0;
      if (got === n) break;
    }
    return out;
  }

  /**
   * A large frame of `size` bytes starts: its buffer (from the frame pool for
   * the pooled kind) takes what is buffered of it now, and the rest as it
   * arrives (read straight into it, or copied in by onData). A frame that is
   * here whole already and not pooled is taken as it is.
   */
  private startAssembling(size: number, pooled: boolean): void {
    const fromPool = pooled ? this.opts.framePool?.get(size) : undefined;
    if (fromPool === undefined && this.buffered >= size) return;
    this.assembling = fromPool?.frame ?? Buffer.allocUnsafe(size);
    this.assemblingLease = fromPool?.lease;
    this.assembled = Math.min(this.buffered, size);
    if (this.assembled > 0) this.takeInto(this.assembling, this.assembled);
  }

  /** Moves the next n buffered bytes into the start of `out`. */
  private takeInto(out: Buffer, n: number): void {
    let at = 0;
    while (at < n) {
      const c = this.chunks[0]!;
      const k = Math.min(c.length, n - at);
      c.copy(out, at, 0, k);
      at += k;
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    this.buffered -= n;
  }

  /** Removes and returns the next n (>= 1) buffered bytes (a copy only when they span chunks). */
  private take(n: number): Buffer {
    const first = this.chunks[0]!;
    let out: Buffer;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      out = Buffer.allocUnsafe(n);
      this.takeInto(out, n);
      return out;
    }
    this.buffered -= n;
    return out;
  }

  private dispatch(frame: Buffer, oneAtATime: boolean, lease: FrameLease | undefined): void {
    const slot: Slot = { result: undefined, charge: frame.length, oneAtATime };
    this.slots.push(slot);
    if (oneAtATime) this.oneAtATimeInFlight = true;
    const finish = (r: FrameResult) => {
      if (this.closed) return; // everything was released at close; a late result is dropped
      slot.result = r;
      // A request that closes the connection (malformed, unsupported) ends it: nothing behind it runs.
      if (r !== null && !Array.isArray(r)) this.stopReading();
      if (slot.oneAtATime) this.oneAtATimeInFlight = false;
      const bytes = Array.isArray(r) ? r.reduce((n, c) => n + c.length, 0) : 0;
      this.charge(bytes - slot.charge);
      slot.charge = bytes;
      this.flush();
    };
    try {
      const r = this.handleFrame(frame, this, lease);
      if (r instanceof Promise) r.then(finish, (err) => finish({ close: `internal error: ${err?.stack ?? err}` }));
      else finish(r);
    } catch (err) {
      finish({ close: `internal error: ${(err as Error)?.stack ?? err}` });
    }
  }

  private flush(): void {
    let batch = 0;
    let last: Buffer | undefined;
    let afterWrites: (() => void)[] | undefined;
    while (!this.closed && this.slots.length > 0 && this.slots[0]!.result !== undefined) {
      const slot = this.slots.shift()!;
      const r = slot.result!;
      if (r === null) continue;
      if (!Array.isArray(r)) {
        if (last !== undefined) this.socket.write(last);
        for (const c of r.last ?? []) this.socket.write(c);
        return this.close(r.close, 'warn', r.last !== undefined);
      }
      if (r.length === 0) continue;
      if (last === undefined) this.socket.cork();
      else this.socket.write(last);
      for (let i = 0; i < r.length - 1; i++) this.socket.write(r[i]!);
      last = r[r.length - 1]!;
      batch += slot.charge;
      if (r.afterWrite) (afterWrites ??= []).push(r.afterWrite);
    }
    if (last !== undefined) {
      // Writes complete in order, so the last one's callback means the whole batch left.
      const after = afterWrites;
      this.socket.write(last, (err) => {
        if (after && !err) for (const f of after) f();
        this.written(batch);
      });
      process.nextTick(() => this.socket.uncork());
    }
    if (this.draining) {
      if (this.slots.length === 0 && !this.closed) this.socket.end();
      return;
    }
    this.pump();
  }

  private written(bytes: number): void {
    if (this.closed) return;
    this.lastActivity = Date.now();
    this.charge(-bytes);
    this.pump();
  }

  /** Adds (or with a negative n, releases) held bytes, here and in the budget. */
  private charge(n: number): void {
    this.held += n;
    if (n > 0) this.opts.budget?.charge(n);
    else this.opts.budget?.release(-n);
  }

  /**
   * A frame this connection cannot take (a size out of bounds): the requests
   * before it are answered, nothing after it is read, then the connection
   * closes, as Kafka answers what it was processing before it drops one.
   */
  private refuse(reason: string): void {
    this.stopReading();
    this.slots.push({ result: { close: reason }, charge: 0, oneAtATime: false });
    this.flush();
  }

  /** No more frames are read or run; bytes already read and not dispatched are dropped. */
  private stopReading(): void {
    this.refusing = true;
    this.dropUnread();
    this.resume(); // read on (and drop) so the client's FIN is seen
  }

  /** Drops bytes read but not dispatched (their charge with them). */
  private dropUnread(): void {
    if (this.expected >= 0) this.charge(-this.expected);
    this.expected = -1;
    // Dropped with its buffer, which the pool does not get back: the socket may be reading into it still.
    this.assembling = null;
    this.assemblingLease = undefined;
    this.chunks = [];
    this.buffered = 0;
    this.partialSince = 0;
  }

  /** Everything this connection holds goes back to the budget at once; results still in flight are dropped on arrival. */
  private releaseAll(): void {
    clearTimeout(this.muteTimer);
    this.dropUnread();
    this.slots.length = 0;
    if (this.waitingForBudget) { this.waitingForBudget = false; this.opts.budget?.cancel(this.wake); }
    const held = this.held;
    this.held = 0;
    this.opts.budget?.release(held);
  }
}
