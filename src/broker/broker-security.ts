/**
 * The security state one broker serves with, built from its config and kept
 * current from the cluster metadata: per listener the SASL mechanisms and
 * users, the ACL authorizer, and client quotas. Handlers reach it as
 * `ctx.security`; the security modules themselves (src/security) know nothing
 * of config files or metadata stores.
 *
 * - PLAIN users come from the JAAS config of the listener's PLAIN mechanism
 *   (listener.name.<l>.plain.sasl.jaas.config, else sasl.jaas.config).
 * - SCRAM credentials, ACLs and quotas are cluster metadata ('scram', 'acl',
 *   'quota' security records), shared by every broker: a change any broker
 *   writes reaches every broker's image, and this object follows the image.
 */
import type { BrokerConfig } from '../config/broker-config.js';
import type { Listener } from '../config/listeners.js';
import type { MetadataImage, SecurityRecord } from '../controller/cluster-metadata.js';
import { createSaslServer, type OAuthBearerOptions, type SaslServer, type SaslUsers } from '../security/sasl/mechanisms.js';
import { resolveOAuthBearerOptions } from '../security/sasl/oauthbearer.js';
import { ConfigError } from '../config/broker-config.js';
import { decodeCredential, type ScramCredential } from '../security/sasl/scram-credentials.js';
import { Authorizer } from '../security/authorizer.js';
import { parseAclKey } from '../security/acl.js';
import { QuotaManager } from '../security/quota-manager.js';
import { parseEntityKey } from '../security/quota-entity.js';
import { jaasOptions, plainUsers } from './jaas-config.js';

/** The key of a SCRAM credential record: mechanism, then the user (which may hold any character). */
export const scramKey = (mechanism: string, user: string) => `${mechanism}:${user}`;
export function parseScramKey(key: string): { mechanism: string; user: string } {
  const at = key.indexOf(':');
  return { mechanism: key.slice(0, at), user: key.slice(at + 1) };
}

interface ListenerSasl {
  mechanisms: string[];
  users: SaslUsers;
  oauthbearer: OAuthBearerOptions;
  reauthMs: number;
}

/** The unsecured validator's options, from the OAUTHBEARER JAAS config as Kafka names them (unsecuredValidatorPrincipalClaimName, ...). */
function oauthOptions(jaas: string, listener: string): OAuthBearerOptions {
  const o = jaasOptions(jaas, `the OAUTHBEARER JAAS config of listener ${listener}`);
  const skew = o.get('unsecuredValidatorAllowableClockSkewMs');
  const options: OAuthBearerOptions = {
    principalClaimName: o.get('unsecuredValidatorPrincipalClaimName'),
    scopeClaimName: o.get('unsecuredValidatorScopeClaimName'),
    requiredScope: o.get('unsecuredValidatorRequiredScope')?.split(/\s+/).filter(Boolean),
    allowableClockSkewMs: skew === undefined ? undefined : Number(skew),
  };
  try {
    resolveOAuthBearerOptions(options);
  } catch (e) {
    throw new ConfigError(`the OAUTHBEARER JAAS config of listener ${listener}: ${(e as Error).message}`);
  }
  return options;
}

export class BrokerSecurity {
  private readonly sasl = new Map<string, ListenerSasl>();
  private readonly scram = new Map<string, ScramCredential>();
  readonly authorizer: Authorizer;
  readonly quotas: QuotaManager;

  constructor(
    config: BrokerConfig,
    metadata: MetadataImage,
    /** Writes security records to the cluster metadata (every broker's image); resolves once this image has them. */
    readonly write: (records: readonly SecurityRecord[]) => Promise<void>,
    log: { warn(m: string): void },
  ) {
    this.authorizer = new Authorizer({
      superUsers: config.get('super.users').split(';').map((s) => s.trim()).filter(Boolean),
      allowEveryoneIfNoAclFound: config.bool('allow.everyone.if.no.acl.found'),
    });
    this.quotas = new QuotaManager({ windows: config.int('quota.window.num'), windowMs: config.int('quota.window.size.seconds') * 1000 });
    const scramUsers = { scramCredential: (user: string, mechanism: string) => this.scram.get(scramKey(mechanism, user)) };
    for (const l of config.plan.listeners) {
      const jaas = config.listenerSetting(l.name, 'plain.sasl.jaas.config') || config.listenerSetting(l.name, 'sasl.jaas.config');
      const plain = plainUsers(jaasOptions(jaas, `the PLAIN JAAS config of listener ${l.name}`));
      this.sasl.set(l.name, {
        mechanisms: config.listenerSetting(l.name, 'sasl.enabled.mechanisms').split(',').map((m) => m.trim()).filter(Boolean),
        users: { plainPassword: (u) => plain.get(u), ...scramUsers },
        oauthbearer: oauthOptions(config.listenerSetting(l.name, 'oauthbearer.sasl.jaas.config') || config.listenerSetting(l.name, 'sasl.jaas.config'), l.name),
        reauthMs: Number(config.listenerSetting(l.name, 'connections.max.reauth.ms') || 0),
      });
    }
    for (const kind of ['acl', 'scram', 'quota'] as const) {
      this.apply([...metadata.securityRecords(kind)].map(([key, value]) => ({ kind, key, value })), log);
    }
    metadata.onChange((c) => { if (c.kind === 'security') this.apply(c.records, log); });
  }

  /** The mechanisms a listener serves (SaslHandshake lists them). */
  mechanisms(listener: Listener): string[] { return this.sasl.get(listener.name)?.mechanisms ?? []; }

  /** A server for one exchange, undefined when the listener does not serve the mechanism. */
  saslServer(listener: Listener, mechanism: string): SaslServer | undefined {
    const l = this.sasl.get(listener.name);
    if (!l || !l.mechanisms.includes(mechanism)) return undefined;
    return createSaslServer(mechanism, l.users, { oauthbearer: l.oauthbearer });
  }

  /** connections.max.reauth.ms of the listener (0: sessions do not expire by time). */
  reauthMs(listener: Listener): number { return this.sasl.get(listener.name)?.reauthMs ?? 0; }

  /** The users that have a SCRAM credential, with their mechanisms and iterations (DescribeUserScramCredentials). */
  scramUsers(): Map<string, { mechanism: string; iterations: number }[]> {
    const out = new Map<string, { mechanism: string; iterations: number }[]>();
    for (const [key, c] of this.scram) {
      const { user } = parseScramKey(key);
      out.set(user, [...(out.get(user) ?? []), { mechanism: c.mechanism, iterations: c.iterations }]);
    }
    return out;
  }

  private apply(records: readonly SecurityRecord[], log: { warn(m: string): void }): void {
    for (const r of records) {
      try {
        if (r.kind === 'scram') {
          if (r.value === null) this.scram.delete(r.key); else this.scram.set(r.key, decodeCredential(r.value));
        } else if (r.kind === 'acl') {
          const b = parseAclKey(r.key);
          if (r.value === null) this.authorizer.remove(b); else this.authorizer.add(b);
        } else {
          this.quotas.set(parseEntityKey(r.key), r.value === null ? {} : JSON.parse(r.value) as Record<string, number>);
        }
      } catch (e) {
        log.warn(`ignoring an unreadable ${r.kind} record in the cluster metadata (${r.key}): ${(e as Error).message}`);
      }
    }
  }
}
