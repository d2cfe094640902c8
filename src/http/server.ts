/**
 * The HTTP side of `samsa start --http host:port`: one node:http server on
 * exactly the address given, serving the cluster control API.
 */
import { createServer, type Server } from 'node:http';
import { isIP } from 'node:net';
import type { RunningCluster } from '../broker/cluster.js';
import { controlApi } from './control-api.js';

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

export async function startHttp(cluster: RunningCluster, host: string, port: number): Promise<RunningHttp> {
  const server: Server = createServer(controlApi(cluster));
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
      server.close(() => resolve());
      // Keep-alive connections (fetch() keeps them) would hold close() open.
      server.closeAllConnections();
    }),
  };
}
