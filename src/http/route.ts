/**
 * What every part of the HTTP side (--http) plugs into: a route sees the
 * request and the broker(s) this process runs, and says whether it answered.
 * Routes live in their own files (control-api.ts, metrics-route.ts, the
 * console's API and static files); server.ts tries them in order.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RunningBroker } from '../broker/index.js';
import type { RunningCluster } from '../broker/cluster.js';

/** The broker side the HTTP listener looks at: one broker, or a cluster in this process. */
export interface HttpTarget {
  /** The brokers of this process that are running now (a stopped cluster broker is left out). */
  brokers(): RunningBroker[];
  /** Set when this process runs a cluster (`--brokers N`): the control API drives it. */
  cluster?: RunningCluster;
  /** host:port list a Kafka client in this process uses to reach the brokers (the console's backend). */
  bootstrap(): string;
  /** Whether routes that change or delete data (produce, delete, reset offsets, configs) are on (--http-allow-writes). */
  allowWrites: boolean;
}

export interface HttpRequest {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  method: string;
  /** The path split on '/', decoded, empty parts dropped: /api/topics/a%2Fb -> ['api', 'topics', 'a/b']. */
  parts: string[];
  target: HttpTarget;
}

/**
 * Answers the request and returns true, or returns false to let the next
 * route try. A route holding timers or connections says how to let go of
 * them in `close`, which the server calls when it stops.
 */
export type HttpRoute = ((r: HttpRequest) => boolean | Promise<boolean>) & { close?(): void };

/** Thrown by a route: sent as {"error": message, "code": code} with the status. */
export class HttpError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) { super(message); }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

/** Bodies of the JSON routes are small; a produce from the console is at most a message. */
const MAX_BODY_BYTES = 2 * 1024 * 1024;

export async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'BODY_TOO_LARGE', `request body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, 'BAD_JSON', 'request body is not JSON');
  }
}
