/**
 * DescribeConfigs (API 32), v0-v4.
 *
 * Behavior: TOPIC resources list every topic config with its effective value
 * and source (DYNAMIC_TOPIC_CONFIG for overrides, STATIC_BROKER_CONFIG when a
 * broker setting supplies it, DEFAULT_CONFIG otherwise); synonyms when asked.
 * BROKER resources (name "" or this node's id) list the broker settings.
 * configuration_keys filters by name. Unknown topic: UNKNOWN_TOPIC_OR_PARTITION;
 * other resource types: INVALID_REQUEST.
 *
 * Version notes: v0 has is_default instead of a source; synonyms v1+;
 * config types and documentation v3+.
 */
import { ApiKey } from '../../wire/generated/api-keys.js';
import type { DescribeConfigsRequest, DescribeConfigsResponse, DescribeConfigsResponseDescribeConfigsResourceResult, DescribeConfigsResponseDescribeConfigsResult } from '../../wire/generated/describe-configs.js';
import { ErrorCode } from '../../wire/errors.js';
import { topicConfigDef, type ConfigType } from '../../config/topic-config.js';
import { BROKER_SETTINGS } from '../../config/broker-config.js';
import type { BrokerContext } from '../broker-context.js';
import type { ConfigSource } from '../topic-manager.js';

export const RESOURCE_TOPIC = 2;
export const RESOURCE_BROKER = 4;

const SOURCE_IDS: Record<ConfigSource, number> = { DYNAMIC_TOPIC_CONFIG: 1, STATIC_BROKER_CONFIG: 4, DEFAULT_CONFIG: 5 };
export const configSourceId = (s: ConfigSource): number => SOURCE_IDS[s];
const TYPE_IDS: Record<ConfigType, number> = { BOOLEAN: 1, STRING: 2, INT: 3, SHORT: 4, LONG: 5, DOUBLE: 6, LIST: 7, CLASS: 8, PASSWORD: 9 };

function topicResult(ctx: BrokerContext, name: string, keys: string[] | null, req: DescribeConfigsRequest): DescribeConfigsResponseDescribeConfigsResult {
  const t = ctx.metadata.topic(name);
  if (!t) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Topic '${name}' does not exist.`, resourceType: RESOURCE_TOPIC, resourceName: name, configs: [] };
  const configs = ctx.topics.effectiveConfigs(t)
    .filter((c) => !keys || keys.includes(c.name))
    .map((c): DescribeConfigsResponseDescribeConfigsResourceResult => ({
      name: c.name, value: c.value, readOnly: false, isDefault: c.source === 'DEFAULT_CONFIG', configSource: configSourceId(c.source), isSensitive: false,
      synonyms: req.includeSynonyms ? c.synonyms.map((s) => ({ name: s.name, value: s.value, source: configSourceId(s.source) })) : [],
      configType: TYPE_IDS[topicConfigDef(c.name)!.type],
      documentation: req.includeDocumentation ? topicConfigDef(c.name)!.doc : null,
    }));
  return { errorCode: ErrorCode.NONE, errorMessage: null, resourceType: RESOURCE_TOPIC, resourceName: name, configs };
}

function brokerResult(ctx: BrokerContext, name: string, keys: string[] | null, req: DescribeConfigsRequest): DescribeConfigsResponseDescribeConfigsResult {
  if (name !== '' && name !== String(ctx.nodeId)) {
    return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unexpected broker id, expected ${ctx.nodeId} or empty string, but received ${name}`, resourceType: RESOURCE_BROKER, resourceName: name, configs: [] };
  }
  const configs = ctx.config.entries()
    .filter(([k]) => !keys || keys.includes(k))
    .map(([k, v]): DescribeConfigsResponseDescribeConfigsResourceResult => {
      const source = ctx.config.source(k) === 'default' ? 5 : 4;
      return {
        name: k, value: v, readOnly: true, isDefault: source === 5, configSource: source, isSensitive: false,
        synonyms: req.includeSynonyms ? [{ name: k, value: v, source }] : [], configType: 2,
        documentation: req.includeDocumentation ? BROKER_SETTINGS[k]?.doc ?? null : null,
      };
    });
  return { errorCode: ErrorCode.NONE, errorMessage: null, resourceType: RESOURCE_BROKER, resourceName: name, configs };
}

export const describeConfigs = {
  apiKey: ApiKey.DescribeConfigs,
  minVersion: 0,
  maxVersion: 4,
  handle(ctx: BrokerContext, req: DescribeConfigsRequest): DescribeConfigsResponse {
    const results = req.resources.map((r) => {
      if (r.resourceType === RESOURCE_TOPIC) return topicResult(ctx, r.resourceName, r.configurationKeys, req);
      if (r.resourceType === RESOURCE_BROKER) return brokerResult(ctx, r.resourceName, r.configurationKeys, req);
      return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unsupported resource type ${r.resourceType}`, resourceType: r.resourceType, resourceName: r.resourceName, configs: [] };
    });
    return { throttleTimeMs: 0, results };
  },
};
