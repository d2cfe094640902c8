/**
 * The shared work of every request, done once: read the api key and version,
 * decode the request header at its version, find the handler, decode the body,
 * call the handler, encode the response with its header and size.
 *
 * - Unknown API key or a version the registry does not serve: ApiVersions is
 *   answered with a v0 body carrying UNSUPPORTED_VERSION and the supported
 *   table (so the client can retry at a version we serve); any other API
 *   closes the connection with a log line, as Kafka does.
 * - A DecodeError closes that connection only, with a log line.
 * - A handler that throws (or rejects), or returns a response its version
 *   cannot encode (a null where the version has none), is a bug: the stack is
 *   logged at error level; the client gets the handler's errorResponse() with
 *   UNKNOWN_SERVER_ERROR when it has one, else the connection is closed.
 * - Requests are logged at debug level once answered: API, version, client
 *   id and address, connection, correlation id, duration, request and
 *   response sizes (never bodies, so nothing sensitive leaks). With debug
 *   off this costs one level check per request.
 * - A frame read into a pooled buffer comes with its lease (frame-pool.ts):
 *   the handler gets it and may take it (Produce, whose log writes use the
 *   frame's bytes after the answer); otherwise the buffer goes back to the
 *   pool once the request is answered.
 */
import { Reader } from '../wire/protocol/reader.js';
import { Writer } from '../wire/protocol/writer.js';
import { DecodeError } from '../wire/protocol/decode-error.js';
import { API_SPECS, ApiKey, requestHeaderVersion, responseHeaderVersion } from '../wire/generated/api-keys.js';
import { loadCodecs, type LoadedCodecs } from '../wire/generated/lazy-codecs.js';
import { decodeRequestHeader } from '../wire/generated/request-header.js';
import { encodeResponseHeader } from '../wire/generated/response-header.js';
import { encodeApiVersionsResponse } from '../wire/generated/api-versions.js';
import { ErrorCode } from '../wire/errors.js';
import type { Connection, FrameResult, ResponseChunks } from './connection.js';
import type { FrameLease, FramePool } from './frame-pool.js';
import { ResponseBuffers } from './response-buffers.js';
import type { Handler } from './handler.js';
import type { BrokerContext, SharedContext } from './broker-context.js';
import { supportedApiVersions } from './handlers/index.js';
import { ClientSession } from './client-session.js';
import type { Listener } from '../config/listeners.js';
import { saslStep } from './sasl-exchange.js';

/** Bytes of records in a Fetch response (what a consumer's fetch quota counts). */
function fetchedBytes(response: unknown): number {
  let n = 0;
  for (const t of (response as { responses?: { partitions: { records?: { length: number } | null }[] }[] }).responses ?? []) {
    for (const p of t.partitions) n += p.records?.length ?? 0;
  }
  return n;
}

/** What a client may ask before its SASL exchange succeeds (and, with an expired session, to re-authenticate). */
const PRE_AUTHENTICATION = new Set<number>([ApiKey.ApiVersions, ApiKey.SaslHandshake, ApiKey.SaslAuthenticate]);

export class Dispatcher {
  private readonly byKey: (Handler | undefined)[] = [];

  /** `readPool`: buffers for the file reads of handlers with pooledReads (Fetch), back once their response is written. */
  constructor(private readonly shared: SharedContext, handlers: readonly Handler[], private readonly readPool?: FramePool) {
    for (const h of handlers) {
      if (this.byKey[h.apiKey]) throw new Error(`API key ${h.apiKey} registered twice`);
      this.byKey[h.apiKey] = h;
    }
  }

  /**
   * An API's codec module is imported by its first request, and only then:
   * importing every API's once listening held ~3 MB more of an idle broker's
   * memory, for APIs most clients never call (ACLs, quotas, SCRAM, transactions).
   */
  private readonly codecs: (LoadedCodecs | undefined)[] = [];
  /**
   * The import under way for an API, one per key: requests that arrive while
   * it loads (a client pipelining its first Produces) wait on the same
   * promise, whose reactions run in the order they were attached, so they
   * are handled, and their records appended, in the order they arrived.
   * Separate imports of one module may settle in any order.
   */
  private readonly loading: (Promise<void> | undefined)[] = [];

  handleFrame = (frame: Buffer, conn: Connection, lease?: FrameLease): FrameResult | Promise<FrameResult> => {
    const r = this.dispatch(frame, conn, lease);
    if (lease === undefined) return r;
    if (!(r instanceof Promise)) { lease.done(); return r; }
    return r.finally(() => lease.done());
  };

  private dispatch(frame: Buffer, conn: Connection, lease?: FrameLease): FrameResult | Promise<FrameResult> {
    if (conn.session?.rawTokens) return this.rawSaslToken(frame, conn, conn.session);
    const key = frame.length >= 2 ? frame.readInt16BE(0) : -1;
    if (this.byKey[key] && !this.codecs[key]) {
      this.loading[key] ??= loadCodecs(key).then((c) => { this.codecs[key] = c; }, (err: unknown) => { this.loading[key] = undefined; throw err; });
      return this.loading[key].then(() => this.handleLoaded(frame, conn, lease));
    }
    return this.handleLoaded(frame, conn, lease);
  }

  private handleLoaded(frame: Buffer, conn: Connection, lease?: FrameLease): FrameResult | Promise<FrameResult> {
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
    const name = spec?.name ?? `API ${apiKey}`;
    const session = conn.session;
    if (session && !PRE_AUTHENTICATION.has(apiKey)) {
      if (!session.authenticated) return { close: `unexpected ${name} request before SASL authentication (correlation id ${correlationId})` };
      if (session.expired(Date.now())) return { close: `the SASL session of ${session.principal} expired (connections.max.reauth.ms or its credential's lifetime) and the client did not re-authenticate` };
    }
    const received = performance.now(); // the request's latency (stats) counts its decoding too
    let request: unknown;
    let clientId: string | null;
    try {
      const r = new Reader(frame);
      const header = decodeRequestHeader(r, requestHeaderVersion(apiKey, version));
      clientId = header.clientId ?? null;
      conn.clientId = clientId; // named in the connection's log lines, a close for a malformed body among them
      request = this.codecs[apiKey]!.request.decode(r, version);
    } catch (err) {
      if (err instanceof DecodeError) return { close: `malformed ${name} v${version} request: ${err.message}` };
      throw err;
    }
    const log = this.shared.log;
    const debugSince = log.enabled('debug') ? performance.now() : -1;
    const ctx = this.contextFor(conn, clientId);

    // A fault (a throw, a rejection, a response the encoder refuses) is a handler bug: the
    // client gets the handler's error response when it has one, else the connection closes.
    const reads = handler.pooledReads && this.readPool ? new ResponseBuffers(this.readPool) : undefined;
    const errorAnswer = (): FrameResult => {
      if (!handler.errorResponse) return { close: `internal error in the ${name} handler` };
      try {
        return this.encode(apiKey, version, correlationId, handler.errorResponse(request, version, ErrorCode.UNKNOWN_SERVER_ERROR, 'The server experienced an unexpected error when processing the request.'));
      } catch (err) {
        log.error(`cannot encode the ${name} v${version} error response: ${(err as Error)?.stack ?? err}`);
        return { close: `internal error in the ${name} handler` };
      }
    };
    const finish = (response: unknown): FrameResult => {
      this.shared.stats?.request(apiKey, version, performance.now() - received);
      if (response === null) return null;
      try {
        const chunks: ResponseChunks = this.encode(apiKey, version, correlationId, response);
        // The records may be views of pooled read buffers: they go back once the socket has taken these bytes.
        if (reads?.pooled) chunks.afterWrite = reads.release;
        const closeAfter = session?.closeAfter;
        if (closeAfter === undefined) return chunks;
        session!.closeAfter = undefined;
        return { close: closeAfter, last: chunks };
      } catch (err) {
        log.error(`cannot encode ${name} v${version} response (conn ${conn.id}, correlation ${correlationId}): ${(err as Error)?.stack ?? err}`);
        return errorAnswer();
      }
    };
    const fault = (err: unknown): FrameResult => {
      this.shared.stats?.request(apiKey, version, performance.now() - received);
      log.error(`${name} v${version} handler failed (conn ${conn.id}, correlation ${correlationId}): ${(err as Error)?.stack ?? err}`);
      return errorAnswer();
    };
    // Client quotas (none configured: nothing recorded, nothing throttled).
    const quotas = this.shared.security?.quotas;
    const started = quotas && !quotas.empty ? performance.now() : -1;
    const metered = started < 0 ? finish : (response: unknown) => {
      const throttleMs = this.throttle(conn, ctx, apiKey, frame.length, request, response, started);
      if (throttleMs > 0 && response !== null && typeof response === 'object' && 'throttleTimeMs' in response) {
        const r = response as { throttleTimeMs: number };
        r.throttleTimeMs = Math.max(r.throttleTimeMs, throttleMs);
      }
      return finish(response);
    };
    let out: unknown;
    try {
      out = handler.handle(ctx, request, version, lease, reads);
    } catch (err) {
      return fault(err);
    }
    const result = out instanceof Promise ? out.then(metered, fault) : metered(out);
    return debugSince < 0 ? result : this.logRequest(result, conn, { api: name, version, clientId, correlationId, requestBytes: frame.length + 4 }, debugSince);
  }

  /** The debug line of a request, written when its answer is ready. */
  private logRequest(result: FrameResult | Promise<FrameResult>, conn: Connection, req: { api: string; version: number; clientId: string | null; correlationId: number; requestBytes: number }, since: number): FrameResult | Promise<FrameResult> {
    const done = (r: FrameResult): FrameResult => {
      this.shared.log.debug('request', {
        api: req.api, version: req.version, clientId: req.clientId, address: conn.socket ? conn.remote : undefined, conn: conn.id, correlationId: req.correlationId,
        durationMs: Math.round((performance.now() - since) * 1000) / 1000,
        requestBytes: req.requestBytes,
        // No response (acks=0) is 0 bytes; a request that closes the connection has none either, and says so.
        responseBytes: Array.isArray(r) ? r.reduce((n, c) => n + c.length, 0) : 0,
        closesConnection: r !== null && !Array.isArray(r) ? true : undefined,
      });
      return r;
    };
    return result instanceof Promise ? result.then(done) : done(result);
  }

  /**
   * Records a request against the client's quotas and mutes the connection
   * for the throttle time, as Kafka does (KIP-219: the response goes out at
   * once with throttle_time_ms, and nothing more is read from the client
   * until the time is up). Produce counts the request's bytes, a consumer's
   * Fetch the response's records, every request its handling time against
   * request_percentage. The user is the principal's name (ANONYMOUS when
   * unauthenticated). Unlike Kafka, a throttled Fetch still carries its
   * records: the client simply waits before the next one.
   */
  private throttle(conn: Connection, ctx: BrokerContext, apiKey: number, requestBytes: number, request: unknown, response: unknown, started: number): number {
    const quotas = this.shared.security.quotas;
    const user = ctx.session.principal.slice(ctx.session.principal.indexOf(':') + 1);
    const clientId = ctx.clientId ?? '';
    const now = Date.now();
    let ms = quotas.record(user, clientId, 'request', performance.now() - started, now);
    if (apiKey === ApiKey.Produce) ms = Math.max(ms, quotas.record(user, clientId, 'produce', requestBytes, now));
    else if (apiKey === ApiKey.Fetch && (request as { replicaId?: number }).replicaId! < 0 && response) {
      ms = Math.max(ms, quotas.record(user, clientId, 'fetch', fetchedBytes(response), now));
    }
    if (ms > 0) conn.throttle(ms);
    return ms;
  }

  /** One context per connection (and client id), not a copy of the shared context per request. */
  private readonly contexts = new WeakMap<Connection, BrokerContext>();

  private contextFor(conn: Connection, clientId: string | null): BrokerContext {
    let ctx = this.contexts.get(conn);
    if (ctx === undefined || ctx.clientId !== clientId) {
      const session = conn.session ?? new ClientSession(this.defaultListener(), conn.socket?.remoteAddress ?? '');
      conn.session ??= session;
      const l = session.listener;
      // The shared context is the prototype, not spread into a copy: V8 gave every spread copy a map
      // of its own, so each new connection deoptimized the request path optimized for the previous
      // connection's context (a new producer's first second ran slow, the tail of produce latency),
      // and after a few connections its loads from the context went megamorphic. Objects made by
      // Object.create of one prototype, given the same fields in the same order, share one map.
      const own = Object.create(this.shared) as BrokerContext;
      own.clientId = clientId;
      own.connectionId = conn.id;
      own.clientHost = `/${conn.socket?.remoteAddress ?? ''}`;
      own.advertised = { host: l.advertisedHost, port: l.advertisedPort };
      own.session = session;
      own.closeConnection = (reason: string) => conn.close(reason);
      own.closeAfterResponse = (reason: string) => { session.closeAfter = reason; };
      ctx = own;
      this.contexts.set(conn, ctx);
    }
    return ctx;
  }

  /** Connections made without a session (tests that drive the dispatcher directly) act as plaintext clients. */
  private defaultListener(): Listener {
    const advertised = this.shared.advertised ?? { host: '', port: 0 };
    return { name: 'PLAINTEXT', protocol: 'PLAINTEXT', host: advertised.host, port: advertised.port, advertisedHost: advertised.host, advertisedPort: advertised.port };
  }

  /**
   * A SASL token sent bare after SaslHandshake v0: the mechanism's answer goes
   * back as a bare size-prefixed frame; a failure closes the connection with
   * nothing sent, as Kafka answers v0 clients.
   */
  private async rawSaslToken(frame: Buffer, conn: Connection, session: ClientSession): Promise<FrameResult> {
    const mechanism = session.sasl?.mechanism ?? session.mechanism;
    const step = await saslStep(session, frame, this.shared.security.reauthMs(session.listener), Date.now);
    if (!step.ok) return { close: `${mechanism} authentication failed (SaslHandshake v0): ${step.detail}` };
    if (step.complete) {
      session.rawTokens = false;
      session.authenticateVersion = 0;
      this.shared.log.debug(`conn ${conn.id}: authenticated as ${session.principal} with ${mechanism}`);
    }
    const out = Buffer.allocUnsafe(4 + step.challenge.length);
    out.writeInt32BE(step.challenge.length, 0);
    step.challenge.copy(out, 4);
    return [out];
  }

  private encode(apiKey: number, version: number, correlationId: number, response: unknown): Buffer[] {
    const w = new Writer(256);
    w.int32(0); // size, patched below
    encodeResponseHeader(w, { correlationId }, responseHeaderVersion(apiKey, version));
    this.codecs[apiKey]!.response.encode(w, response as never, version);
    const chunks = w.chunks();
    chunks[0]!.writeInt32BE(w.length - 4, 0);
    return chunks;
  }

  /**
   * An ApiVersions request at a version we do not serve (its body unread): a v0
   * response with UNSUPPORTED_VERSION. Kafka lists only its ApiVersions range
   * here; we list the whole supported table, a superset clients accept.
   */
  private unsupportedApiVersions(correlationId: number): Buffer[] {
    const w = new Writer(512);
    w.int32(0);
    encodeResponseHeader(w, { correlationId }, 0);
    encodeApiVersionsResponse(w, { errorCode: ErrorCode.UNSUPPORTED_VERSION, apiKeys: supportedApiVersions(), throttleTimeMs: 0 }, 0);
    const chunks = w.chunks();
    chunks[0]!.writeInt32BE(w.length - 4, 0);
    return chunks;
  }
}
