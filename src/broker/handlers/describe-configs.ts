/**
 * DescribeConfigs (API 32), v0-v4.
 *
 * Behavior: TOPIC resources list every topic config Kafka knows with its
 * effective value, source and (with include_synonyms) synonyms as Kafka 3.9
 * builds them (TopicManager.effectiveConfigs): the override
 * (DYNAMIC_TOPIC_CONFIG), the broker synonyms given at start-up
 * (STATIC_BROKER_CONFIG), the last synonym's default (DEFAULT_CONFIG), minus
 * those before the chain's first synonym; the source is the first listed,
 * else DEFAULT_CONFIG (retention.ms with only log.retention.hours set). BROKER resources
 * named after this node list the broker settings (all read-only: Samsa has
 * no dynamic broker configs), each with its synonyms as Kafka lists them
 * (the given ones of its chain, then the defaults, from itself on); the empty name (cluster-wide dynamic defaults)
 * lists nothing, as in Kafka with none set. configuration_keys filters by
 * name (unknown names are skipped). Unknown topic: UNKNOWN_TOPIC_OR_PARTITION;
 * illegal topic name: INVALID_TOPIC_EXCEPTION; another broker id or resource
 * type (BROKER_LOGGER, ...): INVALID_REQUEST.
 *
 * Authorization: DESCRIBE_CONFIGS on the topic for TOPIC resources
 * (TOPIC_AUTHORIZATION_FAILED), on the cluster for BROKER, BROKER_LOGGER and
 * CLIENT_METRICS resources (CLUSTER_AUTHORIZATION_FAILED), on the group for
 * GROUP resources (GROUP_AUTHORIZATION_FAILED), each with Kafka's message
 * and no configs.
 *
 * Version notes: v0 reports is_default instead of a source; synonyms from
 * v1; config types and documentation (when asked) from v3.
 */
import { ApiKey } from '../../wire/generated/api-keys.js';
import type { DescribeConfigsRequest, DescribeConfigsRequestDescribeConfigsResource, DescribeConfigsResponse, DescribeConfigsResponseDescribeConfigsResourceResult, DescribeConfigsResponseDescribeConfigsResult } from '../../wire/generated/describe-configs.js';
import { ErrorCode, KafkaError } from '../../wire/errors.js';
import { topicConfigDef, type ConfigType } from '../../config/topic-config.js';
import { BROKER_SETTINGS } from '../../config/broker-config.js';
import { topicNameError } from '../../controller/metadata-store.js';
import type { BrokerContext } from '../broker-context.js';
import { defineHandler, errorEntry } from '../handler.js';
import type { ConfigSource } from '../topic-manager.js';
import { AclOperation, ResourceType, allowed, deniedMessage } from '../request-authorization.js';
import { CLUSTER_RESOURCE_NAME } from '../../security/acl.js';

export const RESOURCE_TOPIC = 2;
export const RESOURCE_BROKER = 4;
export const RESOURCE_BROKER_LOGGER = 8;
export const RESOURCE_CLIENT_METRICS = 16;
export const RESOURCE_GROUP = 32;

/**
 * The ACL resource that guards a config resource, with the error a refusal
 * gives (Kafka's ConfigHelper and ControllerApis.authorizeAlterResource);
 * undefined for types no ACL covers (answered as Samsa answers them).
 */
export function configGuard(resourceType: number, resourceName: string): { type: number; name: string; denied: number } | undefined {
  switch (resourceType) {
    case RESOURCE_TOPIC: return { type: ResourceType.TOPIC, name: resourceName, denied: ErrorCode.TOPIC_AUTHORIZATION_FAILED };
    case RESOURCE_GROUP: return { type: ResourceType.GROUP, name: resourceName, denied: ErrorCode.GROUP_AUTHORIZATION_FAILED };
    case RESOURCE_BROKER: case RESOURCE_BROKER_LOGGER: case RESOURCE_CLIENT_METRICS:
      return { type: ResourceType.CLUSTER, name: CLUSTER_RESOURCE_NAME, denied: ErrorCode.CLUSTER_AUTHORIZATION_FAILED };
    default: return undefined;
  }
}

const SOURCE_IDS: Record<ConfigSource, number> = { DYNAMIC_TOPIC_CONFIG: 1, STATIC_BROKER_CONFIG: 4, DEFAULT_CONFIG: 5 };
export const configSourceId = (s: ConfigSource): number => SOURCE_IDS[s];
const TYPE_IDS: Record<ConfigType, number> = { BOOLEAN: 1, STRING: 2, INT: 3, SHORT: 4, LONG: 5, DOUBLE: 6, LIST: 7, CLASS: 8, PASSWORD: 9 };

type Entry = DescribeConfigsResponseDescribeConfigsResourceResult;

function topicConfigs(ctx: BrokerContext, name: string, req: DescribeConfigsRequest): Entry[] {
  const nameErr = topicNameError(name);
  if (nameErr) throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, nameErr);
  const t = ctx.metadata.topic(name);
  if (!t) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${name}' does not exist.`);
  return ctx.topics.effectiveConfigs(t).map((c): Entry => ({
    name: c.name, value: c.value, readOnly: false, isDefault: c.source === 'DEFAULT_CONFIG', configSource: configSourceId(c.source), isSensitive: false,
    synonyms: req.includeSynonyms ? c.synonyms.map((s) => ({ name: s.name, value: s.value, source: configSourceId(s.source) })) : [],
    configType: TYPE_IDS[topicConfigDef(c.name)!.type],
    documentation: req.includeDocumentation ? topicConfigDef(c.name)!.doc : null,
  }));
}

/** Broker settings Kafka treats as one (DynamicBrokerConfig.brokerConfigSynonyms), highest precedence first. */
const BROKER_CHAINS = [
  ['log.roll.ms', 'log.roll.hours'], ['log.roll.jitter.ms', 'log.roll.jitter.hours'],
  ['log.flush.interval.ms', 'log.flush.scheduler.interval.ms'], ['log.retention.ms', 'log.retention.minutes', 'log.retention.hours'],
];

/**
 * A broker setting's synonyms as Kafka lists them (ConfigHelper.configSynonyms):
 * those of its chain that were given (STATIC_BROKER_CONFIG), then those with
 * a default (DEFAULT_CONFIG), from the setting itself on.
 */
function brokerSynonyms(ctx: BrokerContext, key: string): { name: string; value: string; source: number }[] {
  const names = BROKER_CHAINS.find((c) => c.includes(key)) ?? [key];
  const found = [
    ...names.filter((n) => ctx.config.isSet(n)).map((n) => ({ name: n, value: ctx.config.get(n), source: SOURCE_IDS.STATIC_BROKER_CONFIG })),
    ...names.filter((n) => BROKER_SETTINGS[n]?.default).map((n) => ({ name: n, value: BROKER_SETTINGS[n]!.default, source: SOURCE_IDS.DEFAULT_CONFIG })),
  ];
  const from = found.findIndex((s) => s.name === key);
  return from === -1 ? [] : found.slice(from);
}

function brokerConfigs(ctx: BrokerContext, name: string, req: DescribeConfigsRequest): Entry[] {
  if (name === '') return [];
  if (name !== String(ctx.nodeId)) throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unexpected broker id, expected ${ctx.nodeId} or empty string, but received ${name}`);
  return ctx.config.entries().map(([k, v]): Entry => {
    const synonyms = brokerSynonyms(ctx, k);
    const source = synonyms[0]?.source ?? SOURCE_IDS.DEFAULT_CONFIG;
    const def = BROKER_SETTINGS[k];
    return {
      name: k, value: v === '' ? null : v, readOnly: true, isDefault: source === SOURCE_IDS.DEFAULT_CONFIG, configSource: source, isSensitive: false,
      synonyms: req.includeSynonyms ? synonyms : [],
      configType: TYPE_IDS[def?.type ?? 'STRING'],
      documentation: req.includeDocumentation ? def?.doc ?? null : null,
    };
  });
}

function describeOne(ctx: BrokerContext, r: DescribeConfigsRequestDescribeConfigsResource, req: DescribeConfigsRequest): DescribeConfigsResponseDescribeConfigsResult {
  const base = { resourceType: r.resourceType, resourceName: r.resourceName };
  const guard = configGuard(r.resourceType, r.resourceName);
  if (guard && !allowed(ctx, AclOperation.DESCRIBE_CONFIGS, guard.type, guard.name)) return { ...base, errorCode: guard.denied, errorMessage: deniedMessage(guard.denied), configs: [] };
  try {
    let configs: Entry[];
    if (r.resourceType === RESOURCE_TOPIC) configs = topicConfigs(ctx, r.resourceName, req);
    else if (r.resourceType === RESOURCE_BROKER) configs = brokerConfigs(ctx, r.resourceName, req);
    else throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unsupported resource type: ${r.resourceType}`);
    const keys = r.configurationKeys;
    return { ...base, errorCode: ErrorCode.NONE, errorMessage: null, configs: keys ? configs.filter((c) => keys.includes(c.name)) : configs };
  } catch (err) {
    return { ...base, ...errorEntry(ctx, err, `DescribeConfigs ${r.resourceName}`), configs: [] };
  }
}

export const describeConfigs = defineHandler<DescribeConfigsRequest, DescribeConfigsResponse>({
  apiKey: ApiKey.DescribeConfigs,
  minVersion: 0,
  maxVersion: 4,
  handle(ctx, req) {
    return { throttleTimeMs: 0, results: req.resources.map((r) => describeOne(ctx, r, req)) };
  },
  errorResponse(req, _version, errorCode, errorMessage) {
    return { throttleTimeMs: 0, results: req.resources.map((r) => ({ errorCode, errorMessage, resourceType: r.resourceType, resourceName: r.resourceName, configs: [] })) };
  },
});
