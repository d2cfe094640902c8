/**
 * AlterConfigs (API 33), v0-v2.
 *
 * Behavior: replaces a topic's whole set of overrides (configs not named go
 * back to their defaults), after validating every one (INVALID_CONFIG, with a
 * "did you mean" for unknown names); validate_only checks only. Broker
 * settings are static in Samsa: BROKER resources get INVALID_REQUEST with a
 * message saying so.
 */
import { ApiKey } from '../../wire/generated/api-keys.js';
import type { AlterConfigsRequest, AlterConfigsResponse } from '../../wire/generated/alter-configs.js';
import { ErrorCode, KafkaError } from '../../wire/errors.js';
import type { BrokerContext } from '../broker-context.js';
import { RESOURCE_TOPIC } from './describe-configs.js';

export function alterResult(resourceType: number, resourceName: string, apply: () => void) {
  try {
    if (resourceType !== RESOURCE_TOPIC) throw new KafkaError(ErrorCode.INVALID_REQUEST, 'Samsa reads broker settings at start-up only; change them with flags, SAMSA_* variables or the properties file and restart.');
    apply();
    return { errorCode: ErrorCode.NONE, errorMessage: null, resourceType, resourceName };
  } catch (err) {
    if (!(err instanceof KafkaError)) throw err;
    return { errorCode: err.code, errorMessage: err.message, resourceType, resourceName };
  }
}

export const alterConfigs = {
  apiKey: ApiKey.AlterConfigs,
  minVersion: 0,
  maxVersion: 2,
  handle(ctx: BrokerContext, req: AlterConfigsRequest): AlterConfigsResponse {
    const responses = req.resources.map((r) => alterResult(r.resourceType, r.resourceName, () => {
      const configs: Record<string, string> = {};
      for (const c of r.configs) {
        if (c.value === null) throw new KafkaError(ErrorCode.INVALID_REQUEST, `Null value not supported for ${c.name}`);
        configs[c.name] = c.value;
      }
      ctx.topics.setConfigs(r.resourceName, configs, req.validateOnly);
    }));
    return { throttleTimeMs: 0, responses };
  },
};
