/**
 * GET /metrics: Prometheus text format (0.0.4). Every scrape reads the
 * brokers of this process as they are now (metrics-partitions.ts,
 * metrics-groups.ts, metrics-broker.ts) into families of its own
 * (metrics-family.ts), so several brokers or tests in one process never
 * share or clash over state, followed by the process's metrics from
 * prom-client's default collectors in a registry of our own
 * (metrics-process.ts). Nothing is collected between scrapes: the broker's
 * hot paths only add to its counters (src/broker/broker-stats.ts).
 */
import { Registry } from 'prom-client';
import { HttpError, type HttpRoute, type HttpTarget } from './route.js';
import { Families } from './metrics-family.js';
import { brokerMetrics } from './metrics-broker.js';
import { groupMetrics } from './metrics-groups.js';
import { partitionMetrics, partitionOffsets } from './metrics-partitions.js';
import { processMetricsText } from './metrics-process.js';

export function metricsRoute(): HttpRoute {
  return async ({ method, parts, res, target }) => {
    if (parts.length !== 1 || parts[0] !== 'metrics') return false;
    if (method !== 'GET') throw new HttpError(405, 'METHOD_NOT_ALLOWED', '/metrics takes GET');
    const text = await scrape(target);
    res.writeHead(200, { 'content-type': Registry.PROMETHEUS_CONTENT_TYPE, 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
    res.end(text);
    return true;
  };
}

/** The text of one scrape of the brokers `target` runs in this process. */
export async function scrape(target: HttpTarget): Promise<string> {
  const brokers = target.brokers();
  const families = new Families();
  if (brokers.length > 0) {
    // The brokers of one process share one metadata image (a cluster in one process) or are one broker.
    const metadata = brokers[0]!.context.metadata;
    const offsets = partitionOffsets(brokers);
    partitionMetrics(families, brokers, metadata, target.cluster !== undefined, offsets);
    groupMetrics(families, brokers, offsets);
    brokerMetrics(families, brokers);
  }
  return families.text() + await processMetricsText();
}
