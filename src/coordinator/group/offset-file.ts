/**
 * Committed offsets on disk: `<dataDir>/__samsa_group_offsets.json`, written to
 * a temporary file and renamed over the old one after each commit, so a crash
 * leaves the previous or the new set. (Kafka keeps them as records of the
 * compacted __consumer_offsets topic; moving to that is open work.)
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClassicGroup } from './classic-group.js';
import type { GroupCoordinator } from './group-coordinator.js';

const FILE = '__samsa_group_offsets.json';

type Saved = Record<string, Record<string, Record<string, { offset: string; leaderEpoch: number; metadata: string | null; commitTimestamp: number }>>>;

export function saveOffsets(dataDir: string, groups: Map<string, ClassicGroup>): void {
  const out: Saved = {};
  for (const [id, g] of groups) {
    if (g.offsets.size === 0) continue;
    out[id] = {};
    for (const [topic, parts] of g.offsets) {
      out[id]![topic] = {};
      for (const [p, o] of parts) out[id]![topic]![p] = { offset: o.offset.toString(), leaderEpoch: o.leaderEpoch, metadata: o.metadata, commitTimestamp: o.commitTimestamp };
    }
  }
  const path = join(dataDir, FILE);
  writeFileSync(`${path}.tmp`, JSON.stringify(out));
  renameSync(`${path}.tmp`, path);
}

export function loadOffsets(dataDir: string, coordinator: GroupCoordinator): void {
  const path = join(dataDir, FILE);
  if (!existsSync(path)) return;
  const saved = JSON.parse(readFileSync(path, 'utf8')) as Saved;
  for (const [group, topics] of Object.entries(saved)) {
    for (const [topic, parts] of Object.entries(topics)) {
      for (const [p, o] of Object.entries(parts)) coordinator.restore(group, topic, Number(p), { ...o, offset: BigInt(o.offset) });
    }
  }
}
