/**
 * Connection: framing edge cases, response order under out-of-order
 * completion, no-response requests, size limits, backpressure, the memory a
 * connection may hold (its own budget, the broker-wide one, one Fetch at a
 * time, release on close), large frames assembled as they arrive and the
 * frame pool's buffers (leased, reused once given back), timeouts and graceful shutdown, over a real
 * loopback socket with a stub frame handler.
 */
import t from 'tap';
import { createServer, connect, type Socket, type Server } from 'node:net';
import { Connection, type ConnectionOptions, type FrameResult } from '../../src/broker/connection.js';
import { Logger } from '../../src/broker/logger.js';
import { MemoryBudget } from '../../src/broker/memory-budget.js';
import { FramePool, type FrameLease } from '../../src/broker/frame-pool.js';

type FrameFn = (frame: Buffer, conn: Connection, lease?: FrameLease) => FrameResult | Promise<FrameResult>;

/**
 * A server whose one connection uses `onFrame`; returns the client socket and the server-side Connection.
 * The stub's frames may be 1 byte: the broker's 10-byte minimum is a request header's, tested on its own.
 */
async function pair(t: { teardown(fn: () => unknown): void }, onFrame: FrameFn, maxRequestBytes = 1024, options: Partial<ConnectionOptions> = {}): Promise<{ client: Socket; conn: () => Connection; received: Buffer[] }> {
  let conn: Connection | undefined;
  const server: Server = createServer((s) => { conn = new Connection(1, s, { maxRequestBytes, minRequestBytes: 1, ...options }, new Logger('silent'), onFrame); });
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

t.test('50,000 pipelined frames answered at once are all served (no recursion per frame)', async (t) => {
  const { client, received } = await pair(t, echo);
  const n = 50_000;
  client.write(Buffer.concat(Array.from({ length: n }, () => frame(Buffer.from('x')))));
  const bytes = () => received.reduce((k, b) => k + b.length, 0);
  t.ok(await until(() => bytes() === n * 5, 10_000), 'every response arrives');
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

t.test('nothing behind a frame that closes the connection runs, even in the same write', async (t) => {
  const ran: string[] = [];
  // 'slow' is still in flight when 'bad' arrives, so the close waits its turn: what comes after must not run meanwhile.
  const { client, received } = await pair(t, (f) => {
    ran.push(String(f));
    if (String(f) === 'bad') return { close: 'malformed' };
    return String(f) === 'slow' ? new Promise<FrameResult>((r) => setTimeout(() => r([frame(Buffer.from(f))]), 50)) : [frame(Buffer.from(f))];
  });
  client.write(Buffer.concat(['slow', 'bad', 'create-topic', 'more'].map((s) => frame(Buffer.from(s)))));
  t.ok(await closed(client), 'closed');
  t.same(ran, ['slow', 'bad'], 'the requests after the malformed one were never run');
  t.same(frames(received).map(String), ['slow'], 'the request before it was answered');
});

t.test('a bad size behind a request still in flight: that request is answered first, then the connection closes', async (t) => {
  let answer!: (r: FrameResult) => void;
  const ran: string[] = [];
  const { client, received } = await pair(t, (f) => { ran.push(String(f)); return new Promise<FrameResult>((r) => { answer = r; }); }, 16);
  client.write(Buffer.concat([frame(Buffer.from('slow')), u32(0x7fffffff), frame(Buffer.from('after'))]));
  t.ok(await until(() => ran.length === 1), 'the first request runs');
  await new Promise((r) => setTimeout(r, 50));
  t.notOk(client.destroyed || client.readableEnded, 'not closed while the first request is in flight');
  answer([frame(Buffer.from('slow-answer'))]);
  t.ok(await closed(client), 'closed after answering');
  t.same(frames(received).map(String), ['slow-answer'], 'the request before the bad size was answered');
  t.same(ran, ['slow'], 'nothing after the bad size ran');
});

t.test('a handler that throws closes that connection', async (t) => {
  const { client } = await pair(t, () => { throw new Error('boom'); });
  client.write(frame(Buffer.from('x')));
  t.ok(await closed(client));
});

t.test('backpressure: no more than 256 requests are dispatched unanswered; the rest wait and are served as those drain', async (t) => {
  const pending: ((r: FrameResult) => void)[] = [];
  const { client, conn, received } = await pair(t, () => new Promise<FrameResult>((r) => pending.push(r)));
  client.write(Buffer.concat(Array.from({ length: 300 }, (_, i) => frame(Buffer.from(String(i))))));
  t.ok(await until(() => pending.length === 256), '256 dispatched');
  await new Promise((r) => setTimeout(r, 50));
  t.equal(pending.length, 256, 'the other 44 are not dispatched while 256 are owed');
  t.ok(conn().socket.isPaused(), 'and the socket is not read');
  for (const r of pending.splice(0)) r([frame(Buffer.from('r'))]);
  t.ok(await until(() => pending.length === 44), 'the rest are dispatched once those are answered');
  for (const r of pending.splice(0)) r([frame(Buffer.from('r'))]);
  t.ok(await until(() => frames(received).length === 300), 'every response arrives');
  t.ok(await until(() => !conn().socket.isPaused()), 'reading resumes');
});

t.test('sizes below the smallest request close that connection only, with nothing answered', async (t) => {
  for (const [size, what] of [[0, 'a zero size (four zero bytes)'], [9, 'a size below a request header']] as const) {
    const { client, received } = await pair(t, echo, 1024, { minRequestBytes: 10 });
    client.write(u32(size));
    t.ok(await closed(client), `${what} closes the connection`);
    t.equal(frames(received).length, 0, 'nothing was answered');
  }
  const ok = await pair(t, echo, 1024, { minRequestBytes: 10 });
  ok.client.write(frame(Buffer.from('ten bytes!')));
  t.ok(await until(() => frames(ok.received).length === 1), 'a 10-byte frame is served');
});

/** A handler answering every frame with a response of `size` bytes, counting the frames it was given. */
function bigResponses(size: number): { fn: FrameFn; count: () => number } {
  let n = 0;
  const body = Buffer.alloc(size - 4, 7);
  return { fn: () => { n++; return [frame(body)]; }, count: () => n };
}

t.test('memory: a client that never reads gets no more requests served than fit its budget; reading drains everything', async (t) => {
  const budget = new MemoryBudget(-1);
  const MiB = 1 << 20;
  const h = bigResponses(MiB);
  const { client, conn, received } = await pair(t, h.fn, 1024, { maxQueuedBytes: 4 * MiB, budget });
  client.pause(); // never read (for now): responses pile up in the kernel, then in the broker
  client.write(Buffer.concat(Array.from({ length: 200 }, () => frame(Buffer.from('fetch')))));
  await until(() => conn().socket.isPaused());
  await new Promise((r) => setTimeout(r, 100));
  // What the kernel took (a few MiB on loopback) is no longer held; the rest waits.
  t.ok(h.count() < 200, `${h.count()} of 200 requests dispatched`);
  t.ok(conn().heldBytes <= 4 * MiB + MiB, `held ${conn().heldBytes} bytes: at most the budget plus the response that crossed it`);
  t.equal(budget.used, conn().heldBytes, 'the broker-wide budget is charged the same bytes');
  client.resume();
  const bytes = () => received.reduce((n, b) => n + b.length, 0);
  t.ok(await until(() => bytes() === 200 * MiB, 10_000), 'once the client reads, every response arrives');
  t.equal(h.count(), 200);
  t.ok(await until(() => budget.used === 0), 'and nothing is held any more');
});

t.test('memory: one oneAtATime frame (Fetch) in flight per connection; frames after a waiting one wait too', async (t) => {
  const pending: ((r: FrameResult) => void)[] = [];
  const seen: string[] = [];
  const { client, received } = await pair(t, (f) => {
    seen.push(String(f));
    return String(f).startsWith('F') ? new Promise<FrameResult>((r) => pending.push(r)) : [frame(Buffer.from(f))];
  }, 1024, { oneAtATime: (key) => key === 0x4631 /* "F1" */ || key === 0x4632 });
  client.write(Buffer.concat(['F1', 'F2', 'x'].map((s) => frame(Buffer.from(s)))));
  await until(() => pending.length === 1);
  await new Promise((r) => setTimeout(r, 50));
  t.same(seen, ['F1'], 'the second Fetch, and what follows it, wait for the first');
  pending.shift()!([frame(Buffer.from('F1'))]);
  t.ok(await until(() => pending.length === 1 && seen.length === 3));
  t.same(seen, ['F1', 'F2', 'x'], 'then the second, and what is not a Fetch runs beside it');
  pending.shift()!([frame(Buffer.from('F2'))]);
  t.ok(await until(() => frames(received).length === 3));
  t.same(frames(received).map(String), ['F1', 'F2', 'x'], 'all served, in order');
});

t.test('memory: a full broker-wide budget stops a connection holding bytes, but one holding nothing is still served', async (t) => {
  const MiB = 1 << 20;
  const budget = new MemoryBudget(2 * MiB);
  const h = bigResponses(MiB);
  const hog = await pair(t, h.fn, 1024, { maxQueuedBytes: 64 * MiB, budget });
  hog.client.pause();
  hog.client.write(Buffer.concat(Array.from({ length: 200 }, () => frame(Buffer.from('fetch')))));
  await until(() => hog.conn().socket.isPaused());
  await new Promise((r) => setTimeout(r, 100));
  t.ok(budget.full, 'the hog filled the budget');
  t.ok(h.count() < 200, `${h.count()} of its 200 requests dispatched`);
  t.ok(budget.used <= 2 * MiB + MiB, `${budget.used} bytes held: the budget plus the response that crossed it`);

  const polite = await pair(t, echo, 1024, { budget });
  for (let i = 0; i < 5; i++) {
    polite.client.write(frame(Buffer.from(`q${i}`)));
    t.ok(await until(() => frames(polite.received).length === i + 1), `request ${i} of a client that reads is served`);
  }
  hog.client.destroy();
  t.ok(await until(() => budget.used === 0), 'the hog going away releases everything it held');
});

t.test('memory: closing releases everything at once; results arriving after close are dropped', async (t) => {
  const budget = new MemoryBudget(-1);
  const pending: ((r: FrameResult) => void)[] = [];
  const { client, conn } = await pair(t, () => new Promise<FrameResult>((r) => pending.push(r)), 1024, { budget });
  client.write(Buffer.concat(Array.from({ length: 10 }, () => frame(Buffer.alloc(100)))));
  client.write(u32(500)); // and half of an 11th
  client.write(Buffer.alloc(200));
  await until(() => pending.length === 10 && conn().heldBytes === 10 * 100 + 500);
  t.equal(budget.used, 1500, 'ten requests in flight and the one being read are held');
  client.destroy();
  await conn().done;
  t.equal(budget.used, 0, 'released when the client goes away');
  for (const r of pending) r([frame(Buffer.alloc(1000))]);
  await new Promise((r) => setImmediate(r));
  t.equal(budget.used, 0, 'late results change nothing');
});

t.test('timeouts: a frame that stops arriving, and an idle connection, are closed by checkTimeouts', async (t) => {
  const slow = await pair(t, echo, 1024, { requestReceiveTimeoutMs: 500, idleTimeoutMs: 60_000 });
  slow.client.write(Buffer.concat([u32(20), Buffer.from('only part')]));
  await new Promise((r) => setTimeout(r, 20));
  slow.conn().checkTimeouts(Date.now());
  t.notOk(slow.conn().isClosed, 'not closed before the timeout');
  slow.conn().checkTimeouts(Date.now() + 501);
  t.ok(await closed(slow.client), 'closed once the rest is overdue');

  const quiet = await pair(t, echo, 1024, { requestReceiveTimeoutMs: 500, idleTimeoutMs: 1000 });
  quiet.client.write(frame(Buffer.from('hello')));
  await until(() => frames(quiet.received).length === 1);
  quiet.conn().checkTimeouts(Date.now() + 900);
  t.notOk(quiet.conn().isClosed, 'not idle yet');
  quiet.conn().checkTimeouts(Date.now() + 1001);
  t.ok(await closed(quiet.client), 'closed after connections.max.idle.ms with nothing read or written');

  let answer!: (r: FrameResult) => void;
  const waiting = await pair(t, () => new Promise<FrameResult>((r) => { answer = r; }), 1024, { requestReceiveTimeoutMs: 500, idleTimeoutMs: 1000 });
  waiting.client.write(frame(Buffer.from('long poll')));
  await until(() => answer !== undefined);
  waiting.conn().checkTimeouts(Date.now() + 5000);
  t.notOk(waiting.conn().isClosed, 'a connection with a request in flight is not idle');
  answer([frame(Buffer.from('done'))]);
  t.ok(await until(() => frames(waiting.received).length === 1), 'and its response arrives');
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

/** A frame body of `n` bytes opening with API key `key`, the rest a pattern seeded by `seed`. */
function keyed(key: number, n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 2; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  b.writeInt16BE(key, 0);
  return b;
}

t.test('large frames split in odd pieces, pooled and not, arrive intact and in order', async (t) => {
  const pool = new FramePool(8 << 20);
  const got: { body: Buffer; leased: boolean }[] = [];
  const { client, received } = await pair(t, (f, _c, lease) => {
    got.push({ body: Buffer.from(f), leased: lease !== undefined });
    lease?.done();
    return [frame(Buffer.from('ok'))];
  }, 5 << 20, { pooled: (key) => key === 0, framePool: pool });
  // Pooled (key 0) and not (key 1), below and above the 16 KiB at which frames are assembled, and one past the largest pooled size.
  const bodies = [keyed(0, 100, 1), keyed(0, 70_000, 2), keyed(1, 70_000, 3), keyed(0, 16_384, 4), keyed(1, 300_000, 5), keyed(0, 1_000_000, 6), keyed(0, (4 << 20) + 1, 7)];
  const all = Buffer.concat(bodies.map(frame));
  for (let at = 0, step = 1; at < all.length; at += step, step = (step * 7 + 3) % 50_000 + 1) {
    client.write(all.subarray(at, Math.min(all.length, at + step)));
    if (step % 3 === 0) await new Promise((r) => setImmediate(r));
  }
  t.ok(await until(() => frames(received).length === bodies.length, 20_000), 'every frame answered');
  t.equal(got.length, bodies.length);
  got.forEach((g, i) => t.ok(g.body.equals(bodies[i]!), `frame ${i} (${bodies[i]!.length} bytes) intact`));
  t.same(got.map((g) => g.leased), [false, true, false, true, false, true, false], 'pooled-kind frames from 16 KiB to 4 MiB come with a lease');
});

t.test('a socket that holds bytes already reads with data events (as a TLS socket does): large frames still arrive intact', async (t) => {
  // The server side pauses and waits for the client's first bytes, then makes the Connection: reads into the shared buffer cannot start mid-stream.
  const pool = new FramePool(8 << 20);
  const got: Buffer[] = [];
  let conn: Connection | undefined;
  const server: Server = createServer((s) => {
    s.pause();
    const make = () => {
      if (s.readableLength === 0) return void setTimeout(make, 5);
      conn = new Connection(1, s, { maxRequestBytes: 2 << 20, minRequestBytes: 1, pooled: () => true, framePool: pool }, new Logger('silent'), (f, _c, lease) => {
        got.push(Buffer.from(f));
        lease?.done();
        return [frame(Buffer.from('ok'))];
      });
      s.resume();
    };
    make();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const client = await new Promise<Socket>((resolve) => { const c = connect((server.address() as { port: number }).port, '127.0.0.1', () => resolve(c)); });
  t.teardown(() => { client.destroy(); conn?.socket.destroy(); server.close(); });
  const received: Buffer[] = [];
  client.on('data', (d) => received.push(d));
  const bodies = [keyed(0, 50, 1), keyed(0, 200_000, 2), keyed(1, 1_500_000, 3), keyed(0, 20, 4)];
  const all = Buffer.concat(bodies.map(frame));
  client.write(all.subarray(0, 30));
  t.ok(await until(() => conn !== undefined), 'connection made after bytes arrived');
  for (let at = 30; at < all.length; at += 40_000) { client.write(all.subarray(at, at + 40_000)); await new Promise((r) => setImmediate(r)); }
  t.ok(await until(() => frames(received).length === bodies.length, 20_000), 'every frame answered');
  got.forEach((g, i) => t.ok(g.equals(bodies[i]!), `frame ${i} (${bodies[i]!.length} bytes) intact`));
});

t.test('a released frame buffer is reused by the next frame; one still leased is not', async (t) => {
  const pool = new FramePool(8 << 20);
  const seen: Buffer[] = [];
  let kept: (() => void) | undefined;
  const { client, received } = await pair(t, (f, _c, lease) => {
    seen.push(f);
    if (seen.length === 1) kept = lease!.take(); // the handler keeps the first frame past its answer
    else lease!.done();
    return [frame(Buffer.from('ok'))];
  }, 1 << 20, { pooled: () => true, framePool: pool });
  const send = async (seed: number, n: number) => {
    client.write(frame(keyed(0, 100_000, seed)));
    t.ok(await until(() => frames(received).length === n, 10_000), `frame ${n} answered`);
  };
  await send(1, 1);
  await send(2, 2);
  t.not(seen[1]!.buffer, seen[0]!.buffer, 'a kept frame\'s buffer is not handed out again');
  t.ok(seen[0]!.equals(keyed(0, 100_000, 1)), 'and its bytes are untouched by the next frame');
  await send(3, 3);
  t.equal(seen[2]!.buffer, seen[1]!.buffer, 'a buffer given back serves the next frame');
  kept!();
  kept!(); // a second release does nothing
  t.equal(pool.idleTotal, 2 * 128 * 1024, 'both buffers idle once given back, the double release not counted');
});

t.test('a pooled frame cut off by a close is dropped, its buffer not given back (the socket may be reading into it)', async (t) => {
  const pool = new FramePool(8 << 20);
  let calls = 0;
  const { client, conn } = await pair(t, () => { calls++; return [frame(Buffer.from('ok'))]; }, 1 << 20, { pooled: () => true, framePool: pool });
  const f = frame(keyed(0, 200_000, 9));
  client.write(f.subarray(0, 100_000));
  t.ok(await until(() => conn().heldBytes === 200_000), 'the frame is being read');
  client.destroy();
  t.ok(await until(() => conn().isClosed), 'closed');
  t.equal(calls, 0, 'never dispatched');
  t.equal(pool.idleTotal, 0, 'its buffer is not back in the pool');
});
