/**
 * ACL bindings as the CreateAcls / DescribeAcls / DeleteAcls messages carry
 * them: a resource pattern (type, name, LITERAL or PREFIXED) plus an access
 * control entry (principal "Type:name", host, operation, ALLOW or DENY), every
 * enum as its wire code. Also filters over bindings, the validation Kafka
 * applies before storing a binding, and a canonical storage key.
 *
 * Behaviour notes (Kafka's rules, from ResourcePatternFilter,
 * AccessControlEntryFilter, AclApis and AclControlManager):
 * - a filter's null strings and ANY codes match anything; a MATCH pattern type
 *   with a name matches the LITERAL binding of that name, the LITERAL wildcard
 *   "*" and every PREFIXED binding whose name starts the filter's name; ANY (or
 *   an exact pattern type) with a name matches that exact name only.
 * - A PREFIXED binding named "*" is accepted, as Kafka accepts it: it is a prefix
 *   of the character '*', not a wildcard (only LITERAL "*" is the wildcard).
 * - Unlike KRaft Kafka, a principal without "Type:" is refused at creation (the
 *   ZooKeeper authorizer refused it too; KRaft stores it and then fails every
 *   authorization that meets it).
 */

export const ResourceType = { UNKNOWN: 0, ANY: 1, TOPIC: 2, GROUP: 3, CLUSTER: 4, TRANSACTIONAL_ID: 5, DELEGATION_TOKEN: 6, USER: 7 } as const;
export const PatternType = { UNKNOWN: 0, ANY: 1, MATCH: 2, LITERAL: 3, PREFIXED: 4 } as const;
export const AclOperation = {
  UNKNOWN: 0, ANY: 1, ALL: 2, READ: 3, WRITE: 4, CREATE: 5, DELETE: 6, ALTER: 7, DESCRIBE: 8, CLUSTER_ACTION: 9,
  DESCRIBE_CONFIGS: 10, ALTER_CONFIGS: 11, IDEMPOTENT_WRITE: 12, CREATE_TOKENS: 13, DESCRIBE_TOKENS: 14,
} as const;
export const AclPermissionType = { UNKNOWN: 0, ANY: 1, DENY: 2, ALLOW: 3 } as const;

/** The resource name a CLUSTER binding must have (Kafka has one cluster resource). */
export const CLUSTER_RESOURCE_NAME = 'kafka-cluster';
/** A LITERAL binding with this name covers every resource of its type. */
export const WILDCARD_RESOURCE = '*';
/** An entry with this host applies to clients from any address. */
export const WILDCARD_HOST = '*';
/** An entry with this principal applies to every principal (only the User type has a wildcard). */
export const WILDCARD_PRINCIPAL = 'User:*';

export interface AclBinding {
  resourceType: number; resourceName: string; patternType: number;
  principal: string; host: string; operation: number; permissionType: number;
}

/** A filter: null strings and ANY codes match anything; patternType MATCH matches the literal and prefixed (and wildcard) bindings that apply to resourceName. */
export interface AclBindingFilter {
  resourceType: number; resourceName: string | null; patternType: number;
  principal: string | null; host: string | null; operation: number; permissionType: number;
}

/** The filter that matches every binding. */
export const ANY_ACL_FILTER: Readonly<AclBindingFilter> = Object.freeze({
  resourceType: ResourceType.ANY, resourceName: null, patternType: PatternType.ANY,
  principal: null, host: null, operation: AclOperation.ANY, permissionType: AclPermissionType.ANY,
});

type CodeTable = Readonly<Record<string, number>>;

/** The constant's name for a code; codes outside the table read as UNKNOWN, as Kafka's fromCode does. */
function nameOf(table: CodeTable, code: number): string {
  for (const [name, value] of Object.entries(table)) if (value === code) return name;
  return 'UNKNOWN';
}

/** Case-insensitive and blind to '_', '-' and spaces, so "TransactionalId" (Kafka's own spelling), "transactional-id" and "TRANSACTIONAL_ID" all parse. */
function codeOf(table: CodeTable, text: string): number | undefined {
  const wanted = text.replace(/[-_\s]/g, '').toUpperCase();
  for (const [name, value] of Object.entries(table)) if (name.replace(/_/g, '') === wanted) return value;
  return undefined;
}

function known(table: CodeTable, code: number): boolean {
  return Object.values(table).includes(code) && code !== 0;
}

export function resourceTypeName(n: number): string { return nameOf(ResourceType, n); }
export function patternTypeName(n: number): string { return nameOf(PatternType, n); }
export function operationName(n: number): string { return nameOf(AclOperation, n); }
export function permissionTypeName(n: number): string { return nameOf(AclPermissionType, n); }
export function parseResourceType(s: string): number | undefined { return codeOf(ResourceType, s); }
export function parsePatternType(s: string): number | undefined { return codeOf(PatternType, s); }
export function parseOperation(s: string): number | undefined { return codeOf(AclOperation, s); }
export function parsePermissionType(s: string): number | undefined { return codeOf(AclPermissionType, s); }

const OPS = AclOperation;
const SUPPORTED_OPERATIONS: Readonly<Record<number, readonly number[]>> = {
  [ResourceType.TOPIC]: [OPS.READ, OPS.WRITE, OPS.CREATE, OPS.DESCRIBE, OPS.DELETE, OPS.ALTER, OPS.DESCRIBE_CONFIGS, OPS.ALTER_CONFIGS],
  [ResourceType.GROUP]: [OPS.READ, OPS.DESCRIBE, OPS.DELETE, OPS.DESCRIBE_CONFIGS, OPS.ALTER_CONFIGS],
  [ResourceType.CLUSTER]: [OPS.CREATE, OPS.CLUSTER_ACTION, OPS.DESCRIBE_CONFIGS, OPS.ALTER_CONFIGS, OPS.IDEMPOTENT_WRITE, OPS.ALTER, OPS.DESCRIBE],
  [ResourceType.TRANSACTIONAL_ID]: [OPS.DESCRIBE, OPS.WRITE],
  [ResourceType.DELEGATION_TOKEN]: [OPS.DESCRIBE],
  [ResourceType.USER]: [OPS.CREATE_TOKENS, OPS.DESCRIBE_TOKENS],
};

/**
 * The operations that mean something on a resource type (Kafka's
 * AclEntry.supportedOperations): what kafka-acls checks before adding an ACL and
 * what the authorized-operations bit fields (Metadata, DescribeCluster,
 * DescribeGroups) are computed over. Empty for UNKNOWN and ANY.
 */
export function supportedOperations(resourceType: number): readonly number[] {
  return SUPPORTED_OPERATIONS[resourceType] ?? [];
}

/** Whether `principal` has Kafka's "Type:name" shape (split at the first colon). */
function isPrincipal(principal: string): boolean {
  const colon = principal.indexOf(':');
  return colon > 0 && colon < principal.length - 1;
}

/** The reason a binding cannot be created (CreateAcls INVALID_REQUEST / per-result error message), undefined when valid. */
export function bindingError(b: AclBinding): string | undefined {
  if (!known(ResourceType, b.resourceType) || b.resourceType === ResourceType.ANY) {
    return `Invalid resource type ${resourceTypeName(b.resourceType)} (${b.resourceType})`;
  }
  if (b.patternType !== PatternType.LITERAL && b.patternType !== PatternType.PREFIXED) {
    return `Invalid pattern type ${patternTypeName(b.patternType)} (${b.patternType}): a binding is LITERAL or PREFIXED`;
  }
  if (typeof b.resourceName !== 'string' || b.resourceName.length === 0) return 'Invalid empty resource name';
  if (b.resourceType === ResourceType.CLUSTER && b.resourceName !== CLUSTER_RESOURCE_NAME) {
    return `The only valid name for the CLUSTER resource is ${CLUSTER_RESOURCE_NAME}`;
  }
  if (typeof b.principal !== 'string' || !isPrincipal(b.principal)) {
    return `Invalid principal '${b.principal}': expected principalType:principalName, e.g. User:alice or User:*`;
  }
  if (typeof b.host !== 'string' || b.host.length === 0) return `Invalid empty host: use ${WILDCARD_HOST} for any host`;
  if (!known(AclOperation, b.operation) || b.operation === AclOperation.ANY) {
    return `Invalid operation ${operationName(b.operation)} (${b.operation})`;
  }
  if (b.permissionType !== AclPermissionType.ALLOW && b.permissionType !== AclPermissionType.DENY) {
    return `Invalid permission type ${permissionTypeName(b.permissionType)} (${b.permissionType}): a binding is ALLOW or DENY`;
  }
  return undefined;
}

/** The reason a filter is invalid (DeleteAcls/DescribeAcls), undefined when valid. */
export function filterError(f: AclBindingFilter): string | undefined {
  // Codes a Kafka broker does not know decode as UNKNOWN there, so they are refused the same way.
  if (!known(ResourceType, f.resourceType)) return `Invalid resource type filter ${f.resourceType}: UNKNOWN`;
  if (!known(PatternType, f.patternType)) return `Invalid pattern type filter ${f.patternType}: UNKNOWN`;
  if (!known(AclOperation, f.operation)) return `Invalid operation filter ${f.operation}: UNKNOWN`;
  if (!known(AclPermissionType, f.permissionType)) return `Invalid permission type filter ${f.permissionType}: UNKNOWN`;
  return undefined;
}

function patternMatches(b: AclBinding, f: AclBindingFilter): boolean {
  if (f.resourceType !== ResourceType.ANY && f.resourceType !== b.resourceType) return false;
  const anyPattern = f.patternType === PatternType.ANY || f.patternType === PatternType.MATCH;
  if (!anyPattern && f.patternType !== b.patternType) return false;
  if (f.resourceName === null) return true;
  if (f.patternType !== PatternType.MATCH) return f.resourceName === b.resourceName;
  // MATCH: the bindings that would apply to a resource named f.resourceName.
  if (b.patternType === PatternType.LITERAL) return b.resourceName === f.resourceName || b.resourceName === WILDCARD_RESOURCE;
  if (b.patternType === PatternType.PREFIXED) return f.resourceName.startsWith(b.resourceName);
  return false;
}

function entryMatches(b: AclBinding, f: AclBindingFilter): boolean {
  if (f.principal !== null && f.principal !== b.principal) return false;
  if (f.host !== null && f.host !== b.host) return false;
  if (f.operation !== AclOperation.ANY && f.operation !== b.operation) return false;
  return f.permissionType === AclPermissionType.ANY || f.permissionType === b.permissionType;
}

export function matchesFilter(b: AclBinding, f: AclBindingFilter): boolean {
  return patternMatches(b, f) && entryMatches(b, f);
}

/**
 * A canonical string for a binding: a JSON array of its seven fields in a fixed
 * order, so any characters in names survive and equal bindings have equal keys
 * (used as the storage key, so creating a binding twice stores it once).
 */
export function aclKey(b: AclBinding): string {
  return JSON.stringify([b.resourceType, b.resourceName, b.patternType, b.principal, b.host, b.operation, b.permissionType]);
}

export function parseAclKey(key: string): AclBinding {
  let fields: unknown;
  try { fields = JSON.parse(key); } catch { fields = undefined; }
  const shape = ['number', 'string', 'number', 'string', 'string', 'number', 'number'];
  if (!Array.isArray(fields) || fields.length !== shape.length || fields.some((v, i) => typeof v !== shape[i])) {
    throw new Error(`not an ACL key: ${key}`);
  }
  const [resourceType, resourceName, patternType, principal, host, operation, permissionType] = fields as [number, string, number, string, string, number, number];
  return { resourceType, resourceName, patternType, principal, host, operation, permissionType };
}

/** One line for logs and the CLI, e.g. "User:alice has ALLOW permission for READ from host * on TOPIC:LITERAL:orders". */
export function describeBinding(b: AclBinding): string {
  return `${b.principal} has ${permissionTypeName(b.permissionType)} permission for ${operationName(b.operation)} from host ${b.host}` +
    ` on ${resourceTypeName(b.resourceType)}:${patternTypeName(b.patternType)}:${b.resourceName}`;
}
