/**
 * The `samsa` command's sub-commands (main.ts is the entry point).
 *   samsa start [--listen host:port] [--data-dir dir] [--ephemeral] [--config file]
 *               [--advertised-host h] [--advertised-port p] [--log-level level] [--log-format pretty|json]
 *               [--set key=value ...]
 *               [--brokers N [--port-step S] [--http host:port]]
 *               [--metadata etcd://host:port[,host:port...][/prefix]]
 *       --brokers runs a cluster of N brokers in this process (cluster-start.ts);
 *       --metadata joins brokers in other processes through etcd (one broker
 *       per process, each with its own --node-id); without either, one broker
 *       exactly as before.
 *   samsa cluster status|stop-broker N|start-broker N|pause-broker N|resume-broker N
 *                 |move-leader TOPIC PARTITION BROKER [--http host:port] [--json]
 *   samsa topics list|describe|create|delete ... [--bootstrap host:port]
 *   samsa users create|delete|list, samsa acls create|list|delete, samsa quotas alter|describe
 *       (SCRAM credentials, ACLs, client quotas over the Kafka protocol; TLS/SASL client flags)
 *   samsa dev-certs DIR [--host h] [--client name] [--days N] [--force]   (throwaway TLS certificates)
 *   samsa api-table   (the README's table of supported APIs)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../config/broker-config.js';
import { parseStartArgs } from './start-args.js';

async function start(args: string[]): Promise<void> {
  const parsed = parseStartArgs(args);
  // Loaded on demand so a lone broker starts as fast and as small as before.
  if (parsed.brokers !== undefined) return (await import('./cluster-start.js')).startClusterCommand(parsed);
  const { flags, file, ephemeral, logLevel, logFormat } = parsed;
  // Imported here so `samsa cluster` and `samsa topics` do not load a broker.
  const { startBroker } = await import('../broker/index.js');
  let tempDir: string | undefined;
  if (ephemeral) flags['log.dirs'] = tempDir = mkdtempSync(join(tmpdir(), 'samsa-'));
  const broker = await startBroker({ flags, file, env: process.env, logLevel, logFormat });
  console.log(`samsa listening on ${broker.host}:${broker.port} (data: ${tempDir ? `${tempDir}, removed at exit` : broker.dataDir})`);
  let http: { url: string; close(): Promise<void> } | undefined;
  if (parsed.http) {
    const { brokerTarget } = await import('../http/server.js');
    const { startHttpCommand } = await import('./http-start.js');
    try {
      http = await startHttpCommand(brokerTarget(broker, parsed.httpAllowWrites), parsed.http);
    } catch (err) {
      await broker.close();
      if (tempDir) rmSync(tempDir, { recursive: true, force: true });
      throw err;
    }
    console.log(`samsa console on ${http.url}`);
  }
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    broker.context.log.info(`${signal}: shutting down`, { signal });
    await http?.close();
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
    case 'users': process.exitCode = await (await import('./users.js')).usersCommand(rest); return;
    case 'acls': process.exitCode = await (await import('./acls.js')).aclsCommand(rest); return;
    case 'quotas': process.exitCode = await (await import('./quotas.js')).quotasCommand(rest); return;
    case 'cluster': return (await import('./cluster.js')).clusterCommand(rest);
    case 'dev-certs': return (await import('./dev-certs.js')).devCertsCommand(rest);
    case 'api-table': console.log((await import('../broker/api-table.js')).apiTableMarkdown()); return;
    default:
      console.error('usage: samsa start [options] [--brokers N ... | --node-id N --metadata etcd://host:port/prefix] | samsa cluster status|stop-broker N|... [--http host:port] | samsa topics list|describe|create|delete [...] | samsa users|acls|quotas ... --help');
      process.exitCode = cmd === undefined || cmd === '--help' || cmd === 'help' ? 0 : 2;
  }
}

main(process.argv.slice(2)).catch((err) => {
  console.error(`samsa: ${err instanceof ConfigError ? err.message : err?.stack ?? err}`);
  process.exit(2);
});
