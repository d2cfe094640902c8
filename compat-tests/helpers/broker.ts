/**
 * The broker a compat test talks to: a Samsa broker started in this process on
 * a free loopback port with a temporary data dir (stopped and removed in the
 * test's teardown), or, when BROKER=host:port is set, that broker, so the same
 * suite can run against Apache Kafka.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker, type RunningBroker } from '../../src/broker/index.js';

interface Teardown { teardown(fn: () => unknown): void }

export interface TestBroker {
  host: string;
  port: number;
  /** "host:port" for kafkajs `brokers` and kcat `-b`. */
  bootstrap: string;
  /** True when the suite runs against BROKER=host:port instead of its own Samsa. */
  external: boolean;
  /** Our broker (undefined when external). */
  samsa?: RunningBroker;
  /** Stops our broker and starts it again on the same data dir and port (not available when external). */
  restart(): Promise<void>;
}

export async function testBroker(t: Teardown, flags: Record<string, string> = {}): Promise<TestBroker> {
  const ext = process.env.BROKER;
  if (ext) {
    const [host, port] = ext.split(':');
    return { host: host!, port: Number(port), bootstrap: ext, external: true, restart: async () => { throw new Error('restart needs our own broker'); } };
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'samsa-test-'));
  const start = (port = 0) => startBroker({ flags: { 'log.dirs': dataDir, listeners: `127.0.0.1:${port}`, ...flags }, logLevel: 'silent' });
  const b: TestBroker = {
    host: '127.0.0.1', port: 0, bootstrap: '', external: false,
    restart: async () => {
      await b.samsa!.close();
      b.samsa = await start(b.port);
    },
  };
  b.samsa = await start();
  b.port = b.samsa.port;
  b.bootstrap = `127.0.0.1:${b.port}`;
  t.teardown(async () => {
    await b.samsa?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  return b;
}
