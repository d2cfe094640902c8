/**
 * Kafka's listener settings: `listeners` (NAME://host:port, comma-separated),
 * `advertised.listeners`, `listener.security.protocol.map` and
 * `inter.broker.listener.name`, checked together and turned into one list.
 *
 * - A bare `host:port` is PLAINTEXT://host:port (Samsa's shorthand, and what
 *   `--listen 127.0.0.1:9092` has always meant).
 * - An empty host listens on every interface, as in Kafka; it is advertised
 *   as 127.0.0.1 (Kafka would advertise the machine's canonical host name,
 *   which a dev broker on a laptop rarely wants).
 * - The inter-broker listener defaults to the one named PLAINTEXT (Kafka's
 *   security.inter.broker.protocol default) and, when there is none, to the
 *   first listener rather than refusing to start as Kafka does.
 */
import { ConfigError } from './config-error.js';

export type SecurityProtocol = 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';
const PROTOCOLS: readonly SecurityProtocol[] = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'];

export interface Listener {
  /** Upper case, as Kafka normalises it. */
  name: string;
  protocol: SecurityProtocol;
  /** '' listens on every interface. */
  host: string;
  port: number;
  /** What clients that connect to this listener are told. */
  advertisedHost: string;
  advertisedPort: number;
}

export const DEFAULT_PROTOCOL_MAP = 'PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL';

const ENDPOINT = /^(?:([A-Za-z][A-Za-z0-9_]*):\/\/)?(\[[0-9a-fA-F:.]*\]|[^:\s/[\]]*):(\d{1,5})$/;

interface Endpoint { name: string; host: string; port: number }

function parseEndpoints(v: string, what: string): Endpoint[] {
  if (v.trim() === '') return [];
  return v.split(',').map((raw) => {
    const m = ENDPOINT.exec(raw.trim());
    const port = m ? Number(m[3]) : NaN;
    if (!m || port > 65535) throw new ConfigError(`invalid ${what} entry '${raw.trim()}': expected NAME://host:port (e.g. PLAINTEXT://127.0.0.1:9092, SASL_SSL://:9094) or host:port`);
    return { name: (m[1] ?? 'PLAINTEXT').toUpperCase(), host: m[2]!.replace(/^\[|\]$/g, ''), port };
  });
}

/** The error in a `listeners` or `advertised.listeners` value, for the settings table. */
export function endpointsError(v: string): string | undefined {
  try {
    parseEndpoints(v, 'listener');
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

export function parseProtocolMap(v: string): Map<string, SecurityProtocol> {
  const map = new Map<string, SecurityProtocol>();
  for (const entry of v.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [name, protocol] = entry.split(':').map((s) => s.trim().toUpperCase());
    if (!name || !PROTOCOLS.includes(protocol as SecurityProtocol)) {
      throw new ConfigError(`invalid listener.security.protocol.map entry '${entry}': expected NAME:PROTOCOL with PROTOCOL one of ${PROTOCOLS.join(', ')}`);
    }
    if (map.has(name)) throw new ConfigError(`listener.security.protocol.map names ${name} twice`);
    map.set(name, protocol as SecurityProtocol);
  }
  return map;
}

export interface ListenerSettings {
  listeners: string;
  advertisedListeners: string;
  protocolMap: string;
  interBrokerListenerName: string;
  /** advertised.host / advertised.port (Samsa's older settings): the first listener's advertised address unless advertised.listeners names it. */
  advertisedHost: string;
  advertisedPort: string;
}

export interface ListenerPlan {
  listeners: Listener[];
  interBroker: Listener;
}

export function planListeners(s: ListenerSettings): ListenerPlan {
  const map = parseProtocolMap(s.protocolMap);
  const bound = parseEndpoints(s.listeners, 'listeners');
  if (bound.length === 0) throw new ConfigError('listeners is empty: give at least one, e.g. PLAINTEXT://127.0.0.1:9092');
  const names = new Set<string>();
  const ports = new Set<number>();
  for (const e of bound) {
    if (names.has(e.name)) throw new ConfigError(`listeners names ${e.name} twice: each listener needs its own name`);
    names.add(e.name);
    if (e.port !== 0 && ports.has(e.port)) throw new ConfigError(`listeners uses port ${e.port} twice`);
    ports.add(e.port);
    if (!map.has(e.name)) throw new ConfigError(`listener ${e.name} has no security protocol: add ${e.name}:<PLAINTEXT|SSL|SASL_PLAINTEXT|SASL_SSL> to listener.security.protocol.map`);
  }
  const advertised = new Map<string, Endpoint>();
  for (const e of parseEndpoints(s.advertisedListeners, 'advertised.listeners')) {
    if (!names.has(e.name)) throw new ConfigError(`advertised.listeners names ${e.name}, which is not in listeners (${[...names].join(', ')})`);
    if (advertised.has(e.name)) throw new ConfigError(`advertised.listeners names ${e.name} twice`);
    if (e.port === 0) throw new ConfigError(`advertised.listeners ${e.name} has port 0: advertise the port clients connect to`);
    advertised.set(e.name, e);
  }
  const listeners = bound.map((e, i): Listener => {
    const adv = advertised.get(e.name);
    const legacy = i === 0 && !adv;
    const fallbackHost = e.host === '' || e.host === '0.0.0.0' ? '127.0.0.1' : e.host === '::' ? '::1' : e.host;
    return {
      name: e.name,
      protocol: map.get(e.name)!,
      host: e.host,
      port: e.port,
      advertisedHost: adv?.host || (legacy && s.advertisedHost) || fallbackHost,
      // 0 until the listener is bound (port 0 picks one): the broker fills it in then.
      advertisedPort: adv?.port ?? (legacy && s.advertisedPort ? Number(s.advertisedPort) : e.port),
    };
  });
  const wanted = s.interBrokerListenerName.trim().toUpperCase();
  const interBroker = wanted ? listeners.find((l) => l.name === wanted) : listeners.find((l) => l.name === 'PLAINTEXT') ?? listeners[0];
  if (!interBroker) throw new ConfigError(`inter.broker.listener.name ${wanted} is not one of the listeners (${[...names].join(', ')})`);
  return { listeners, interBroker };
}

/** The listeners as a `listeners` value again, with each port moved by `shift` (the brokers of a one-process cluster). */
export function shiftedListeners(listeners: readonly Listener[], shift: number): string {
  return listeners.map((l) => `${l.name}://${l.host.includes(':') ? `[${l.host}]` : l.host}:${l.port === 0 ? 0 : l.port + shift}`).join(',');
}

export const isTls = (p: SecurityProtocol) => p === 'SSL' || p === 'SASL_SSL';
export const isSasl = (p: SecurityProtocol) => p === 'SASL_PLAINTEXT' || p === 'SASL_SSL';
