/**
 * AlterClientQuotas (API 49), v0-v1.
 *
 * Behavior: sets and removes quota values (producer_byte_rate,
 * consumer_byte_rate, request_percentage, controller_mutation_rate) of user
 * and/or client-id entities, a null name being the default entity of its
 * type. Each entry is checked on its own (quota-entity.ts alterEntryError:
 * known keys, values > 0, whole byte rates, no key twice, valid entity) and
 * refused with INVALID_REQUEST; a second entry for an entity already in the
 * request is refused ("Ignoring duplicate entity") while the first applies.
 * An entity's values live in one 'quota' security record of the cluster
 * metadata, rewritten whole (deleted when no value is left), so every broker
 * enforces the change. validate_only checks and writes nothing. Needs
 * ALTER_CONFIGS on the cluster, else every entry gets
 * CLUSTER_AUTHORIZATION_FAILED. Each entry's entity is echoed as sent.
 *
 * Difference from Kafka: ip entities (connection_creation_rate) are refused,
 * Samsa has no per-IP connection rate limiter.
 *
 * Version notes: v1 is the flexible version of v0.
 */
import { ApiKey } from '../../wire/generated/api-keys.js';
import type { AlterClientQuotasRequest, AlterClientQuotasResponse } from '../../wire/generated/alter-client-quotas.js';
import { ErrorCode } from '../../wire/errors.js';
import { alterEntryError, entityFromWire, entityKey, type QuotaEntity, type QuotaError } from '../../security/quota-entity.js';
import type { SecurityRecord } from '../../controller/cluster-metadata.js';
import { defineHandler, errorEntry } from '../handler.js';
import { AclOperation, allowedOnCluster, deniedMessage } from '../request-authorization.js';

type Entity = { entityType: string; entityName: string | null }[];

/** entityFromWire's refusal (entity names are strings or null, never numbers). */
const isRefusal = (e: QuotaEntity | QuotaError): e is QuotaError => typeof e.code === 'number';

const echo = (entity: Entity) => entity.map(({ entityType, entityName }) => ({ entityType, entityName }));

/** The error on every entry (Kafka's getErrorResponse). */
function refused(req: AlterClientQuotasRequest, errorCode: number, errorMessage: string): AlterClientQuotasResponse {
  return { throttleTimeMs: 0, entries: req.entries.map((e) => ({ errorCode, errorMessage, entity: echo(e.entity) })) };
}

export const alterClientQuotas = defineHandler<AlterClientQuotasRequest, AlterClientQuotasResponse>({
  apiKey: ApiKey.AlterClientQuotas,
  minVersion: 0,
  maxVersion: 1,
  async handle(ctx, req) {
    if (!allowedOnCluster(ctx, AclOperation.ALTER_CONFIGS)) return refused(req, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, deniedMessage(ErrorCode.CLUSTER_AUTHORIZATION_FAILED));
    const stored = ctx.metadata.securityRecords('quota');
    const taken = new Set<string>();
    const records: SecurityRecord[] = [];
    const outcomes = req.entries.map((e): { errorCode: number; errorMessage: string } | undefined => {
      const entity = entityFromWire(e.entity);
      if (isRefusal(entity)) return { errorCode: entity.code, errorMessage: entity.message };
      const problem = alterEntryError(entity, e.ops);
      if (problem) return { errorCode: problem.code, errorMessage: problem.message };
      const key = entityKey(entity);
      if (taken.has(key)) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Ignoring duplicate entity ${key}` };
      taken.add(key);
      const current = stored.get(key);
      const values = current ? (JSON.parse(current) as Record<string, number>) : {};
      for (const op of e.ops) {
        if (op.remove) delete values[op.key];
        else values[op.key] = op.value;
      }
      if (e.ops.length > 0) records.push({ kind: 'quota', key, value: Object.keys(values).length ? JSON.stringify(values) : null });
      return undefined; // applied with the others below
    });

    let writeFailure: { errorCode: number; errorMessage: string } | undefined;
    if (!req.validateOnly && records.length > 0) {
      try {
        await ctx.security.write(records);
      } catch (err) {
        writeFailure = errorEntry(ctx, err, 'a client quota change');
      }
    }
    return {
      throttleTimeMs: 0,
      entries: req.entries.map((e, i) => ({
        ...(outcomes[i] ?? writeFailure ?? { errorCode: ErrorCode.NONE, errorMessage: null }),
        entity: echo(e.entity),
      })),
    };
  },
  errorResponse: (req, _version, errorCode, errorMessage) => refused(req, errorCode, errorMessage),
});
