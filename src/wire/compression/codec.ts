/** One compression codec as Kafka's record batches use it. */
export interface Codec {
  readonly name: string;
  compress(data: Buffer): Buffer;
  /** Throws DecompressionLimitError when the output would exceed `maxOutput` bytes. */
  decompress(data: Buffer, maxOutput: number): Buffer;
}

export class DecompressionLimitError extends Error {
  override readonly name = 'DecompressionLimitError';
  constructor(codec: string, maxOutput: number) {
    super(`${codec} data decompresses to more than ${maxOutput} bytes`);
  }
}

export function checkLimit(codec: string, out: Buffer, maxOutput: number): Buffer {
  if (out.length > maxOutput) throw new DecompressionLimitError(codec, maxOutput);
  return out;
}
