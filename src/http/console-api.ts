/**
 * The console's JSON API (/api/...; the shapes are console-api-types.ts):
 * a table of routes, each a method, a path pattern and a handler that works
 * through src/client as the requesting user (login-gate.ts hands over the
 * client). Routes marked `writes` answer 403 WRITES_DISABLED unless
 * --http-allow-writes. Paths it does not know are left to the next route
 * (the cluster control API shares /api).
 */
import type { KafkaClient } from '../client/kafka-client.js';
import { httpErrorOf } from './console-errors.js';
import { groupDetail, groupSummaries, resetGroupFromBody, deleteGroupById } from './console-groups.js';
import { LagHistory } from './console-lag-history.js';
import { produceFromBody, readMessages } from './console-messages.js';
import { overview } from './console-overview.js';
import { ThroughputHistory } from './console-throughput.js';
import { alterConfigsFromBody, createTopicFromBody, deleteTopicByName, topicDetail, topicSummaries } from './console-topics.js';
import { partitionProducers, transactionSummaries } from './console-transactions.js';
import { consoleAuth } from './login-gate.js';
import { HttpError, readJson, sendJson, type HttpRequest, type HttpRoute, type HttpTarget } from './route.js';

interface Call {
  client: KafkaClient;
  /** The path's :parameters, in order. */
  params: string[];
  query: URLSearchParams;
  body: () => Promise<unknown>;
}

interface ApiRoute {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Path parts after /api; ':x' matches any one part. */
  path: string[];
  writes?: boolean;
  status?: number;
  run(c: Call): Promise<unknown>;
}

function routes(throughput: ThroughputHistory, lagHistory: LagHistory): ApiRoute[] {
  return [
    { method: 'GET', path: ['overview'], run: (c) => overview(c.client, throughput) },
    { method: 'GET', path: ['topics'], run: (c) => topicSummaries(c.client, c.query.get('internal') === 'true') },
    { method: 'POST', path: ['topics'], writes: true, status: 201, run: async (c) => createTopicFromBody(c.client, await c.body()) },
    { method: 'GET', path: ['topics', ':topic'], run: (c) => topicDetail(c.client, c.params[0]!) },
    { method: 'DELETE', path: ['topics', ':topic'], writes: true, run: (c) => deleteTopicByName(c.client, c.params[0]!) },
    { method: 'PATCH', path: ['topics', ':topic', 'configs'], writes: true, run: async (c) => alterConfigsFromBody(c.client, c.params[0]!, await c.body()) },
    { method: 'GET', path: ['topics', ':topic', 'messages'], run: (c) => readMessages(c.client, c.params[0]!, c.query) },
    { method: 'POST', path: ['topics', ':topic', 'messages'], writes: true, run: async (c) => produceFromBody(c.client, c.params[0]!, await c.body()) },
    { method: 'GET', path: ['groups'], run: (c) => groupSummaries(c.client) },
    { method: 'GET', path: ['groups', ':group'], run: (c) => groupDetail(c.client, c.params[0]!, lagHistory) },
    { method: 'POST', path: ['groups', ':group', 'reset'], writes: true, run: async (c) => resetGroupFromBody(c.client, c.params[0]!, await c.body()) },
    { method: 'DELETE', path: ['groups', ':group'], writes: true, run: (c) => deleteGroupById(c.client, c.params[0]!) },
    { method: 'GET', path: ['transactions'], run: (c) => transactionSummaries(c.client) },
    { method: 'GET', path: ['producers'], run: (c) => partitionProducers(c.client, c.query.get('topic')) },
  ];
}

function matches(path: string[], parts: string[]): string[] | undefined {
  if (path.length !== parts.length) return undefined;
  const params: string[] = [];
  for (let i = 0; i < path.length; i++) {
    if (path[i]!.startsWith(':')) params.push(parts[i]!);
    else if (path[i] !== parts[i]) return undefined;
  }
  return params;
}

export interface ConsoleApi extends HttpRoute {
  /** Stops the throughput and lag samplers (the HTTP listener is closing). */
  close(): void;
}

export function consoleApi(target: HttpTarget): ConsoleApi {
  const throughput = new ThroughputHistory(target);
  const lagHistory = new LagHistory();
  const table = routes(throughput, lagHistory);

  const route = async (r: HttpRequest): Promise<boolean> => {
    if (r.parts[0] !== 'api') return false;
    const rest = r.parts.slice(1);
    const found = table.map((x) => ({ x, params: matches(x.path, rest) })).filter((m) => m.params !== undefined);
    if (found.length === 0) return false;
    const hit = found.find((m) => m.x.method === r.method);
    if (!hit) throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${r.url.pathname} takes ${found.map((m) => m.x.method).join(' or ')}`);
    if (hit.x.writes && !r.target.allowWrites) {
      throw new HttpError(403, 'WRITES_DISABLED', 'this console is read-only: start samsa with --http-allow-writes to produce, delete, change configs and reset offsets');
    }
    const auth = consoleAuth(r.req);
    let body: unknown;
    try {
      const client = await auth.client();
      body = await hit.x.run({ client, params: hit.params!, query: r.url.searchParams, body: () => readJson(r.req) });
    } catch (e) {
      const { error, connectionFailed } = httpErrorOf(e);
      // The next request opens a new client: another broker of a cluster may answer it.
      if (connectionFailed) auth.reset();
      throw error;
    }
    sendJson(r.res, hit.x.status ?? 200, body);
    return true;
  };
  return Object.assign(route, { close: () => { throughput.close(); lagHistory.close(); } });
}
