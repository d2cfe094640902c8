/**
 * What handlers ask before they act: may this request's principal, from this
 * host, do `operation` on this resource? Kafka's KafkaApis asks its
 * authorizer the same question per resource (each topic of a Produce, the
 * group of a JoinGroup, the cluster for admin operations); handlers here do
 * the same through these functions, so the rules live in one authorizer.
 *
 * A broker with no ACLs and allow.everyone.if.no.acl.found=true (the default)
 * answers yes without looking anything up: the data path pays nothing.
 */
import { AclOperation, CLUSTER_RESOURCE_NAME, ResourceType } from '../security/acl.js';
import type { BrokerContext } from './broker-context.js';

export { AclOperation, ResourceType };

type Asker = Pick<BrokerContext, 'security' | 'session'>;

export function authorized(ctx: Asker, operation: number, resourceType: number, name: string): boolean {
  const a = ctx.security.authorizer;
  if (a.allowsEverything) return true;
  return a.authorize(ctx.session.principal, ctx.session.host, operation, resourceType, name);
}

export function clusterAuthorized(ctx: Asker, operation: number): boolean {
  return authorized(ctx, operation, ResourceType.CLUSTER, CLUSTER_RESOURCE_NAME);
}

/** Kafka's authorizeByResourceType: whether the principal may do `operation` on some resource of the type (idempotent producers without IDEMPOTENT_WRITE). */
export function authorizedOnAny(ctx: Asker, operation: number, resourceType: number): boolean {
  const a = ctx.security.authorizer;
  if (a.allowsEverything) return true;
  return a.authorizeByResourceType(ctx.session.principal, ctx.session.host, operation, resourceType);
}
