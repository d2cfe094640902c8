/**
 * `samsa acls create|list|delete`: ACLs over the Kafka protocol (CreateAcls,
 * DescribeAcls, DeleteAcls), with rpk's flags:
 *
 *   --allow-principal P, --deny-principal P   User:alice, or alice (User: is added); * is User:*
 *   --allow-host H, --deny-host H             hosts of the allow / deny principals (create: default *)
 *   --operation read,write,...                all, read, write, create, delete, alter, describe,
 *                                             cluster_action, describe_configs, alter_configs,
 *                                             idempotent_write (list/delete also: any)
 *   --topic T, --group G, --transactional-id ID, --cluster   the resources (repeatable)
 *   --resource-pattern-type literal|prefixed  (create, default literal; list/delete also
 *                                             any and match, default any)
 *
 * create makes every combination of resource, principal (with its hosts) and
 * operation. list and delete take the same flags as filters; a flag not
 * given matches anything, so delete refuses to run without a resource or a
 * principal (it would delete every ACL).
 */
import { ApiKey } from '../wire/generated/api-keys.js';
import { decodeCreateAclsResponse, encodeCreateAclsRequest } from '../wire/generated/create-acls.js';
import { decodeDescribeAclsResponse, encodeDescribeAclsRequest } from '../wire/generated/describe-acls.js';
import { decodeDeleteAclsResponse, encodeDeleteAclsRequest } from '../wire/generated/delete-acls.js';
import { errorName } from '../wire/errors.js';
import {
  AclOperation, AclPermissionType, CLUSTER_RESOURCE_NAME, PatternType, ResourceType, WILDCARD_HOST, aclKey,
  operationName, parseOperation, parsePatternType, patternTypeName, permissionTypeName, resourceTypeName,
  type AclBinding, type AclBindingFilter,
} from '../security/acl.js';
import { AdminConnection, AdminError } from './admin-connection.js';
import { parseFlags, type ParsedFlags } from './cli-flags.js';
import { CLIENT_FLAGS, UsageError, connectionSettings, outputFormat, type OutputFormat } from './client-options.js';
import { STDIO, runCommand, table, type CliIo } from './cli-output.js';

export const ACLS_USAGE = `usage: samsa acls create|list|delete [--allow-principal P] [--deny-principal P] [--allow-host H] [--deny-host H]
                  [--operation op[,op]] [--topic T] [--group G] [--transactional-id ID] [--cluster]
                  [--resource-pattern-type literal|prefixed|any|match]
  connection: --bootstrap host:port --command-config FILE | --user-auth USER:PASSWORD --sasl-mechanism M (or --mechanism) --tls --ca FILE; --format table|json`;

const FLAGS = {
  ...CLIENT_FLAGS, 'mechanism': 'value',
  'allow-principal': 'list', 'deny-principal': 'list', 'allow-host': 'list', 'deny-host': 'list', 'operation': 'list',
  'topic': 'list', 'group': 'list', 'transactional-id': 'list', 'cluster': 'switch', 'resource-pattern-type': 'value',
} as const;

const OPERATIONS = ['all', 'read', 'write', 'create', 'delete', 'alter', 'describe', 'cluster_action', 'describe_configs', 'alter_configs', 'idempotent_write'];

const principal = (p: string) => (p === '*' ? 'User:*' : p.includes(':') ? p : `User:${p}`);

function resources(f: ParsedFlags): { resourceType: number; resourceName: string }[] {
  return [
    ...f.list('topic').map((resourceName) => ({ resourceType: ResourceType.TOPIC, resourceName })),
    ...f.list('group').map((resourceName) => ({ resourceType: ResourceType.GROUP, resourceName })),
    ...f.list('transactional-id').map((resourceName) => ({ resourceType: ResourceType.TRANSACTIONAL_ID, resourceName })),
    ...(f.has('cluster') ? [{ resourceType: ResourceType.CLUSTER, resourceName: CLUSTER_RESOURCE_NAME }] : []),
  ];
}

function operations(f: ParsedFlags, filter: boolean): number[] {
  const names = f.list('operation');
  if (names.length === 0) {
    if (filter) return [AclOperation.ANY];
    throw new UsageError('acls create needs --operation');
  }
  return names.map((n) => {
    const op = parseOperation(n);
    if (op === undefined || op === AclOperation.UNKNOWN || (op === AclOperation.ANY && !filter)) {
      throw new UsageError(`unknown operation ${n} (operations: ${OPERATIONS.join(', ')}${filter ? ', any' : ''})`);
    }
    return op;
  });
}

function patternType(f: ParsedFlags, filter: boolean): number {
  const v = f.value('resource-pattern-type') ?? (filter ? 'any' : 'literal');
  const p = parsePatternType(v);
  const allowed: number[] = filter ? [PatternType.ANY, PatternType.MATCH, PatternType.LITERAL, PatternType.PREFIXED] : [PatternType.LITERAL, PatternType.PREFIXED];
  if (p === undefined || !allowed.includes(p)) throw new UsageError(`--resource-pattern-type ${v}: ${allowed.map((a) => patternTypeName(a).toLowerCase()).join(', ')}`);
  return p;
}

/** (permission, principal, host) triples; null principal/host only in filters. */
function entries(f: ParsedFlags, filter: boolean): { permissionType: number; principal: string | null; host: string | null }[] {
  const out = [];
  for (const [side, permissionType] of [['allow', AclPermissionType.ALLOW], ['deny', AclPermissionType.DENY]] as const) {
    const principals = f.list(`${side}-principal`).map(principal);
    const hosts = f.list(`${side}-host`);
    if (principals.length === 0 && (!filter || hosts.length === 0)) {
      if (hosts.length) throw new UsageError(`--${side}-host needs --${side}-principal`);
      continue;
    }
    for (const p of principals.length ? principals : [null]) {
      for (const host of hosts.length ? hosts : [filter ? null : WILDCARD_HOST]) out.push({ permissionType, principal: p, host });
    }
  }
  if (out.length === 0) {
    if (!filter) throw new UsageError('acls create needs --allow-principal or --deny-principal');
    out.push({ permissionType: AclPermissionType.ANY, principal: null, host: null });
  }
  return out;
}

function filters(f: ParsedFlags): AclBindingFilter[] {
  const pattern = patternType(f, true);
  const rs = resources(f);
  const out: AclBindingFilter[] = [];
  for (const r of rs.length ? rs : [{ resourceType: ResourceType.ANY, resourceName: null }]) {
    for (const e of entries(f, true)) {
      for (const operation of operations(f, true)) out.push({ ...r, patternType: pattern, ...e, operation });
    }
  }
  return out;
}

const row = (b: AclBinding) => [b.principal, b.host, resourceTypeName(b.resourceType), b.resourceName, patternTypeName(b.patternType), operationName(b.operation), permissionTypeName(b.permissionType)];
const HEADERS = ['PRINCIPAL', 'HOST', 'RESOURCE-TYPE', 'RESOURCE-NAME', 'PATTERN', 'OPERATION', 'PERMISSION'];
const json = (b: AclBinding) => {
  const [p, host, resourceType, resourceName, pattern, operation, permission] = row(b);
  return { principal: p, host, resourceType, resourceName, patternType: pattern, operation, permission };
};

function print(io: CliIo, format: OutputFormat, bindings: AclBinding[]): void {
  io.out(format === 'json' ? JSON.stringify(bindings.map(json), null, 2) : table(HEADERS, bindings.map(row)));
}

const failure = (code: number, message: string | null) => `${errorName(code)}${message ? `: ${message}` : ''}`;

export function aclsCommand(args: string[], io: CliIo = STDIO): Promise<number> {
  return runCommand(io, ACLS_USAGE, args, async () => {
    const f = parseFlags(args, FLAGS);
    const format = outputFormat(f);
    const [action, ...extra] = f.operands;
    if (extra.length) throw new UsageError(`unexpected ${extra.join(' ')}`);
    if (action !== 'create' && action !== 'list' && action !== 'delete') throw new UsageError(action ? `unknown acls command ${action}` : 'which acls command?');

    let creations: AclBinding[] = [];
    let wanted: AclBindingFilter[] = [];
    if (action === 'create') {
      const rs = resources(f);
      if (rs.length === 0) throw new UsageError('acls create needs a resource: --topic, --group, --transactional-id or --cluster');
      const pattern = patternType(f, false);
      const ops = operations(f, false);
      creations = rs.flatMap((r) => entries(f, false).flatMap((e) => ops.map((operation) => ({ ...r, patternType: pattern, ...e, principal: e.principal!, host: e.host!, operation }))));
    } else {
      if (action === 'delete' && resources(f).length === 0 && !f.has('allow-principal') && !f.has('deny-principal')) {
        throw new UsageError('acls delete needs a resource (--topic, --group, --transactional-id, --cluster) or a principal; it would delete every ACL');
      }
      wanted = filters(f);
    }

    const c = await AdminConnection.open(await connectionSettings(f, f.value('mechanism')));
    try {
      if (action === 'create') {
        const v = c.version(ApiKey.CreateAcls, 3, 'CreateAcls', 1);
        const r = await c.request(ApiKey.CreateAcls, v,
          (w) => encodeCreateAclsRequest(w, { creations: creations.map((b) => ({ ...b, resourcePatternType: b.patternType })) }, v),
          (rd) => decodeCreateAclsResponse(rd, v));
        const created = creations.filter((_, i) => r.results[i]?.errorCode === 0);
        r.results.forEach((res, i) => { if (res.errorCode) io.err(`samsa: cannot create ${creations[i] ? row(creations[i]!).join(' ') : 'an ACL'}: ${failure(res.errorCode, res.errorMessage)}`); });
        print(io, format, created);
        return created.length === creations.length ? 0 : 1;
      }
      if (action === 'list') {
        const v = c.version(ApiKey.DescribeAcls, 3, 'DescribeAcls', 1);
        const found = new Map<string, AclBinding>();
        for (const w of wanted) {
          const r = await c.request(ApiKey.DescribeAcls, v, (wr) => encodeDescribeAclsRequest(wr, {
            resourceTypeFilter: w.resourceType, resourceNameFilter: w.resourceName, patternTypeFilter: w.patternType,
            principalFilter: w.principal, hostFilter: w.host, operation: w.operation, permissionType: w.permissionType,
          }, v), (rd) => decodeDescribeAclsResponse(rd, v));
          if (r.errorCode) throw new AdminError(failure(r.errorCode, r.errorMessage));
          for (const res of r.resources) {
            for (const a of res.acls) {
              const b: AclBinding = {
                resourceType: res.resourceType, resourceName: res.resourceName, patternType: res.patternType ?? PatternType.LITERAL,
                principal: a.principal, host: a.host, operation: a.operation, permissionType: a.permissionType,
              };
              found.set(aclKey(b), b);
            }
          }
        }
        print(io, format, [...found.values()]);
        return 0;
      }
      const v = c.version(ApiKey.DeleteAcls, 3, 'DeleteAcls', 1);
      const r = await c.request(ApiKey.DeleteAcls, v, (wr) => encodeDeleteAclsRequest(wr, {
        filters: wanted.map((w) => ({
          resourceTypeFilter: w.resourceType, resourceNameFilter: w.resourceName, patternTypeFilter: w.patternType,
          principalFilter: w.principal, hostFilter: w.host, operation: w.operation, permissionType: w.permissionType,
        })),
      }, v), (rd) => decodeDeleteAclsResponse(rd, v));
      const deleted = new Map<string, AclBinding>();
      let failed = false;
      for (const res of r.filterResults) {
        if (res.errorCode) { failed = true; io.err(`samsa: ${failure(res.errorCode, res.errorMessage)}`); continue; }
        for (const m of res.matchingAcls) {
          const b: AclBinding = { resourceType: m.resourceType, resourceName: m.resourceName, patternType: m.patternType ?? PatternType.LITERAL, principal: m.principal, host: m.host, operation: m.operation, permissionType: m.permissionType };
          if (m.errorCode) { failed = true; io.err(`samsa: cannot delete ${row(b).join(' ')}: ${failure(m.errorCode, m.errorMessage)}`); continue; }
          deleted.set(aclKey(b), b);
        }
      }
      print(io, format, [...deleted.values()]);
      return failed ? 1 : 0;
    } finally {
      c.close();
    }
  });
}
