/** Raw TCP helpers for robustness tests: send arbitrary bytes, read framed responses. */
import { connect, type Socket } from 'node:net';

export function rawConnect(port: number, host = '127.0.0.1'): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, host, () => resolve(s));
    s.once('error', reject);
  });
}

/** Resolves true when the server closes the socket within `ms`, false otherwise. */
export function closedWithin(s: Socket, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (s.destroyed) return resolve(true);
    const timer = setTimeout(() => resolve(false), ms);
    s.once('close', () => { clearTimeout(timer); resolve(true); });
    s.on('data', () => {});
    s.on('error', () => {});
  });
}

/** Reads exactly one size-prefixed response frame (without the size). */
export function readFrame(s: Socket, ms = 5000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => reject(new Error('no response frame')), ms);
    const onData = (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        clearTimeout(timer);
        s.off('data', onData);
        resolve(buf.subarray(4, 4 + buf.readInt32BE(0)));
      }
    };
    s.on('data', onData);
    s.once('error', reject);
  });
}

/** A request frame: size, api key, version, correlation id, client id (int16 string), then `body`. */
export function requestFrame(apiKey: number, version: number, correlationId: number, body: Buffer = Buffer.alloc(0), clientId = 'raw'): Buffer {
  const head = Buffer.alloc(10 + Buffer.byteLength(clientId));
  head.writeInt16BE(apiKey, 0);
  head.writeInt16BE(version, 2);
  head.writeInt32BE(correlationId, 4);
  head.writeInt16BE(Buffer.byteLength(clientId), 8);
  head.write(clientId, 10);
  const size = Buffer.alloc(4);
  size.writeInt32BE(head.length + body.length);
  return Buffer.concat([size, head, body]);
}
