/**
 * The one error every decoder throws. Whatever the bytes are, decoding either
 * succeeds or throws this: never a RangeError, never a hang, never an
 * allocation larger than the frame. The dispatcher closes the connection on it.
 */
export class DecodeError extends Error {
  override readonly name = 'DecodeError';
  constructor(
    message: string,
    /** Byte offset within the buffer being decoded where decoding failed. */
    readonly offset: number,
    /** What was being decoded, e.g. "FetchRequest v12"; filled in by the caller that knows it. */
    public context = '',
  ) {
    super(context ? `${context}: ${message} at byte ${offset}` : `${message} at byte ${offset}`);
  }

  /** Returns the same error with its context set (used by generated decoders). */
  within(context: string): DecodeError {
    if (!this.context) {
      this.context = context;
      this.message = `${context}: ${this.message}`;
    }
    return this;
  }
}
