/**
 * Checks a response frame the broker sent against the request it answers: the
 * response header at the request's header version, then the body with the
 * generated decoder at the request's version, with no byte left over. A frame
 * that passes is one a client could read; anything else is a broken answer.
 */
import { Reader } from '../../src/wire/protocol/reader.js';
import { CODECS } from '../../src/wire/generated/index.js';
import { ApiKey, responseHeaderVersion } from '../../src/wire/generated/api-keys.js';
import { decodeResponseHeader } from '../../src/wire/generated/response-header.js';
import { HANDLERS } from '../../src/broker/handlers/index.js';

/** The version the broker answers a request of (apiKey, version) at: ApiVersions it does not serve get v0. */
export function answeredVersion(apiKey: number, version: number): number {
  const h = HANDLERS.find((x) => x.apiKey === apiKey);
  if (apiKey === ApiKey.ApiVersions && (!h || version < h.minVersion || version > h.maxVersion)) return 0;
  return version;
}

/**
 * Decodes one response frame (without its size prefix) as the answer to a
 * request of (apiKey, version); throws an Error saying what is wrong.
 */
export function decodeResponse(apiKey: number, version: number, frame: Buffer): { correlationId: number; body: unknown } {
  const v = answeredVersion(apiKey, version);
  const codec = CODECS[apiKey];
  if (!codec) throw new Error(`no codec for API key ${apiKey}`);
  const r = new Reader(frame);
  const header = decodeResponseHeader(r, responseHeaderVersion(apiKey, v));
  const body = codec.response.decode(r, v);
  if (r.remaining() !== 0) throw new Error(`${r.remaining()} bytes left after the API ${apiKey} v${v} response`);
  return { correlationId: header.correlationId, body };
}
