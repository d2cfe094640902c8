/**
 * IncrementalAlterConfigs (API 44), v0-v1.
 *
 * Behavior: SET (0) and DELETE (1) change single topic overrides; APPEND (2)
 * and SUBTRACT (3) add to or remove from list configs (cleanup.policy, the
 * throttled-replicas lists), starting from the effective value, and are
 * INVALID_CONFIG on other types. Unknown names are INVALID_CONFIG with a "did
 * you mean"; a key named twice for one resource, or a null value for SET,
 * INVALID_REQUEST. The result is validated as a whole before it is stored and
 * pushed to the partition logs; validate_only checks only.
 *
 * Authorization as AlterConfigs (alterResults): ALTER_CONFIGS on the topic,
 * the cluster (BROKER, BROKER_LOGGER, CLIENT_METRICS) or the group.
 *
 * Difference from Kafka: BROKER resources get INVALID_REQUEST (broker
 * settings are static in Samsa).
 */
import { ApiKey } from '../../wire/generated/api-keys.js';
import type { IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse } from '../../wire/generated/incremental-alter-configs.js';
import { ErrorCode, KafkaError } from '../../wire/errors.js';
import { topicConfigDef, validateTopicConfig } from '../../config/topic-config.js';
import { defineHandler } from '../handler.js';
import { alterResults } from './alter-configs.js';

const SET = 0, DELETE = 1, APPEND = 2, SUBTRACT = 3;
const items = (v: string | null) => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean);

export const incrementalAlterConfigs = defineHandler<IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse>({
  apiKey: ApiKey.IncrementalAlterConfigs,
  minVersion: 0,
  maxVersion: 1,
  async handle(ctx, req) {
    const responses = await alterResults(ctx, req.resources, async (r) => {
      const t = ctx.metadata.topic(r.resourceName);
      if (!t) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${r.resourceName}' does not exist.`);
      const names = r.configs.map((c) => c.name);
      if (new Set(names).size !== names.length) throw new KafkaError(ErrorCode.INVALID_REQUEST, 'Error due to duplicate config keys');
      const next: Record<string, string> = { ...t.configs };
      for (const c of r.configs) {
        const def = topicConfigDef(c.name);
        if (!def) throw new KafkaError(ErrorCode.INVALID_CONFIG, validateTopicConfig(c.name, c.value)!);
        switch (c.configOperation) {
          case SET:
            if (c.value === null) throw new KafkaError(ErrorCode.INVALID_REQUEST, `Null value not supported for : ${c.name}`);
            next[c.name] = c.value;
            break;
          case DELETE: delete next[c.name]; break;
          case APPEND:
          case SUBTRACT: {
            if (def.type !== 'LIST') throw new KafkaError(ErrorCode.INVALID_CONFIG, `Config value ${c.configOperation === APPEND ? 'append' : 'subtract'} is not allowed for config key: ${c.name}`);
            const cur = items(next[c.name] ?? ctx.topics.value(t, c.name));
            const given = items(c.value);
            next[c.name] = (c.configOperation === APPEND ? [...cur, ...given.filter((i) => !cur.includes(i))] : cur.filter((i) => !given.includes(i))).join(',');
            break;
          }
          default: throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unknown alter config operation type ${c.configOperation}`);
        }
      }
      await ctx.topics.setConfigs(r.resourceName, next, req.validateOnly);
    });
    return { throttleTimeMs: 0, responses };
  },
  errorResponse(req, _version, errorCode, errorMessage) {
    return { throttleTimeMs: 0, responses: req.resources.map((r) => ({ errorCode, errorMessage, resourceType: r.resourceType, resourceName: r.resourceName })) };
  },
});
