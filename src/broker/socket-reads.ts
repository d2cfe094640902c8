/**
 * Reads of a plain TCP socket into buffers the reader chooses, instead of a
 * new buffer per read.
 *
 * Why: a socket read normally lands in a fresh ArrayBuffer, and on a produce
 * workload that is the request bytes over again in short-lived external
 * memory: 100 MB of it per million 100 B records. V8 counts external memory
 * allocated since its last full collection against the old generation's
 * limit, so those reads alone set off a full mark-compact every 15-20 MB,
 * which cost the broker more CPU than validating the records. Read into a
 * buffer that stays, nothing is allocated per read.
 *
 * How: Node reads a socket into a caller's buffer when the socket was made
 * with the `onread` option (net.Socket), which a server's accepted sockets
 * cannot be given. The same machinery is switched on here for an accepted
 * socket, before its first read, by setting the three fields `onread` sets
 * (the symbols described kBuffer, kBufferCb, kBufferGen, own properties of
 * every net.Socket) and telling the handle to use the buffer
 * (useUserBuffer), as Node's own initSocketHandle does. These are Node's
 * internals (the same from Node 12 to 22): each is checked first, and when
 * any is not as expected (a TLS socket, another Node, bytes already read) the
 * socket is left as it is and the caller falls back to 'data' events.
 *
 * The reader's contract: `onRead(buffer, n)` gets the buffer it chose last,
 * holding n new bytes from its start; `next()` then names the buffer the next
 * read goes into, which may be the same one. Node keeps a reference to that
 * buffer (so it cannot be collected under the read), and the reader must not
 * hand it to anyone else until a later `next()` has named another.
 * pause() and resume() work as on any socket.
 */
import type { Socket } from 'node:net';

interface NativeHandle { useUserBuffer?(buf: Uint8Array): void }

function ownSymbol(o: object, description: string): symbol | undefined {
  return Object.getOwnPropertySymbols(o).find((s) => s.description === description);
}

/**
 * Switches `socket` to reads into the buffers `next()` names, the first
 * named now; false (and the socket untouched) when it cannot be.
 */
export function readIntoBuffers(socket: Socket, next: () => Buffer, onRead: (buffer: Buffer, n: number) => void): boolean {
  const s = socket as unknown as Record<symbol, unknown> & { _handle?: NativeHandle | null; encrypted?: boolean };
  const handle = s._handle;
  if (s.encrypted || !handle || typeof handle.useUserBuffer !== 'function' || socket.readableLength > 0) return false;
  const kBuffer = ownSymbol(socket, 'kBuffer');
  const kBufferCb = ownSymbol(socket, 'kBufferCb');
  const kBufferGen = ownSymbol(socket, 'kBufferGen');
  if (!kBuffer || !kBufferCb || !kBufferGen || s[kBuffer] !== null || s[kBufferCb] !== null || s[kBufferGen] !== null) return false;
  let current = next();
  s[kBuffer] = current;
  // Node calls this with the bytes read into the buffer it was given last...
  s[kBufferCb] = (n: number) => { onRead(current, n); };
  // ...then asks for the buffer of the next read (and keeps it referenced as kBuffer).
  s[kBufferGen] = () => (current = next());
  handle.useUserBuffer(current);
  return true;
}
