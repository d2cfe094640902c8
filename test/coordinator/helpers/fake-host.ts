/**
 * A broker as the coordinators see it (InternalTopicHost): real partition
 * logs in a temporary directory that it leads, appends that can be refused
 * (`appendError`), fail (`appendFault`, a disk fault) or wait (`appendGate`). `leadingGroups`
 * gives a group coordinator that leads every partition, as a lone broker's
 * does once it has loaded them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as pathJoin } from 'node:path';
import { PartitionLog } from '../../../src/log/partition-log.js';
import type { InternalTopicHost } from '../../../src/coordinator/internal-topic.js';
import { GroupCoordinator, type GroupLimits } from '../../../src/coordinator/group/group-coordinator.js';
import { OffsetsTopicStore } from '../../../src/coordinator/group/offsets-topic.js';
import { ErrorCode } from '../../../src/wire/errors.js';

interface Teardown { teardown(fn: () => unknown): void }

export class FakeHost implements InternalTopicHost {
  readonly logs = new Map<string, PartitionLog>();
  readonly counts = new Map<string, number>();
  readonly created: { name: string; partitions: number; replicationFactor: number; configs: Record<string, string> }[] = [];
  /** Called once a topic is created (a broker then starts leading its partitions). */
  onCreate: (name: string, partitions: number) => void = () => {};
  /** The error every append answers (NONE: appended). */
  appendError: number = ErrorCode.NONE;
  /** When set, every append fails with it (a fault, not a Kafka error). */
  appendFault: Error | undefined;
  /** When set, appends wait for it (a slow disk or replication), then go on as above. */
  appendGate: Promise<void> | undefined;
  constructor(private readonly dir: string) {}

  partitionCount(topic: string): number | undefined { return this.counts.get(topic); }
  async createTopic(name: string, partitions: number, replicationFactor: number, configs: Record<string, string>): Promise<{ partitions: number }> {
    this.created.push({ name, partitions, replicationFactor, configs });
    for (let p = 0; p < partitions; p++) this.logs.set(`${name}-${p}`, PartitionLog.open(this.dir, name, p, {}, false));
    this.counts.set(name, partitions);
    this.onCreate(name, partitions);
    return { partitions };
  }
  async append(topic: string, partition: number, batch: Buffer): Promise<number> {
    if (this.appendGate) await this.appendGate;
    if (this.appendFault) throw this.appendFault;
    if (this.appendError !== ErrorCode.NONE) return this.appendError;
    const log = this.logs.get(`${topic}-${partition}`);
    if (!log) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    await log.append(batch, 0).done;
    return ErrorCode.NONE;
  }
  lookup(topic: string, partition: number) {
    const log = this.logs.get(`${topic}-${partition}`);
    return log ? { log } : undefined;
  }
  close(): void { for (const l of this.logs.values()) l.close(); }
}

export function host(t: Teardown): FakeHost {
  const dir = mkdtempSync(pathJoin(tmpdir(), 'samsa-coord-'));
  const h = new FakeHost(dir);
  t.teardown(() => { h.close(); rmSync(dir, { recursive: true, force: true }); });
  return h;
}

/** A group coordinator over __consumer_offsets on `h` that leads, and has loaded, every partition. */
export async function leadingGroups(t: Teardown, limits: GroupLimits, h: FakeHost = host(t), partitions = 1): Promise<GroupCoordinator> {
  const store = new OffsetsTopicStore(h, partitions, 1 << 20, 1);
  const c = new GroupCoordinator(limits, store);
  t.teardown(() => c.close());
  const n = await c.ensureTopic();
  for (let p = 0; p < n; p++) await c.loadPartition(p, 0);
  return c;
}
