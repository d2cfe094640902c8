/**
 * Connection: framing edge cases, response order under out-of-order
 * completion, no-response requests, size limits, backpressure and graceful
 * shutdown, over a real loopback socket with a stub frame handler.
 */
import t from 'tap';
import { createServer, connect, type Socket, type Server } from 'node:net';
import { Connection, type FrameResult } from '../../src/broker/connection.js';
import { Logger } from '../../src/broker/logger.js';

type FrameFn = (frame: Buffer, conn: Connection) => FrameResult | Promise<FrameResult>;

/** A server whose one connection uses `onFrame`; returns the client socket and the server-side Connection. */
async function pair(t: { teardown(fn: () => unknown): void }, onFrame: FrameFn, maxRequestBytes = 1024): Promise<{ client: Socket; conn: () => Connection; received: Buffer[] }> {
  let conn: Connection | undefined;
  const server: Server = createServer((s) => { conn = new Connection(1, s, maxRequestBytes, new Logger('silent'), onFrame); });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as { port: number }).port;
  const client = await new Promise<Socket>((resolve) => { const c = connect(port, '127.0.0.1', () => resolve(c)); });
  client.on('error', () => {});
  const received: Buffer[] = [];
  client.on('data', (d) => received.push(d));
  t.teardown(() => { client.destroy(); conn?.socket.destroy(); server.close(); });
  while (!conn) await new Promise((r) => setImmediate(r));
  return { client, conn: () => conn!, received };
}

const frame = (body: Buffer) => { const h = Buffer.alloc(4); h.writeInt32BE(body.length); return Buffer.concat([h, body]); };
const u32 = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32BE(n); return b; };
const closed = (s: Socket, ms = 2000) => new Promise<boolean>((resolve) => {
  if (s.destroyed || s.readableEnded) return resolve(true);
  const timer = setTimeout(() => resolve(false), ms);
  s.once('close', () => { clearTimeout(timer); resolve(true); });
});
const until = async (cond: () => boolean, ms = 2000) => {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
  return cond();
};
/** The bodies of the size-prefixed frames in `bufs`. */
function frames(bufs: Buffer[]): Buffer[] {
  let b = Buffer.concat(bufs);
  const out: Buffer[] = [];
  while (b.length >= 4 && b.length >= 4 + b.readInt32BE(0)) { out.push(b.subarray(4, 4 + b.readInt32BE(0))); b = b.subarray(4 + b.readInt32BE(0)); }
  return out;
}
/** Echoes each frame back as a response frame. */
const echo: FrameFn = (f) => [frame(Buffer.from(f))];

t.test('frames split byte by byte and many frames in one write are all answered', async (t) => {
  const { client, received } = await pair(t, echo);
  const bodies = ['a', 'bb', 'ccc'].map((s) => Buffer.from(s));
  for (const byte of frame(bodies[0]!)) { client.write(Buffer.from([byte])); await new Promise((r) => setImmediate(r)); }
  client.write(Buffer.concat([frame(bodies[1]!), frame(bodies[2]!)]));
  t.ok(await until(() => frames(received).length === 3), 'three responses');
  t.same(frames(received).map(String), ['a', 'bb', 'ccc'], 'in order, intact');
});

t.test('responses leave in request order even when a later request finishes first', async (t) => {
  const resolvers: ((r: FrameResult) => void)[] = [];
  const { client, received } = await pair(t, (f) => (f[0] === 0x73 ? new Promise<FrameResult>((r) => resolvers.push(r)) : [frame(Buffer.from(f))]));
  client.write(Buffer.concat([frame(Buffer.from('slow')), frame(Buffer.from('fast1')), frame(Buffer.from('fast2'))]));
  await until(() => resolvers.length === 1);
  await new Promise((r) => setTimeout(r, 50));
  t.equal(frames(received).length, 0, 'nothing leaves while the first request is pending');
  resolvers[0]!([frame(Buffer.from('slow'))]);
  t.ok(await until(() => frames(received).length === 3));
  t.same(frames(received).map(String), ['slow', 'fast1', 'fast2'], 'request order');
});

t.test('a request answered with null sends nothing but keeps its place', async (t) => {
  const { client, received } = await pair(t, (f) => (String(f) === 'quiet' ? null : [frame(Buffer.from(f))]));
  client.write(Buffer.concat(['one', 'quiet', 'two'].map((s) => frame(Buffer.from(s)))));
  t.ok(await until(() => frames(received).length === 2));
  await new Promise((r) => setTimeout(r, 30));
  t.same(frames(received).map(String), ['one', 'two']);
});

t.test('sizes: negative and above socket.request.max.bytes close before allocating; the limit itself is accepted', async (t) => {
  const atLimit = await pair(t, echo, 16);
  atLimit.client.write(frame(Buffer.alloc(16, 1)));
  t.ok(await until(() => frames(atLimit.received).length === 1), 'a frame of exactly the limit is served');

  const over = await pair(t, echo, 16);
  over.client.write(u32(17));
  t.ok(await closed(over.client), 'limit + 1 closes the connection');

  const negative = await pair(t, echo);
  negative.client.write(u32(0x80000000));
  t.ok(await closed(negative.client), 'a negative size closes the connection');

  const huge = await pair(t, echo, 104857600);
  huge.client.write(u32(0x7fffffff));
  t.ok(await closed(huge.client), 'a 2 GiB size closes the connection at once');
  t.equal(frames(huge.received).length, 0, 'nothing was answered');
});

t.test('a handler asking to close closes only after the earlier responses', async (t) => {
  const { client, received } = await pair(t, (f) => (String(f) === 'bad' ? { close: 'test' } : [frame(Buffer.from(f))]));
  client.write(Buffer.concat(['ok', 'bad', 'never'].map((s) => frame(Buffer.from(s)))));
  t.ok(await closed(client), 'closed');
  t.same(frames(received).map(String), ['ok'], 'the response before the bad request was sent, none after');
});

t.test('a handler that throws closes that connection', async (t) => {
  const { client } = await pair(t, () => { throw new Error('boom'); });
  client.write(frame(Buffer.from('x')));
  t.ok(await closed(client));
});

t.test('backpressure: reading stops while too many responses are owed and resumes when they drain', async (t) => {
  const pending: ((r: FrameResult) => void)[] = [];
  const { client, conn, received } = await pair(t, () => new Promise<FrameResult>((r) => pending.push(r)));
  client.write(Buffer.concat(Array.from({ length: 300 }, (_, i) => frame(Buffer.from(String(i))))));
  t.ok(await until(() => pending.length === 300), 'frames already received are dispatched');
  t.ok(conn().socket.isPaused(), 'the socket is paused with 300 responses owed');
  for (const r of pending.splice(0)) r([frame(Buffer.from('r'))]);
  t.ok(await until(() => !conn().socket.isPaused()), 'reading resumes once they are written');
  t.ok(await until(() => frames(received).length === 300), 'every response arrives');
});

t.test('shutdown answers what was already read, then ends the connection', async (t) => {
  let resolveSlow!: (r: FrameResult) => void;
  const { client, conn, received } = await pair(t, (f) => (String(f) === 'slow' ? new Promise<FrameResult>((r) => { resolveSlow = r; }) : [frame(Buffer.from(f))]));
  client.write(frame(Buffer.from('slow')));
  await until(() => resolveSlow !== undefined);
  conn().shutdown();
  client.write(frame(Buffer.from('late')));
  await new Promise((r) => setTimeout(r, 30));
  t.notOk(client.readableEnded, 'still open while a response is owed');
  resolveSlow([frame(Buffer.from('slow'))]);
  await new Promise<void>((resolve) => client.once('end', () => resolve()));
  t.same(frames(received).map(String), ['slow'], 'the owed response arrived; the request sent after shutdown was not read');
});
