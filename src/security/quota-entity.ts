/**
 * Client quota entities as AlterClientQuotas and DescribeClientQuotas carry
 * them, with Kafka's validation rules for both requests.
 *
 * An entity maps entity types to names: 'user' and 'client-id', alone or
 * together. A null name is the default entity of that type (shown as
 * <default> by kafka-configs.sh). Kafka also has 'ip' entities
 * (connection_creation_rate); Samsa refuses to store them because it has no
 * per-IP connection rate limiter, but a Describe filter on 'ip' is valid and
 * simply matches nothing.
 *
 * Deliberate differences from Kafka, all stricter:
 * - a request entity that names the same entity type twice is refused
 *   (Kafka's request parser keeps the last one silently);
 * - a quota value that is NaN or infinite is refused (Kafka's "> 0" check
 *   lets NaN through).
 */
import { ErrorCode } from '../wire/errors.js';
import { didYouMean } from '../config/did-you-mean.js';

/** Entity type -> name; a null name is the default entity of that type. */
export type QuotaEntity = Record<string, string | null>;

export const USER = 'user';
export const CLIENT_ID = 'client-id';
export const IP = 'ip';

/** The quota keys a user and/or client-id entity may carry (Kafka's QuotaConfig names). */
export const QUOTA_KEYS = ['producer_byte_rate', 'consumer_byte_rate', 'request_percentage', 'controller_mutation_rate'] as const;
export type QuotaKey = (typeof QUOTA_KEYS)[number];

/** Byte rates are LONG configs in Kafka: whole numbers up to 2^63-1; the other two are DOUBLE. */
const INTEGRAL_KEYS: ReadonlySet<string> = new Set(['producer_byte_rate', 'consumer_byte_rate']);
const LONG_MAX = 9223372036854775807; // as a double this is 2^63, the bound Kafka compares against

/** DescribeClientQuotas component match types. */
export const MatchType = { EXACT: 0, DEFAULT: 1, SPECIFIED: 2 } as const;

export interface QuotaError { code: number; message: string }
export interface QuotaOp { key: string; value: number; remove: boolean }
export interface FilterComponent { entityType: string; matchType: number; match: string | null }

const invalid = (message: string): QuotaError => ({ code: ErrorCode.INVALID_REQUEST, message });

function describeEntity(e: QuotaEntity): string {
  const parts = Object.entries(e).map(([type, name]) => `${type}=${name ?? '<default>'}`);
  return parts.length ? parts.join(', ') : '(empty)';
}

/**
 * Builds the entity of one AlterClientQuotas entry from its wire list, or
 * says why it cannot (a type named twice).
 */
export function entityFromWire(entries: readonly { entityType: string; entityName: string | null }[]): QuotaEntity | QuotaError {
  const entity: QuotaEntity = {};
  for (const { entityType, entityName } of entries) {
    if (Object.hasOwn(entity, entityType)) return invalid(`Invalid client quota entity, duplicate entity entry ${entityType}`);
    entity[entityType] = entityName;
  }
  return entity;
}

/** The wire list of an entity, user before client-id as kafka-configs.sh shows them. */
export function entityToWire(e: QuotaEntity): { entityType: string; entityName: string | null }[] {
  return orderedTypes(e).map((entityType) => ({ entityType, entityName: e[entityType] ?? null }));
}

/**
 * Why one AlterClientQuotas entry must be refused, or undefined when it may
 * be applied. `ops` are the entry's operations as received: a removal
 * (remove: true) ignores its value and, as in Kafka, its key is not checked
 * (removing a key that is not set changes nothing). The caller still has to
 * refuse a second entry for the same entity in one request, as Kafka does
 * ("Ignoring duplicate entity"): compare entityKey() of the entries.
 */
export function alterEntryError(entity: QuotaEntity, ops: readonly QuotaOp[]): QuotaError | undefined {
  const seen = new Set<string>();
  for (const op of ops) {
    if (seen.has(op.key)) return invalid(`Duplicate quota key ${op.key} not updating quota for this entity ${describeEntity(entity)}`);
    seen.add(op.key);
  }

  const types = Object.keys(entity);
  if (types.length === 0) return invalid('Invalid empty client quota entity');
  for (const type of types) {
    if (type !== USER && type !== CLIENT_ID && type !== IP) return invalid(`Unhandled client quota entity type: ${type}`);
    if (entity[type] === '') return invalid(`Empty ${type} not supported`);
  }
  if (Object.hasOwn(entity, IP)) {
    if (types.length > 1) return invalid('Invalid quota entity combination, IP entity should not be combined with User or ClientId');
    return invalid('IP quotas (connection_creation_rate) are not supported by Samsa');
  }

  for (const op of ops) {
    if (op.remove) continue;
    const error = quotaValueError(op.key, op.value);
    if (error) return error;
  }
  return undefined;
}

function quotaValueError(key: string, value: number): QuotaError | undefined {
  if (!(QUOTA_KEYS as readonly string[]).includes(key)) return invalid(`Invalid configuration key ${key}${didYouMean(key, QUOTA_KEYS)}`);
  if (typeof value !== 'number' || !Number.isFinite(value)) return invalid(`Quota ${key} must be a finite number`);
  if (value <= 0) return invalid(`Quota ${key} must be greater than 0`);
  if (INTEGRAL_KEYS.has(key)) {
    if (value > LONG_MAX) return invalid(`Proposed value for ${key} is too large for a LONG.`);
    // Kafka tolerates float noise up to 1e-6 before calling a value fractional.
    if (Math.abs(value % 1) > 1e-6) return invalid(`${key} cannot be a fractional value.`);
  }
  return undefined;
}

// ---------------------------------------------------------------------------
// Storage keys: "user=alice/client-id=app", "user=<default>", "client-id=<default>".
// Names are escaped so that no name can read as <default> or split the key:
// '%', '/', '=', '<' and '>' become %XX (the way Kafka's Sanitizer keeps a
// client-id literally named "<default>" apart from the default entity).

const TYPE_ORDER = [USER, CLIENT_ID, IP];
const DEFAULT_NAME = '<default>';

function orderedTypes(e: QuotaEntity): string[] {
  const rank = (t: string) => { const i = TYPE_ORDER.indexOf(t); return i < 0 ? TYPE_ORDER.length : i; };
  return Object.keys(e).sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
}

const escape = (s: string) => s.replace(/[%/=<>]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
const unescape = (s: string) => s.replace(/%([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));

/** A canonical string for an entity: equal entities give equal keys whatever their property order. */
export function entityKey(e: QuotaEntity): string {
  return orderedTypes(e)
    .map((type) => { const name = e[type]; return `${escape(type)}=${name == null ? DEFAULT_NAME : escape(name)}`; })
    .join('/');
}

/** The entity of an entityKey() string; throws on a string entityKey() cannot have produced. */
export function parseEntityKey(k: string): QuotaEntity {
  const entity: QuotaEntity = {};
  if (k === '') return entity;
  for (const part of k.split('/')) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new Error(`not a quota entity key: ${JSON.stringify(k)}`);
    const type = unescape(part.slice(0, eq));
    const name = part.slice(eq + 1);
    entity[type] = name === DEFAULT_NAME ? null : unescape(name);
  }
  return entity;
}

// ---------------------------------------------------------------------------
// DescribeClientQuotas filters.

/**
 * Why a DescribeClientQuotas filter is refused, or undefined. The error goes
 * into the response's top-level error_code/error_message with entries null.
 * An entity type other than user, client-id and ip is UNSUPPORTED_VERSION,
 * as Kafka answers it.
 */
export function filterError(components: readonly FilterComponent[]): QuotaError | undefined {
  const seen = new Set<string>();
  for (const c of components) {
    if (c.entityType === '') return invalid('Invalid empty entity type.');
    if (seen.has(c.entityType)) return invalid(`Entity type ${c.entityType} cannot appear more than once in the filter.`);
    seen.add(c.entityType);
    if (c.entityType !== USER && c.entityType !== CLIENT_ID && c.entityType !== IP) {
      return { code: ErrorCode.UNSUPPORTED_VERSION, message: `Unsupported entity type ${c.entityType}` };
    }
    switch (c.matchType) {
      case MatchType.EXACT:
        if (c.match == null) return invalid('Request specified MATCH_TYPE_EXACT, but set match string to null.');
        break;
      case MatchType.DEFAULT:
        if (c.match != null) return invalid('Request specified MATCH_TYPE_DEFAULT, but also specified a match string.');
        break;
      case MatchType.SPECIFIED:
        if (c.match != null) return invalid('Request specified MATCH_TYPE_SPECIFIED, but also specified a match string.');
        break;
      default:
        return invalid(`Unknown match type ${c.matchType}`);
    }
  }
  if (seen.has(IP) && (seen.has(USER) || seen.has(CLIENT_ID))) {
    return invalid('Invalid entity filter component combination. IP filter component should not be used with user or clientId filter component.');
  }
  return undefined;
}

/**
 * Whether an entity matches a filter that filterError() accepted. Every
 * component must match: EXACT the name, DEFAULT the default entity, and
 * SPECIFIED any entity that has the type. SPECIFIED includes the default
 * entity, as Kafka does (its DescribeClientQuotas "all users" filter returns
 * the <default> user too). strict: the entity has no types beyond the
 * filter's, so an empty strict filter matches nothing and an empty
 * non-strict filter matches everything.
 */
export function matchesFilter(e: QuotaEntity, components: readonly FilterComponent[], strict: boolean): boolean {
  if (strict && Object.keys(e).length !== components.length) return false;
  for (const c of components) {
    if (!Object.hasOwn(e, c.entityType)) return false;
    const name = e[c.entityType];
    if (c.matchType === MatchType.EXACT && name !== c.match) return false;
    if (c.matchType === MatchType.DEFAULT && name !== null) return false;
  }
  return true;
}
