/**
 * A consumer-protocol member in a process of its own (spawnMemberChild in
 * consumer-protocol-clients-child.ts), for the tests that kill a member with
 * SIGKILL (no leave heartbeat, no commit): the broker must drop it when its
 * session times out.
 *
 * Usage: node consumer-protocol-member-child.ts <rdkafka|platformatic> <bootstrap> <group> <topic,...>
 * Prints a JSON line {"assigned": [...]} at start-up and whenever its
 * assignment changes. Only the chosen client is loaded.
 */
const [client, bootstrap, groupId, topics] = process.argv.slice(2);
const start = client === 'rdkafka'
  ? (await import('./rdkafka-member.js')).RdMember.start
  : (await import('./platformatic-member.js')).PlatformaticMember.start;
const m = await start({ teardown: () => {} }, bootstrap!, groupId!, topics!.split(','), 'child');
let last = '';
const report = (): void => {
  const now = JSON.stringify({ assigned: m.partitions(), errors: m.errors });
  if (now !== last) { last = now; process.stdout.write(`${now}\n`); }
};
report();
setInterval(report, 50);
