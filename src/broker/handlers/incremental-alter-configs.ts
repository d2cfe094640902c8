/**
 * IncrementalAlterConfigs (API 44), v0-v1.
 *
 * Behavior: SET (0) and DELETE (1) change single topic overrides; APPEND (2)
 * and SUBTRACT (3) add to or remove from list configs (cleanup.policy) and are
 * INVALID_CONFIG on others. The result is validated as a whole before it is
 * stored; validate_only checks only. Broker resources: INVALID_REQUEST (static).
 */
import { ApiKey } from '../../wire/generated/api-keys.js';
import type { IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse } from '../../wire/generated/incremental-alter-configs.js';
import { ErrorCode, KafkaError } from '../../wire/errors.js';
import { topicConfigDef, validateTopicConfig } from '../../config/topic-config.js';
import type { BrokerContext } from '../broker-context.js';
import { alterResult } from './alter-configs.js';

const SET = 0, DELETE = 1, APPEND = 2, SUBTRACT = 3;

export const incrementalAlterConfigs = {
  apiKey: ApiKey.IncrementalAlterConfigs,
  minVersion: 0,
  maxVersion: 1,
  handle(ctx: BrokerContext, req: IncrementalAlterConfigsRequest): IncrementalAlterConfigsResponse {
    const responses = req.resources.map((r) => alterResult(r.resourceType, r.resourceName, () => {
      const t = ctx.metadata.topic(r.resourceName);
      if (!t) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${r.resourceName}' does not exist.`);
      const next: Record<string, string> = { ...t.configs };
      for (const c of r.configs) {
        const unknown = validateTopicConfig(c.name, 'x');
        if (unknown?.startsWith('Unknown')) throw new KafkaError(ErrorCode.INVALID_CONFIG, unknown);
        const list = () => ctx.topics.value(t, c.name).split(',').map((s) => s.trim()).filter(Boolean);
        switch (c.configOperation) {
          case SET: next[c.name] = c.value ?? ''; break;
          case DELETE: delete next[c.name]; break;
          case APPEND:
          case SUBTRACT: {
            if (topicConfigDef(c.name)!.type !== 'LIST') throw new KafkaError(ErrorCode.INVALID_CONFIG, `Config value append/subtract is not allowed for config key: ${c.name}`);
            const items = (c.value ?? '').split(',').map((s) => s.trim()).filter(Boolean);
            const cur = list();
            next[c.name] = (c.configOperation === APPEND ? [...cur, ...items.filter((i) => !cur.includes(i))] : cur.filter((i) => !items.includes(i))).join(',');
            break;
          }
          default: throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unknown config operation ${c.configOperation}`);
        }
      }
      ctx.topics.setConfigs(r.resourceName, next, req.validateOnly);
    }));
    return { throttleTimeMs: 0, responses };
  },
};
