/**
 * The `samsa` command's sub-commands (main.ts is the entry point).
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
import { parseStartArgs } from './start-args.js';

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
    // Loaded on demand: the admin client (kafkajs) and the API table (the whole
    // handler registry) are not needed to run a broker and slow start-up.
    case 'topics': return (await import('./topics.js')).topicsCommand(rest);
    case 'api-table': console.log((await import('../broker/api-table.js')).apiTableMarkdown()); return;
    default:
      console.error('usage: samsa start [options] | samsa topics list|describe|create|delete [...]');
      process.exitCode = cmd === undefined || cmd === '--help' || cmd === 'help' ? 0 : 2;
  }
}

main(process.argv.slice(2)).catch((err) => {
  console.error(`samsa: ${err instanceof ConfigError ? err.message : err?.stack ?? err}`);
  process.exit(2);
});
