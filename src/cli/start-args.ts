/** `samsa start` flags: the few with their own names map to Kafka keys; --set takes any key. */
import { ConfigError } from '../config/broker-config.js';
import type { LogLevel } from '../broker/logger.js';

const FLAG_TO_KEY: Record<string, string> = {
  '--listen': 'listeners',
  '--data-dir': 'log.dirs',
  '--advertised-host': 'advertised.host',
  '--advertised-port': 'advertised.port',
  '--node-id': 'node.id',
};

export function parseStartArgs(args: string[]): { flags: Record<string, string>; file?: string; ephemeral: boolean; logLevel: LogLevel } {
  const flags: Record<string, string> = {};
  let file: string | undefined;
  let ephemeral = false;
  let logLevel: LogLevel = (process.env.SAMSA_LOG_LEVEL as LogLevel) ?? 'info';
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
    else if (name === '--set') {
      const kv = value();
      const eq = kv.indexOf('=');
      if (eq < 1) throw new ConfigError(`--set expects key=value, got ${kv}`);
      flags[kv.slice(0, eq)] = kv.slice(eq + 1);
    } else throw new ConfigError(`unknown option ${a} (options: ${[...Object.keys(FLAG_TO_KEY), '--config', '--ephemeral', '--log-level', '--set'].join(', ')})`);
  }
  if (!['debug', 'info', 'warn', 'error', 'silent'].includes(logLevel)) throw new ConfigError(`--log-level must be debug, info, warn, error or silent`);
  return { flags, file, ephemeral, logLevel };
}
