/**
 * The chaos tests' fault-injecting TCP proxy (compat-tests/chaos/tcp-proxy.ts)
 * with real sockets on loopback: forwarding both ways, retargeting, a block
 * that stalls old and new connections of one source (without closing them)
 * while others flow, unblock destroying the stalled ones, closeAll.
 */
import t, { type Test } from 'tap';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { startProxy, type TcpProxy } from '../../compat-tests/chaos/tcp-proxy.js';

t.setTimeout(30_000);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An echo server that prefixes replies with its tag. */
async function echo(t: Test, tag: string): Promise<{ server: Server; port: number; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    s.on('data', (d) => s.write(`${tag}:${d.toString()}`));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => { for (const s of sockets) s.destroy(); server.close(); });
  return { server, port: (server.address() as { port: number }).port, sockets };
}

/** A client connected from `from` with what it has received and whether it closed. */
async function client(p: TcpProxy, from = '127.0.0.1'): Promise<{ s: Socket; got: () => string; closed: () => boolean; ask: (m: string, ms?: number) => Promise<string | undefined> }> {
  let buf = '';
  let closed = false;
  const s = connect({ host: p.host, port: p.port, localAddress: from });
  s.on('data', (d) => (buf += d.toString()));
  s.on('close', () => (closed = true));
  s.on('error', () => undefined);
  await new Promise<void>((r, j) => { s.once('connect', () => r()); s.once('error', j); });
  return {
    s,
    got: () => buf,
    closed: () => closed,
    ask: async (m, ms = 500) => {
      buf = '';
      s.write(m);
      const end = Date.now() + ms;
      while (Date.now() < end && !buf.includes(m)) await sleep(10);
      return buf.includes(m) ? buf : undefined;
    },
  };
}

t.test('forwards both ways and follows setTarget for new connections', async (t) => {
  const a = await echo(t, 'A');
  const b = await echo(t, 'B');
  const p = await startProxy({ host: '127.0.0.1', port: 0, target: () => ({ host: '127.0.0.1', port: a.port }) });
  t.teardown(() => p.close());
  t.ok(p.port > 0);
  const c1 = await client(p);
  t.equal(await c1.ask('hello'), 'A:hello');
  p.setTarget({ host: '127.0.0.1', port: b.port });
  t.equal(await c1.ask('still'), 'A:still', 'an open connection keeps its target');
  const c2 = await client(p);
  t.equal(await c2.ask('x'), 'B:x', 'a new connection goes to the new target');
  p.setTarget(undefined);
  const c3 = await client(p);
  await sleep(100);
  t.ok(c3.closed(), 'no target: the connection is closed');
  c1.s.destroy(); c2.s.destroy();
});

t.test('a block stalls one source, old and new connections, without closing them; unblock destroys them', async (t) => {
  const a = await echo(t, 'A');
  const p = await startProxy({ host: '127.0.0.1', target: { host: '127.0.0.1', port: a.port } });
  t.teardown(() => p.close());
  const blockedOld = await client(p, '127.0.0.12');
  const other = await client(p, '127.0.0.13');
  t.equal(await blockedOld.ask('1'), 'A:1');
  p.block(new Set(['127.0.0.12']));
  t.ok(p.blocked('127.0.0.12'));
  t.notOk(p.blocked('127.0.0.13'));
  t.equal(await blockedOld.ask('2', 300), undefined, 'nothing forwarded on the stalled connection');
  t.notOk(blockedOld.closed(), 'the stalled connection is not closed');
  t.equal(await other.ask('3'), 'A:3', 'another source still flows');
  const blockedNew = await client(p, '127.0.0.12');
  t.equal(await blockedNew.ask('4', 300), undefined, 'a new connection from the blocked source is accepted and stalled');
  t.notOk(blockedNew.closed());
  t.same(p.connections().filter((c) => c.stalled).map((c) => c.source).sort(), ['127.0.0.12', '127.0.0.12']);
  p.unblock();
  await sleep(100);
  t.ok(blockedOld.closed() && blockedNew.closed(), 'unblock destroys the stalled connections');
  t.notOk(other.closed(), 'the flowing connection stays');
  const again = await client(p, '127.0.0.12');
  t.equal(await again.ask('5'), 'A:5', 'new connections flow again after unblock');
  other.s.destroy(); again.s.destroy();
});

t.test("block('all') stalls everyone; closeAll resets everything", async (t) => {
  const a = await echo(t, 'A');
  const p = await startProxy({ target: () => ({ host: '127.0.0.1', port: a.port }) });
  t.teardown(() => p.close());
  const c1 = await client(p, '127.0.0.12');
  const c2 = await client(p, '127.0.0.13');
  p.block('all');
  t.equal(await c1.ask('a', 300), undefined);
  t.equal(await c2.ask('b', 300), undefined);
  t.ok(p.blocked('127.0.0.99'));
  const c3 = await client(p, '127.0.0.14');
  t.equal(await c3.ask('c', 300), undefined);
  t.notOk(c1.closed() || c2.closed() || c3.closed());
  p.closeAll();
  await sleep(100);
  t.ok(c1.closed() && c2.closed() && c3.closed(), 'closeAll resets stalled connections too');
  p.unblock();
  const c4 = await client(p);
  t.equal(await c4.ask('d'), 'A:d');
  const c5 = await client(p);
  p.closeAll();
  await sleep(100);
  t.ok(c4.closed() && c5.closed(), 'closeAll resets flowing connections');
  t.equal(p.connections().length, 0);
});

t.test('an upstream that closes closes the client (when not blocked)', async (t) => {
  const a = await echo(t, 'A');
  const p = await startProxy({ target: { host: '127.0.0.1', port: a.port } });
  t.teardown(() => p.close());
  const c = await client(p);
  t.equal(await c.ask('x'), 'A:x');
  for (const s of a.sockets) s.destroy();
  await sleep(100);
  t.ok(c.closed());
  // A dead target: the client's connection is closed.
  a.server.close();
  const d = await client(p);
  await sleep(200);
  t.ok(d.closed());
});
