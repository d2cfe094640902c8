/**
 * The admin commands' connection to a broker over the Kafka protocol, on the
 * generated codecs: TCP or TLS (node:tls), then ApiVersions, then, on a SASL
 * listener, SaslHandshake v1 and SaslAuthenticate rounds (PLAIN or SCRAM).
 * Requests go one at a time; each is bounded by a timeout, and a response
 * larger than MAX_RESPONSE_BYTES closes the connection.
 *
 * kafkajs (used by `samsa topics`) has no SCRAM-credential or quota admin
 * APIs, and Samsa's broker-to-broker client speaks neither TLS nor SASL,
 * hence this small client.
 */
import { connect as tcpConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { Writer } from '../wire/protocol/writer.js';
import { Reader } from '../wire/protocol/reader.js';
import { ApiKey, requestHeaderVersion, responseHeaderVersion } from '../wire/generated/api-keys.js';
import { encodeRequestHeader } from '../wire/generated/request-header.js';
import { decodeResponseHeader } from '../wire/generated/response-header.js';
import { decodeApiVersionsResponse, encodeApiVersionsRequest } from '../wire/generated/api-versions.js';
import { decodeSaslHandshakeResponse, encodeSaslHandshakeRequest } from '../wire/generated/sasl-handshake.js';
import { decodeSaslAuthenticateResponse, encodeSaslAuthenticateRequest } from '../wire/generated/sasl-authenticate.js';
import { ErrorCode, errorName } from '../wire/errors.js';
import { saslClient } from './sasl-client.js';

const MAX_RESPONSE_BYTES = 64 << 20;

export interface TlsSettings {
  /** CA certificates (PEM) the broker's certificate must chain to; unset: node's default CAs. */
  ca?: Buffer;
  /** A client certificate chain and key (PEM), for brokers that ask for one. */
  cert?: Buffer;
  key?: Buffer;
  passphrase?: string;
  /** Check that the certificate names the host (Kafka's ssl.endpoint.identification.algorithm=https). */
  checkHostname: boolean;
}

export interface SaslSettings { mechanism: string; username: string; password: string }

export interface ConnectionSettings {
  /** host:port addresses, tried in order until one answers. */
  bootstrap: string[];
  tls?: TlsSettings;
  sasl?: SaslSettings;
  clientId?: string;
  timeoutMs?: number;
}

/** Something the broker or the network said: printed as it is, without a stack. */
export class AdminError extends Error {}

export function splitHostPort(address: string): { host: string; port: number } {
  const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(address.trim());
  if (!m || m[1] === '') throw new AdminError(`not a host:port address: ${JSON.stringify(address)}`);
  return { host: m[1]!, port: Number(m[2]) };
}

export class AdminConnection {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private nextCorrelationId = 1;
  private pending: { correlationId: number; apiKey: number; version: number; resolve(r: Reader): void; reject(e: Error): void } | undefined;
  private closedBecause: Error | undefined;
  private versions = new Map<number, { min: number; max: number }>();

  private constructor(private readonly socket: Socket, readonly address: string, private readonly clientId: string, private readonly timeoutMs: number) {
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('error', (e) => this.fail(new AdminError(`connection to ${address} failed: ${e.message}`)));
    socket.on('close', () => this.fail(new AdminError(`the broker at ${address} closed the connection`)));
  }

  /** Connects to the first bootstrap address that accepts, checks API versions and authenticates. */
  static async open(s: ConnectionSettings): Promise<AdminConnection> {
    const errors: string[] = [];
    for (const address of s.bootstrap) {
      let c: AdminConnection;
      try {
        c = new AdminConnection(await openSocket(address, s), address, s.clientId ?? 'samsa-cli', s.timeoutMs ?? 30_000);
      } catch (e) {
        errors.push((e as Error).message);
        continue;
      }
      try {
        await c.loadVersions();
        if (s.sasl) await c.authenticate(s.sasl);
        return c;
      } catch (e) {
        c.close();
        throw e;
      }
    }
    throw new AdminError(errors.join('; ') || 'no bootstrap address given');
  }

  /** The highest version of an API both sides speak, at most `ours`; throws AdminError when there is none. */
  version(apiKey: number, ours: number, apiName: string, oursMin = 0): number {
    const theirs = this.versions.get(apiKey);
    if (!theirs || theirs.max < oursMin || theirs.min > ours) throw new AdminError(`the broker at ${this.address} does not serve ${apiName} (versions ${oursMin}-${ours})`);
    return Math.min(ours, theirs.max);
  }

  request<T>(apiKey: number, version: number, encode: (w: Writer) => void, decode: (r: Reader) => T): Promise<T> {
    if (this.closedBecause) return Promise.reject(this.closedBecause);
    const correlationId = this.nextCorrelationId++;
    const w = new Writer();
    w.int32(0);
    encodeRequestHeader(w, { requestApiKey: apiKey, requestApiVersion: version, correlationId, clientId: this.clientId }, requestHeaderVersion(apiKey, version));
    encode(w);
    const frame = w.toBuffer();
    frame.writeInt32BE(frame.length - 4, 0);
    return new Promise<Reader>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail(new AdminError(`no answer from the broker at ${this.address} within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      const settle = <A>(f: (a: A) => void) => (a: A) => { clearTimeout(timer); this.pending = undefined; f(a); };
      this.pending = { correlationId, apiKey, version, resolve: settle(resolve), reject: settle(reject) };
      this.socket.write(frame);
    }).then(decode);
  }

  close(): void {
    this.closedBecause ??= new AdminError('connection closed');
    this.socket.destroy();
  }

  private async loadVersions(): Promise<void> {
    const r = await this.request(ApiKey.ApiVersions, 0, (w) => encodeApiVersionsRequest(w, {}, 0), (rd) => decodeApiVersionsResponse(rd, 0));
    if (r.errorCode !== ErrorCode.NONE) throw new AdminError(`ApiVersions failed at ${this.address}: ${errorName(r.errorCode)}`);
    for (const k of r.apiKeys) this.versions.set(k.apiKey, { min: k.minVersion, max: k.maxVersion });
  }

  private async authenticate(sasl: SaslSettings): Promise<void> {
    const client = saslClient(sasl.mechanism, sasl.username, sasl.password);
    const hs = await this.request(ApiKey.SaslHandshake, 1, (w) => encodeSaslHandshakeRequest(w, { mechanism: client.mechanism }, 1), (r) => decodeSaslHandshakeResponse(r, 1));
    if (hs.errorCode === ErrorCode.UNSUPPORTED_SASL_MECHANISM) {
      throw new AdminError(`the listener at ${this.address} does not serve SASL ${client.mechanism} (it serves ${hs.mechanisms.join(', ') || 'none'})`);
    }
    if (hs.errorCode !== ErrorCode.NONE) throw new AdminError(`SaslHandshake at ${this.address} failed: ${errorName(hs.errorCode)} (is it a SASL listener?)`);
    const v = this.version(ApiKey.SaslAuthenticate, 2, 'SaslAuthenticate');
    let token: Buffer | null = client.start();
    while (token) {
      const out: Buffer = token;
      const r = await this.request(ApiKey.SaslAuthenticate, v, (w) => encodeSaslAuthenticateRequest(w, { authBytes: out }, v), (rd) => decodeSaslAuthenticateResponse(rd, v));
      if (r.errorCode !== ErrorCode.NONE) {
        throw new AdminError(`authentication as ${sasl.username} (${client.mechanism}) failed: ${r.errorMessage ?? errorName(r.errorCode)}`);
      }
      try {
        token = client.step(r.authBytes);
      } catch (e) {
        throw new AdminError(`authentication as ${sasl.username} (${client.mechanism}) failed: ${(e as Error).message}`);
      }
    }
  }

  private onData(d: Buffer): void {
    this.chunks.push(d);
    this.buffered += d.length;
    while (this.buffered >= 4) {
      const head = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
      this.chunks = [head];
      const size = head.readInt32BE(0);
      if (size < 4 || size > MAX_RESPONSE_BYTES) {
        this.fail(new AdminError(`the broker at ${this.address} sent a ${size}-byte frame; is it a TLS listener reached without --tls (or the reverse)?`));
        return;
      }
      if (this.buffered < 4 + size) return;
      const frame = head.subarray(4, 4 + size);
      this.chunks = head.length > 4 + size ? [head.subarray(4 + size)] : [];
      this.buffered -= 4 + size;
      const p = this.pending;
      if (!p || frame.readInt32BE(0) !== p.correlationId) {
        this.fail(new AdminError(`the broker at ${this.address} answered a request that was not asked`));
        return;
      }
      const r = new Reader(frame);
      try {
        decodeResponseHeader(r, responseHeaderVersion(p.apiKey, p.version));
      } catch (e) {
        p.reject(new AdminError(`unreadable response from ${this.address}: ${(e as Error).message}`));
        continue;
      }
      p.resolve(r);
    }
  }

  private fail(e: Error): void {
    this.closedBecause ??= e;
    this.pending?.reject(e);
    this.socket.destroy();
  }
}

function openSocket(address: string, s: ConnectionSettings): Promise<Socket> {
  const { host, port } = splitHostPort(address);
  const timeoutMs = s.timeoutMs ?? 30_000;
  return new Promise<Socket>((resolve, reject) => {
    const t = s.tls;
    const socket: Socket = t
      ? tlsConnect({
        host, port, ca: t.ca, cert: t.cert, key: t.key, passphrase: t.passphrase,
        servername: isIP(host) ? undefined : host,
        ...(t.checkHostname ? {} : { checkServerIdentity: () => undefined }),
      })
      : tcpConnect({ host, port });
    const timer = setTimeout(() => { socket.destroy(); reject(new AdminError(`cannot connect to ${address}: no answer within ${timeoutMs} ms`)); }, timeoutMs);
    socket.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new AdminError(`cannot connect to ${address}: ${e.code && !t ? e.code : e.message}`));
    });
    socket.once(t ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      socket.setNoDelay(true);
      resolve(socket);
    });
  });
}
