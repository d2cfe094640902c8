/**
 * The cluster control API (`samsa start --brokers N --http host:port`): JSON
 * routes that stop, start, pause and resume brokers and move partition
 * leadership, for people testing how their applications ride out failures.
 *
 *   GET  /api/cluster                                  the cluster's status
 *   POST /api/brokers/:id/stop|start|pause|resume      the broker's status afterwards
 *   POST /api/partitions/:topic/:partition/leader      body {"broker": n}; the partition afterwards
 *
 * Errors are {"error": message, "code": name}: 400 bad input, 404 unknown
 * route, broker or partition, 405 wrong method, 409 what the cluster refused.
 * Only RunningCluster is used, so the Kafka side never depends on this.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RunningCluster } from '../broker/cluster.js';
import { ErrorCode, KafkaError, errorName } from '../wire/errors.js';

/** Bodies here are a few dozen bytes; anything larger is not a client of this API. */
const MAX_BODY_BYTES = 64 * 1024;

export class HttpError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) { super(message); }
}

type Action = 'stop' | 'start' | 'pause' | 'resume';
const ACTIONS: readonly string[] = ['stop', 'start', 'pause', 'resume'] satisfies Action[];

export function controlApi(cluster: RunningCluster): (req: IncomingMessage, res: ServerResponse) => void {
  // One change at a time: a stop racing a start of the same broker would
  // leave the cluster in a state neither caller asked for.
  let queue: Promise<unknown> = Promise.resolve();
  const serialized = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = queue.then(fn, fn);
    queue = next.catch(() => undefined);
    return next;
  };

  const brokerId = (raw: string): number => {
    if (!/^\d+$/.test(raw)) throw new HttpError(400, 'BAD_BROKER_ID', `broker id must be a whole number, got ${raw}`);
    const id = Number(raw);
    if (id >= cluster.size) throw new HttpError(404, 'UNKNOWN_BROKER', `no broker ${id} in this cluster (0-${cluster.size - 1})`);
    return id;
  };
  const brokerStatus = (id: number) => cluster.status().brokers[id]!;

  const brokerAction = async (id: number, action: Action) => {
    const state = brokerStatus(id).state;
    if ((action === 'pause' || action === 'resume') && state === 'stopped') throw new HttpError(409, 'BROKER_STOPPED', `broker ${id} is stopped; start it first`);
    if (action === 'stop') await cluster.stopBroker(id);
    else if (action === 'start') await cluster.startBroker(id);
    else if (action === 'pause') cluster.pauseBroker(id);
    else cluster.resumeBroker(id);
    return brokerStatus(id);
  };

  const moveLeader = async (topic: string, rawPartition: string, body: unknown) => {
    if (!/^\d+$/.test(rawPartition)) throw new HttpError(400, 'BAD_PARTITION', `partition must be a whole number, got ${rawPartition}`);
    const partition = Number(rawPartition);
    const broker = (body as { broker?: unknown } | null)?.broker;
    if (typeof broker !== 'number' || !Number.isInteger(broker) || broker < 0) throw new HttpError(400, 'BAD_REQUEST', 'body must be {"broker": <node id>}');
    if (broker >= cluster.size) throw new HttpError(404, 'UNKNOWN_BROKER', `no broker ${broker} in this cluster (0-${cluster.size - 1})`);
    try {
      await cluster.moveLeader(topic, partition, broker);
    } catch (err) {
      if (!(err instanceof KafkaError)) throw err;
      const status = err.code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION ? 404 : 409;
      throw new HttpError(status, errorName(err.code), err.message);
    }
    const t = cluster.status().topics.find((x) => x.name === topic);
    return { topic, ...t?.partitions[partition] };
  };

  const route = async (req: IncomingMessage): Promise<unknown> => {
    const url = new URL(req.url ?? '/', 'http://control');
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const method = req.method ?? 'GET';
    const expect = (m: string) => { if (method !== m) throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${url.pathname} takes ${m}`); };
    if (parts[0] !== 'api') throw notFound(url.pathname);
    if (parts.length === 2 && parts[1] === 'cluster') {
      expect('GET');
      return cluster.status();
    }
    if (parts.length === 4 && parts[1] === 'brokers' && ACTIONS.includes(parts[3]!)) {
      expect('POST');
      const id = brokerId(parts[2]!);
      return serialized(() => brokerAction(id, parts[3] as Action));
    }
    if (parts.length === 5 && parts[1] === 'partitions' && parts[4] === 'leader') {
      expect('POST');
      const body = await readJson(req);
      return serialized(() => moveLeader(parts[2]!, parts[3]!, body));
    }
    throw notFound(url.pathname);
  };

  return (req, res) => {
    route(req).then(
      (body) => send(res, 200, body),
      (err) => {
        if (err instanceof HttpError) send(res, err.status, { error: err.message, code: err.code });
        else send(res, 500, { error: String(err?.message ?? err), code: 'INTERNAL' });
      },
    );
  };
}

function notFound(path: string): HttpError {
  return new HttpError(404, 'NOT_FOUND', `no route ${path} (GET /api/cluster, POST /api/brokers/:id/stop|start|pause|resume, POST /api/partitions/:topic/:partition/leader)`);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'BODY_TOO_LARGE', `request body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, 'BAD_JSON', `request body is not JSON: ${text.slice(0, 80)}`);
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, null, 2) + '\n';
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
