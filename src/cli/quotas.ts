/**
 * `samsa quotas alter|describe`: client quotas over the Kafka protocol
 * (AlterClientQuotas, DescribeClientQuotas), like kafka-configs.sh
 * --entity-type users/clients and rpk cluster quotas.
 *
 * An entity is a user (--user NAME or --user-default), a client id
 * (--client-id ID or --client-default), or both. describe filters the same
 * way, with --any-user / --any-client-id for "any entity of that type"
 * (the <default> one included) and --strict to leave out entities that have
 * other types too; no filter lists every entity.
 */
import { ApiKey } from '../wire/generated/api-keys.js';
import { decodeAlterClientQuotasResponse, encodeAlterClientQuotasRequest } from '../wire/generated/alter-client-quotas.js';
import { decodeDescribeClientQuotasResponse, encodeDescribeClientQuotasRequest } from '../wire/generated/describe-client-quotas.js';
import { errorName } from '../wire/errors.js';
import { MatchType } from '../security/quota-entity.js';
import { AdminConnection, AdminError } from './admin-connection.js';
import { parseFlags, type ParsedFlags } from './cli-flags.js';
import { CLIENT_FLAGS, UsageError, connectionSettings, outputFormat } from './client-options.js';
import { STDIO, runCommand, table, type CliIo } from './cli-output.js';

export const QUOTAS_USAGE = `usage: samsa quotas alter (--user NAME | --user-default) (--client-id ID | --client-default)
                          [--add key=value[,key=value]] [--delete key[,key]] [--validate-only]
       samsa quotas describe [--user NAME | --user-default | --any-user] [--client-id ID | --client-default | --any-client-id] [--strict]
  keys: producer_byte_rate, consumer_byte_rate, request_percentage, controller_mutation_rate
  connection: --bootstrap host:port --command-config FILE | --user-auth USER:PASSWORD --sasl-mechanism M (or --mechanism) --tls --ca FILE; --format table|json`;

const FLAGS = {
  ...CLIENT_FLAGS, 'mechanism': 'value',
  'user': 'value', 'user-default': 'switch', 'any-user': 'switch',
  'client-id': 'value', 'client-default': 'switch', 'any-client-id': 'switch',
  'add': 'list', 'delete': 'list', 'validate-only': 'switch', 'strict': 'switch',
} as const;

const TYPES = [
  { type: 'user', name: 'user', dflt: 'user-default', any: 'any-user' },
  { type: 'client-id', name: 'client-id', dflt: 'client-default', any: 'any-client-id' },
] as const;

/** The request's filter components (describe) or entity (alter) from the entity flags. */
function components(f: ParsedFlags, allowAny: boolean): { entityType: string; matchType: number; match: string | null }[] {
  const out = [];
  for (const t of TYPES) {
    const given = [f.has(t.name), f.has(t.dflt), f.has(t.any)].filter(Boolean).length;
    if (given > 1) throw new UsageError(`give one of --${t.name}, --${t.dflt}${allowAny ? ` and --${t.any}` : ''}`);
    if (f.has(t.any) && !allowAny) throw new UsageError(`--${t.any} is for describe; alter names an entity`);
    if (f.has(t.name)) out.push({ entityType: t.type, matchType: MatchType.EXACT, match: f.value(t.name)! });
    else if (f.has(t.dflt)) out.push({ entityType: t.type, matchType: MatchType.DEFAULT, match: null });
    else if (f.has(t.any)) out.push({ entityType: t.type, matchType: MatchType.SPECIFIED, match: null });
  }
  return out;
}

const showEntity = (entity: { entityType: string; entityName: string | null }[]) =>
  entity.map((e) => `${e.entityType}=${e.entityName ?? '<default>'}`).join(', ');

function ops(f: ParsedFlags): { key: string; value: number; remove: boolean }[] {
  const out = f.list('add').map((kv) => {
    const eq = kv.indexOf('=');
    const value = eq > 0 ? Number(kv.slice(eq + 1)) : NaN;
    if (eq <= 0 || kv.slice(eq + 1).trim() === '' || Number.isNaN(value)) throw new UsageError(`--add ${kv}: expected key=number`);
    return { key: kv.slice(0, eq), value, remove: false };
  });
  out.push(...f.list('delete').map((key) => ({ key, value: 0, remove: true })));
  if (out.length === 0) throw new UsageError('quotas alter needs --add key=value or --delete key');
  return out;
}

export function quotasCommand(args: string[], io: CliIo = STDIO): Promise<number> {
  return runCommand(io, QUOTAS_USAGE, args, async () => {
    const f = parseFlags(args, FLAGS);
    const format = outputFormat(f);
    const [action, ...extra] = f.operands;
    if (extra.length) throw new UsageError(`unexpected ${extra.join(' ')}`);
    if (action !== 'alter' && action !== 'describe') throw new UsageError(action ? `unknown quotas command ${action}` : 'which quotas command?');
    const filter = components(f, action === 'describe');
    const alteration = action === 'alter' ? ops(f) : [];
    if (action === 'alter' && filter.length === 0) throw new UsageError('quotas alter needs an entity: --user/--user-default and/or --client-id/--client-default');

    const c = await AdminConnection.open(await connectionSettings(f, f.value('mechanism')));
    try {
      if (action === 'describe') {
        const v = c.version(ApiKey.DescribeClientQuotas, 1, 'DescribeClientQuotas');
        const r = await c.request(ApiKey.DescribeClientQuotas, v,
          (w) => encodeDescribeClientQuotasRequest(w, { components: filter, strict: f.has('strict') }, v),
          (rd) => decodeDescribeClientQuotasResponse(rd, v));
        if (r.errorCode) throw new AdminError(`${errorName(r.errorCode)}${r.errorMessage ? `: ${r.errorMessage}` : ''}`);
        const entries = r.entries ?? [];
        if (format === 'json') {
          io.out(JSON.stringify(entries.map((e) => ({
            entity: Object.fromEntries(e.entity.map((x) => [x.entityType, x.entityName])),
            values: Object.fromEntries(e.values.map((x) => [x.key, x.value])),
          })), null, 2));
        } else {
          io.out(table(['ENTITY', 'KEY', 'VALUE'], entries.flatMap((e) => e.values.map((x) => [showEntity(e.entity), x.key, String(x.value)]))));
        }
        return 0;
      }
      const entity = filter.map((x) => ({ entityType: x.entityType, entityName: x.match }));
      const v = c.version(ApiKey.AlterClientQuotas, 1, 'AlterClientQuotas');
      const r = await c.request(ApiKey.AlterClientQuotas, v,
        (w) => encodeAlterClientQuotasRequest(w, { entries: [{ entity, ops: alteration }], validateOnly: f.has('validate-only') }, v),
        (rd) => decodeAlterClientQuotasResponse(rd, v));
      const e = r.entries[0];
      if (!e) throw new AdminError('the broker answered AlterClientQuotas without a result');
      if (e.errorCode) throw new AdminError(`${showEntity(entity)}: ${errorName(e.errorCode)}${e.errorMessage ? `: ${e.errorMessage}` : ''}`);
      const what = f.has('validate-only') ? 'validated (not applied)' : 'altered';
      io.out(format === 'json' ? JSON.stringify({ entity: Object.fromEntries(entity.map((x) => [x.entityType, x.entityName])), validateOnly: f.has('validate-only'), ops: alteration.map((o) => (o.remove ? { key: o.key, remove: true } : { key: o.key, value: o.value })) }) : `${what} quotas of ${showEntity(entity)}`);
      return 0;
    } finally {
      c.close();
    }
  });
}
