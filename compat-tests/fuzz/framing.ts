/**
 * What the broker makes of a byte stream, predicted the way its Connection and
 * Dispatcher read it: int32 size then body, a size outside
 * 0..socket.request.max.bytes (or below a minimum) closes the connection, a frame that does not
 * decode (short header, unknown API, unserved version, DecodeError) closes it
 * too, except ApiVersions at a version it does not serve, which is answered;
 * the frames after such a frame are read but not answered.
 * The fuzzer uses the prediction to know which responses to expect, in which
 * order, and with which codec to check them.
 */
import { Reader } from '../../src/wire/protocol/reader.js';
import { CODECS } from '../../src/wire/generated/index.js';
import { ApiKey, requestHeaderVersion } from '../../src/wire/generated/api-keys.js';
import { decodeRequestHeader } from '../../src/wire/generated/request-header.js';
import { HANDLERS } from '../../src/broker/handlers/index.js';
import type { Handler } from '../../src/broker/handler.js';

const byKey = new Map<number, Handler>(HANDLERS.map((h) => [h.apiKey, h]));

export interface PredictedFrame {
  /** The frame body as the broker will see it (without its size). */
  body: Buffer;
  apiKey: number;
  version: number;
  correlationId: number;
  /** The decoded request when the broker can decode it (then a handler runs). */
  request: unknown;
  /** The broker owes an answer (a decoded request other than acks=0 Produce, or an ApiVersions it does not serve). */
  answered: boolean;
  /** The broker closes the connection at this frame (it does not decode). */
  closes: boolean;
  /**
   * The frame comes after one that closes the connection. The broker may
   * still read and run it (it reads on until the close reaches the head of
   * its response queue) but never answers it.
   */
  afterClose: boolean;
}

export interface Prediction {
  frames: PredictedFrame[];
  /**
   * How the stream ends: `clean` when every byte belongs to a whole frame,
   * `partial` when the last frame is incomplete (the broker waits for more),
   * `bad-size` when a size prefix is out of range or 0 (the broker closes).
   */
  end: 'clean' | 'partial' | 'bad-size';
}

/** Decodes one frame as the dispatcher does; the request, or undefined when it does not decode. */
export function decodeFrame(body: Buffer): { apiKey: number; version: number; correlationId: number; request: unknown } | undefined {
  if (body.length < 8) return undefined;
  const apiKey = body.readInt16BE(0);
  const version = body.readInt16BE(2);
  const correlationId = body.readInt32BE(4);
  const h = byKey.get(apiKey);
  if (!h || version < h.minVersion || version > h.maxVersion) return undefined;
  try {
    const r = new Reader(body);
    decodeRequestHeader(r, requestHeaderVersion(apiKey, version));
    return { apiKey, version, correlationId, request: CODECS[apiKey]!.request.decode(r, version) };
  } catch {
    return undefined;
  }
}

/**
 * `minRequestBytes`: the smallest size the connection takes before handing a
 * frame to the dispatcher (smaller sizes close it at once, like sizes above
 * `maxRequestBytes`); see probeMinRequestBytes in fuzz-worker.ts.
 */
export function predict(stream: Buffer, maxRequestBytes: number, minRequestBytes: number): Prediction {
  const frames: PredictedFrame[] = [];
  let closed = false;
  let at = 0;
  while (at < stream.length) {
    if (stream.length - at < 4) return { frames, end: 'partial' };
    const size = stream.readInt32BE(at);
    if (size < Math.max(1, minRequestBytes) || size > maxRequestBytes) return { frames, end: 'bad-size' };
    if (stream.length - at - 4 < size) return { frames, end: 'partial' };
    const body = stream.subarray(at + 4, at + 4 + size);
    at += 4 + size;
    const apiKey = body.length >= 2 ? body.readInt16BE(0) : -1;
    const version = body.length >= 4 ? body.readInt16BE(2) : -1;
    const correlationId = body.length >= 8 ? body.readInt32BE(4) : -1;
    const decoded = decodeFrame(body);
    if (decoded) {
      const acks0 = apiKey === ApiKey.Produce && (decoded.request as { acks?: number }).acks === 0;
      frames.push({ body, apiKey, version, correlationId, request: decoded.request, answered: !acks0 && !closed, closes: false, afterClose: closed });
      continue;
    }
    const h = byKey.get(ApiKey.ApiVersions)!;
    const unservedApiVersions = apiKey === ApiKey.ApiVersions && body.length >= 8 && (version < h.minVersion || version > h.maxVersion);
    frames.push({ body, apiKey, version, correlationId, request: undefined, answered: unservedApiVersions && !closed, closes: !unservedApiVersions && !closed, afterClose: closed });
    if (!unservedApiVersions) closed = true;
  }
  return { frames, end: 'clean' };
}
