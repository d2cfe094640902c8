/** `samsa start` flags: the few with their own names map to Kafka keys; --set takes any key. */
import { ConfigError } from '../config/broker-config.js';
import { LOG_FORMATS, type LogFormat, type LogLevel } from '../broker/logger.js';
import { didYouMean } from '../config/did-you-mean.js';

const FLAG_TO_KEY: Record<string, string> = {
  '--listen': 'listeners',
  '--data-dir': 'log.dirs',
  '--advertised-host': 'advertised.host',
  '--advertised-port': 'advertised.port',
  '--node-id': 'node.id',
  '--metadata': 'metadata.url',
};

const OTHER_FLAGS = ['--config', '--ephemeral', '--log-level', '--log-format', '--set', '--brokers', '--port-step', '--http', '--http-allow-writes'];

/** Settings that would give every broker of a cluster the same identity or the same advertised port. */
const PER_BROKER_KEYS = ['node.id', 'broker.id', 'advertised.port', 'advertised.listeners'];

export interface HttpAddress { host: string; port: number }

export interface StartArgs {
  flags: Record<string, string>;
  file?: string;
  ephemeral: boolean;
  logLevel: LogLevel;
  /** --log-format (or SAMSA_LOG_FORMAT): pretty lines (the default) or JSON lines on stderr. */
  logFormat: LogFormat;
  /** Set by --brokers: run a cluster of this many brokers in this process. */
  brokers?: number;
  portStep?: number;
  http?: HttpAddress;
  /** --http-allow-writes: the HTTP side may produce, delete and reset offsets. */
  httpAllowWrites: boolean;
}

/** `host:port` or `[v6]:port`; port 0 picks a free one. */
export function parseHttpAddress(s: string): HttpAddress {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(s);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new ConfigError(`--http expects host:port (e.g. 127.0.0.1:9644), got ${s}`);
  return { host: m[1] ?? m[2]!, port };
}

function wholeNumber(name: string, v: string, min: number): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < min) throw new ConfigError(`${name} must be a whole number >= ${min}, got ${v}`);
  return n;
}

export function parseStartArgs(args: string[]): StartArgs {
  const flags: Record<string, string> = {};
  let file: string | undefined;
  let ephemeral = false;
  let logLevel: LogLevel = (process.env.SAMSA_LOG_LEVEL as LogLevel) ?? 'info';
  let logFormat = process.env.SAMSA_LOG_FORMAT || 'pretty';
  let brokers: number | undefined;
  let portStep: number | undefined;
  let http: HttpAddress | undefined;
  let httpAllowWrites = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const [name, inline] = a.includes('=') && a.startsWith('--') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = () => {
      if (inline !== undefined) return inline;
      const v = args[++i];
      if (v === undefined) throw new ConfigError(`${name} needs a value`);
      return v;
    };
    if (FLAG_TO_KEY[name]) flags[FLAG_TO_KEY[name]] = value();
    else if (name === '--config') file = value();
    else if (name === '--ephemeral') ephemeral = true;
    else if (name === '--log-level') logLevel = value() as LogLevel;
    else if (name === '--log-format') logFormat = value();
    else if (name === '--brokers') brokers = wholeNumber(name, value(), 1);
    else if (name === '--port-step') portStep = wholeNumber(name, value(), 1);
    else if (name === '--http') http = parseHttpAddress(value());
    else if (name === '--http-allow-writes') httpAllowWrites = true;
    else if (name === '--set') {
      const kv = value();
      const eq = kv.indexOf('=');
      if (eq < 1) throw new ConfigError(`--set expects key=value, got ${kv}`);
      flags[kv.slice(0, eq)] = kv.slice(eq + 1);
    } else throw new ConfigError(`unknown option ${a} (options: ${[...Object.keys(FLAG_TO_KEY), ...OTHER_FLAGS].join(', ')})`);
  }
  if (!['debug', 'info', 'warn', 'error', 'silent'].includes(logLevel)) throw new ConfigError(`--log-level must be debug, info, warn, error or silent`);
  if (!(LOG_FORMATS as string[]).includes(logFormat)) throw new ConfigError(`--log-format must be pretty or json, got ${logFormat}${didYouMean(logFormat, LOG_FORMATS)}`);
  if (portStep !== undefined && brokers === undefined) throw new ConfigError('--port-step needs --brokers N (it spaces the ports of a cluster\'s brokers)');
  if (httpAllowWrites && !http) throw new ConfigError('--http-allow-writes needs --http host:port');
  if (brokers !== undefined && flags['metadata.url']) throw new ConfigError('--metadata cannot be used with --brokers: a cluster in one process keeps its metadata itself; with etcd start one broker per process (--node-id N --metadata etcd://...)');
  if (brokers !== undefined) {
    const clash = PER_BROKER_KEYS.find((k) => flags[k] !== undefined);
    if (clash) throw new ConfigError(`${clash} cannot be set with --brokers: brokers get node ids 0..N-1 and advertise their own ports`);
  }
  return { flags, file, ephemeral, logLevel, logFormat: logFormat as LogFormat, brokers, portStep, http, httpAllowWrites };
}
