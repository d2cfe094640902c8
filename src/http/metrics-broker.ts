/**
 * Each broker's own counters (src/broker/broker-stats.ts) as samsa_ metrics,
 * one series per broker of this process (label `broker`, its node id): in a
 * cluster in one process they stay apart, and sum() in PromQL adds them up.
 */
import { API_SPECS } from '../wire/generated/api-keys.js';
import { LATENCY_BUCKETS_MS } from '../broker/broker-stats.js';
import type { RunningBroker } from '../broker/index.js';
import type { Families } from './metrics-family.js';

const LATENCY_BUCKETS_S = LATENCY_BUCKETS_MS.map((ms) => ms / 1000);

export function brokerMetrics(f: Families, brokers: readonly RunningBroker[]): void {
  const requests = f.counter('samsa_requests_total', 'Requests answered (or, for acks=0 Produce, handled) per API and version.');
  const latency = f.histogram('samsa_request_duration_seconds', 'Time from a request decoded to its response ready, per API and version (a Fetch waiting for data counts its wait).');
  const bytesIn = f.counter('samsa_topic_bytes_in_total', 'Bytes of record batches produced to the topic, counted by the leader that appended them.');
  const messagesIn = f.counter('samsa_topic_messages_in_total', 'Records produced to the topic, counted by the leader that appended them.');
  const bytesOut = f.counter('samsa_topic_bytes_out_total', 'Bytes of record batches fetched from the topic by consumers (replication not counted).');
  const messagesOut = f.counter('samsa_topic_messages_out_total', 'Records fetched from the topic by consumers (whole batches, as sent).');
  const shrinks = f.counter('samsa_isr_shrinks_total', 'ISR shrinks of partitions this broker leads.');
  const expands = f.counter('samsa_isr_expands_total', 'ISR expands of partitions this broker leads.');
  const open = f.gauge('samsa_connections', 'Client connections open, per listener.');
  const accepted = f.counter('samsa_connections_accepted_total', 'Client connections accepted since start, per listener.');
  const queued = f.gauge('samsa_queued_request_bytes', 'Bytes held for requests read and not yet answered and responses not yet sent (bounded by queued.max.request.bytes).');
  for (const b of brokers) {
    const broker = b.nodeId;
    const s = b.stats;
    for (const { apiKey, version, stats } of s.requestStats()) {
      const labels = { broker, api: API_SPECS[apiKey]?.name ?? String(apiKey), version };
      requests.add(labels, stats.count);
      latency.addHistogram(labels, LATENCY_BUCKETS_S, stats.counts, stats.sumMs / 1000);
    }
    for (const [topic, t] of s.topics) {
      const labels = { broker, topic };
      bytesIn.add(labels, t.bytesIn);
      messagesIn.add(labels, t.messagesIn);
      bytesOut.add(labels, t.bytesOut);
      messagesOut.add(labels, t.messagesOut);
    }
    shrinks.add({ broker }, s.isrShrinks);
    expands.add({ broker }, s.isrExpands);
    for (const [listener, c] of s.connections) {
      open.add({ broker, listener }, c.open);
      accepted.add({ broker, listener }, c.accepted);
    }
    queued.add({ broker }, b.queuedBytes());
  }
}
