/**
 * FindCoordinator (API 10), v0-v6.
 *
 * Behavior: this broker coordinates every group (key type 0) and every
 * transactional id (key type 1); an empty key is INVALID_REQUEST, another key
 * type INVALID_REQUEST too. v4+ asks for several keys at once (coordinator_keys).
 */
import { ApiKey } from '../../wire/generated/api-keys.js';
import type { FindCoordinatorRequest, FindCoordinatorResponse } from '../../wire/generated/find-coordinator.js';
import { ErrorCode } from '../../wire/errors.js';
import { defineHandler } from '../handler.js';
import type { BrokerContext } from '../broker-context.js';

const GROUP = 0;
const TRANSACTION = 1;

function answer(ctx: BrokerContext, key: string, keyType: number) {
  if (keyType !== GROUP && keyType !== TRANSACTION) return { key, nodeId: -1, host: '', port: -1, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unknown coordinator type ${keyType}.` };
  if (!key) return { key, nodeId: -1, host: '', port: -1, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `${keyType === GROUP ? 'Group' : 'Transactional'} id must not be empty.` };
  return { key, nodeId: ctx.nodeId, host: ctx.advertised.host, port: ctx.advertised.port, errorCode: ErrorCode.NONE, errorMessage: null };
}

export const findCoordinator = defineHandler<FindCoordinatorRequest, FindCoordinatorResponse>({
  apiKey: ApiKey.FindCoordinator,
  minVersion: 0,
  maxVersion: 6,
  handle(ctx, req, version) {
    if (version >= 4) return { throttleTimeMs: 0, coordinators: (req.coordinatorKeys ?? []).map((k) => answer(ctx, k, req.keyType ?? GROUP)) };
    const a = answer(ctx, req.key ?? '', req.keyType ?? GROUP);
    return { throttleTimeMs: 0, errorCode: a.errorCode, errorMessage: a.errorMessage, nodeId: a.nodeId, host: a.host, port: a.port };
  },
});
