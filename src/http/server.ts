/**
 * The HTTP side of `samsa start --http host:port`: one node:http server on
 * exactly the address given. Each request goes to the routes in turn
 * (route.ts, listed in routes.ts): the login gate, the cluster control API
 * when this process runs a cluster, metrics, the console's API and files.
 */
import { createServer, type Server } from 'node:http';
import { isIP } from 'node:net';
import type { RunningCluster } from '../broker/cluster.js';
import type { RunningBroker } from '../broker/index.js';
import { controlApi } from './control-api.js';
import { HttpError, sendJson, type HttpRoute, type HttpTarget } from './route.js';

export interface RunningHttp {
  host: string;
  port: number;
  /** http://host:port, for people and for `samsa cluster --http`. */
  url: string;
  close(): Promise<void>;
}

/** Whether only this machine can reach `host`. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase();
  return h === 'localhost' || h === '::1' || (isIP(h) === 4 && h.startsWith('127.')) || h.startsWith('::ffff:127.');
}

/** The target of a lone broker. */
export function brokerTarget(broker: RunningBroker, allowWrites = false): HttpTarget {
  return { brokers: () => [broker], bootstrap: () => `${broker.host.includes(':') ? `[${broker.host}]` : broker.host}:${broker.port}`, allowWrites };
}

/** The target of a cluster in this process: its running brokers, and the control API. */
export function clusterTarget(cluster: RunningCluster, allowWrites = false): HttpTarget {
  return {
    cluster,
    brokers: () => Array.from({ length: cluster.size }, (_, id) => cluster.broker(id)).filter((b): b is RunningBroker => b !== undefined),
    bootstrap: () => cluster.bootstrap,
    allowWrites,
  };
}

/**
 * Starts the listener. `target` is a cluster or a target; `routes` are tried
 * in order (routes.ts lists them); without them, only a cluster's control API.
 */
export async function startHttp(target: RunningCluster | HttpTarget, host: string, port: number, routes?: HttpRoute[]): Promise<RunningHttp> {
  const t: HttpTarget = 'brokers' in target && typeof target.brokers === 'function' ? target : clusterTarget(target as RunningCluster);
  const all: HttpRoute[] = routes ?? (t.cluster ? [controlApi(t.cluster)] : []);
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://samsa');
    let parts: string[];
    try {
      parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    } catch {
      return sendJson(res, 400, { error: `bad path ${url.pathname}`, code: 'BAD_PATH' });
    }
    const request = { req, res, url, method: req.method ?? 'GET', parts, target: t };
    (async () => {
      for (const route of all) if (await route(request)) return;
      throw new HttpError(404, 'NOT_FOUND', `no route ${url.pathname}`);
    })().catch((err) => {
      if (res.headersSent) { res.destroy(); return; }
      if (err instanceof HttpError) sendJson(res, err.status, { error: err.message, code: err.code });
      else sendJson(res, 500, { error: String(err?.message ?? err), code: 'INTERNAL' });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(new Error(`--http ${host}:${port}: ${err.code === 'EADDRINUSE' ? 'address already in use' : err.message}`)));
    server.listen(port, host, () => resolve());
  });
  const addr = server.address();
  const bound = typeof addr === 'object' && addr ? addr.port : port;
  return {
    host,
    port: bound,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}`,
    close: () => new Promise<void>((resolve) => {
      for (const route of all) route.close?.();
      server.close(() => resolve());
      // Keep-alive connections (fetch() keeps them) would hold close() open.
      server.closeAllConnections();
    }),
  };
}
