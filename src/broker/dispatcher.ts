/**
 * The shared work of every request, done once: read the api key and version,
 * decode the request header at its version, find the handler, decode the body,
 * call the handler, encode the response with its header and size. Unknown APIs
 * and versions get what Kafka gives: ApiVersions answers UNSUPPORTED_VERSION
 * with the supported table (v0 body), anything else closes the connection.
 * A DecodeError closes that connection only.
 */
import { Reader } from '../wire/protocol/reader.js';
import { Writer } from '../wire/protocol/writer.js';
import { DecodeError } from '../wire/protocol/decode-error.js';
import { API_SPECS, ApiKey, requestHeaderVersion, responseHeaderVersion } from '../wire/generated/api-keys.js';
import { CODECS } from '../wire/generated/index.js';
import { decodeRequestHeader } from '../wire/generated/request-header.js';
import { encodeResponseHeader } from '../wire/generated/response-header.js';
import { encodeApiVersionsResponse } from '../wire/generated/api-versions.js';
import type { Connection, FrameResult } from './connection.js';
import type { Handler } from './handler.js';
import type { BrokerContext, SharedContext } from './broker-context.js';
import { supportedApiVersions } from './handlers/index.js';

const UNSUPPORTED_VERSION = 35;

export class Dispatcher {
  private readonly byKey: (Handler | undefined)[] = [];

  constructor(private readonly shared: SharedContext, handlers: readonly Handler[]) {
    for (const h of handlers) this.byKey[h.apiKey] = h;
  }

  handleFrame = (frame: Buffer, conn: Connection): FrameResult | Promise<FrameResult> => {
    if (frame.length < 8) return { close: `frame of ${frame.length} bytes is too short for a request header` };
    const apiKey = frame.readInt16BE(0);
    const version = frame.readInt16BE(2);
    const correlationId = frame.readInt32BE(4);
    const handler = this.byKey[apiKey];
    const spec = API_SPECS[apiKey];
    if (!handler || version < handler.minVersion || version > handler.maxVersion) {
      if (apiKey === ApiKey.ApiVersions) return this.unsupportedApiVersions(correlationId);
      const what = spec ? `${spec.name} v${version}` : `unknown API key ${apiKey}`;
      return { close: `${what} is not supported (correlation id ${correlationId})` };
    }
    let request: unknown;
    let clientId: string | null;
    try {
      const r = new Reader(frame);
      const header = decodeRequestHeader(r, requestHeaderVersion(apiKey, version));
      clientId = header.clientId ?? null;
      request = CODECS[apiKey]!.request.decode(r, version);
    } catch (err) {
      if (err instanceof DecodeError) return { close: `malformed ${spec?.name ?? apiKey} v${version} request: ${err.message}` };
      throw err;
    }
    const log = this.shared.log;
    if (log.enabled('debug')) log.debug(`conn ${conn.id} ${clientId ?? '-'} ${spec!.name} v${version} corr ${correlationId}`);
    const ctx: BrokerContext = { ...this.shared, clientId, connectionId: conn.id, closeConnection: (reason: string) => conn.close(reason) };
    const finish = (response: unknown): FrameResult => (response === null ? null : this.encode(apiKey, version, correlationId, response));
    const out = handler.handle(ctx, request, version);
    return out instanceof Promise ? out.then(finish) : finish(out);
  };

  private encode(apiKey: number, version: number, correlationId: number, response: unknown): Buffer[] {
    const w = new Writer(256);
    w.int32(0); // size, patched below
    encodeResponseHeader(w, { correlationId }, responseHeaderVersion(apiKey, version));
    CODECS[apiKey]!.response.encode(w, response as never, version);
    const chunks = w.chunks();
    chunks[0]!.writeInt32BE(w.length - 4, 0);
    return chunks;
  }

  /** Kafka answers an ApiVersions it cannot parse with a v0 response: the error and the supported table. */
  private unsupportedApiVersions(correlationId: number): Buffer[] {
    const w = new Writer(512);
    w.int32(0);
    encodeResponseHeader(w, { correlationId }, 0);
    encodeApiVersionsResponse(w, { errorCode: UNSUPPORTED_VERSION, apiKeys: supportedApiVersions(), throttleTimeMs: 0 }, 0);
    const chunks = w.chunks();
    chunks[0]!.writeInt32BE(w.length - 4, 0);
    return chunks;
  }
}
