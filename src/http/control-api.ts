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
import type { RunningCluster } from '../broker/cluster.js';
import { ErrorCode, KafkaError, errorName } from '../wire/errors.js';
import { HttpError, readJson, sendJson, type HttpRoute } from './route.js';

type Action = 'stop' | 'start' | 'pause' | 'resume';
const ACTIONS: readonly string[] = ['stop', 'start', 'pause', 'resume'] satisfies Action[];

/** The control routes for `cluster`; anything else under /api is left to the next route. */
export function controlApi(cluster: RunningCluster): HttpRoute {
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

  return async ({ parts, method, url, req, res }) => {
    if (parts[0] !== 'api') return false;
    const expect = (m: string) => { if (method !== m) throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${url.pathname} takes ${m}`); };
    let body: unknown;
    if (parts.length === 2 && parts[1] === 'cluster') {
      expect('GET');
      body = cluster.status();
    } else if (parts.length === 4 && parts[1] === 'brokers' && ACTIONS.includes(parts[3]!)) {
      expect('POST');
      const id = brokerId(parts[2]!);
      body = await serialized(() => brokerAction(id, parts[3] as Action));
    } else if (parts.length === 5 && parts[1] === 'partitions' && parts[4] === 'leader') {
      expect('POST');
      const json = await readJson(req);
      body = await serialized(() => moveLeader(parts[2]!, parts[3]!, json));
    } else return false;
    sendJson(res, 200, body);
    return true;
  };
}
