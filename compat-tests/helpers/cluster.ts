/**
 * A Samsa cluster in this process for compat tests: `brokers` brokers on free
 * loopback ports with a temporary data dir, fast failure detection (short
 * broker session and replica lag) so failover tests stay short, closed and
 * removed in the test's teardown.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster, type RunningCluster } from '../../src/broker/cluster.js';

interface Teardown { teardown(fn: () => unknown): void }

/** Failure detection in a second or two instead of Kafka's 9 s session and 30 s lag. */
export const FAST_FAILOVER: Record<string, string> = {
  'broker.session.timeout.ms': '1000',
  'broker.heartbeat.interval.ms': '200',
  'replica.lag.time.max.ms': '2000',
  'replica.fetch.backoff.ms': '100',
  'replica.fetch.wait.max.ms': '200',
  'group.initial.rebalance.delay.ms': '0',
};

export async function testCluster(t: Teardown, brokers = 3, flags: Record<string, string> = {}): Promise<RunningCluster> {
  const dataDir = mkdtempSync(join(tmpdir(), 'samsa-cluster-'));
  const cluster = await startCluster({ brokers, flags: { 'log.dirs': dataDir, listeners: '127.0.0.1:0', ...FAST_FAILOVER, ...flags }, logLevel: process.env.SAMSA_TEST_LOG === '1' ? 'info' : 'silent' });
  t.teardown(async () => {
    await cluster.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  return cluster;
}
