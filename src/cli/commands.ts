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
 *   samsa topic create|list|describe|delete|alter-config|produce|consume, samsa group list|describe|delete|seek,
 *   samsa cluster info   (Kafka-protocol commands like rpk's; `samsa topics` is `samsa topic`)
 *   samsa help [COMMAND]   (every command, every flag, examples: help*.ts)
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
import { servingV8 } from './v8-tuning.js';

async function start(args: string[]): Promise<void> {
  const parsed = parseStartArgs(args);
  // Loaded on demand so a lone broker starts as fast and as small as before.
  if (parsed.brokers !== undefined) return (await import('./cluster-start.js')).startClusterCommand(parsed);
  const { flags, file, ephemeral, logLevel, logFormat } = parsed;
  // Imported here so `samsa cluster` and `samsa topics` do not load a broker.
  const { startBroker } = await import('../broker/index.js');
  let tempDir: string | undefined;
  if (ephemeral) flags['log.dirs'] = tempDir = mkdtempSync(join(tmpdir(), 'samsa-'));
  const broker = await startBroker({ flags, file, env: process.env, logLevel, logFormat, ephemeral });
  // Before the ready line: a supervisor that signals as soon as it reads it must get a clean stop.
  let http: { url: string; close(): Promise<void> } | undefined;
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
  console.log(`samsa listening on ${broker.host}:${broker.port} (data: ${tempDir ? `${tempDir}, removed at exit` : broker.dataDir})`);
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
  servingV8();
}

async function main(argv: string[]): Promise<void> {
  const [cmd, ...rest] = argv;
  // `samsa start --help` (and the other commands that take no sub-command) print the command's help.
  if ((cmd === 'start' || cmd === 'dev-certs' || cmd === 'cluster' || cmd === 'users' || cmd === 'acls' || cmd === 'quotas') && (rest.includes('--help') || rest.includes('-h'))) {
    process.exitCode = (await import('./help.js')).helpCommand(cmd === 'cluster' && rest[0] === 'info' ? ['cluster', 'info'] : [cmd]);
    return;
  }
  switch (cmd) {
    case 'start': return start(rest);
    // Loaded on demand: the Kafka client commands and the API table (the whole
    // handler registry) are not needed to run a broker and slow start-up.
    case 'topic': case 'topics': process.exitCode = await (await import('./topic.js')).topicCommand(rest); return;
    case 'group': case 'groups': process.exitCode = await (await import('./group.js')).groupCommand(rest); return;
    case 'help': case '--help': case '-h': process.exitCode = (await import('./help.js')).helpCommand(rest); return;
    case 'users': process.exitCode = await (await import('./users.js')).usersCommand(rest); return;
    case 'acls': process.exitCode = await (await import('./acls.js')).aclsCommand(rest); return;
    case 'quotas': process.exitCode = await (await import('./quotas.js')).quotasCommand(rest); return;
    // `cluster info` speaks the Kafka protocol; the other cluster commands the control API.
    case 'cluster': if (rest[0] === 'info') { process.exitCode = await (await import('./cluster-info.js')).clusterInfoCommand(rest.slice(1)); return; } return (await import('./cluster.js')).clusterCommand(rest);
    case 'dev-certs': return (await import('./dev-certs.js')).devCertsCommand(rest);
    case 'api-table': console.log((await import('../broker/api-table.js')).apiTableMarkdown()); return;
    default: {
      const { helpCommand, unknownCommand } = await import('./help.js');
      process.exitCode = cmd === undefined ? helpCommand([]) : unknownCommand(cmd);
    }
  }
}

main(process.argv.slice(2)).catch((err) => {
  console.error(`samsa: ${err instanceof ConfigError ? err.message : err?.stack ?? err}`);
  process.exit(2);
});
