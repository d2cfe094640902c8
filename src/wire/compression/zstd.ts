/**
 * Zstandard via zstd-napi's bindings. Decompression never allocates past the
 * caller's limit: when every frame declares its content size, the declared
 * total is checked and one buffer of that size decoded into (zstd refuses a
 * frame whose content disagrees with its declaration); otherwise the data is
 * streamed through in chunks and refused once the output passes the limit.
 * (zstd-napi's own decompress() would allocate whatever the frames declare,
 * summed over all of them.)
 */
import { createRequire } from 'node:module';
import { DecompressionLimitError, type Codec } from './codec.js';

type Binding = typeof import('zstd-napi/binding.js');

// The native addon loads on first use: a broker that never sees this codec never pays its load time at start-up.
let native: { simple: typeof import('zstd-napi'); binding: Binding; dctx: InstanceType<Binding['DCtx']> } | undefined;
function lib(): NonNullable<typeof native> {
  if (native === undefined) {
    const require = createRequire(import.meta.url);
    const binding = require('zstd-napi/binding.js') as Binding;
    native = { simple: require('zstd-napi') as typeof import('zstd-napi'), binding, dctx: new binding.DCtx() };
  }
  return native;
}

/** Streaming output chunk: zstd's recommended output buffer size is 128 KiB. */
const CHUNK = 128 << 10;

/** The content size all frames declare together; null when one does not declare it. Throws on bad frames. */
function declaredTotal(b: Binding, data: Buffer): number | null {
  let total = 0;
  for (let rest = data; rest.length > 0; rest = rest.subarray(b.findFrameCompressedSize(rest))) {
    const size = b.getFrameContentSize(rest);
    if (size === null) return null;
    total += size;
  }
  return total;
}

function stream(z: NonNullable<typeof native>, data: Buffer, maxOutput: number): Buffer {
  const { binding, dctx } = z;
  dctx.reset(binding.ResetDirective.sessionAndParameters);
  // A window larger than the output allowed is of no use to a frame we accept; a smaller limit bounds zstd's own buffer.
  dctx.setParameter(binding.DParameter.windowLogMax, Math.max(10, Math.min(27, Math.ceil(Math.log2(maxOutput + 1)))));
  const out: Buffer[] = [];
  let total = 0;
  let input = data;
  for (;;) {
    const chunk = Buffer.allocUnsafe(Math.min(CHUNK, maxOutput - total + 1));
    const [pending, produced, consumed] = dctx.decompressStream(chunk, input);
    total += produced;
    if (total > maxOutput) throw new DecompressionLimitError('zstd', maxOutput);
    if (produced > 0) out.push(chunk.subarray(0, produced));
    input = input.subarray(consumed);
    // zstd answers 0 once a frame is decoded and flushed; with input left over, the next frame follows.
    if (input.length === 0) {
      if (pending === 0) return Buffer.concat(out, total);
      // Output room to spare and no input: the frame ends early. A full chunk may just mean more to flush.
      if (produced < chunk.length) throw new Error('truncated zstd frame');
    }
    if (produced === 0 && consumed === 0) throw new Error('zstd made no progress');
  }
}

export const zstd: Codec = {
  name: 'zstd',
  compress: (data) => lib().simple.compress(data),
  decompress(data, maxOutput) {
    const z = lib();
    const declared = declaredTotal(z.binding, data);
    if (declared === null) return stream(z, data, maxOutput);
    if (declared > maxOutput) throw new DecompressionLimitError('zstd', maxOutput);
    z.dctx.reset(z.binding.ResetDirective.sessionAndParameters);
    const out = Buffer.allocUnsafe(declared);
    if (z.dctx.decompress(out, data) !== declared) throw new Error('zstd frames disagree with their declared content size');
    return out;
  },
};
