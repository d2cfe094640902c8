/**
 * A fault-injecting TCP proxy for the chaos tests: it listens on one loopback
 * address and forwards each accepted connection to the current target (both
 * ways, with backpressure). Faults, per source address (the connection's
 * remote address, e.g. '127.0.0.12', which tells one broker from another as
 * each broker connects from its own loopback address):
 *  - block(sources | 'all'): a partition, not a reset. Connections from a
 *    blocked source, old and new, are stalled: nothing is forwarded either
 *    way and nothing is closed (new ones are accepted, then never connected
 *    upstream), so the peer sees silence until its own timeouts fire.
 *  - unblock(): stalled connections are destroyed (nothing old resumes; the
 *    clients reconnect) and new connections flow again.
 *  - closeAll(): resets every connection (a broker restart as clients see it).
 *  - setTarget(): where new connections go (a restarted broker's new port);
 *    undefined refuses them (accepted, then closed).
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface ProxyTarget { host: string; port: number }

export interface ProxyOptions {
  /** Address to listen on (default 127.0.0.1). */
  host?: string;
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  /** Where to forward new connections; asked at each accept. */
  target: (() => ProxyTarget | undefined) | ProxyTarget | undefined;
}

export interface TcpProxy {
  readonly host: string;
  readonly port: number;
  /** Where new connections go from now on (a value or a function asked at each accept). */
  setTarget(t: (() => ProxyTarget | undefined) | ProxyTarget | undefined): void;
  /** Stalls connections from these source addresses (added to those already blocked), or from everyone. */
  block(sources: Set<string> | Iterable<string> | 'all'): void;
  /** Lifts the block for these sources (default: every block); their stalled connections are destroyed. */
  unblock(sources?: Iterable<string>): void;
  /** Whether connections from this source are blocked now. */
  blocked(source: string): boolean;
  /** Destroys every connection (flowing or stalled). */
  closeAll(): void;
  /** Open connections (flowing and stalled), for tests. */
  connections(): { source: string; stalled: boolean }[];
  close(): Promise<void>;
}

interface Conn { client: Socket; upstream?: Socket; source: string; stalled: boolean }

const norm = (a: string | undefined) => (a ?? '').replace(/^::ffff:/, '');

export async function startProxy(opts: ProxyOptions): Promise<TcpProxy> {
  const host = opts.host ?? '127.0.0.1';
  let target = opts.target;
  let all = false;
  const blockedSources = new Set<string>();
  const conns = new Set<Conn>();
  const isBlocked = (source: string) => all || blockedSources.has(source);
  const resolveTarget = () => (typeof target === 'function' ? target() : target);

  const destroy = (c: Conn) => {
    conns.delete(c);
    c.client.destroy();
    c.upstream?.destroy();
  };

  const stall = (c: Conn) => {
    if (c.stalled) return;
    c.stalled = true;
    c.client.unpipe();
    c.upstream?.unpipe();
    c.client.pause();
    c.upstream?.pause();
  };

  const server: Server = createServer({ pauseOnConnect: true }, (client) => {
    const source = norm(client.remoteAddress);
    const c: Conn = { client, source, stalled: false };
    conns.add(c);
    client.on('error', () => undefined);
    // A stalled connection stays open whatever its peers do, until unblock or closeAll destroys it.
    client.on('close', () => { if (!c.stalled) destroy(c); });
    if (isBlocked(source)) { c.stalled = true; return; }
    const to = resolveTarget();
    if (!to) { destroy(c); return; }
    const upstream = connect({ host: to.host, port: to.port });
    c.upstream = upstream;
    upstream.on('error', () => undefined);
    upstream.on('close', () => { if (!c.stalled) destroy(c); });
    client.pipe(upstream);
    upstream.pipe(client);
    client.resume();
  });
  server.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => { server.off('error', reject); resolve(); });
  });
  const port = (server.address() as { port: number }).port;

  return {
    host,
    port,
    setTarget: (t) => { target = t; },
    block: (sources) => {
      if (sources === 'all') all = true;
      else for (const s of sources) blockedSources.add(s);
      for (const c of conns) if (isBlocked(c.source)) stall(c);
    },
    unblock: (sources) => {
      if (sources === undefined) { all = false; blockedSources.clear(); } else for (const s of sources) blockedSources.delete(s);
      for (const c of [...conns]) if (c.stalled && !isBlocked(c.source)) destroy(c);
    },
    blocked: isBlocked,
    closeAll: () => { for (const c of [...conns]) destroy(c); },
    connections: () => [...conns].map((c) => ({ source: c.source, stalled: c.stalled })),
    close: async () => {
      for (const c of [...conns]) destroy(c);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
