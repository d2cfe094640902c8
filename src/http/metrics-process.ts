/**
 * The process's own metrics under the names every Node.js dashboard uses
 * (prom-client's default metrics, no prefix): CPU, resident memory, heap,
 * file descriptors, event-loop delay (nodejs_eventloop_lag_seconds and its
 * percentiles over the window since they were last collected), GC pauses.
 * One set per process, in a registry of its own (never prom-client's global
 * one), made on the first scrape: the event-loop monitor and the GC observer
 * cost nothing until someone asks for /metrics.
 *
 * Collected at most once a second, the text reused in between: collecting
 * costs about 2 ms of CPU (0.7 ms of it the event-loop delay percentiles),
 * which a scraper every 100 ms would pay ten times a second, and delay
 * percentiles over less than a second say little anyway.
 */
import { Registry, collectDefaultMetrics } from 'prom-client';

const MIN_INTERVAL_MS = 1000;

let registry: Registry | undefined;
let last: { at: number; text: Promise<string> } | undefined;

export function processMetrics(): Registry {
  if (registry === undefined) {
    registry = new Registry();
    collectDefaultMetrics({ register: registry });
  }
  return registry;
}

/** The process's metrics as text, collected now or at most a second ago. */
export function processMetricsText(): Promise<string> {
  const now = performance.now();
  if (last === undefined || now - last.at >= MIN_INTERVAL_MS) last = { at: now, text: processMetrics().metrics() };
  return last.text;
}
