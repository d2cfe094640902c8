/**
 * The process's own metrics under the names every Node.js dashboard uses
 * (prom-client's default metrics, no prefix): CPU, resident memory, heap,
 * file descriptors, event-loop delay (nodejs_eventloop_lag_seconds and its
 * percentiles since the previous scrape), GC pauses. One set per process,
 * in a registry of its own (never prom-client's global one), made on the
 * first scrape: the event-loop monitor and the GC observer cost nothing
 * until someone asks for /metrics.
 */
import { Registry, collectDefaultMetrics } from 'prom-client';

let registry: Registry | undefined;

export function processMetrics(): Registry {
  if (registry === undefined) {
    registry = new Registry();
    collectDefaultMetrics({ register: registry });
  }
  return registry;
}
