/**
 * The buffers one response's file reads land in (Fetch's records), taken
 * from a pool and given back once the response has been written to the
 * socket.
 *
 * Why: a consumer's Fetch reads up to max.partition.fetch.bytes (1 MiB by
 * default) per partition into a buffer that goes to the socket by reference.
 * Allocated fresh, every megabyte consumed was a new ArrayBuffer, and V8 only
 * collects those after about 64 MB more external memory: an idle-sized broker
 * stood ~90 MB higher in RSS after a fast consumer (make bench's peak RSS,
 * 139-150 MB against a 150 MB target).
 *
 * A buffer is given back only on proof that nothing refers to its bytes: the
 * connection calls release() from the callback of the socket write that sent
 * the response. A response that is never written (the connection closed, the
 * handler failed, an encoding fault), or is the last before the connection
 * closes (an expired SASL session), keeps its buffers, which are then
 * collected as any other.
 */
import type { FramePool } from './frame-pool.js';

export class ResponseBuffers {
  private releases: (() => void)[] = [];

  constructor(private readonly pool: FramePool) {}

  /** A buffer of exactly `length` bytes: pooled when the pool has the size, else fresh. */
  readonly alloc = (length: number): Buffer => {
    const got = this.pool.get(length);
    if (got === undefined) return Buffer.allocUnsafe(length);
    this.releases.push(got.lease.take());
    return got.frame;
  };

  /** Whether any buffer came from the pool (and so must be given back). */
  get pooled(): boolean { return this.releases.length > 0; }

  /** Gives every pooled buffer back. Only once the response carrying them has left. */
  readonly release = (): void => {
    const all = this.releases;
    this.releases = [];
    for (const r of all) r();
  };
}
