/**
 * Buffers for large request frames (Produce's), reused from one request to
 * the next instead of allocated per frame. A second pool of the same kind
 * holds Fetch's file reads (response-buffers.ts), given back once the
 * response carrying them has been written.
 *
 * Why: a Produce frame is read into one buffer (its records are validated and
 * written to the log from it). Allocated fresh, 100 MB of produced records
 * meant 100 MB of new ArrayBuffers, and V8 answers that much external memory
 * with full mark-compact collections, several per 100 MB: about a fifth of
 * the broker's CPU time on a produce workload went to them.
 *
 * A frame buffer comes with a lease. Whoever holds the frame last gives it
 * back with release() once nothing refers to its bytes any more (for Produce:
 * every log write made from it has completed); a lease never released costs
 * nothing but the reuse (the buffer is collected as any other). Releasing
 * while something still refers to the bytes would let the next frame
 * overwrite them: release only on proof.
 *
 * Buffers come in power-of-two sizes from MIN_BYTES to MAX_BYTES; larger
 * frames are allocated as before. Idle buffers are kept up to `maxIdleBytes`
 * in all, newest first (the one most recently written is the likeliest still
 * in the CPU's caches).
 */

export const MIN_BYTES = 16 * 1024;
const MAX_BYTES = 4 * 1024 * 1024;

/**
 * For tests. `poisonReleased`: a buffer given back is overwritten at once, so
 * a read of its bytes after the release (a log write not yet done, a view
 * kept somewhere, a response still being sent) gets garbage every time, not
 * the right bytes until the next use happens to land there. `released`: how
 * many buffers every pool was given back, so a test can see its path used one.
 */
export const framePoolChecks = { poisonReleased: false, released: 0 };
const POISON = 0xee;

/** The right to give a pooled frame buffer back; see the header. */
export interface FrameLease {
  /**
   * The caller keeps the frame past its answer and releases it itself with
   * the function returned (which does nothing after the first call).
   */
  take(): () => void;
  /** Gives the buffer back unless take() was called: the frame is finished with. */
  done(): void;
}

export class FramePool {
  /** Idle buffers by size class (index = log2(size / MIN_BYTES)). */
  private readonly idle: Buffer[][] = [];
  private idleBytes = 0;

  constructor(readonly maxIdleBytes: number) {}

  /** A buffer of exactly `size` bytes (contents undefined) with its lease, or undefined when `size` is outside the pooled sizes. */
  get(size: number): { frame: Buffer; lease: FrameLease } | undefined {
    if (size < MIN_BYTES || size > MAX_BYTES) return undefined;
    const cls = Math.ceil(Math.log2(size / MIN_BYTES));
    const free = this.idle[cls];
    let whole = free?.pop();
    if (whole === undefined) whole = Buffer.allocUnsafeSlow(MIN_BYTES << cls);
    else this.idleBytes -= whole.length;
    return { frame: whole.subarray(0, size), lease: this.lease(whole, cls) };
  }

  private lease(whole: Buffer, cls: number): FrameLease {
    let taken = false;
    let back = false;
    const release = () => {
      if (back) return;
      back = true;
      framePoolChecks.released++;
      if (framePoolChecks.poisonReleased) whole.fill(POISON);
      if (this.idleBytes + whole.length > this.maxIdleBytes) return;
      this.idleBytes += whole.length;
      (this.idle[cls] ??= []).push(whole);
    };
    return {
      take: () => { taken = true; return release; },
      done: () => { if (!taken) release(); },
    };
  }

  /** Bytes held idle (tests, status). */
  get idleTotal(): number { return this.idleBytes; }
}
