/**
 * What handlers ask before they act: may this request's principal, from this
 * host, do an operation on a resource? Kafka's KafkaApis asks its authorizer
 * the same per resource (each topic of a Produce, the group of a JoinGroup,
 * the cluster for admin operations); handlers here do it through these
 * functions, so the rules live in one authorizer. Also: a memo so each
 * resource name is asked once however many partitions name it (Kafka's
 * filterByAuthorized), the authorized-operations bit fields of Metadata,
 * DescribeCluster, DescribeGroups and DescribeTopicPartitions, and Kafka's
 * default messages for the authorization errors. A broker with no ACLs and
 * allow.everyone.if.no.acl.found=true (the default) answers yes without
 * looking anything up.
 *
 * The data-path handlers (produce, fetch, ...) are also driven by unit tests
 * with a bare DataPathContext and no broker: without `security` and
 * `session` every check here answers yes.
 */
import { AclOperation, CLUSTER_RESOURCE_NAME, ResourceType, supportedOperations } from '../security/acl.js';
import { ErrorCode } from '../wire/errors.js';
import type { BrokerSecurity } from './broker-security.js';
import type { ClientSession } from './client-session.js';

export { AclOperation, ResourceType };

/** Who asks and the authorizer to ask; both absent only in handler unit tests. */
export interface AuthorizationContext {
  security?: BrokerSecurity;
  session?: ClientSession;
}

/** The value of an authorized-operations field that was not asked for (the specs' default, Integer.MIN_VALUE). */
export const OPERATIONS_NOT_REQUESTED = -2147483648;

export function allowed(ctx: AuthorizationContext, operation: number, resourceType: number, name: string): boolean {
  const a = ctx.security?.authorizer;
  if (a === undefined || ctx.session === undefined || a.allowsEverything) return true;
  return a.authorize(ctx.session.principal, ctx.session.host, operation, resourceType, name);
}

export function allowedOnCluster(ctx: AuthorizationContext, operation: number): boolean {
  return allowed(ctx, operation, ResourceType.CLUSTER, CLUSTER_RESOURCE_NAME);
}

/** Kafka's authorizeByResourceType (an idempotent producer with WRITE on some topic). */
export function allowedOnAny(ctx: AuthorizationContext, operation: number, resourceType: number): boolean {
  const a = ctx.security?.authorizer;
  if (a === undefined || ctx.session === undefined || a.allowsEverything) return true;
  return a.authorizeByResourceType(ctx.session.principal, ctx.session.host, operation, resourceType);
}

/**
 * A check of one operation on resources of one type for the rest of the
 * request, remembering each name's answer. With nothing to check (no ACLs,
 * allow.everyone.if.no.acl.found) it is a constant yes: the hot paths pay
 * one property read per request.
 */
export function checker(ctx: AuthorizationContext, operation: number, resourceType: number): (name: string) => boolean {
  if (ctx.security === undefined || ctx.security.authorizer.allowsEverything) return () => true;
  const answers = new Map<string, boolean>();
  return (name) => {
    let ok = answers.get(name);
    if (ok === undefined) answers.set(name, ok = allowed(ctx, operation, resourceType, name));
    return ok;
  };
}

/**
 * Kafka's AuthHelper.authorizedOperations: bit (1 << code) set for each
 * operation the resource type supports that the principal may perform on the
 * resource (implied ones included, as the authorizer grants them).
 */
export function authorizedOperations(ctx: AuthorizationContext, resourceType: number, name: string): number {
  let bits = 0;
  for (const op of supportedOperations(resourceType)) if (allowed(ctx, op, resourceType, name)) bits |= 1 << op;
  return bits;
}

/** Kafka's default message for each authorization error (Errors.java), for responses that carry one. */
const DENIED_MESSAGES: Readonly<Record<number, string>> = {
  [ErrorCode.TOPIC_AUTHORIZATION_FAILED]: 'Topic authorization failed.',
  [ErrorCode.GROUP_AUTHORIZATION_FAILED]: 'Group authorization failed.',
  [ErrorCode.CLUSTER_AUTHORIZATION_FAILED]: 'Cluster authorization failed.',
  [ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED]: 'Transactional Id authorization failed.',
};

export function deniedMessage(code: number): string {
  return DENIED_MESSAGES[code] ?? 'Authorization failed.';
}
