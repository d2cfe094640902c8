/**
 * A node-rdkafka consumer-protocol member in a process of its own, for the
 * test that kills a member with SIGKILL (no leave heartbeat, no commit): the
 * broker must drop it when its session times out.
 *
 * Usage: node rdkafka-member-child.ts <bootstrap> <group> <topic,...>
 * Prints a JSON line {"assigned": [...]} at start-up and whenever its
 * assignment changes.
 */
import { RdMember } from './rdkafka-member.js';

const [bootstrap, groupId, topics] = process.argv.slice(2);
const m = await RdMember.start({ teardown: () => {} }, bootstrap!, groupId!, topics!.split(','), 'child');
let last = '';
const report = (): void => {
  const now = JSON.stringify({ assigned: m.partitions(), errors: m.errors });
  if (now !== last) { last = now; process.stdout.write(`${now}\n`); }
};
report();
setInterval(report, 50);
