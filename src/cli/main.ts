#!/usr/bin/env node
/**
 * The `samsa` command.
 *   samsa start [--listen host:port] [--data-dir dir] [--ephemeral] [--config file]
 *               [--advertised-host h] [--advertised-port p] [--log-level level]
 *               [--set key=value ...]
 *   samsa topics list|describe|create|delete ... [--bootstrap host:port]
 *   samsa api-table   (the README's table of supported APIs)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker } from '../broker/index.js';
import { ConfigError } from '../config/broker-config.js';
import type { LogLevel } from '../broker/logger.js';
import { topicsCommand } from './topics.js';
import { apiTableMarkdown } from '../broker/api-table.js';

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

async function start(args: string[]): Promise<void> {
  const { flags, file, ephemeral, logLevel } = parseStartArgs(args);
  let tempDir: string | undefined;
  if (ephemeral) flags['log.dirs'] = tempDir = mkdtempSync(join(tmpdir(), 'samsa-'));
  const broker = await startBroker({ flags, file, env: process.env, logLevel });
  console.log(`samsa listening on ${broker.host}:${broker.port} (data: ${tempDir ? `${tempDir}, removed at exit` : broker.dataDir})`);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`samsa: ${signal}, shutting down\n`);
    await broker.close();
    if (tempDir) rmSync(tempDir, { recursive: true, force: true });
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

async function main(argv: string[]): Promise<void> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'start': return start(rest);
    case 'topics': return topicsCommand(rest);
    case 'api-table': console.log(apiTableMarkdown()); return;
    default:
      console.error('usage: samsa start [options] | samsa topics list|describe|create|delete [...]');
      process.exitCode = cmd === undefined || cmd === '--help' || cmd === 'help' ? 0 : 2;
  }
}

main(process.argv.slice(2)).catch((err) => {
  console.error(`samsa: ${err instanceof ConfigError ? err.message : err?.stack ?? err}`);
  process.exit(2);
});
