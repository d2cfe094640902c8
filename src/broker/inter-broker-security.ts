/**
 * How this broker reaches the others on the inter-broker listener
 * (inter.broker.listener.name): TLS when the listener's protocol has it, with
 * the listener's truststore (and keystore, for brokers that require client
 * certificates); SASL when it has that, with sasl.mechanism.inter.broker.protocol
 * and the username/password options of that mechanism's JAAS config, as
 * Kafka's brokers take their own credentials. The principal the brokers
 * authenticate as needs CLUSTER_ACTION on the cluster once ACLs are in use
 * (put it in super.users, as Kafka's documentation advises).
 */
import { ConfigError, type BrokerConfig } from '../config/broker-config.js';
import { isSasl, isTls } from '../config/listeners.js';
import type { InterBrokerSecurity } from './broker-client.js';
import { jaasOptions } from './jaas-config.js';

export async function interBrokerClientSecurity(config: BrokerConfig): Promise<InterBrokerSecurity> {
  const l = config.plan.interBroker;
  const setting = (key: string) => config.listenerSetting(l.name, key);
  const out: InterBrokerSecurity = {};
  if (isTls(l.protocol)) {
    const { tlsClientOptions } = await import('../security/tls-options.js');
    out.tls = tlsClientOptions({ get: setting });
  }
  if (isSasl(l.protocol)) {
    const mechanism = config.get('sasl.mechanism.inter.broker.protocol');
    const where = `${mechanism.toLowerCase()}.sasl.jaas.config`;
    const options = jaasOptions(setting(where) || setting('sasl.jaas.config'), `the ${mechanism} JAAS config of listener ${l.name}`);
    const username = options.get('username');
    const password = options.get('password');
    if (!username || password === undefined) {
      throw new ConfigError(`the inter-broker listener ${l.name} uses SASL (${l.protocol}): its ${mechanism} JAAS config (listener.name.${l.name.toLowerCase()}.${where} or sasl.jaas.config) needs username="..." password="..." for this broker to authenticate to the others`);
    }
    out.sasl = { mechanism, username, password };
  }
  return out;
}
