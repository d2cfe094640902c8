/**
 * The HTTP side of a broker (or cluster) started in this test process, with
 * every route of `samsa start --http` (routes.ts), and a small JSON client for
 * the console's API. The listener is closed in the test's teardown.
 */
import { startHttp, brokerTarget, clusterTarget, type RunningHttp } from '../../src/http/server.js';
import { httpRoutes } from '../../src/http/routes.js';
import type { RunningBroker } from '../../src/broker/index.js';
import type { RunningCluster } from '../../src/broker/cluster.js';

interface Teardown { teardown(fn: () => unknown): void }

export interface ApiAnswer<T = unknown> { status: number; body: T; headers: Headers }

export interface ConsoleHttp {
  http: RunningHttp;
  /** Calls the API: `path` like /api/topics; a body is sent as JSON. Never throws on a status. */
  api<T = any>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiAnswer<T>>;
}

export async function consoleHttp(t: Teardown, on: RunningBroker | RunningCluster, allowWrites = true): Promise<ConsoleHttp> {
  const target = 'broker' in on && typeof on.broker === 'function' ? clusterTarget(on as RunningCluster, allowWrites) : brokerTarget(on as RunningBroker, allowWrites);
  const http = await startHttp(target, '127.0.0.1', 0, await httpRoutes(target));
  t.teardown(() => http.close());
  return {
    http,
    api: async (method, path, body, headers = {}) => {
      const res = await fetch(`${http.url}${path}`, {
        method,
        headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try { parsed = JSON.parse(text); } catch { /* not JSON: the text as it is */ }
      return { status: res.status, body: parsed as any, headers: res.headers };
    },
  };
}
