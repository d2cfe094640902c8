import t from 'tap';
import { BrokerConfig, ConfigError } from '../../src/config/broker-config.js';

const plan = (flags: Record<string, string>) => BrokerConfig.load({ flags }).plan;

t.test('several listeners, each with its protocol and advertised address', async (t) => {
  const p = plan({
    listeners: 'PLAINTEXT://127.0.0.1:9092,SSL://:9093,SASL_SSL://0.0.0.0:9094,INTERNAL://[::1]:9095',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_SSL:SASL_SSL,INTERNAL:SASL_PLAINTEXT',
    'advertised.listeners': 'SASL_SSL://kafka.example:19094',
    'inter.broker.listener.name': 'internal',
  });
  t.same(p.listeners.map((l) => [l.name, l.protocol, l.host, l.port, l.advertisedHost, l.advertisedPort]), [
    ['PLAINTEXT', 'PLAINTEXT', '127.0.0.1', 9092, '127.0.0.1', 9092],
    ['SSL', 'SSL', '', 9093, '127.0.0.1', 9093],
    ['SASL_SSL', 'SASL_SSL', '0.0.0.0', 9094, 'kafka.example', 19094],
    ['INTERNAL', 'SASL_PLAINTEXT', '::1', 9095, '::1', 9095],
  ]);
  t.equal(p.interBroker.name, 'INTERNAL', 'inter.broker.listener.name picks the listener, case-insensitively');
});

t.test('the inter-broker listener defaults to PLAINTEXT, else the first', async (t) => {
  t.equal(plan({ listeners: 'SSL://:0,PLAINTEXT://:0' }).interBroker.name, 'PLAINTEXT');
  t.equal(plan({ listeners: 'SSL://:0,SASL_SSL://:0' }).interBroker.name, 'SSL');
  t.equal(plan({}).interBroker.protocol, 'PLAINTEXT', 'the default listener is plaintext');
});

t.test('mistakes in the listener settings stop start-up with what is wrong', async (t) => {
  t.throws(() => plan({ listeners: 'PLAINTEXT://:9092,PLAINTEXT://:9093' }), { name: 'ConfigError', message: /names PLAINTEXT twice/ });
  t.throws(() => plan({ listeners: 'PLAINTEXT://:9092,SSL://:9092' }), /port 9092 twice/);
  t.throws(() => plan({ listeners: 'CLIENT://:9092' }), /CLIENT has no security protocol.*listener.security.protocol.map/);
  t.throws(() => plan({ listeners: 'PLAINTEXT://:9092', 'advertised.listeners': 'SSL://x:1' }), /advertised.listeners names SSL, which is not in listeners/);
  t.throws(() => plan({ listeners: 'PLAINTEXT://:9092', 'inter.broker.listener.name': 'SSL' }), /inter.broker.listener.name SSL is not one of the listeners/);
  t.throws(() => plan({ 'listener.security.protocol.map': 'A:TLS' }), ConfigError);
  t.throws(() => plan({ listeners: 'PLAINTEXT://:99999' }), /expected NAME:\/\/host:port/);
});

t.test('TLS and SASL settings per listener win over the plain ones', async (t) => {
  const c = BrokerConfig.load({ flags: {
    listeners: 'SSL://:0,SASL_SSL://:0',
    'ssl.client.auth': 'requested',
    'listener.name.ssl.ssl.client.auth': 'required',
    'listener.name.sasl_ssl.plain.sasl.jaas.config': 'x required user_a="b";',
  } });
  t.equal(c.listenerSetting('SSL', 'ssl.client.auth'), 'required');
  t.equal(c.listenerSetting('SASL_SSL', 'ssl.client.auth'), 'requested');
  t.equal(c.listenerSetting('SASL_SSL', 'plain.sasl.jaas.config'), 'x required user_a="b";');
  t.equal(c.listenerSetting('SSL', 'plain.sasl.jaas.config'), '');
  t.throws(() => BrokerConfig.load({ flags: { 'listener.name.ssl.ssl.client.auth': 'always' } }), /must be one of none, requested, required/);
  t.throws(() => BrokerConfig.load({ flags: { 'listener.name.ssl.ssl.clent.auth': 'none' } }), /unknown broker setting/);
  t.throws(() => BrokerConfig.load({ flags: { 'sasl.enabled.mechanisms': 'PLAIN,GSSAPI' } }), /GSSAPI\/Kerberos is not supported/);
});
