/**
 * The ACL authorizer: decides whether a principal connecting from a host may
 * perform an operation on a resource, with the rules of Kafka's
 * StandardAuthorizer (KRaft), fed with bindings from cluster metadata.
 *
 * Behavior notes (StandardAuthorizerData and Authorizer.authorizeByResourceType):
 * - Super users (exact "Type:name" strings) are allowed everything, even against DENY.
 * - The bindings that apply to a resource: LITERAL with its name, LITERAL "*",
 *   and PREFIXED whose name starts the resource's name. A binding's entry then
 *   matches when its principal is the caller's or "User:*", its host is the
 *   caller's or "*", and its operation is ALL, the requested one, or (ALLOW
 *   only) one that implies it: READ, WRITE, DELETE and ALTER imply DESCRIBE;
 *   ALTER_CONFIGS implies DESCRIBE_CONFIGS. So DENY READ does not deny DESCRIBE.
 * - Any matching DENY wins; else any matching ALLOW allows. When nothing matched,
 *   the result is allow.everyone.if.no.acl.found only if no binding at all
 *   applies to the resource (whatever its principal, host or operation);
 *   otherwise it is denied.
 * - Hosts are compared as Java prints client addresses (Kafka compares
 *   InetAddress.getHostAddress()): an IPv4-mapped IPv6 address is its IPv4 form
 *   and an IPv6 address is written out in full ("0:0:0:0:0:0:0:1", not "::1"),
 *   so an ACL written for Kafka matches the same clients here.
 * - Deliberate difference: the LITERAL "*" wildcard applies to every name, also
 *   to names that start with '*' (a group or transactional id can). Kafka's
 *   sorted scan skips the wildcard for those names, which reads as a slip, not
 *   a rule; everything else matches a port of that scan on random ACL sets.
 *
 * Concurrency: plain synchronous state owned by the broker's metadata listener;
 * every method runs to completion, so a check never sees half an update.
 */
import {
  AclOperation, AclPermissionType, PatternType, ResourceType, WILDCARD_HOST, WILDCARD_PRINCIPAL, WILDCARD_RESOURCE,
  aclKey, matchesFilter,
  type AclBinding, type AclBindingFilter,
} from './acl.js';

export interface AuthorizerOptions {
  /** Principals allowed everything, e.g. ["User:admin"]. */
  superUsers: string[];
  /** Kafka's allow.everyone.if.no.acl.found. */
  allowEveryoneIfNoAclFound: boolean;
}

/** The bindings of one resource type, indexed for authorize(). */
class ResourceTypeAcls {
  readonly literal = new Map<string, AclBinding[]>();
  readonly prefixed = new Map<string, AclBinding[]>();
  /** How many prefixed names have each length: a lookup probes only these lengths of the resource name. */
  readonly prefixLengths = new Map<number, number>();
  count = 0;

  add(b: AclBinding): void {
    const byName = b.patternType === PatternType.LITERAL ? this.literal : b.patternType === PatternType.PREFIXED ? this.prefixed : undefined;
    this.count++;
    if (byName === undefined) return; // only bindings() and matching() show it; it applies to no resource
    const list = byName.get(b.resourceName);
    if (list === undefined) {
      byName.set(b.resourceName, [b]);
      if (byName === this.prefixed) this.prefixLengths.set(b.resourceName.length, (this.prefixLengths.get(b.resourceName.length) ?? 0) + 1);
    } else {
      list.push(b);
    }
  }

  /** `b` is the stored object itself, found by identity. */
  remove(b: AclBinding): void {
    this.count--;
    const byName = b.patternType === PatternType.LITERAL ? this.literal : b.patternType === PatternType.PREFIXED ? this.prefixed : undefined;
    const list = byName?.get(b.resourceName);
    if (byName === undefined || list === undefined) return;
    const at = list.indexOf(b);
    if (at >= 0) list.splice(at, 1);
    if (list.length > 0) return;
    byName.delete(b.resourceName);
    if (byName === this.prefixed) {
      const left = (this.prefixLengths.get(b.resourceName.length) ?? 1) - 1;
      if (left > 0) this.prefixLengths.set(b.resourceName.length, left);
      else this.prefixLengths.delete(b.resourceName.length);
    }
  }

  /** Every list of bindings that applies to a resource named `name`. */
  applying(name: string): AclBinding[][] {
    const found: AclBinding[][] = [];
    const exact = this.literal.get(name);
    if (exact !== undefined) found.push(exact);
    if (name !== WILDCARD_RESOURCE) {
      const wildcard = this.literal.get(WILDCARD_RESOURCE);
      if (wildcard !== undefined) found.push(wildcard);
    }
    for (const length of this.prefixLengths.keys()) {
      if (length > name.length) continue;
      const prefixed = this.prefixed.get(name.slice(0, length));
      if (prefixed !== undefined) found.push(prefixed);
    }
    return found;
  }
}

/** Operations an ALLOW on the key also grants. */
const IMPLIED_BY_ALLOW: ReadonlyMap<number, ReadonlySet<number>> = new Map<number, ReadonlySet<number>>([
  [AclOperation.DESCRIBE, new Set<number>([AclOperation.READ, AclOperation.WRITE, AclOperation.DELETE, AclOperation.ALTER])],
  [AclOperation.DESCRIBE_CONFIGS, new Set<number>([AclOperation.ALTER_CONFIGS])],
]);

function operationCovered(b: AclBinding, operation: number): boolean {
  if (b.operation === AclOperation.ALL || b.operation === operation) return true;
  return b.permissionType === AclPermissionType.ALLOW && (IMPLIED_BY_ALLOW.get(operation)?.has(b.operation) ?? false);
}

function entryApplies(b: AclBinding, principal: string, host: string): boolean {
  return (b.principal === principal || b.principal === WILDCARD_PRINCIPAL) && (b.host === host || b.host === WILDCARD_HOST);
}

/**
 * A client address as Java's InetAddress.getHostAddress() prints it, which is
 * what Kafka compares ACL hosts with. Node reports IPv4 clients of a dual-stack
 * socket as "::ffff:a.b.c.d" and compresses IPv6 ("::1"); Java gives
 * "a.b.c.d" and "0:0:0:0:0:0:0:1". Anything else is returned unchanged.
 */
export function kafkaHostAddress(address: string): string {
  if (!address.includes(':')) return address;
  const zoneAt = address.indexOf('%');
  const zone = zoneAt >= 0 ? address.slice(zoneAt) : '';
  const groups = ipv6Groups(zoneAt >= 0 ? address.slice(0, zoneAt) : address);
  if (groups === undefined) return address;
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return [groups[6]! >> 8, groups[6]! & 0xff, groups[7]! >> 8, groups[7]! & 0xff].join('.');
  }
  return groups.map((g) => g.toString(16)).join(':') + zone;
}

/** The eight 16-bit groups of an IPv6 address in any textual form, undefined when it is not one. */
function ipv6Groups(ip: string): number[] | undefined {
  const halves = ip.split('::');
  if (halves.length > 2) return undefined;
  const split = (s: string): string[] => (s === '' ? [] : s.split(':'));
  const head = split(halves[0]!);
  const tail = halves.length === 2 ? split(halves[1]!) : [];
  const last = halves.length === 2 ? tail : head;
  // A dotted IPv4 ending ("::ffff:1.2.3.4") stands for the last two groups.
  if (last.length > 0 && last[last.length - 1]!.includes('.')) {
    const bytes = last.pop()!.split('.');
    if (bytes.length !== 4 || bytes.some((n) => !/^\d{1,3}$/.test(n) || Number(n) > 255)) return undefined;
    const [a, b, c, d] = bytes.map(Number) as [number, number, number, number];
    last.push(((a << 8) | b).toString(16), ((c << 8) | d).toString(16));
  }
  const zeros = 8 - head.length - tail.length;
  if (halves.length === 2 ? zeros < 1 : zeros !== 0) return undefined;
  const texts = [...head, ...Array<string>(halves.length === 2 ? zeros : 0).fill('0'), ...tail];
  if (texts.some((g) => !/^[0-9a-f]{1,4}$/i.test(g))) return undefined;
  return texts.map((g) => parseInt(g, 16));
}

export class Authorizer {
  private readonly superUsers: ReadonlySet<string>;
  private readonly allowEveryoneIfNoAclFound: boolean;
  private readonly byKey = new Map<string, AclBinding>();
  private readonly byType = new Map<number, ResourceTypeAcls>();

  constructor(opts: AuthorizerOptions) {
    this.superUsers = new Set(opts.superUsers);
    this.allowEveryoneIfNoAclFound = opts.allowEveryoneIfNoAclFound;
  }

  /**
   * Stores a binding (once: an equal binding already there is kept). Not
   * validated here: metadata replay must not fail, so CreateAcls checks
   * bindingError() before the binding reaches metadata.
   */
  add(b: AclBinding): void {
    const key = aclKey(b);
    if (this.byKey.has(key)) return;
    const copy: AclBinding = Object.freeze({
      resourceType: b.resourceType, resourceName: b.resourceName, patternType: b.patternType,
      principal: b.principal, host: b.host, operation: b.operation, permissionType: b.permissionType,
    });
    this.byKey.set(key, copy);
    let acls = this.byType.get(b.resourceType);
    if (acls === undefined) this.byType.set(b.resourceType, acls = new ResourceTypeAcls());
    acls.add(copy);
  }

  /** Removes the binding equal to `b`, if there is one. */
  remove(b: AclBinding): void {
    const key = aclKey(b);
    const stored = this.byKey.get(key);
    if (stored === undefined) return;
    this.byKey.delete(key);
    const acls = this.byType.get(stored.resourceType)!;
    acls.remove(stored);
    if (acls.count === 0) this.byType.delete(stored.resourceType);
  }

  clear(): void {
    this.byKey.clear();
    this.byType.clear();
  }

  bindings(): AclBinding[] {
    return [...this.byKey.values()];
  }

  /** The stored bindings the filter matches (DescribeAcls, and what DeleteAcls removes). */
  matching(f: AclBindingFilter): AclBinding[] {
    return this.bindings().filter((b) => matchesFilter(b, f));
  }

  /** True when the authorizer has nothing to check (no ACLs at all and allowEveryoneIfNoAclFound): lets the broker skip work on hot paths. */
  get allowsEverything(): boolean {
    return this.byKey.size === 0 && this.allowEveryoneIfNoAclFound;
  }

  /** Kafka's authorize() for one LITERAL resource: principal like "User:alice", host the client's IP address. */
  authorize(principal: string, host: string, operation: number, resourceType: number, resourceName: string): boolean {
    if (this.superUsers.has(principal)) return true;
    const acls = this.byType.get(resourceType);
    if (acls === undefined) return this.allowEveryoneIfNoAclFound;
    const lists = acls.applying(resourceName);
    if (lists.length === 0) return this.allowEveryoneIfNoAclFound;
    const clientHost = kafkaHostAddress(host);
    let allowed = false;
    for (const list of lists) {
      for (const b of list) {
        if (!entryApplies(b, principal, clientHost) || !operationCovered(b, operation)) continue;
        // Anything but ALLOW refuses, as in Kafka (only a binding that skipped bindingError() can be neither).
        if (b.permissionType !== AclPermissionType.ALLOW) return false;
        allowed = true;
      }
    }
    // Bindings apply to this resource, so a caller none of them allows is denied whatever allowEveryoneIfNoAclFound says.
    return allowed;
  }

  /**
   * Kafka's default Authorizer.authorizeByResourceType (StandardAuthorizer does
   * not override it): whether the caller could be allowed `operation` on some
   * resource of the type. First an ordinary check on a made-up resource name,
   * which lets super users, a wildcard ALLOW and allowEveryoneIfNoAclFound (no
   * binding applies to that name) through; then a DENY on the LITERAL wildcard
   * refuses, and otherwise any ALLOW (LITERAL or PREFIXED) that no DENY on the
   * same literal name or on a prefix of its name covers allows. Operations match
   * exactly or through ALL here: no implied DESCRIBE.
   */
  authorizeByResourceType(principal: string, host: string, operation: number, resourceType: number): boolean {
    if (resourceType === ResourceType.ANY || resourceType === ResourceType.UNKNOWN) {
      throw new Error(`authorizeByResourceType needs a concrete resource type, not ${resourceType}`);
    }
    if (operation === AclOperation.ANY || operation === AclOperation.UNKNOWN) {
      throw new Error(`authorizeByResourceType needs a concrete operation, not ${operation}`);
    }
    if (this.authorize(principal, host, operation, resourceType, 'hardcode')) return true;

    const acls = this.byType.get(resourceType);
    if (acls === undefined) return false;
    const clientHost = kafkaHostAddress(host);
    const denyLiteral = new Set<string>();
    const denyPrefixed = new Set<string>();
    const allowLiteral: string[] = [];
    const allowPrefixed: string[] = [];
    let wildcardAllow = false;
    for (const [byName, isLiteral] of [[acls.literal, true], [acls.prefixed, false]] as const) {
      for (const [name, list] of byName) {
        for (const b of list) {
          if (!entryApplies(b, principal, clientHost)) continue;
          if (b.operation !== operation && b.operation !== AclOperation.ALL) continue;
          if (b.permissionType === AclPermissionType.DENY) {
            if (isLiteral && name === WILDCARD_RESOURCE) return false;
            (isLiteral ? denyLiteral : denyPrefixed).add(name);
          } else if (b.permissionType === AclPermissionType.ALLOW) {
            // Not decided yet: a DENY on the wildcard met later still refuses.
            if (isLiteral && name === WILDCARD_RESOURCE) wildcardAllow = true;
            else (isLiteral ? allowLiteral : allowPrefixed).push(name);
          }
        }
      }
    }
    if (wildcardAllow) return true;
    const coveredByDenyPrefix = (name: string): boolean => {
      for (let length = 1; length <= name.length; length++) if (denyPrefixed.has(name.slice(0, length))) return true;
      return false;
    };
    if (allowLiteral.some((name) => !denyLiteral.has(name) && !coveredByDenyPrefix(name))) return true;
    return allowPrefixed.some((name) => !coveredByDenyPrefix(name));
  }
}
