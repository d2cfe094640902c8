/**
 * `samsa users create|delete|list`: SCRAM credentials over the Kafka protocol
 * (AlterUserScramCredentials, DescribeUserScramCredentials), so it works
 * against any broker with those APIs. As kafka-configs.sh does, the password
 * never leaves this process: it sends a random 32-byte salt and
 * SaltedPassword = Hi(password, salt, iterations), from which the broker
 * derives the keys it keeps.
 *
 * `--mechanism` here is the credential's; the connection's own SASL
 * mechanism is --sasl-mechanism (see client-options.ts).
 */
import { randomBytes } from 'node:crypto';
import { ApiKey } from '../wire/generated/api-keys.js';
import { decodeAlterUserScramCredentialsResponse, encodeAlterUserScramCredentialsRequest, type AlterUserScramCredentialsRequest } from '../wire/generated/alter-user-scram-credentials.js';
import { decodeDescribeUserScramCredentialsResponse, encodeDescribeUserScramCredentialsRequest, type DescribeUserScramCredentialsResponse } from '../wire/generated/describe-user-scram-credentials.js';
import { errorName } from '../wire/errors.js';
import { DEFAULT_ITERATIONS, iterationsProblem, isScramMechanism, MAX_ITERATIONS, MIN_ITERATIONS } from '../security/sasl/scram-credentials.js';
import { SCRAM_MECHANISM_TYPES, scramMechanismName } from '../broker/handlers/describe-user-scram-credentials.js';
import { AdminConnection, AdminError } from './admin-connection.js';
import { parseFlags } from './cli-flags.js';
import { CLIENT_FLAGS, UsageError, connectionSettings, outputFormat } from './client-options.js';
import { STDIO, runCommand, table, type CliIo } from './cli-output.js';
import { saltedPassword } from '../security/sasl/client.js';

export const USERS_USAGE = `usage: samsa users create NAME --password PW [--mechanism SCRAM-SHA-256|SCRAM-SHA-512] [--iterations N]
       samsa users delete NAME [--mechanism M]     (without --mechanism: every credential of NAME)
       samsa users list [NAME...]
  connection: --bootstrap host:port --command-config FILE | --user-auth USER:PASSWORD --sasl-mechanism M --tls --ca FILE; --format table|json`;

const FLAGS = { ...CLIENT_FLAGS, password: 'value', mechanism: 'value', iterations: 'value' } as const;

async function describe(c: AdminConnection, users: string[] | null): Promise<DescribeUserScramCredentialsResponse> {
  const v = c.version(ApiKey.DescribeUserScramCredentials, 0, 'DescribeUserScramCredentials');
  const r = await c.request(ApiKey.DescribeUserScramCredentials, v,
    (w) => encodeDescribeUserScramCredentialsRequest(w, { users: users && users.map((name) => ({ name })) }, v),
    (rd) => decodeDescribeUserScramCredentialsResponse(rd, v));
  if (r.errorCode) throw new AdminError(`cannot list users: ${errorName(r.errorCode)}${r.errorMessage ? `: ${r.errorMessage}` : ''}`);
  return r;
}

/** Sends the alterations; returns the failures as lines (empty when every user succeeded). */
async function alter(c: AdminConnection, req: AlterUserScramCredentialsRequest): Promise<string[]> {
  const v = c.version(ApiKey.AlterUserScramCredentials, 0, 'AlterUserScramCredentials');
  const r = await c.request(ApiKey.AlterUserScramCredentials, v, (w) => encodeAlterUserScramCredentialsRequest(w, req, v), (rd) => decodeAlterUserScramCredentialsResponse(rd, v));
  return r.results.filter((u) => u.errorCode !== 0).map((u) => `user ${u.user}: ${errorName(u.errorCode)}${u.errorMessage ? `: ${u.errorMessage}` : ''}`);
}

function mechanismOf(name: string | undefined, fallback: string): string {
  const m = (name ?? fallback).toUpperCase();
  if (!isScramMechanism(m)) throw new UsageError(`--mechanism ${name}: SCRAM-SHA-256 or SCRAM-SHA-512`);
  return m;
}

export function usersCommand(args: string[], io: CliIo = STDIO): Promise<number> {
  return runCommand(io, USERS_USAGE, args, async () => {
    const f = parseFlags(args, FLAGS);
    const format = outputFormat(f);
    const [action, ...names] = f.operands;
    if (action !== 'create' && action !== 'delete' && action !== 'list') throw new UsageError(action ? `unknown users command ${action}` : 'which users command?');
    if (action !== 'list' && names.length !== 1) throw new UsageError(`users ${action} takes one user name`);
    const user = names[0]!;
    // Checked before connecting, so that a mistake costs no round trip.
    let upsertion: AlterUserScramCredentialsRequest['upsertions'][number] | undefined;
    if (action === 'create') {
      const password = f.value('password');
      if (password === undefined) throw new UsageError('users create needs --password');
      const mechanism = mechanismOf(f.value('mechanism'), 'SCRAM-SHA-256') as 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
      const iterations = Number(f.value('iterations') ?? DEFAULT_ITERATIONS);
      const problem = iterationsProblem(iterations);
      if (problem) throw new UsageError(`--iterations ${f.value('iterations')}: ${problem} (allowed ${MIN_ITERATIONS}..${MAX_ITERATIONS})`);
      const salt = randomBytes(32);
      upsertion = { name: user, mechanism: SCRAM_MECHANISM_TYPES[mechanism]!, iterations, salt, saltedPassword: saltedPassword(mechanism, password, salt, iterations) };
    }
    const only = action === 'delete' && f.value('mechanism') !== undefined ? mechanismOf(f.value('mechanism'), '') : undefined;

    const c = await AdminConnection.open(await connectionSettings(f));
    try {
      if (action === 'list') {
        const r = await describe(c, names.length ? names : null);
        const failed = r.results.filter((u) => u.errorCode !== 0);
        for (const u of failed) io.err(`samsa: user ${u.user}: ${errorName(u.errorCode)}${u.errorMessage ? `: ${u.errorMessage}` : ''}`);
        const found = r.results.filter((u) => u.errorCode === 0).map((u) => ({
          user: u.user,
          credentials: u.credentialInfos.map((i) => ({ mechanism: scramMechanismName(i.mechanism) ?? `UNKNOWN(${i.mechanism})`, iterations: i.iterations })),
        }));
        if (format === 'json') io.out(JSON.stringify(found, null, 2));
        else io.out(table(['USER', 'MECHANISM', 'ITERATIONS'], found.flatMap((u) => u.credentials.map((m) => [u.user, m.mechanism, String(m.iterations)]))));
        return failed.length ? 1 : 0;
      }
      let deletions: AlterUserScramCredentialsRequest['deletions'] = [];
      if (action === 'delete') {
        const mechanisms = only ? [only] : (await describe(c, [user])).results.flatMap((u) => {
          if (u.errorCode !== 0) throw new AdminError(`user ${u.user}: ${errorName(u.errorCode)}${u.errorMessage ? `: ${u.errorMessage}` : ''}`);
          return u.credentialInfos.map((i) => scramMechanismName(i.mechanism)!).filter(Boolean);
        });
        deletions = mechanisms.map((m) => ({ name: user, mechanism: SCRAM_MECHANISM_TYPES[m]! }));
      }
      const failures = await alter(c, { deletions, upsertions: upsertion ? [upsertion] : [] });
      for (const line of failures) io.err(`samsa: ${line}`);
      if (failures.length) return 1;
      const done = upsertion
        ? { action: 'created', user, mechanisms: [scramMechanismName(upsertion.mechanism)!], iterations: upsertion.iterations }
        : { action: 'deleted', user, mechanisms: deletions.map((d) => scramMechanismName(d.mechanism)!) };
      io.out(format === 'json' ? JSON.stringify(done) : `${done.action} ${done.mechanisms.join(', ')} credential${done.mechanisms.length === 1 ? '' : 's'} of user ${user}${upsertion ? ` (${upsertion.iterations} iterations)` : ''}`);
      return 0;
    } finally {
      c.close();
    }
  });
}
