/**
 * A topic's configs: DescribeConfigs (every config with its value and where
 * it comes from) and IncrementalAlterConfigs (set some, return others to
 * their default), the broker's refusal carried with its own message, which
 * holds the "did you mean" suggestion for a misspelt name.
 */
import { ApiKey } from '../wire/generated/api-keys.js';
import { decodeDescribeConfigsResponse, encodeDescribeConfigsRequest } from '../wire/generated/describe-configs.js';
import { decodeIncrementalAlterConfigsResponse, encodeIncrementalAlterConfigsRequest } from '../wire/generated/incremental-alter-configs.js';
import { ErrorCode } from '../wire/errors.js';
import type { KafkaClient } from './kafka-client.js';
import { KafkaClientError, check } from './errors.js';

const TOPIC_RESOURCE = 2;
const OP_SET = 0;
const OP_DELETE = 1;

/** DescribeConfigs' ConfigSource ids by name, as Kafka's ConfigEntry.ConfigSource prints them. */
const SOURCES = ['UNKNOWN', 'DYNAMIC_TOPIC_CONFIG', 'DYNAMIC_BROKER_CONFIG', 'DYNAMIC_DEFAULT_BROKER_CONFIG', 'STATIC_BROKER_CONFIG', 'DEFAULT_CONFIG', 'DYNAMIC_BROKER_LOGGER_CONFIG', 'CLIENT_METRICS_CONFIG', 'GROUP_CONFIG'];
const DEFAULT_CONFIG = 5;

export interface ConfigEntry {
  name: string;
  /** Null for a sensitive config (the broker does not say it). */
  value: string | null;
  /** DYNAMIC_TOPIC_CONFIG (set on the topic), STATIC_BROKER_CONFIG, DEFAULT_CONFIG, ... */
  source: string;
  isDefault: boolean;
  readOnly: boolean;
  sensitive: boolean;
}

export interface ConfigChanges {
  /** Settings to set (SET). */
  set?: Record<string, string>;
  /** Settings to return to their default (DELETE). */
  delete?: string[];
}

/** Every config of a topic (or the named ones), sorted by name. */
export async function describeTopicConfigs(client: KafkaClient, topic: string, names: string[] | null = null): Promise<ConfigEntry[]> {
  const c = client.any;
  const v = c.version(ApiKey.DescribeConfigs, 4, 'DescribeConfigs', 1);
  const r = await c.request(ApiKey.DescribeConfigs, v, (w) => encodeDescribeConfigsRequest(w, {
    resources: [{ resourceType: TOPIC_RESOURCE, resourceName: topic, configurationKeys: names }],
    includeSynonyms: false,
    includeDocumentation: false,
  }, v), (rd) => decodeDescribeConfigsResponse(rd, v));
  const res = r.results.find((x) => x.resourceName === topic);
  if (!res) throw new KafkaClientError(ErrorCode.UNKNOWN_SERVER_ERROR, `topic ${topic}`, 'the broker answered DescribeConfigs without this topic');
  check(res.errorCode, `topic ${topic}`, res.errorMessage);
  return res.configs.map((e) => {
    const source = e.configSource ?? (e.isDefault ? DEFAULT_CONFIG : 0);
    return {
      name: e.name,
      value: e.value,
      source: SOURCES[source] ?? `UNKNOWN_${source}`,
      isDefault: source === DEFAULT_CONFIG,
      readOnly: e.readOnly,
      sensitive: e.isSensitive,
    };
  }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * Sets and deletes topic configs in one IncrementalAlterConfigs. A refusal
 * throws a KafkaClientError whose message is the broker's (INVALID_CONFIG
 * "Unknown topic config name: retention.mss. Did you mean retention.ms?").
 */
export async function alterTopicConfigs(client: KafkaClient, topic: string, changes: ConfigChanges, opts: { validateOnly?: boolean } = {}): Promise<void> {
  const configs = [
    ...Object.entries(changes.set ?? {}).map(([name, value]) => ({ name, configOperation: OP_SET, value })),
    ...(changes.delete ?? []).map((name) => ({ name, configOperation: OP_DELETE, value: null })),
  ];
  if (configs.length === 0) return;
  const c = client.any;
  const v = c.version(ApiKey.IncrementalAlterConfigs, 1, 'IncrementalAlterConfigs');
  const r = await c.request(ApiKey.IncrementalAlterConfigs, v, (w) => encodeIncrementalAlterConfigsRequest(w, {
    resources: [{ resourceType: TOPIC_RESOURCE, resourceName: topic, configs }],
    validateOnly: opts.validateOnly ?? false,
  }, v), (rd) => decodeIncrementalAlterConfigsResponse(rd, v));
  const res = r.responses.find((x) => x.resourceName === topic) ?? r.responses[0];
  if (res) check(res.errorCode, `topic ${topic}`, res.errorMessage);
}
