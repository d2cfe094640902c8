/**
 * AlterConfigs (API 33), v0-v2.
 *
 * Behavior: replaces a topic's whole set of overrides (configs not named go
 * back to their defaults), after validating every one (INVALID_CONFIG, with a
 * "did you mean" for unknown names); the new values reach the partition logs
 * at once (setConfig). validate_only checks only. A resource named twice in
 * one request: INVALID_REQUEST. Unknown topic: UNKNOWN_TOPIC_OR_PARTITION.
 *
 * Authorization, after the duplicate check: ALTER_CONFIGS on the topic
 * (TOPIC_AUTHORIZATION_FAILED), on the cluster for BROKER, BROKER_LOGGER and
 * CLIENT_METRICS resources (CLUSTER_AUTHORIZATION_FAILED), on the group for
 * GROUP resources (GROUP_AUTHORIZATION_FAILED).
 *
 * Difference from Kafka: broker settings are static in Samsa, so BROKER
 * resources get INVALID_REQUEST with a message saying how to change them.
 */
import { ApiKey } from '../../wire/generated/api-keys.js';
import type { AlterConfigsRequest, AlterConfigsResponse } from '../../wire/generated/alter-configs.js';
import { ErrorCode, KafkaError } from '../../wire/errors.js';
import type { BrokerContext } from '../broker-context.js';
import { defineHandler, errorEntry } from '../handler.js';
import { RESOURCE_BROKER, RESOURCE_TOPIC, configGuard } from './describe-configs.js';
import { AclOperation, allowed, deniedMessage } from '../request-authorization.js';

interface Resource { resourceType: number; resourceName: string }

/**
 * The response entries of an alter request: runs `apply` for each topic
 * resource and turns its KafkaError (or a fault) into the entry's error.
 */
export function alterResults<R extends Resource>(ctx: BrokerContext, resources: readonly R[], apply: (r: R) => Promise<void>) {
  const keys = resources.map((r) => `${r.resourceType}:${r.resourceName}`);
  return Promise.all(resources.map(async (r, i) => {
    const base = { resourceType: r.resourceType, resourceName: r.resourceName };
    try {
      if (keys.indexOf(keys[i]!) !== keys.lastIndexOf(keys[i]!)) throw new KafkaError(ErrorCode.INVALID_REQUEST, `Error due to duplicate resource ${r.resourceName}`);
      const guard = configGuard(r.resourceType, r.resourceName);
      if (guard && !allowed(ctx, AclOperation.ALTER_CONFIGS, guard.type, guard.name)) throw new KafkaError(guard.denied, deniedMessage(guard.denied));
      if (r.resourceType === RESOURCE_BROKER) {
        throw new KafkaError(ErrorCode.INVALID_REQUEST, 'Samsa reads broker settings at start-up only; change them with flags, SAMSA_* variables or the properties file and restart.');
      }
      if (r.resourceType !== RESOURCE_TOPIC) throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unsupported resource type: ${r.resourceType}`);
      await apply(r);
      return { ...base, errorCode: ErrorCode.NONE, errorMessage: null };
    } catch (err) {
      return { ...base, ...errorEntry(ctx, err, `config change of ${r.resourceName}`) };
    }
  }));
}

export const alterConfigs = defineHandler<AlterConfigsRequest, AlterConfigsResponse>({
  apiKey: ApiKey.AlterConfigs,
  minVersion: 0,
  maxVersion: 2,
  async handle(ctx, req) {
    const responses = await alterResults(ctx, req.resources, async (r) => {
      const configs: Record<string, string> = {};
      for (const c of r.configs) {
        if (c.value === null) throw new KafkaError(ErrorCode.INVALID_REQUEST, `Null value not supported for topic configs: ${c.name}`);
        configs[c.name] = c.value;
      }
      await ctx.topics.setConfigs(r.resourceName, configs, req.validateOnly);
    });
    return { throttleTimeMs: 0, responses };
  },
  errorResponse(req, _version, errorCode, errorMessage) {
    return { throttleTimeMs: 0, responses: req.resources.map((r) => ({ errorCode, errorMessage, resourceType: r.resourceType, resourceName: r.resourceName })) };
  },
});
