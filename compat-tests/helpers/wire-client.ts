import { connect, type Socket } from 'node:net';
import { Writer } from '../../src/wire/protocol/writer.js';
import { Reader } from '../../src/wire/protocol/reader.js';
import { encodeRequestHeader } from '../../src/wire/generated/request-header.js';
import { decodeResponseHeader } from '../../src/wire/generated/response-header.js';
import { requestHeaderVersion, responseHeaderVersion } from '../../src/wire/generated/api-keys.js';

/**
 * A bare Kafka client over one TCP connection, built on our generated codecs,
 * for compat tests that need exact control (pipelining, raw Fetch). Works
 * against any broker. Requests may be pipelined: send() writes at once and
 * the promise resolves when the response with that correlation id arrives;
 * responses must come back in request order, which `order` records.
 */
export class WireClient {
  private buf: Buffer = Buffer.alloc(0);
  private nextCorrelationId = 1;
  private readonly waiting = new Map<number, { apiKey: number; version: number; resolve: (r: Reader) => void; reject: (e: Error) => void }>();
  /** Correlation ids in the order responses arrived. */
  readonly order: number[] = [];
  closed = false;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (d) => this.onData(d));
    socket.on('close', () => {
      this.closed = true;
      for (const w of this.waiting.values()) w.reject(new Error('connection closed'));
      this.waiting.clear();
    });
    socket.on('error', () => {});
  }

  static connect(host: string, port: number): Promise<WireClient> {
    return new Promise((resolve, reject) => {
      const s = connect({ host, port }, () => resolve(new WireClient(s)));
      s.once('error', reject);
    });
  }

  /** Sends a request; `encode` writes the body. Resolves with a Reader positioned at the response body. */
  send(apiKey: number, version: number, encode: (w: Writer) => void): { correlationId: number; response: Promise<Reader> } {
    const correlationId = this.nextCorrelationId++;
    const w = new Writer();
    w.int32(0);
    encodeRequestHeader(w, { requestApiKey: apiKey, requestApiVersion: version, correlationId, clientId: 'samsa-compat' }, requestHeaderVersion(apiKey, version));
    encode(w);
    const frame = w.toBuffer();
    frame.writeInt32BE(frame.length - 4, 0);
    const response = new Promise<Reader>((resolve, reject) => this.waiting.set(correlationId, { apiKey, version, resolve, reject }));
    this.socket.write(frame);
    return { correlationId, response };
  }

  /** send() and decode the body with `decode`. */
  async request<T>(apiKey: number, version: number, encode: (w: Writer) => void, decode: (r: Reader) => T): Promise<T> {
    return decode(await this.send(apiKey, version, encode).response);
  }

  private onData(d: Buffer): void {
    this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
    while (this.buf.length >= 4) {
      const size = this.buf.readInt32BE(0);
      if (this.buf.length < 4 + size) return;
      const frame = this.buf.subarray(4, 4 + size);
      this.buf = this.buf.subarray(4 + size);
      const correlationId = frame.readInt32BE(0);
      this.order.push(correlationId);
      const w = this.waiting.get(correlationId);
      if (w === undefined) continue;
      this.waiting.delete(correlationId);
      const r = new Reader(frame);
      decodeResponseHeader(r, responseHeaderVersion(w.apiKey, w.version));
      w.resolve(r);
    }
  }

  close(): void { this.socket.destroy(); }
}
