/**
 * A broker's own connection to another broker (follower fetches, transaction
 * markers): one TCP connection, requests pipelined and matched to responses
 * by correlation id, every request bounded by a timeout. A failed or closed
 * connection fails what is in flight; the next request connects again.
 */
import { connect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { saslClient } from '../security/sasl/client.js';
import { encodeSaslHandshakeRequest, decodeSaslHandshakeResponse } from '../wire/generated/sasl-handshake.js';
import { encodeSaslAuthenticateRequest, decodeSaslAuthenticateResponse } from '../wire/generated/sasl-authenticate.js';
import { ApiKey } from '../wire/generated/api-keys.js';
import { ErrorCode, errorName } from '../wire/errors.js';
import { Writer } from '../wire/protocol/writer.js';
import { Reader } from '../wire/protocol/reader.js';
import { encodeRequestHeader } from '../wire/generated/request-header.js';
import { decodeResponseHeader } from '../wire/generated/response-header.js';
import { requestHeaderVersion, responseHeaderVersion } from '../wire/generated/api-keys.js';

interface Waiting { apiKey: number; version: number; resolve(r: Reader): void; reject(e: Error): void; timer: NodeJS.Timeout }

/** How a broker reaches the others' inter-broker listener: TLS options and SASL credentials when it needs them. */
export interface InterBrokerSecurity {
  tls?: ConnectionOptions;
  sasl?: { mechanism: string; username: string; password: string };
}

/** The other end refused this client's SASL login (as opposed to a connection that failed). */
export class SaslLoginError extends Error {}

/** Responses larger than this close the connection (a follower asks for replica.fetch.response.max.bytes and gets a batch more at most). */
const MAX_RESPONSE_BYTES = 1 << 30;

export class BrokerClient {
  private socket?: Socket;
  private connecting?: Promise<Socket>;
  private chunks: Buffer[] = [];
  private buffered = 0;
  private nextCorrelationId = 1;
  private readonly waiting = new Map<number, Waiting>();
  private closed = false;

  /** localAddress: the address connections come from (a broker's own listen address, so the other end can tell brokers apart). */
  constructor(
    private readonly endpoint: () => { host: string; port: number } | undefined,
    private readonly clientId: string,
    private readonly timeoutMs: number,
    private readonly localAddress?: string,
    private readonly security: InterBrokerSecurity = {},
  ) {}

  async request<T>(apiKey: number, version: number, encode: (w: Writer) => void, decode: (r: Reader) => T, timeoutMs = this.timeoutMs): Promise<T> {
    return this.send(await this.connect(), apiKey, version, encode, decode, timeoutMs);
  }

  private async send<T>(socket: Socket, apiKey: number, version: number, encode: (w: Writer) => void, decode: (r: Reader) => T, timeoutMs = this.timeoutMs): Promise<T> {
    const correlationId = this.nextCorrelationId++;
    const w = new Writer();
    w.int32(0);
    encodeRequestHeader(w, { requestApiKey: apiKey, requestApiVersion: version, correlationId, clientId: this.clientId }, requestHeaderVersion(apiKey, version));
    encode(w);
    const frame = w.toBuffer();
    frame.writeInt32BE(frame.length - 4, 0);
    const body = await new Promise<Reader>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(correlationId);
        reject(new Error(`request timed out after ${timeoutMs} ms`));
        // A response that never came leaves the stream in doubt: start over.
        this.reset(new Error('a request timed out'));
      }, timeoutMs);
      this.waiting.set(correlationId, { apiKey, version, resolve, reject, timer });
      socket.write(frame);
    });
    return decode(body);
  }

  close(): void {
    this.closed = true;
    this.reset(new Error('client closed'));
  }

  private connect(): Promise<Socket> {
    if (this.closed) return Promise.reject(new Error('client closed'));
    if (this.socket) return Promise.resolve(this.socket);
    if (this.connecting) return this.connecting;
    const at = this.endpoint();
    if (!at) return Promise.reject(new Error('no endpoint known'));
    this.connecting = new Promise<Socket>((resolve, reject) => {
      const local = this.localAddress ? { localAddress: this.localAddress } : {};
      const tls = this.security.tls;
      const s = tls ? tlsConnect({ ...tls, host: at.host, port: at.port, servername: tls.servername ?? (isIP(at.host) ? undefined : at.host), ...local }) : connect({ host: at.host, port: at.port, ...local });
      s.setNoDelay(true);
      const timer = setTimeout(() => fail(new Error(`no connection within ${this.timeoutMs} ms`)), this.timeoutMs);
      const fail = (e: Error) => { clearTimeout(timer); this.connecting = undefined; s.destroy(); reject(e); };
      s.once('error', fail);
      s.once(tls ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        s.off('error', fail);
        s.on('data', (d) => this.onData(d));
        s.on('error', (e) => this.reset(e));
        s.on('close', () => this.reset(new Error('connection closed')));
        this.socket = s;
        this.authenticate(s).then(() => { this.connecting = undefined; resolve(s); }, (e: Error) => { this.reset(e); fail(e); });
      });
    });
    return this.connecting;
  }

  /** SaslHandshake v1 and SaslAuthenticate until the mechanism is done, before any other request goes out on the socket. */
  private async authenticate(s: Socket): Promise<void> {
    const creds = this.security.sasl;
    if (!creds) return;
    const client = saslClient(creds.mechanism, creds.username, creds.password);
    const hs = await this.send(s, ApiKey.SaslHandshake, 1, (w) => encodeSaslHandshakeRequest(w, { mechanism: client.mechanism }, 1), (r) => decodeSaslHandshakeResponse(r, 1));
    const at = this.endpoint();
    const where = at ? `${at.host}:${at.port}` : 'the broker';
    if (hs.errorCode === ErrorCode.UNSUPPORTED_SASL_MECHANISM) throw new SaslLoginError(`the listener at ${where} does not serve SASL ${client.mechanism} (it serves ${hs.mechanisms.join(', ') || 'none'})`);
    if (hs.errorCode !== ErrorCode.NONE) throw new SaslLoginError(`SaslHandshake at ${where} failed: ${errorName(hs.errorCode)} (is it a SASL listener?)`);
    let token: Buffer | null = client.start();
    while (token !== null) {
      const auth = await this.send(s, ApiKey.SaslAuthenticate, 2, (w) => encodeSaslAuthenticateRequest(w, { authBytes: token! }, 2), (r) => decodeSaslAuthenticateResponse(r, 2));
      const failed = (why: string) => new SaslLoginError(`authentication as ${creds.username} (${client.mechanism}) failed at ${where}: ${why}`);
      if (auth.errorCode !== ErrorCode.NONE) throw failed(auth.errorMessage ?? errorName(auth.errorCode));
      try {
        token = client.step(auth.authBytes);
      } catch (e) {
        throw failed((e as Error).message);
      }
    }
  }

  private reset(err: Error): void {
    const s = this.socket;
    this.socket = undefined;
    this.chunks = [];
    this.buffered = 0;
    s?.destroy();
    for (const w of this.waiting.values()) { clearTimeout(w.timer); w.reject(err); }
    this.waiting.clear();
  }

  private onData(d: Buffer): void {
    this.chunks.push(d);
    this.buffered += d.length;
    while (this.buffered >= 4) {
      if (this.chunks[0]!.length < 4) this.chunks = [Buffer.concat(this.chunks)];
      const size = this.chunks[0]!.readInt32BE(0);
      if (size < 4 || size > MAX_RESPONSE_BYTES) { this.reset(new Error(`bad response size ${size}${this.security.tls ? '' : ' (a TLS listener reached without TLS?)'}`)); return; }
      // Wait for the whole frame before joining the pieces: joining at every read would copy a large response many times.
      if (this.buffered < 4 + size) return;
      const head = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
      const frame = head.subarray(4, 4 + size);
      const rest = head.subarray(4 + size);
      this.chunks = rest.length ? [rest] : [];
      this.buffered = rest.length;
      const correlationId = frame.readInt32BE(0);
      const w = this.waiting.get(correlationId);
      if (w === undefined) continue;
      this.waiting.delete(correlationId);
      clearTimeout(w.timer);
      const r = new Reader(frame);
      try {
        decodeResponseHeader(r, responseHeaderVersion(w.apiKey, w.version));
        w.resolve(r);
      } catch (e) {
        w.reject(e as Error);
      }
    }
  }
}
