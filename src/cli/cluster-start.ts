/**
 * `samsa start --brokers N`: a cluster of N brokers in this process, with the
 * control API on --http when given. One ready line per broker, then one for
 * the API; SIGINT/SIGTERM close everything cleanly.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster, type RunningCluster } from '../broker/cluster.js';
import { Logger } from '../broker/logger.js';
import type { StartArgs } from './start-args.js';
import { servingV8 } from './v8-tuning.js';

export async function startClusterCommand(args: StartArgs): Promise<void> {
  const { flags, file, ephemeral, logLevel, logFormat, brokers, portStep, http, httpAllowWrites } = args;
  let tempDir: string | undefined;
  if (ephemeral) flags['log.dirs'] = tempDir = mkdtempSync(join(tmpdir(), 'samsa-'));
  const removeTemp = () => { if (tempDir) rmSync(tempDir, { recursive: true, force: true }); };
  let cluster: RunningCluster;
  try {
    cluster = await startCluster({ brokers: brokers!, portStep, flags, file, env: process.env, logLevel, logFormat });
  } catch (err) {
    removeTemp();
    throw err;
  }
  let server: { url: string; close(): Promise<void> } | undefined;
  // Before the ready lines: a supervisor that signals as soon as it reads them must get a clean stop.
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    new Logger(logLevel, logFormat).info(`${signal}: shutting down`, { signal });
    await server?.close();
    await cluster.close();
    removeTemp();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  if (http) {
    const { clusterTarget } = await import('../http/server.js');
    const { startHttpCommand } = await import('./http-start.js');
    try {
      server = await startHttpCommand(clusterTarget(cluster, httpAllowWrites), http);
    } catch (err) {
      await cluster.close();
      removeTemp();
      throw err;
    }
  }
  const base = cluster.dataDir.replace(/\/+$/, '');
  for (const b of cluster.status().brokers) {
    console.log(`samsa broker ${b.id} listening on ${b.host.includes(':') ? `[${b.host}]` : b.host}:${b.port} (data: ${base}/broker-${b.id}${tempDir ? ', removed at exit' : ''})`);
  }
  if (server) console.log(`samsa console and control API on ${server.url}`);
  servingV8();
}
